"""The persistent index: SQLite always; Redis against a real redis-server the test starts."""
import os
import shutil
import socket
import subprocess
import time

import pytest

from newsclean import Config, DedupConfig, Pipeline
from newsclean.index import open_index
from newsclean.read import read_inputs

BODY = ("The regional water board approved a plan on Monday to rebuild the old reservoir dam, which engineers "
        "say has been leaking for more than a decade. The work will take three years and cost about 40 million "
        "euros, the board said in a statement. Farmers downstream welcomed the decision but asked for a say in "
        "how water will be released during the construction. The dam was built in 1958 and last repaired in 1990.")
OTHER = ("A new ferry line will connect the two islands from next spring, the transport ministry said, "
         "cutting the crossing time to forty minutes and replacing the ageing boats that have served the route "
         "since the 1980s. Tickets will cost the same as today, and residents will get a discount card.")


def write(path, docs):
    import json

    path.write_text("".join(json.dumps({"id": i, "text": t}) + "\n" for i, t in docs))
    return str(path)


def run(paths, index):
    cfg = Config(templates=False)
    out = {"clean": [], "duplicate": [], "reject": []}
    idx = open_index(index, cfg.dedup)
    try:
        pipe = Pipeline(cfg, index=idx)
        for kind, rec in pipe.run(read_inputs(paths, cfg)):
            out[kind].append(rec)
        pipe.commit_index()
    finally:
        idx.close()
    return out


def check_incremental(tmp_path, index):
    first = run([write(tmp_path / "a.jsonl", [("a1", BODY), ("a2", OTHER)])], index)
    assert [r["doc_id"] for r in first["clean"]] == ["a1", "a2"]
    truncated = BODY[: int(len(BODY) * 0.7)]
    second = run([write(tmp_path / "b.jsonl", [("b1", truncated), ("b2", BODY.replace("Monday", "Tuesday")),
                                                ("b3", "Completely unrelated: " + OTHER[::-1])])], index)
    dups = {r["doc_id"]: r["duplicate_of"] for r in second["duplicate"]}
    assert dups == {"b1": "a1#0", "b2": "a1#0"}
    assert [r["doc_id"] for r in second["clean"]] == ["b3"]
    # a re-run of the first batch is not a duplicate of itself
    again = run([str(tmp_path / "a.jsonl")], index)
    assert [r["doc_id"] for r in again["clean"]] == ["a1", "a2"]


def test_sqlite_incremental(tmp_path):
    check_incremental(tmp_path, str(tmp_path / "idx.sqlite"))


def test_sqlite_refuses_other_parameters(tmp_path):
    path = str(tmp_path / "idx.sqlite")
    open_index(path, DedupConfig()).close()
    with pytest.raises(ValueError, match="other MinHash parameters"):
        open_index(path, DedupConfig(num_perm=64, bands=16, rows=4))


