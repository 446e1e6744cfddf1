import gzip
import json
import os

import pytest
from click.testing import CliRunner

from newsclean.cli import main

from .conftest import SEEDS, read_jsonl

SEED_FILES = sorted(p.name for p in SEEDS.glob("*.txt"))


def run(*args, input=None):
    return CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)


def test_seeds_one_record_per_story_with_spans_giving_back_text(tmp_path):
    res = run("clean", str(SEEDS), "-o", str(tmp_path), "-q")
    assert res.exit_code == 0, res.output
    recs = read_jsonl(tmp_path / "clean.jsonl") + read_jsonl(tmp_path / "duplicates.jsonl")
    assert {r["doc_id"] for r in recs} == {n[:-4] for n in SEED_FILES}
    for r in recs:
        src = (SEEDS / (r["doc_id"] + ".txt")).read_text(encoding="utf-8")
        assert r["id"] == f"{r['doc_id']}#{r['story']}"
        assert r["text"].split("\n\n") == [" ".join(src[s:e].split()) for s, e in r["spans"]]
        assert list(r) == ["id", "doc_id", "story", "text", "title", "date", "lang", "url", "source", "spans",
                           "removed", "duplicate_of", "similarity", "meta", "pipeline"]
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["counts"]["documents"] == len(SEED_FILES)
    assert report["dedup"]["minhash"]["scheme"] == "affine32"


def test_byte_identical_across_runs_and_jobs(tmp_path):
    outs = []
    for i, jobs in enumerate(["1", "2", "1"]):
        out = tmp_path / f"o{i}"
        assert run("clean", str(SEEDS), "-o", str(out), "-q", "-j", jobs).exit_code == 0
        outs.append(((out / "clean.jsonl").read_bytes(), (out / "duplicates.jsonl").read_bytes()))
    assert outs[0] == outs[1] == outs[2]
    assert outs[0][0]


