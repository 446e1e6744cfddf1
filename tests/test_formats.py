"""The formats scraped news comes in (WARC, Parquet, CSV, compressed JSONL) and goes out
as (compressed JSONL, shards, Parquet): each read from a fixture written here gives the
same stories as the same pages given as JSONL."""
import bz2
import gzip
import json
import lzma
import os
import select
import subprocess
import sys
import uuid

import orjson
import pytest
from click.testing import CliRunner

from newsclean import Config, read_inputs
from newsclean.cli import main
from newsclean.records import Document, Reject

from .conftest import read_jsonl

PARA = ("The harbour council met on Tuesday and approved the plan for the new berths after a long debate "
        "about the cost to the town, the fishermen and the ferry company. ")
TOPICS = ("the ferry timetable", "a school roof", "the river bridge", "winter gritting", "the library hours",
          "a cycling lane")


def para(i: int, k: int) -> str:
    """A paragraph of page i: pages differ in every sentence (no two are near copies)."""
    t, u = TOPICS[i % len(TOPICS)], TOPICS[(i + k + 1) % len(TOPICS)]
    return (f"Story {i} is about {t}: in part {k} the mayor of town {i * 7 + k} said {u} would cost "
            f"{(i + 2) * (k + 3)} thousand and that the vote on {t} comes before {u} in week {k + i}.")


def page_html(i: int) -> str:
    body = "".join(f"<p>{para(i, k)}</p>" for k in range(5))
    return (f"<html><head><title>Harbour story {i}</title></head><body><nav><a href='/'>Home</a></nav>"
            f"<article><h1>Harbour story {i}</h1>{body}</article><footer>Contact us</footer></body></html>")


def page_text(i: int) -> str:
    return f"Menu\n\nHarbour story {i}\n\n" + "\n\n".join(para(i, k) for k in range(5))


def warc_record(wtype: str, uri: str | None, block: bytes, content_type: str, n: int) -> bytes:
    head = ["WARC/1.0", f"WARC-Type: {wtype}", f"WARC-Record-ID: <urn:uuid:{uuid.UUID(int=n)}>",
            f"WARC-Date: 2026-11-0{n % 9 + 1}T10:00:00Z"]
    if uri:
        head.append(f"WARC-Target-URI: {uri}")
    head += [f"Content-Type: {content_type}", f"Content-Length: {len(block)}"]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + block + b"\r\n\r\n"


def http_response(body: bytes, ctype: str) -> bytes:
    return (f"HTTP/1.1 200 OK\r\nContent-Type: {ctype}\r\nContent-Length: {len(body)}\r\n\r\n").encode() + body


def write_warc(path, compress=None) -> list[str]:
    """Three HTML responses, their requests, a warcinfo and one PNG response; the URLs."""
    records, urls, n = [warc_record("warcinfo", None, b"software: test\r\n", "application/warc-fields", 0)], [], 1
    for i in range(3):
        url = f"https://harbour{i}.example/news/story-{i}"
        urls.append(url)
        records.append(warc_record("request", url, f"GET /news/story-{i} HTTP/1.1\r\n\r\n".encode(),
                                   "application/http; msgtype=request", n))
        records.append(warc_record("response", url, http_response(page_html(i).encode(), "text/html; charset=utf-8"),
                                   "application/http; msgtype=response", n + 1))
        n += 2
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40
    records.append(warc_record("response", "https://harbour0.example/logo.png", http_response(png, "image/png"),
                               "application/http; msgtype=response", n))
    if compress == "gz":  # one gzip member a record, as crawlers write them
        data = b"".join(gzip.compress(r, mtime=0) for r in records)
    elif compress == "zst":  # one zstd frame a record
        import zstandard
        data = b"".join(zstandard.ZstdCompressor().compress(r) for r in records)
    elif compress == "xz":
        data = lzma.compress(b"".join(records))
    else:
        data = b"".join(records)
    path.write_bytes(data)
    return urls


def jsonl_of_html(path, urls):
    path.write_text("".join(json.dumps({"id": f"p{i}", "html": page_html(i), "url": u}) + "\n"
                            for i, u in enumerate(urls)))


