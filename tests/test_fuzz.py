"""Fuzzing the readers and the whole pipeline with mutated pages (a fixed example budget,
well under a minute): no exception escapes, every document ends in exactly one of clean,
duplicates or rejects, and kept spans give back the text."""
import gzip
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newsclean import Config, DedupConfig, Pipeline, clean_text
from newsclean.read import read_inputs
from newsclean.records import Document, normalize_ws

from .conftest import ROOT, SEEDS

BASE = [p.read_bytes() for p in sorted(SEEDS.glob("*.txt"))]


@st.composite
def mutated(draw):
    raw = bytearray(draw(st.sampled_from(BASE)))
    for _ in range(draw(st.integers(0, 4))):
        kind = draw(st.sampled_from(["flip", "cut", "nul", "repeat", "breaks", "bytes"]))
        at = draw(st.integers(0, max(0, len(raw) - 1)))
        if kind == "flip" and raw:
            raw[at] ^= draw(st.integers(1, 255))
        elif kind == "cut":
            raw = raw[:at]
        elif kind == "nul":
            raw[at:at] = b"\x00"
        elif kind == "repeat":
            raw = raw[:at] + raw[at:at + 200] * draw(st.integers(2, 50)) + raw[at:]
        elif kind == "breaks":
            raw = raw.replace(b"\n", draw(st.sampled_from([b"\r", b"\r\n", b"\n\n\n", b"\x0b", "\u2028".encode()])))
        else:
            raw[at:at] = bytes(draw(st.lists(st.integers(0x80, 0xFF), max_size=6)))
    return bytes(raw)


URLS = st.sampled_from([None, "https://news.example/a-story", "http://[::1", "http://x:99999/", "not a url",
                        "https://", 7, "https://news.example/a-story"])


@st.composite
def corpus(draw, tmp_path):
    files = []
    for i in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["txt", "txt.gz", "jsonl", "jsonl.gz", "broken.gz", "warc", "warc.gz",
                                     "jsonl.zst", "csv", "noext"]))
        body = draw(mutated())
        if kind in ("warc", "warc.gz"):
            data = _warc([draw(mutated()) for _ in range(draw(st.integers(1, 3)))])
            if draw(st.booleans()):  # damaged: cut, or bytes flipped, anywhere in the archive
                at = draw(st.integers(0, len(data) - 1))
                data = data[:at] if draw(st.booleans()) else data[:at] + bytes([data[at] ^ 0x55]) + data[at + 1:]
        elif kind == "csv":
            text = body.decode("utf-8", "replace").replace('"', '""')
            data = f'id,text,url\r\nc{i},"{text}",{draw(URLS)}\r\n'.encode()
        elif kind.startswith("jsonl"):
            lines = []
            for k in range(draw(st.integers(1, 3))):
                rec = {"text": body.decode("utf-8", "replace"), "url": draw(URLS)}
                if draw(st.booleans()):
                    rec["id"] = draw(st.sampled_from(["a", "b", "a"]))
                lines.append(json.dumps(rec).encode())
            if draw(st.booleans()):
                lines.insert(draw(st.integers(0, len(lines))), b"{broken")
            data = b"\n".join(lines) + b"\n"
        else:
            data = body
        if kind == "jsonl.zst":
            import zstandard
            data = zstandard.ZstdCompressor().compress(data)
            if draw(st.booleans()):
                data = data[:draw(st.integers(0, max(0, len(data) - 1)))]
        if kind.endswith(".gz"):
            data = gzip.compress(data)
            if kind == "broken.gz" or draw(st.booleans()):
                cut = draw(st.integers(10, max(11, len(data) - 1)))
                data = data[:cut] + bytes(draw(st.lists(st.integers(0, 255), max_size=8)))
            name = f"f{i}.{'txt.gz' if kind == 'broken.gz' else kind}"
        else:
            name = f"f{i}" if kind == "noext" else f"f{i}.{kind}"
        (tmp_path / name).write_bytes(data)
        files.append(name)
    return files


def _warc(bodies: list[bytes]) -> bytes:
    out = []
    for n, body in enumerate(bodies):
        http = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n<html><body><p>" + body + b"</p></body></html>"
        head = (f"WARC/1.0\r\nWARC-Type: response\r\nWARC-Record-ID: <urn:uuid:{n:08d}-0000-0000-0000-000000000000>\r\n"
                f"WARC-Target-URI: https://news.example/{n}\r\nContent-Type: application/http; msgtype=response\r\n"
                f"Content-Length: {len(http)}\r\n\r\n").encode()
        out.append(head + http + b"\r\n\r\n")
    return b"".join(out)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                   HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_mutated_corpora_never_raise_and_lose_nothing(tmp_path_factory, data):
    tmp = tmp_path_factory.mktemp("fuzz")
    data.draw(corpus(tmp))
    config = Config()
    items = list(read_inputs([str(tmp)], config))
    docs = {it.doc_id: it for it in items if isinstance(it, Document)}
    assert len(docs) == sum(isinstance(it, Document) for it in items)  # ids are unique
    records = list(Pipeline(config, jobs=1).run(iter(items)))
    stories = [r for k, r in records if k != "reject"]
    rejects = [r for k, r in records if k == "reject"]
    placed = {r["doc_id"] for r in stories}
    rejected_docs = [r["doc_id"] for r in rejects if r["doc_id"] in docs]
    assert not placed & set(rejected_docs)  # exactly one of the three
    assert len(placed) + len(rejects) == len(items)
    for r in stories:
        if docs[r["doc_id"]].fmt != "text":  # (HTML: spans point into the extracted text)
            continue
        src = docs[r["doc_id"]].content
        assert r["text"].split("\n\n") == [normalize_ws(src[s:e]) for s, e in r["spans"]]


def test_one_document_alone_or_in_a_corpus_gives_the_same_text():
    import sys
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from generate import generate

    config = Config(templates=False, dedup=DedupConfig(enabled=False))
    docs = list(generate(80, seed=11))
    items = [Document(d["id"], d["text"], "text", {"path": "corpus.jsonl"}, url=d.get("url")) for d in docs]
    together = {}
    for kind, r in Pipeline(config, jobs=1).run(iter(items)):
        if kind != "reject":
            together.setdefault(r["doc_id"], []).append(r["text"])
    for d in docs:
        alone = [r["text"] for r in clean_text(d["text"], doc_id=d["id"], url=d.get("url"), config=config)]
        assert alone == together.get(d["id"], []), d["id"]


def test_explain_shows_what_clean_keeps(tmp_path):
    import sys
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from generate import generate

    from newsclean.pipeline import explain_page

    path = tmp_path / "corpus.jsonl"
    path.write_text("".join(json.dumps(d) + "\n" for d in generate(60, seed=13)))
    config = Config()
    cleaned = {}
    for kind, r in Pipeline(config, jobs=1).run(read_inputs([str(path)], config)):
        if kind != "reject":
            cleaned.setdefault(r["doc_id"], {})[r["story"]] = r["text"]
    assert cleaned
    templated = 0
    for doc_id, texts in cleaned.items():
        page, cut = explain_page(read_inputs([str(path)], config), doc_id, config)
        shown = {}
        for b, label, k in zip(page.blocks, page.labels, page.story):
            if label is None:
                shown.setdefault(k, []).append(normalize_ws(b.text))
        templated += "template" in page.labels
        assert {k: "\n\n".join(v) for k, v in shown.items()} == texts, doc_id
    assert templated  # the generated sites have templates, and explain shows them
