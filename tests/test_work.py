"""--resume: a run killed at any point and started again ends with the same bytes."""
import json
import os
import signal
import subprocess
import sys
import time

import pytest
from click.testing import CliRunner

from newsclean.cli import main

from .conftest import ROOT

FILES = ("clean.jsonl", "duplicates.jsonl", "rejects.jsonl")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from generate import generate

    path = tmp_path_factory.mktemp("corpus") / "corpus.jsonl"
    path.write_text("".join(json.dumps(d) + "\n" for d in generate(160, seed=5)))
    return path


def clean(corpus, out, *extra):
    return CliRunner().invoke(main, ["clean", str(corpus), "-o", str(out), "-q", "-j", "1", *extra])


def outputs(out):
    return [(out / n).read_bytes() for n in FILES]


def die_at(monkeypatch, k):
    """The k-th unit of work saved is never saved: the run is killed there."""
    import newsclean.work as work
    real, calls = work.Work.save, []

    def dying(self, *a):
        calls.append(a)
        if len(calls) == k:
            raise KeyboardInterrupt
        real(self, *a)
    monkeypatch.setattr(work.Work, "save", dying)
    return lambda: monkeypatch.setattr(work.Work, "save", real)


@pytest.fixture
def small_units(monkeypatch):
    monkeypatch.setattr("newsclean.work.UNIT_DOCS", 16)  # ten units of work in the corpus


@pytest.mark.parametrize("kill_at", [3, 12, 14])  # during extraction, during cleaning, the last unit
def test_resume_after_a_kill_gives_the_same_output(corpus, tmp_path, monkeypatch, small_units, kill_at):
    assert clean(corpus, tmp_path / "ref").exit_code == 0
    revive = die_at(monkeypatch, kill_at)
    assert clean(corpus, tmp_path / "o").exit_code != 0
    assert not (tmp_path / "o" / "clean.jsonl").exists()
    revive()
    res = clean(corpus, tmp_path / "o", "--resume")
    assert res.exit_code == 0, res.output
    assert outputs(tmp_path / "o") == outputs(tmp_path / "ref")
    resumed = json.loads((tmp_path / "o" / "report.json").read_text())["resumed"]
    assert resumed["extract"] == min(kill_at - 1, 10)
    assert resumed["clean"] == max(0, kill_at - 11)
    assert not (tmp_path / "o" / ".newsclean-work").exists()  # done: the work folder goes


def test_resume_after_a_kill_while_writing(corpus, tmp_path, monkeypatch, small_units):
    assert clean(corpus, tmp_path / "ref").exit_code == 0
    import newsclean.write as write
    real, n = write.Output.clean, []

    def dying(self, record):
        n.append(1)
        if len(n) == 40:
            raise KeyboardInterrupt
        real(self, record)
    monkeypatch.setattr(write.Output, "clean", dying)
    assert clean(corpus, tmp_path / "o").exit_code != 0
    monkeypatch.setattr(write.Output, "clean", real)
    assert clean(corpus, tmp_path / "o", "--resume").exit_code == 0
    assert outputs(tmp_path / "o") == outputs(tmp_path / "ref")
    resumed = json.loads((tmp_path / "o" / "report.json").read_text())["resumed"]
    assert resumed == {"units": 10, "extract": 10, "clean": 10, "stale": False}


def test_without_resume_a_run_starts_afresh(corpus, tmp_path, monkeypatch, small_units):
    revive = die_at(monkeypatch, 5)
    clean(corpus, tmp_path / "o")
    revive()
    assert clean(corpus, tmp_path / "o").exit_code == 0
    assert json.loads((tmp_path / "o" / "report.json").read_text())["resumed"] is None


def test_resume_with_other_options_starts_afresh(corpus, tmp_path, monkeypatch, small_units):
    revive = die_at(monkeypatch, 5)
    clean(corpus, tmp_path / "o")
    revive()
    assert clean(corpus, tmp_path / "o", "--resume", "--appended", "drop").exit_code == 0
    resumed = json.loads((tmp_path / "o" / "report.json").read_text())["resumed"]
    assert resumed["extract"] == 0 and resumed["stale"] is True


def test_resume_after_sigkill(corpus, tmp_path):
    """A real kill -9 of a real process, wherever it lands, then --resume."""
    ref = tmp_path / "ref"
    assert clean(corpus, ref).exit_code == 0
    out = tmp_path / "o"
    boot = ("import sys, newsclean.work as w; w.UNIT_DOCS = 8; from newsclean.cli import main; "
            "sys.argv = ['newsclean'] + sys.argv[1:]; main()")
    cmd = [sys.executable, "-c", boot, "clean", str(corpus), "-o", str(out), "-q", "-j", "1"]
    proc = subprocess.Popen(cmd, cwd=ROOT, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        if len(list((out / ".newsclean-work").glob("cut-*.pkl"))) >= 3 if (out / ".newsclean-work").is_dir() else False:
            break
        time.sleep(0.01)
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    res = subprocess.run(cmd + ["--resume"], cwd=ROOT, capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    assert outputs(out) == outputs(ref)
    assert sorted(p.name for p in out.iterdir()) == ["clean.jsonl", "duplicates.jsonl", "manifest.json",
                                                     "rejects.jsonl", "report.html", "report.json"]
