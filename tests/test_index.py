"""The persistent index: SQLite always; Redis against a real redis-server the test starts."""
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
        for kind, rec in Pipeline(cfg, index=idx).run(read_inputs(paths, cfg)):
            out[kind].append(rec)
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
