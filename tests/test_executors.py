"""Executors: the same steps under this process, a process pool and Ray give the same
output; two pipelines in one process do not share state; a run forks one pool at most."""
import json
import os
import sys
import threading

import pytest
from click.testing import CliRunner

import newsclean.executors as executors
from newsclean import Config, Pipeline, read_inputs
from newsclean.cli import main
from newsclean.config import DedupConfig
from newsclean.executors import LocalExecutor
from newsclean.records import Document

from .conftest import SEEDS

OUTPUTS = ("clean.jsonl", "duplicates.jsonl", "rejects.jsonl")


def generated(n, seed=3):
    sys.path.insert(0, str(SEEDS.parent / "benchmarks"))
    from generate import generate
    return list(generate(n, seed=seed))


def seed_copies(times: int) -> list[Document]:
    """The seed pages (one has an appended story) many times over, as distinct documents."""
    docs = [d for d in read_inputs([str(SEEDS)], Config()) if isinstance(d, Document)]
    return [Document(f"{d.doc_id}-{k}", d.content, d.fmt, d.source, url=d.url) for k in range(times) for d in docs]


def test_two_pipelines_interleaved_in_one_process_keep_their_own_config():
    """A 'drop' and a 'keep' pipeline consumed in turns, batch after batch, each write
    what they write alone (once, worker state in module globals leaked between them)."""
    docs = seed_copies(30)  # 150 pages: several batches each
    configs = [Config(appended=a, templates=False, dedup=DedupConfig(enabled=False)) for a in ("drop", "keep")]
    alone = [list(Pipeline(c).run(docs)) for c in configs]
    assert alone[0] != alone[1], "the seeds hold an appended story: drop and keep must differ"
    runs = [Pipeline(c).run(docs) for c in configs]
    together = [[], []]
    live = [True, True]
    while any(live):
        for k in (0, 1):
            if live[k]:
                try:
                    together[k].append(next(runs[k]))
                except StopIteration:
                    live[k] = False
    assert together == alone


@pytest.mark.parametrize("templates,dedup", [(False, False), (True, True)])
def test_a_run_forks_one_pool_from_the_main_thread(monkeypatch, tmp_path, templates, dedup):
    """HTML input at -j 2: extraction and cleaning share one pool (once, with no corpus
    passes, a second pool was forked from the first one's feeder thread)."""
    real = executors.get_context
    forks = []

    class Counting:
        def __init__(self, ctx):
            self.ctx = ctx

        def Pool(self, *a, **k):
            forks.append(threading.current_thread() is threading.main_thread())
            return self.ctx.Pool(*a, **k)

    monkeypatch.setattr(executors, "get_context", lambda *a: Counting(real(*a)))
    para = "<p>The harbour council met on Tuesday and approved the plan for the new berths after a long debate.</p>"
    docs = [Document(f"p{i}", f"<html><body><article><h1>Story {i}</h1>{para * (i % 5 + 2)}</article></body></html>",
                     "html", {"path": f"p{i}.html"}) for i in range(150)]
    config = Config(templates=templates, dedup=DedupConfig(enabled=dedup))
    records = list(Pipeline(config, jobs=2).run(docs))
    assert len({r["doc_id"] for _, r in records}) == 150
    assert forks == [True]


def test_local_executor_keeps_order_with_costly_and_cheap_items():
    with LocalExecutor(2) as ex:
        got = list(ex.imap(divmod, range(50), 7, costly=lambda x: x % 3 == 0))
    assert got == [divmod(x, 7) for x in range(50)]


def _pid(_item):
    return os.getpid()


def test_local_executor_lets_its_workers_go_when_released():
    """After the per-page steps the pool exits (its memory goes to dedup) and what follows
    runs in this process: no pool is forked again from the grown parent."""
    with LocalExecutor(2) as ex:
        before = set(ex.imap(_pid, range(8)))
        ex.release()
        after = set(ex.imap(_pid, range(8)))
        assert ex._pool is None
    assert os.getpid() not in before and after == {os.getpid()}


def test_a_run_releases_the_pool_before_dedup(monkeypatch):
    """Dedup, the run's largest table, runs with the workers gone."""
    import newsclean.dedup as dedup

    pools = []
    real = dedup.Deduper.resolve
    monkeypatch.setattr(dedup.Deduper, "resolve", lambda self, ex=None: pools.append(ex._pool) or real(self, ex))
    docs = seed_copies(2)
    records = list(Pipeline(Config(), jobs=2, executor=LocalExecutor(2)).run(docs))
    assert len(records) >= len(docs) and pools == [None]


def cli_outputs(src, out, *args) -> list[bytes]:
    res = CliRunner().invoke(main, ["clean", str(src), "-o", str(out), "-q", *args])
    assert res.exit_code == 0, res.output
    return [(out / n).read_bytes() for n in OUTPUTS]


def test_ray_executor_gives_the_same_bytes_as_local(tmp_path):
    if os.environ.get("NEWSCLEAN_CI"):
        import ray  # noqa: F401 — CI installs the test extra, Ray with it: no skip there
    pytest.importorskip("ray", reason="Ray is the [ray] extra (installed by the test extra)")
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text("".join(json.dumps(d) + "\n" for d in generated(150)))
    one = cli_outputs(corpus, tmp_path / "j1", "-j", "1")
    two = cli_outputs(corpus, tmp_path / "j2", "-j", "2")
    ray = cli_outputs(corpus, tmp_path / "ray", "-j", "2", "--executor", "ray")
    assert one[0] and one[1], "templates, duplicates and stories expected in the generated corpus"
    assert one == two == ray
    report = json.loads((tmp_path / "ray" / "report.json").read_text())
    assert report["executor"] == "ray"


def test_without_ray_the_cli_says_how_to_get_it(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray → ImportError
    res = CliRunner().invoke(main, ["clean", str(SEEDS), "-o", str(tmp_path / "o"), "--executor", "ray"])
    assert res.exit_code == 2
    assert "pip install 'newsclean[ray]'" in res.stderr and "Traceback" not in res.output