def test_every_input_lands_somewhere(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    (src / "dump.jsonl").write_text(
        '{"id": "a", "text": "A story about the harbour opening.\\nIt opened on Monday, officials said."}\n'
        '{"id": "b", "text": "A story about the harbour opening.\\nIt opened on Monday, officials said."}\n'
        'oops\n'
        '{"id": "c"}\n')
    (src / "bin.txt").write_bytes(b"\x00\x01\x02")
    (src / "empty.txt").write_text("")
    res = run("clean", str(src), "-o", str(tmp_path / "out"))
    assert res.exit_code == 0
    clean = read_jsonl(tmp_path / "out/clean.jsonl")
    dups = read_jsonl(tmp_path / "out/duplicates.jsonl")
    rejects = read_jsonl(tmp_path / "out/rejects.jsonl")
    assert [r["doc_id"] for r in clean] == ["a"]
    assert [(r["doc_id"], r["duplicate_of"]) for r in dups] == [("b", "a#0")]
    assert sorted((r["reason"], r["line"]) for r in rejects) == [
        ("bad-json", 3), ("binary", None), ("empty", None), ("no-text", 4)]
    # one clear line per bad input on stderr, naming file and line
    assert f"{src / 'dump.jsonl'}:3: bad-json" in res.stderr
    assert "Traceback" not in res.stderr


def test_missing_input_exit_2_and_rest_is_cleaned(tmp_path):
    res = run("clean", str(SEEDS / SEED_FILES[0]), str(tmp_path / "nope.txt"), "-o", str(tmp_path / "o"))
    assert res.exit_code == 2
    assert "nope.txt" in res.stderr and "Traceback" not in res.stderr
    assert len(read_jsonl(tmp_path / "o/clean.jsonl")) >= 1
    assert read_jsonl(tmp_path / "o/rejects.jsonl")[0]["reason"] == "missing"


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write anywhere: no unwritable folder to test with")
def test_unwritable_outdir_exit_2(tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    res = run("clean", str(SEEDS), "-o", str(ro / "x"))
    assert res.exit_code == 2 and "cannot write" in res.stderr


def test_outdir_that_is_a_file_exit_2(tmp_path):
    f = tmp_path / "file"
    f.write_text("x")
    res = run("clean", str(SEEDS), "-o", str(f))
    assert res.exit_code == 2 and "cannot write to output folder" in res.stderr


def test_bad_option_exit_2():
    res = run("clean", str(SEEDS), "--appended", "sideways")
    assert res.exit_code == 2 and "sideways" in res.stderr


def test_strict_makes_bad_input_fatal_and_writes_nothing(tmp_path):
    bad = tmp_path / "x.jsonl"
    bad.write_text('{"id": "1", "text": "fine text here."}\nbroken\n')
    res = run("clean", str(bad), "-o", str(tmp_path / "o"), "--strict")
    assert res.exit_code == 1 and "x.jsonl:2" in res.stderr
    assert not (tmp_path / "o/clean.jsonl").exists()
    assert not [p for p in (tmp_path / "o").iterdir()]  # no temporary files left behind


def test_stdin_to_stdout():
    res = run("clean", "-", "-o", "-", "-q",
              input='{"id": "x", "text": "The council voted on Tuesday to approve the budget for schools."}\n')
    assert res.exit_code == 0
    [rec] = [json.loads(x) for x in res.stdout.splitlines()]
    assert rec["doc_id"] == "x" and rec["source"]["line"] == 1


def test_gz_text_input(tmp_path):
    p = tmp_path / "page.txt.gz"
    p.write_bytes(gzip.compress(b"A long enough sentence about the city budget vote, officials said."))
    assert run("clean", str(p), "-o", str(tmp_path / "o"), "-q").exit_code == 0
    [rec] = read_jsonl(tmp_path / "o/clean.jsonl")
    assert rec["doc_id"] == "page" and rec["source"]["format"] == "text"


def test_interrupted_run_leaves_previous_output(tmp_path, monkeypatch):
    out = tmp_path / "o"
    assert run("clean", str(SEEDS), "-o", str(out), "-q").exit_code == 0
    before = (out / "clean.jsonl").read_bytes()
    import newsclean.steps as steps

    def boom(*a, **k):
        raise KeyboardInterrupt
    monkeypatch.setattr(steps, "process_page", boom)
    res = CliRunner().invoke(main, ["clean", str(SEEDS), "-o", str(out), "-q", "-j", "1"])
    assert res.exit_code != 0
    assert (out / "clean.jsonl").read_bytes() == before
    # the previous set, and the interrupted run's work kept for --resume: no temporary files
    assert sorted(p.name for p in out.iterdir()) == [".newsclean-work", "clean.jsonl", "duplicates.jsonl",
                                                     "manifest.json", "rejects.jsonl", "report.html",
                                                     "report.json"]
    monkeypatch.undo()
    assert run("clean", str(SEEDS), "-o", str(out), "-q").exit_code == 0  # afresh, without --resume
    assert ".newsclean-work" not in {p.name for p in out.iterdir()}


def test_help_teaches():
    res = run("clean", "--help")
    assert res.exit_code == 0
    for word in ("--appended", "--index", "-j", "Examples", "rejects.jsonl"):
        assert word in res.output


def test_explain_marks_every_line_with_its_reason():
    res = run("explain", str(SEEDS / "004_6241aa8584c6075f.txt"), "--no-color")
    assert res.exit_code == 0
    lines = [x for x in res.output.splitlines() if not x.startswith("#")]
    src = [x for x in (SEEDS / "004_6241aa8584c6075f.txt").read_text().splitlines() if x.strip()]
    assert len(lines) == len(src)
    assert any(x.startswith("- caption") and "PHOTO: REUTERS" in x for x in lines)
    assert any(x.startswith("- comments") and "COMMENTS" in x for x in lines)
    assert any(x.startswith("+") and "KARACHI" in x for x in lines)
    assert "title='US seeks Pakistan's help" in res.output or 'title="US seeks Pakistan\'s help' in res.output


def test_explain_says_why_a_story_was_cut_off():
    res = run("explain", str(SEEDS / "000_a6daadb69c98c73a.txt"), "--no-color")
    heads = [x for x in res.output.splitlines() if x.startswith("# story")]
    assert len(heads) == 2 and "cut off" not in heads[0]
    assert "cut off:" in heads[1] and ("boundary model" in heads[1] or "seam of the rules" in heads[1])


def test_explain_missing_file_exit_2(tmp_path):
    res = run("explain", str(tmp_path / "none.txt"))
    assert res.exit_code == 2 and "not found" in res.stderr


def outputs_at_jobs(src, tmp_path, jobs=("1", "2")) -> list[list[bytes]]:
    """The three output files of a clean run of ``src`` at each number of jobs."""
    outs = []
    for j in jobs:
        out = tmp_path / f"o{j}"
        assert run("clean", str(src), "-o", str(out), "-q", "-j", j).exit_code == 0
        outs.append([(out / n).read_bytes() for n in ("clean.jsonl", "duplicates.jsonl", "rejects.jsonl")])
    return outs


def test_corpus_output_identical_at_any_jobs(tmp_path):
    """A corpus with templates, copies and appended stories: same bytes at -j 1 and -j 2."""
    import sys

    sys.path.insert(0, str(SEEDS.parent / "benchmarks"))
    from generate import generate

    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text("".join(json.dumps(d) + "\n" for d in generate(120, seed=3)))
    outs = outputs_at_jobs(corpus, tmp_path)
    assert outs[0] == outs[1]
    assert outs[0][1], "the generated corpus holds syndicated copies: some duplicates expected"


def test_mixed_html_and_text_folder_identical_at_any_jobs(tmp_path):
    """HTML pages go to worker processes, text pages are extracted in place: the order of
    the output must not depend on which went where."""
    src = tmp_path / "in"
    src.mkdir()
    para = "<p>The harbour council met on Tuesday and approved the plan for the new berths after a long debate.</p>"
    for i in range(12):
        if i % 3 == 0:
            (src / f"{i:02d}.html").write_text(f"<html><body><article><h1>Story {i}</h1>{para * (i + 2)}</article></body></html>")
        else:
            (src / f"{i:02d}.txt").write_text(f"Menu\n\nStory {i}\n\n" + "\n\n".join(
                f"Paragraph {k} of story {i} tells what the council decided about the harbour on Tuesday." for k in range(4)))
    outs = outputs_at_jobs(src, tmp_path)
    assert outs[0] == outs[1]
    ids = [json.loads(line)["doc_id"] for line in outs[0][0].decode().splitlines()]
    assert len(ids) >= 8 and ids == sorted(ids)


def test_a_document_the_cleaner_fails_on_is_rejected_and_the_run_goes_on(tmp_path, monkeypatch):
    import newsclean.steps as pipeline

    real = pipeline.clean

    def failing(page, config, *rest):
        if page.doc_id.startswith("001_"):
            raise IndexError("list index out of range")
        return real(page, config, *rest)

    monkeypatch.setattr(pipeline, "clean", failing)
    res = run("clean", str(SEEDS), "-o", str(tmp_path), "-j", "1")
    assert res.exit_code == 0
    [rej] = read_jsonl(tmp_path / "rejects.jsonl")
    assert rej["reason"] == "error" and rej["doc_id"].startswith("001_") and "IndexError" in rej["detail"]
    assert rej["path"].endswith(".txt") and "001_" in res.stderr and "error" in res.stderr
    cleaned = {r["doc_id"] for r in read_jsonl(tmp_path / "clean.jsonl") + read_jsonl(tmp_path / "duplicates.jsonl")}
    assert cleaned == {n[:-4] for n in SEED_FILES} - {rej["doc_id"]}


def test_a_page_the_extractor_fails_on_is_rejected(tmp_path, monkeypatch):
    import newsclean.steps as pipeline

    def failing(doc, config):
        raise RecursionError("maximum recursion depth exceeded")  # what deeply nested HTML can do

    monkeypatch.setattr(pipeline, "extract_text", failing)
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "deep.html").write_text("<html><body>" + "<div>" * 50 + "text</body></html>")
    res = run("clean", str(tmp_path / "in"), "-o", str(tmp_path / "out"), "-q", "-j", "1")
    assert res.exit_code == 0
    [rej] = read_jsonl(tmp_path / "out" / "rejects.jsonl")
    assert rej["reason"] == "error" and rej["doc_id"] == "deep" and rej["detail"].startswith("RecursionError")


def test_repeated_ids_are_not_duplicates_of_themselves(tmp_path):
    src = tmp_path / "in"
    text = "A story about the harbour opening, told at length by the people who were there on the day.\n" * 3
    for sub in ("a", "b"):
        (src / sub).mkdir(parents=True)
        (src / sub / "story.txt").write_text(text)
        (src / sub / "dump.jsonl").write_text(json.dumps({"text": text}) + "\n" + json.dumps({"id": "x", "text": text}) + "\n")
    res = CliRunner().invoke(main, ["clean", str(src), "-o", str(tmp_path / "out")])
    assert res.exit_code == 0
    assert "6 documents repeated" not in res.output and "repeated an earlier document's id" in res.output
    recs = read_jsonl(tmp_path / "out/clean.jsonl") + read_jsonl(tmp_path / "out/duplicates.jsonl")
    ids = [r["id"] for r in recs]
    assert len(recs) == 6 and len(set(ids)) == 6
    assert all(r["duplicate_of"] != r["id"] for r in recs)
    assert sum(r["duplicate_of"] is None for r in recs) == 1
    report = json.loads((tmp_path / "out/report.json").read_text())
    assert report["ids"]["renamed"] == 3


def test_disk_full_is_one_line_exit_1_and_leaves_nothing(tmp_path, monkeypatch):
    out = tmp_path / "o"
    assert run("clean", str(SEEDS), "-o", str(out), "-q").exit_code == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    import errno

    import newsclean.write as w
    real = w._Hashing.write

    def full(self, data):
        if self.bytes > 1000:
            raise OSError(errno.ENOSPC, "No space left on device", self.fh.name)
        return real(self, data)
    monkeypatch.setattr(w._Hashing, "write", full)
    res = CliRunner().invoke(main, ["clean", str(SEEDS), "-o", str(out), "-j", "1"])
    assert res.exit_code == 1
    errors = [x for x in res.stderr.splitlines() if "error" in x]
    assert len(errors) == 1 and "no space left" in errors[0] and "Traceback" not in res.output
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before  # no staging, no work folder


def test_disk_full_in_the_work_folder(tmp_path, monkeypatch):
    import errno

    import newsclean.work as work

    def full(*a, **k):
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(work.pickle, "dump", full)
    res = CliRunner().invoke(main, ["clean", str(SEEDS), "-o", str(tmp_path / "o"), "-j", "1"])
    assert res.exit_code == 1 and "no space left" in res.stderr
    assert list((tmp_path / "o").iterdir()) == []


def test_jobs_above_the_cores_are_capped(tmp_path, monkeypatch):
    monkeypatch.setattr("newsclean.cli._cores", lambda: 2)
    res = CliRunner().invoke(main, ["clean", str(SEEDS), "-o", str(tmp_path / "o"), "-j", "1000"])
    assert res.exit_code == 0 and "-j 1000 is more than this machine's 2 cores" in res.stderr
    assert json.loads((tmp_path / "o/report.json").read_text())["jobs"] == 2


def test_a_fork_that_fails_is_a_clear_error(tmp_path, monkeypatch):
    import errno

    class NoProcesses:
        def Pool(self, *a, **k):
            raise OSError(errno.EAGAIN, "Resource temporarily unavailable")
    monkeypatch.setattr("newsclean.cli._cores", lambda: 4)
    monkeypatch.setattr("newsclean.executors.get_context", lambda *a: NoProcesses())
    res = CliRunner().invoke(main, ["clean", str(SEEDS), "-o", str(tmp_path / "o"), "-j", "4"])
    assert res.exit_code == 1 and "cannot start 4 worker processes" in res.stderr
    assert "Traceback" not in res.output
    assert list((tmp_path / "o").iterdir()) == []


def test_strict_covers_pages_with_no_body(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    (src / "chrome.txt").write_text("Home\nNews\nShare this\nFollow us\nCookie settings\n")
    res = run("clean", str(src), "-o", str(tmp_path / "o"), "--strict")
    assert res.exit_code == 1 and "no-body" in res.stderr
    assert list((tmp_path / "o").iterdir()) == []
    res = run("clean", str(src), "-o", str(tmp_path / "o2"))
    assert res.exit_code == 0 and read_jsonl(tmp_path / "o2/rejects.jsonl")[0]["reason"] == "no-body"


def test_another_run_in_the_same_folder_is_refused(tmp_path):
    from newsclean.write import Output

    busy = Output(tmp_path / "o")
    try:
        res = run("clean", str(SEEDS), "-o", str(tmp_path / "o"))
        assert res.exit_code == 2 and "another newsclean run" in res.stderr
    finally:
        busy.abort()


def test_bad_url_in_the_cli_is_a_reject_and_the_run_goes_on(tmp_path):
    p = tmp_path / "dump.jsonl"
    body = "The council voted on Tuesday to approve the budget for the schools of the city."
    p.write_text(json.dumps({"id": "a", "url": "http://[::1", "text": body}) + "\n"
                 + json.dumps({"id": "b", "url": "https://example.com/x", "text": body + " More."}) + "\n")
    res = run("clean", str(p), "-o", str(tmp_path / "o"))
    assert res.exit_code == 0 and f"{p}:1: bad-url" in res.stderr
    assert [r["doc_id"] for r in read_jsonl(tmp_path / "o/clean.jsonl")] == ["b"]
    assert read_jsonl(tmp_path / "o/rejects.jsonl")[0]["reason"] == "bad-url"


def test_explain_and_clean_text_with_a_malformed_url(tmp_path):
    from newsclean import clean_text

    with pytest.raises(ValueError, match="malformed url"):
        clean_text("Some text of a page.", url="http://[::1")
    p = tmp_path / "dump.jsonl"
    p.write_text(json.dumps({"id": "a", "url": "http://[::1", "text": "Some text."}) + "\n")
    res = run("explain", str(p))
    assert res.exit_code == 1 and "bad-url" in res.stderr and "Traceback" not in res.output


def test_a_fresh_process_at_two_jobs_finishes_and_matches_one_job(tmp_path):
    """The CLI as a user runs it, in a process of its own: the parent loads every model
    before its workers fork (a worker that parsed a model again after the fork deadlocked
    in LightGBM's OpenMP runtime, and -j 2 hung)."""
    import subprocess
    import sys

    from .conftest import ROOT

    pages = ROOT / "tests" / "fixtures" / "pages"
    outs = []
    for j in ("1", "2"):
        res = subprocess.run([sys.executable, "-m", "newsclean.cli", "clean", str(pages), str(SEEDS), "-o",
                              str(tmp_path / j), "-q", "-j", j], capture_output=True, text=True, timeout=120)
        assert res.returncode == 0, res.stderr
        outs.append((tmp_path / j / "clean.jsonl").read_bytes())
    assert outs[0] == outs[1] and outs[0]


def test_a_reader_that_closes_stdout_stops_the_run_with_one_line(tmp_path):
    """`newsclean clean … -o - | head`: more output than a pipe holds, a reader that takes
    a few bytes and leaves. The run stops with one line that says so, no traceback."""
    import subprocess
    import sys

    page = (SEEDS / SEED_FILES[0]).read_text(encoding="utf-8")
    src = tmp_path / "many.jsonl"
    src.write_text("".join(json.dumps({"id": f"p{k}", "text": page}) + "\n" for k in range(120)), encoding="utf-8")
    proc = subprocess.Popen([sys.executable, "-m", "newsclean.cli", "clean", str(src), "-o", "-", "--no-dedup",
                             "--no-templates", "-j", "1"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout.read(100)
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 1
    assert "the reader of stdout closed it" in err
    assert "Traceback" not in err and "Exception ignored" not in err
    assert len(err.strip().splitlines()) == 1, err