def clean_run(tmp_path, name, *args) -> tuple[list[dict], list[dict]]:
    out = tmp_path / name
    res = CliRunner().invoke(main, ["clean", *args, "-o", str(out), "-q"])
    assert res.exit_code == 0, res.output
    return read_jsonl(out / "clean.jsonl"), read_jsonl(out / "rejects.jsonl")


def stories(records):
    return [(r["text"], r["title"], r["spans"], r["removed"], r["url"]) for r in records]


@pytest.mark.parametrize("compress", [None, "gz", "zst", "xz"])
def test_warc_responses_are_the_pages_and_a_png_is_a_reject(tmp_path, compress):
    warc = tmp_path / ("crawl.warc" + (f".{compress}" if compress else ""))
    urls = write_warc(warc, compress)
    jsonl_of_html(tmp_path / "same.jsonl", urls)
    from_warc, rejects = clean_run(tmp_path, "w", str(warc))
    from_jsonl, _ = clean_run(tmp_path, "j", str(tmp_path / "same.jsonl"), "--html-field", "html")
    assert len(from_warc) == 3 and stories(from_warc) == stories(from_jsonl)
    src = from_warc[0]["source"]
    assert src["warc_target_uri"] == urls[0] and src["warc_record_id"].startswith("<urn:uuid:")
    assert src["warc_date"].startswith("2026-11-") and src["format"] == "warc"
    [png] = rejects
    assert png["reason"] == "unsupported" and "image/png" in png["detail"] and png["line"] == 8


