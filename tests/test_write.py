"""The output set: committed as one, recovered after a kill, one run per folder."""
import json

import pytest

from newsclean.errors import UsageError
from newsclean.write import Output, recover


def write_set(outdir, n, commit=True):
    out = Output(outdir)
    for i in range(n):
        out.clean({"id": f"c{i}"})
        out.duplicate({"id": f"d{i}"})
    out.reject({"id": "r"})
    out.report({"run": n})
    if commit:
        out.commit()
        out.close()
    return out


def names(d):
    return sorted(p.name for p in d.iterdir())


def test_commit_puts_the_set_in_place_with_a_manifest(tmp_path):
    write_set(tmp_path, 3)
    assert names(tmp_path) == ["clean.jsonl", "duplicates.jsonl", "manifest.json", "rejects.jsonl", "report.json"]
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["files"]["clean.jsonl"]["records"] == 3
    import hashlib
    for name, facts in manifest["files"].items():
        assert hashlib.sha256((tmp_path / name).read_bytes()).hexdigest() == facts["sha256"]


def test_abort_before_the_mark_keeps_the_previous_set(tmp_path):
    write_set(tmp_path, 2)
    before = {n: (tmp_path / n).read_bytes() for n in names(tmp_path)}
    out = write_set(tmp_path, 5, commit=False)
    out.abort()
    assert {n: (tmp_path / n).read_bytes() for n in names(tmp_path)} == before


def test_a_kill_between_the_renames_is_rolled_forward_by_the_next_run(tmp_path, monkeypatch):
    write_set(tmp_path, 2)
    import newsclean.write as w

    def killed(stage, outdir):  # the process dies right after the COMMITTED mark
        import os
        os.replace(stage / "clean.jsonl", outdir / "clean.jsonl")  # one file moved, then nothing
        raise SystemExit("killed")
    monkeypatch.setattr(w, "_roll_forward", killed)
    out = write_set(tmp_path, 7, commit=False)
    with pytest.raises(SystemExit):
        out.commit()
    out.stage = None  # a killed process runs no clean-up
    out.close()
    monkeypatch.undo()
    # a mixed set on disk: the new clean.jsonl beside the old duplicates.jsonl
    assert len((tmp_path / "clean.jsonl").read_text().splitlines()) == 7
    assert len((tmp_path / "duplicates.jsonl").read_text().splitlines()) == 2
    done = recover(tmp_path)
    assert done and "finished the commit" in done[0]
    assert len((tmp_path / "duplicates.jsonl").read_text().splitlines()) == 7
    assert names(tmp_path) == ["clean.jsonl", "duplicates.jsonl", "manifest.json", "rejects.jsonl", "report.json"]


def test_an_uncommitted_staging_folder_is_removed(tmp_path):
    out = write_set(tmp_path, 2, commit=False)
    out.stage, stage = None, out.stage  # killed: nothing cleaned up
    out.close()
    assert stage.exists()
    assert "removed" in recover(tmp_path)[0]
    assert names(tmp_path) == []


def test_one_run_per_output_folder(tmp_path):
    first = Output(tmp_path)
    try:
        with pytest.raises(UsageError, match="another newsclean run"):
            Output(tmp_path)
    finally:
        first.abort()
    Output(tmp_path).abort()  # free again
