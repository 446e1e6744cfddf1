"""Stage 6, write: the run's output files, committed as one set, and the run report.

A run writes into a staging folder inside the output folder (``.newsclean-run-*``). To
commit, it closes and syncs every file, writes ``manifest.json`` (each file's size,
records and sha256) and then a ``COMMITTED`` mark, and only then renames the files into
place. A run killed before the mark leaves the previous set untouched; one killed
between the renames leaves a marked staging folder, which the next run in that folder
rolls forward before it starts — so a reader never has to trust a half-replaced set for
longer than a kill takes, and ``manifest.json`` says which files belong together.

One run writes to an output folder at a time (an exclusive lock on the folder itself);
staging folders of dead runs are finished or removed by the next run.
"""
from __future__ import annotations

import errno
import fcntl
import hashlib
import os
import shutil
import sys
import tempfile
from pathlib import Path

import orjson

from .errors import UsageError

CLEAN, DUPLICATES, REJECTS, REPORT, MANIFEST = (
    "clean.jsonl", "duplicates.jsonl", "rejects.jsonl", "report.json", "manifest.json")
STAGING_PREFIX = ".newsclean-run-"
WORK = ".newsclean-work"  # the pipeline's intermediate results (newsclean.work), for --resume
COMMITTED = "COMMITTED"


def dumps(record: dict) -> bytes:
    return orjson.dumps(record) + b"\n"


class _File:
    """One output file in the staging folder, hashed and counted as it is written."""

    def __init__(self, path: Path):
        self.path = path
        self.fh = open(path, "xb", buffering=1 << 20)
        self.sha = hashlib.sha256()
        self.records = 0
        self.bytes = 0

    def write(self, data: bytes) -> None:
        self.fh.write(data)
        self.sha.update(data)
        self.records += 1
        self.bytes += len(data)

    def close(self) -> dict:
        self.fh.flush()
        os.fsync(self.fh.fileno())
        self.fh.close()
        return {"bytes": self.bytes, "records": self.records, "sha256": self.sha.hexdigest()}


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def _roll_forward(stage: Path, outdir: Path) -> None:
    """Put a committed staging folder's files in place (those not yet moved), then drop it."""
    manifest = orjson.loads((stage / MANIFEST).read_bytes())
    for name in manifest["files"]:
        if (stage / name).exists():
            os.replace(stage / name, outdir / name)
    os.replace(stage / MANIFEST, outdir / MANIFEST)
    _fsync_dir(outdir)
    shutil.rmtree(stage, ignore_errors=True)


def recover(outdir: Path) -> list[str]:
    """Finish or remove what dead runs left in ``outdir`` (call it holding the lock):
    a committed staging folder is rolled forward, an uncommitted one removed, and so are
    stray temporary files of older versions. Returns what was done, one line each."""
    done = []
    for p in sorted(outdir.glob(STAGING_PREFIX + "*")):
        if p.is_dir() and (p / COMMITTED).exists() and (p / MANIFEST).exists():
            _roll_forward(p, outdir)
            done.append(f"finished the commit of an interrupted run ({p.name})")
        else:
            shutil.rmtree(p, ignore_errors=True) if p.is_dir() else p.unlink(missing_ok=True)
            done.append(f"removed what an interrupted run left ({p.name})")
    for p in sorted(outdir.glob(".*.jsonl.*.tmp")) + sorted(outdir.glob(".report.json.*.tmp")):
        p.unlink(missing_ok=True)
        done.append(f"removed a stale temporary file ({p.name})")
    return done


class Output:
    """Where a run's records go: a folder of files committed as a set, or clean records
    on stdout (``-``)."""

    def __init__(self, outdir: str | os.PathLike | None):
        self.stdout = outdir == "-"
        self.files: dict[str, _File] = {}
        self.recovered: list[str] = []
        self.stage: Path | None = None
        self._lock = None
        if self.stdout:
            return
        self.dir = Path(outdir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self._lock = os.open(self.dir, os.O_RDONLY)
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(self._lock)
            self._lock = None
            if exc.errno in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                raise UsageError(f"another newsclean run is writing to {self.dir}") from None
            raise
        try:
            self.recovered = recover(self.dir)
            self.stage = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=self.dir))
            for name in (CLEAN, DUPLICATES, REJECTS, REPORT):
                self.files[name] = _File(self.stage / name)
        except BaseException:
            self.abort()
            raise

    def clean(self, record: dict) -> None:
        if self.stdout:
            sys.stdout.buffer.write(dumps(record))
        else:
            self.files[CLEAN].write(dumps(record))

    def duplicate(self, record: dict) -> None:
        if not self.stdout:
            self.files[DUPLICATES].write(dumps(record))

    def reject(self, record: dict) -> None:
        if not self.stdout:
            self.files[REJECTS].write(dumps(record))

    def report(self, report: dict) -> None:
        if not self.stdout:
            self.files[REPORT].write(orjson.dumps(report, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n")

    def commit(self, run: dict | None = None) -> None:
        if self.stdout:
            sys.stdout.buffer.flush()
            return
        files = {name: f.close() for name, f in self.files.items()}
        files[REPORT].pop("records")
        manifest = {"format": "newsclean-output", "version": 1, "files": files, **(run or {})}
        _write_atomic(self.stage / MANIFEST, orjson.dumps(manifest, option=orjson.OPT_INDENT_2) + b"\n")
        _fsync_dir(self.stage)
        _write_atomic(self.stage / COMMITTED, b"")  # from here on the set is the new output
        _fsync_dir(self.stage)
        _roll_forward(self.stage, self.dir)
        self.stage = None

    @property
    def work_dir(self) -> Path | None:
        return None if self.stdout else self.dir / WORK

    def abort(self, keep_work: bool = True) -> None:
        """Remove the staging folder (and, unless ``keep_work``, the work folder: a run
        that failed on a full disk leaves nothing behind). The previous set stays."""
        for f in self.files.values():
            if not f.fh.closed:
                f.fh.close()
        if self.stage is not None:
            if (self.stage / COMMITTED).exists():  # past the point of no return: finish it
                _roll_forward(self.stage, self.dir)
            else:
                shutil.rmtree(self.stage, ignore_errors=True)
            self.stage = None
        if not keep_work and self.work_dir is not None:
            shutil.rmtree(self.work_dir, ignore_errors=True)
        self.close()

    def close(self) -> None:
        """Release the folder for the next run (after the commit and what follows it)."""
        if self._lock is not None:
            fcntl.flock(self._lock, fcntl.LOCK_UN)
            os.close(self._lock)
            self._lock = None