def test_a_warc_cut_short_keeps_the_records_before_the_damage(tmp_path):
    warc = tmp_path / "crawl.warc"
    write_warc(warc)
    data = warc.read_bytes()
    for cut in (len(data) * 2 // 3, len(data) - 60, len(data) - 5):  # in a header, in a body, at the end
        warc.write_bytes(data[:cut])
        got = list(read_inputs([str(warc)], Config()))
        docs = [d for d in got if isinstance(d, Document)]
        assert docs and all(d.fmt == "html" for d in docs)
        assert isinstance(got[-1], Reject) and got[-1].reason == "unreadable" and "cut short" in got[-1].detail


def test_parquet_with_two_row_groups_is_read_as_its_rows(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = [{"id": f"p{i}", "text": page_text(i), "url": f"https://s{i}.example/a", "lang": "en",
             "crawl_date": f"2026-10-{i + 1:02d}"} for i in range(4)]
    table = pa.Table.from_pylist(rows)
    pq.write_table(table, tmp_path / "rows.parquet", row_group_size=2)
    assert pq.ParquetFile(tmp_path / "rows.parquet").num_row_groups == 2
    (tmp_path / "rows.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    from_pq, _ = clean_run(tmp_path, "p", str(tmp_path / "rows.parquet"), "--keep-fields", "crawl_date")
    from_jsonl, _ = clean_run(tmp_path, "j", str(tmp_path / "rows.jsonl"), "--keep-fields", "crawl_date")
    assert len(from_pq) == 4 and stories(from_pq) == stories(from_jsonl)
    assert [r["meta"] for r in from_pq] == [{"crawl_date": r["crawl_date"]} for r in rows]
    assert [r["source"]["line"] for r in from_pq] == [1, 2, 3, 4]


def test_csv_and_tsv_rows_are_records(tmp_path):
    import csv

    rows = [{"id": f"p{i}", "text": page_text(i), "url": f"https://s{i}.example/a"} for i in range(3)]
    for name, delim in (("rows.csv", ","), ("rows.tsv", "\t")):
        with open(tmp_path / name, "w", newline="") as fh:
            w = csv.DictWriter(fh, ["id", "text", "url"], delimiter=delim)
            w.writeheader()
            w.writerows(rows)
    (tmp_path / "rows.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    from_jsonl, _ = clean_run(tmp_path, "j", str(tmp_path / "rows.jsonl"))
    for name in ("rows.csv", "rows.tsv"):
        got, _ = clean_run(tmp_path, "out-" + name, str(tmp_path / name))
        assert stories(got) == stories(from_jsonl)
        assert [r["doc_id"] for r in got] == ["p0", "p1", "p2"]
    # a page's paragraphs are line breaks inside a quoted cell: the row's line is where it starts
    per_row = page_text(0).count("\n") + 1
    assert [r["source"]["line"] for r in got] == [2, 2 + per_row, 2 + 2 * per_row]


@pytest.mark.parametrize("suffix,compress", [(".zst", None), (".bz2", bz2.compress), (".xz", lzma.compress),
                                             (".gz", lambda b: gzip.compress(b, mtime=0))])
def test_compressed_jsonl_reads_as_the_plain_file(tmp_path, suffix, compress):
    rows = [{"id": f"p{i}", "text": page_text(i)} for i in range(3)]
    plain = "".join(json.dumps(r) + "\n" for r in rows).encode()
    if compress is None:
        import zstandard
        compress = zstandard.ZstdCompressor().compress
    (tmp_path / "rows.jsonl").write_bytes(plain)
    (tmp_path / f"rows.jsonl{suffix}").write_bytes(compress(plain))
    a, _ = clean_run(tmp_path, "a", str(tmp_path / "rows.jsonl"))
    b, _ = clean_run(tmp_path, "b", str(tmp_path / f"rows.jsonl{suffix}"))
    assert stories(a) == stories(b) and len(a) == 3


def test_a_name_that_says_no_format_is_told_by_content(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    write_warc(src / "crawl-0001")  # a WARC without an extension
    (src / "logo.dat").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    (src / "report.bin").write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n")
    (src / "notes").write_text("just some notes, no page\n")
    got = list(read_inputs([str(src)], Config()))
    docs = [d for d in got if isinstance(d, Document)]
    rejects = {os.path.basename(r.path): r for r in got if isinstance(r, Reject)}
    assert len(docs) == 3 and all(d.source["format"] == "warc" for d in docs)
    assert "PNG image" in rejects["logo.dat"].detail and "PDF document" in rejects["report.bin"].detail
    assert rejects["notes"].reason == "unsupported"
    assert "image/png" in rejects["crawl-0001"].detail
    # named on the command line, a nameless text file is read as text
    [doc] = list(read_inputs([str(src / "notes")], Config()))
    assert isinstance(doc, Document) and doc.fmt == "text"


def test_a_binary_with_a_text_name_says_what_it_looks_like(tmp_path):
    (tmp_path / "page.txt").write_bytes(b"PK\x03\x04\x14\x00\x00\x00" + b"\x00" * 32)
    [r] = list(read_inputs([str(tmp_path / "page.txt")], Config()))
    assert isinstance(r, Reject) and r.reason == "binary" and "ZIP archive" in r.detail


def test_keep_fields_and_the_inputs_own_title_date_lang(tmp_path):
    text = "\n\n".join(f"{PARA}Point {k} is what the mayor said." for k in range(4))  # no headline, no date
    rows = [{"id": "a", "text": text, "title": "Berths approved", "date": "2026-11-30", "lang": "en-GB",
             "crawl_date": "2026-12-01", "warc_id": "<urn:x>"}]
    (tmp_path / "r.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    [rec], _ = clean_run(tmp_path, "o", str(tmp_path / "r.jsonl"), "--keep-fields", "crawl_date,warc_id")
    assert rec["meta"] == {"crawl_date": "2026-12-01", "warc_id": "<urn:x>"}
    assert (rec["title"], rec["date"], rec["lang"]) == ("Berths approved", "2026-11-30", "en-GB")
    [rec], _ = clean_run(tmp_path, "all", str(tmp_path / "r.jsonl"), "--keep-fields", "*")
    assert set(rec["meta"]) == {"id", "title", "date", "lang", "crawl_date", "warc_id"}  # all but the text
    [rec], _ = clean_run(tmp_path, "none", str(tmp_path / "r.jsonl"))
    assert rec["meta"] is None


def corpus(tmp_path):
    sys.path.insert(0, str(os.path.dirname(os.path.dirname(__file__)) + "/benchmarks"))
    from generate import generate
    p = tmp_path / "corpus.jsonl"
    p.write_text("".join(json.dumps(d) + "\n" for d in generate(60, seed=5)))
    return p


def test_compressed_sharded_and_parquet_outputs_hold_the_same_records(tmp_path):
    import zstandard

    src = corpus(tmp_path)
    run = lambda name, *a: CliRunner().invoke(main, ["clean", str(src), "-o", str(tmp_path / name), "-q", *a])
    for name, args in (("plain", ()), ("gz", ("--compress", "gz")), ("zst", ("--compress", "zst")),
                       ("shards", ("--shard-size", "7")), ("pq", ("--format", "parquet")),
                       ("gz2", ("--compress", "gz"))):
        assert run(name, *args).exit_code == 0
    plain = (tmp_path / "plain" / "clean.jsonl").read_bytes()
    assert gzip.decompress((tmp_path / "gz" / "clean.jsonl.gz").read_bytes()) == plain
    assert (tmp_path / "gz" / "clean.jsonl.gz").read_bytes() == (tmp_path / "gz2" / "clean.jsonl.gz").read_bytes()
    d = zstandard.ZstdDecompressor()
    assert d.decompressobj().decompress((tmp_path / "zst" / "clean.jsonl.zst").read_bytes()) == plain
    manifest = json.loads((tmp_path / "shards" / "manifest.json").read_text())
    shards = sorted(n for n in manifest["files"] if n.startswith("clean-"))
    assert len(shards) > 2 and shards[0] == "clean-00000.jsonl.zst"
    assert all(manifest["files"][n]["records"] <= 7 for n in shards)
    joined = b"".join(d.decompressobj().decompress((tmp_path / "shards" / n).read_bytes()) for n in shards)
    assert joined == plain
    import pyarrow.parquet as pq
    rows = pq.read_table(tmp_path / "pq" / "clean.parquet").to_pylist()
    records = [orjson.loads(line) for line in plain.splitlines()]
    assert [r["text"] for r in rows] == [r["text"] for r in records]
    assert [r["spans"] for r in rows] == [r["spans"] for r in records]
    assert [json.loads(r["source"]) for r in rows] == [r["source"] for r in records]
    assert [[x["reason"] for x in r["removed"]] for r in rows] == [[x["reason"] for x in r["removed"]] for r in records]


def test_a_new_set_replaces_the_old_one_whole(tmp_path):
    src = corpus(tmp_path)
    out = tmp_path / "o"
    assert CliRunner().invoke(main, ["clean", str(src), "-o", str(out), "-q"]).exit_code == 0
    assert CliRunner().invoke(main, ["clean", str(src), "-o", str(out), "-q", "--compress", "zst"]).exit_code == 0
    names = {p.name for p in out.iterdir()}
    assert "clean.jsonl" not in names and "clean.jsonl.zst" in names
    assert names - {"manifest.json"} == set(json.loads((out / "manifest.json").read_text())["files"])


def test_output_named_like_a_file_is_a_usage_error(tmp_path):
    res = CliRunner().invoke(main, ["clean", str(tmp_path), "-o", str(tmp_path / "clean.jsonl.gz")])
    assert res.exit_code == 2 and "--compress" in res.stderr and not (tmp_path / "clean.jsonl.gz").exists()


def test_hugging_face_datasets_loads_the_output(tmp_path):
    if os.environ.get("NEWSCLEAN_CI"):
        import datasets  # noqa: F401 — in the test extra: no skip in CI
    datasets = pytest.importorskip("datasets")
    src = corpus(tmp_path)
    for name, args in (("j", ()), ("p", ("--format", "parquet"))):
        assert CliRunner().invoke(main, ["clean", str(src), "-o", str(tmp_path / name), "-q", *args]).exit_code == 0
    n = len(read_jsonl(tmp_path / "j" / "clean.jsonl"))
    ds = datasets.load_dataset("json", data_files=str(tmp_path / "j" / "clean.jsonl"), split="train",
                               cache_dir=str(tmp_path / "hf"))
    assert ds.num_rows == n and ds[0]["text"]
    ds = datasets.load_dataset("parquet", data_files=str(tmp_path / "p" / "clean.parquet"), split="train",
                               cache_dir=str(tmp_path / "hf"))
    assert ds.num_rows == n and ds[0]["spans"]


def test_stdin_streaming_gives_each_record_before_the_next_page_is_sent():
    proc = subprocess.Popen([sys.executable, "-m", "newsclean.cli", "clean", "-", "-o", "-", "-q", "-j", "1",
                             "--no-dedup", "--no-templates"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        for i in range(3):
            proc.stdin.write((json.dumps({"id": f"p{i}", "text": page_text(i)}) + "\n").encode())
            proc.stdin.flush()
            ready, _, _ = select.select([proc.stdout], [], [], 60)
            assert ready, f"no record for page {i} while the input stays open"
            assert json.loads(proc.stdout.readline())["doc_id"] == f"p{i}"
        proc.stdin.close()
        assert proc.wait(60) == 0
    finally:
        proc.kill()


@pytest.mark.parametrize("suffix", [".zst", ".bz2", ".xz", ".gz"])
def test_a_compressed_file_cut_short_ends_in_a_reject_that_says_so(tmp_path, suffix):
    import zstandard

    compress = {".zst": zstandard.ZstdCompressor().compress, ".bz2": bz2.compress, ".xz": lzma.compress,
                ".gz": gzip.compress}[suffix]
    plain = "".join(json.dumps({"id": f"r{i}", "text": page_text(i)}) + "\n" for i in range(300)).encode()
    whole = compress(plain)
    p = tmp_path / f"rows.jsonl{suffix}"
    p.write_bytes(whole[:len(whole) // 2])
    got = list(read_inputs([str(p)], Config()))
    assert isinstance(got[-1], Reject) and got[-1].reason == "unreadable" and got[-1].detail
    assert all(isinstance(d, Document) for d in got[:-1]) and len(got) < 300
    p.write_bytes(whole)
    assert len(list(read_inputs([str(p)], Config()))) == 300


def test_clean_batch_for_datasets_map():
    if os.environ.get("NEWSCLEAN_CI"):
        import datasets  # noqa: F401 — in the test extra: no skip in CI
    datasets = pytest.importorskip("datasets")
    from newsclean.hf import COLUMNS, clean_batch

    rows = {"id": ["a", "b", "c"], "text": [page_text(0), "Home\nShare\nFollow us", page_text(2) + "\n\n" + page_text(3)],
            "url": ["https://a.example/1", None, "https://c.example/3"]}
    ds = datasets.Dataset.from_dict(rows)
    out = ds.map(clean_batch, batched=True, batch_size=2, with_indices=True, remove_columns=ds.column_names)
    assert set(out.column_names) == set(COLUMNS)
    by_doc = {}
    for r in out:
        by_doc.setdefault(r["doc_id"], []).append(r)
    assert set(by_doc) == {"a", "b", "c"}  # every row in the output: a story, or why not
    assert by_doc["b"][0]["text"] is None and by_doc["b"][0]["reject"].startswith("no-body")
    assert by_doc["a"][0]["reject"] is None and "Story 0" in by_doc["a"][0]["text"]
    # the same stories as the Python API gives for the same page
    from newsclean import clean_text
    assert [r["text"] for r in by_doc["a"]] == [r["text"] for r in clean_text(page_text(0), "a", "https://a.example/1")]
    assert json.loads(by_doc["a"][0]["source"])["line"] == 1


def test_wet_conversions_are_text_pages(tmp_path):
    urls = [f"https://harbour{i}.example/news/story-{i}" for i in range(2)]
    records = [warc_record("warcinfo", None, b"software: test\r\n", "application/warc-fields", 0)]
    records += [warc_record("conversion", u, page_text(i).encode(), "text/plain", i + 1) for i, u in enumerate(urls)]
    wet = tmp_path / "crawl.warc.wet.gz"
    wet.write_bytes(b"".join(gzip.compress(r, mtime=0) for r in records))
    docs = list(read_inputs([str(wet)], Config()))
    assert [d.fmt for d in docs] == ["text", "text"] and [d.url for d in docs] == urls
    assert docs[0].content == page_text(0) and docs[0].source["warc_type"] == "conversion"
    (tmp_path / "same.jsonl").write_text("".join(json.dumps({"id": f"p{i}", "text": page_text(i), "url": u}) + "\n"
                                                 for i, u in enumerate(urls)))
    a, _ = clean_run(tmp_path, "wet", str(wet))
    b, _ = clean_run(tmp_path, "jsonl", str(tmp_path / "same.jsonl"))
    assert stories(a) == stories(b) and len(a) == 2