def test_cli_index_usage_error(tmp_path):
    from click.testing import CliRunner

    from newsclean.cli import main

    res = CliRunner().invoke(main, ["clean", str(tmp_path), "-o", str(tmp_path / "o"),
                                    "--index", "redis://127.0.0.1:1/0"])
    assert res.exit_code == 2 and "cannot use index" in res.stderr


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def redis_url(tmp_path):
    exe = shutil.which("redis-server")
    if exe is None:
        if os.environ.get("NEWSCLEAN_CI"):  # CI installs it: there a missing server is a failure
            pytest.fail("redis-server is not installed (.ci/run installs it with apt-get)")
        pytest.skip("redis-server is not installed (apt-get install redis-server); .ci/run installs it")
    port = free_port()
    proc = subprocess.Popen([exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                             "--dir", str(tmp_path)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    import redis

    client = redis.Redis(port=port)
    for _ in range(100):
        try:
            client.ping()
            break
        except redis.exceptions.ConnectionError:
            time.sleep(0.05)
    else:
        proc.kill()
        pytest.fail("redis-server did not start")
    yield f"redis://127.0.0.1:{port}/0"
    proc.terminate()
    proc.wait(timeout=10)


def test_redis_incremental(tmp_path, redis_url):
    check_incremental(tmp_path, redis_url)


def test_redis_refuses_other_parameters(redis_url):
    open_index(redis_url, DedupConfig()).close()
    with pytest.raises(ValueError, match="other MinHash parameters"):
        open_index(redis_url, DedupConfig(num_perm=64, bands=16, rows=4))


def _cli(*args):
    from click.testing import CliRunner

    from newsclean.cli import main

    return CliRunner().invoke(main, [str(a) for a in args])


def _corpus(tmp_path, n=30):
    import json
    import random

    rng = random.Random(3)
    words = (BODY + " " + OTHER).split()
    docs = []
    for i in range(n):
        text = " ".join(rng.choice(words) for _ in range(120)) + "."
        docs.append({"id": f"d{i}", "text": text})
        if i % 3 == 0:  # a copy, lightly cut, so the run has duplicates to decide
            docs.append({"id": f"c{i}", "text": text[: int(len(text) * 0.85)]})
    path = tmp_path / "corpus.jsonl"
    path.write_text("".join(json.dumps(d) + "\n" for d in docs))
    return path


def test_rerun_against_the_index_gives_the_same_output(tmp_path):
    src, idx = _corpus(tmp_path), tmp_path / "idx.sqlite"
    outs = []
    for k in range(3):
        res = _cli("clean", src, "-o", tmp_path / f"o{k}", "-q", "--no-templates", "--index", idx)
        assert res.exit_code == 0, res.output
        outs.append(((tmp_path / f"o{k}/clean.jsonl").read_bytes(), (tmp_path / f"o{k}/duplicates.jsonl").read_bytes()))
    assert outs[0] == outs[1] == outs[2]
    import json
    dups = [json.loads(line) for line in outs[1][1].splitlines()]
    assert dups and all(d["duplicate_of"] != d["id"] for d in dups)


def test_index_is_committed_after_the_outputs(tmp_path, monkeypatch):
    src, idx = _corpus(tmp_path), tmp_path / "idx.sqlite"

    def killed(self):
        raise KeyboardInterrupt  # the run dies while its outputs are being put in place
    monkeypatch.setattr("newsclean.write.Output.commit", killed)
    res = _cli("clean", src, "-o", tmp_path / "o", "-q", "--no-templates", "--index", idx)
    assert res.exit_code != 0
    monkeypatch.undo()
    index = open_index(str(idx), DedupConfig())
    try:
        assert len(index) == 0  # no story that nobody published
    finally:
        index.close()
    res = _cli("clean", src, "-o", tmp_path / "o", "-q", "--no-templates", "--index", idx)
    assert res.exit_code == 0
    import json
    assert len([json.loads(x) for x in (tmp_path / "o/clean.jsonl").read_text().splitlines()]) == 30


def test_an_updated_page_is_not_a_duplicate_of_itself(tmp_path):
    index = str(tmp_path / "idx.sqlite")
    run([write(tmp_path / "a.jsonl", [("a1", BODY)])], index)
    second = run([write(tmp_path / "b.jsonl", [("a1", BODY.replace("three years", "four years"))])], index)
    assert [r["id"] for r in second["clean"]] == ["a1#0"] and not second["duplicate"]
    third = run([write(tmp_path / "c.jsonl", [("c1", BODY.replace("three years", "four years"))])], index)
    assert [r["duplicate_of"] for r in third["duplicate"]] == ["a1#0"]


def test_a_foreign_sqlite_file_is_refused_and_not_changed(tmp_path):
    import hashlib
    import sqlite3

    path = tmp_path / "app.db"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE users (name TEXT)")
    db.commit()
    db.close()
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    src = _corpus(tmp_path / "in") if (tmp_path / "in").mkdir() is None else None
    res = _cli("clean", src, "-o", tmp_path / "o", "--index", path)
    assert res.exit_code == 2 and "not a newsclean index" in res.stderr and str(path) in res.stderr
    assert "Traceback" not in res.output
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["app.db", "in", "o"]  # no -wal or -journal left


def test_a_file_that_is_no_database_is_refused(tmp_path):
    path = tmp_path / "idx.sqlite"
    path.write_bytes(b"this is not a database at all\n" * 10)
    res = _cli("clean", tmp_path, "-o", tmp_path / "o", "--index", path)
    assert res.exit_code == 2 and "not a newsclean index" in res.stderr
    assert path.read_bytes() == b"this is not a database at all\n" * 10


def test_a_corrupt_index_is_a_clear_error(tmp_path):
    path = tmp_path / "idx.sqlite"
    open_index(str(path), DedupConfig()).close()
    raw = bytearray(path.read_bytes())
    raw[100:] = b"\xff" * (len(raw) - 100)  # the header survives, the pages do not
    path.write_bytes(bytes(raw))
    res = _cli("clean", tmp_path, "-o", tmp_path / "o", "--index", path)
    assert res.exit_code == 2 and str(path) in res.stderr and "Traceback" not in res.output


def test_redis_rerun_is_the_same_story(tmp_path, redis_url):
    first = run([write(tmp_path / "a.jsonl", [("a1", BODY), ("a2", BODY[: int(len(BODY) * 0.8)])])], redis_url)
    again = run([str(tmp_path / "a.jsonl")], redis_url)
    assert [(r["id"], r["duplicate_of"]) for r in again["duplicate"]] == [("a2#0", "a1#0")]
    assert [r["id"] for r in again["clean"]] == [r["id"] for r in first["clean"]] == ["a1#0"]


def check_paragraphs_across_runs(index):
    """A copy that only its paragraphs tell (tests/test_dedup.py) is found against the
    stories of an earlier run, through what the index stores of their paragraphs."""
    from newsclean.dedup import Deduper, band_keys

    from .test_dedup import CHROME, PARAS, story_entry

    cfg = DedupConfig()
    idx = open_index(index, cfg)
    try:
        first = Deduper(cfg, index=idx)
        first.add(*story_entry("full#0", PARAS))
        first.add(*story_entry("other#0", CHROME[4:10]))
        assert first.resolve() == {}
        idx.add_all(first.new_entries(), lambda sig: band_keys(sig, cfg))
        stored = idx.get("full#0")
        assert stored.paras == first.entries[0].paras and stored.para_chars == first.entries[0].para_chars
        second = Deduper(cfg, index=idx)
        second.add(*story_entry("copy#0", CHROME[:2] + PARAS[:5] + CHROME[2:4]))
        assert second.resolve() == {"copy#0": ("full#0", second.resolve()["copy#0"][1])}
        assert second.kinds["paragraphs"] == 1
    finally:
        idx.close()


def test_sqlite_paragraphs_across_runs(tmp_path):
    check_paragraphs_across_runs(str(tmp_path / "idx.sqlite"))


def test_redis_paragraphs_across_runs(redis_url):
    check_paragraphs_across_runs(redis_url)
