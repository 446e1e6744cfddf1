"""Stage 6, write: atomic JSONL outputs and the run report.

Each file is written to a temporary name in the output folder and renamed into place
only when the run completes, so an interrupted run never leaves a ``clean.jsonl`` that
looks complete (and never clobbers the previous run's).
"""
from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import orjson

CLEAN, DUPLICATES, REJECTS, REPORT = "clean.jsonl", "duplicates.jsonl", "rejects.jsonl", "report.json"


class AtomicFile:
    def __init__(self, path: Path):
        self.path = path
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        self.tmp = Path(tmp)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; outputs are ordinary files
        self.fh = os.fdopen(fd, "wb", buffering=1 << 20)

    def write(self, data: bytes) -> None:
        self.fh.write(data)

    def commit(self) -> None:
        self.fh.flush()
        os.fsync(self.fh.fileno())
        self.fh.close()
        os.replace(self.tmp, self.path)

    def abort(self) -> None:
        if not self.fh.closed:
            self.fh.close()
        self.tmp.unlink(missing_ok=True)


def dumps(record: dict) -> bytes:
    return orjson.dumps(record) + b"\n"


class Output:
    """Where a run's records go: a folder of files, or clean records on stdout (``-``)."""

    def __init__(self, outdir: str | os.PathLike | None):
        self.stdout = outdir == "-"
        self.files: dict[str, AtomicFile] = {}
        if not self.stdout:
            self.dir = Path(outdir)
            self.dir.mkdir(parents=True, exist_ok=True)
            for name in (CLEAN, DUPLICATES, REJECTS, REPORT):
                self.files[name] = AtomicFile(self.dir / name)

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

    def commit(self) -> None:
        if self.stdout:
            sys.stdout.buffer.flush()
        for f in self.files.values():
            f.commit()

    def abort(self) -> None:
        for f in self.files.values():
            f.abort()
