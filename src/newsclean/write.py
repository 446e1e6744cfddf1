"""Stage 6, write: the run's output files, committed as one set, and the run report.

A run writes into a staging folder inside the output folder (``.newsclean-run-*``). To
commit, it closes and syncs every file, writes ``manifest.json`` (each file's size,
records and sha256) and then a ``COMMITTED`` mark, and only then renames the files into
place. A run killed before the mark leaves the previous set untouched; one killed
between the renames leaves a marked staging folder, which the next run in that folder
rolls forward before it starts — so a reader never has to trust a half-replaced set for
longer than a kill takes, and ``manifest.json`` says which files belong together.

Output files are JSONL (``clean.jsonl``…), compressed with ``compress`` ("gz" or "zst":
``clean.jsonl.gz``), ``clean`` cut into shards of ``shard_size`` records
(``clean-00000.jsonl.zst``…), or Parquet (``clean.parquet`` and ``duplicates.parquet``:
the same columns; spans and removed spans as lists; source, meta and pipeline, whose keys
vary, as JSON strings). Every byte of them depends on the records alone: gzip without a
time stamp, zstd single-threaded, Parquet by one pinned schema.

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

CLEAN, DUPLICATES, REJECTS, REPORT, REPORT_HTML, MANIFEST = (
    "clean.jsonl", "duplicates.jsonl", "rejects.jsonl", "report.json", "report.html", "manifest.json")
COMPRESSIONS = ("gz", "zst")
FORMATS = ("jsonl", "parquet")
ZSTD_LEVEL = 3  # zstd's own default: fast, and about gzip -9's size on JSONL
PARQUET_ROWS = 10_000  # records per Parquet row group (memory holds one group's records)
STAGING_PREFIX = ".newsclean-run-"
WORK = ".newsclean-work"  # the pipeline's intermediate results (newsclean.work), for --resume
COMMITTED = "COMMITTED"


def dumps(record: dict) -> bytes:
    return orjson.dumps(record) + b"\n"


class _Hashing:
    """A binary file that hashes and counts the bytes written to it (what is on disk)."""

    def __init__(self, path: Path):
        self.fh = open(path, "xb", buffering=1 << 20)
        self.sha = hashlib.sha256()
        self.bytes = 0

    def write(self, data) -> int:
        self.fh.write(data)
        self.sha.update(data)
        self.bytes += len(data)
        return len(data)

    def flush(self) -> None:
        self.fh.flush()

    @property
    def closed(self) -> bool:
        return self.fh.closed

    def close(self) -> None:
        if not self.fh.closed:
            self.fh.flush()
            os.fsync(self.fh.fileno())
            self.fh.close()

    def discard(self) -> None:
        """Closed without a flush or sync (a full disk would only fail them again)."""
        if not self.fh.closed:
            self.fh.close()


class _File:
    """One output file in the staging folder (compressed with ``compress``), hashed and
    counted as it is written."""

    def __init__(self, path: Path, compress: str | None = None):
        self.path = path
        self.raw = _Hashing(path)
        self.records = 0
        if compress == "gz":
            import gzip
            self.out = gzip.GzipFile(filename="", mode="wb", fileobj=self.raw, mtime=0)
        elif compress == "zst":
            import zstandard
            self.out = zstandard.ZstdCompressor(level=ZSTD_LEVEL).stream_writer(self.raw, closefd=False)
        else:
            self.out = self.raw

    def discard(self) -> None:
        """Close without finishing (an aborted run: the staging folder goes)."""
        self.raw.discard()

    def write(self, data: bytes) -> None:
        self.out.write(data)
        self.records += 1

    def close(self) -> dict:
        if self.out is not self.raw and not self.raw.closed:
            self.out.close()
        self.raw.close()
        return {"bytes": self.raw.bytes, "records": self.records, "sha256": self.raw.sha.hexdigest()}


class _Shards:
    """``clean`` records in files of ``size`` records each: clean-00000.jsonl.zst, …"""

    def __init__(self, stage: Path, stem: str, ext: str, size: int, compress: str | None):
        self.stage, self.stem, self.ext, self.size, self.compress = stage, stem, ext, size, compress
        self.done: dict[str, dict] = {}
        self.current: _File | None = None

    def discard(self) -> None:
        if self.current is not None:
            self.current.discard()

    def write(self, data: bytes) -> None:
        if self.current is None or self.current.records >= self.size:
            self._finish()
            self.current = _File(self.stage / f"{self.stem}-{len(self.done):05d}{self.ext}", self.compress)
        self.current.write(data)

    def _finish(self) -> None:
        if self.current is not None:
            self.done[self.current.path.name] = self.current.close()
            self.current = None

    def close_all(self) -> dict[str, dict]:
        self._finish()
        return self.done


def parquet_schema():
    import pyarrow as pa

    removed = pa.struct([("start", pa.int64()), ("end", pa.int64()), ("reason", pa.string()), ("note", pa.string())])
    return pa.schema([("id", pa.string()), ("doc_id", pa.string()), ("story", pa.int64()), ("text", pa.string()),
                      ("title", pa.string()), ("date", pa.string()), ("lang", pa.string()), ("url", pa.string()),
                      ("source", pa.string()), ("spans", pa.list_(pa.list_(pa.int64()))),
                      ("removed", pa.list_(removed)), ("duplicate_of", pa.string()), ("similarity", pa.float64()),
                      ("meta", pa.string()), ("pipeline", pa.string())])


def parquet_row(record: dict) -> dict:
    """A record as a row of parquet_schema(): what varies in shape as JSON strings."""
    row = dict(record)
    for k in ("source", "meta", "pipeline"):
        row[k] = None if row[k] is None else orjson.dumps(row[k], option=orjson.OPT_SORT_KEYS).decode()
    row["removed"] = [{"start": r["start"], "end": r["end"], "reason": r["reason"],
                       "note": orjson.dumps({k: v for k, v in r.items() if k not in ("start", "end", "reason")},
                                            option=orjson.OPT_SORT_KEYS).decode() if len(r) > 3 else None}
                      for r in row["removed"]]
    return row


class _ParquetFile:
    """Records as Parquet rows, written a row group at a time."""

    def __init__(self, path: Path):
        import pyarrow.parquet as pq

        self.path = path
        self.raw = _Hashing(path)
        self.schema = parquet_schema()
        self.writer = pq.ParquetWriter(self.raw, self.schema, compression="zstd")
        self.rows: list[dict] = []
        self.records = 0

    def discard(self) -> None:
        self.raw.discard()

    def write_record(self, record: dict) -> None:
        self.rows.append(parquet_row(record))
        self.records += 1
        if len(self.rows) >= PARQUET_ROWS:
            self._flush()

    def _flush(self) -> None:
        import pyarrow as pa

        if self.rows:
            self.writer.write_table(pa.Table.from_pylist(self.rows, schema=self.schema))
            self.rows = []

    def close(self) -> dict:
        if not self.raw.closed:
            self._flush()
            self.writer.close()
            self.raw.close()
        return {"bytes": self.raw.bytes, "records": self.records, "sha256": self.raw.sha.hexdigest()}


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
    """Put a committed staging folder's files in place (those not yet moved), then drop it,
    and the previous set's files the new one has not (clean.jsonl after a run wrote
    clean.jsonl.zst, shards beyond the new count): the folder holds one set."""
    manifest = orjson.loads((stage / MANIFEST).read_bytes())
    try:
        previous = orjson.loads((outdir / MANIFEST).read_bytes()).get("files", {})
    except (OSError, orjson.JSONDecodeError):
        previous = {}
    for name in manifest["files"]:
        if (stage / name).exists():
            os.replace(stage / name, outdir / name)
    os.replace(stage / MANIFEST, outdir / MANIFEST)
    for name in previous:
        if name not in manifest["files"] and "/" not in name and not name.startswith("."):
            (outdir / name).unlink(missing_ok=True)
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

    def __init__(self, outdir: str | os.PathLike | None, compress: str | None = None, fmt: str = "jsonl",
                 shard_size: int | None = None):
        if compress not in (None, *COMPRESSIONS):
            raise ValueError(f"compress must be one of {COMPRESSIONS} or None, got {compress!r}")
        if fmt not in FORMATS:
            raise ValueError(f"fmt must be one of {FORMATS}, got {fmt!r}")
        if shard_size is not None and shard_size < 1:
            raise ValueError("shard_size must be at least 1")
        self.stdout = outdir == "-"
        self.files: dict = {}
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
            if shard_size is not None and compress is None:
                compress = "zst"  # shards are for big runs
            ext = "" if compress is None else f".{compress}"
            if fmt == "parquet":
                self.files[CLEAN] = _ParquetFile(self.stage / "clean.parquet")
                self.files[DUPLICATES] = _ParquetFile(self.stage / "duplicates.parquet")
            elif shard_size is not None:
                self.files[CLEAN] = _Shards(self.stage, "clean", ".jsonl" + ext, shard_size, compress)
            else:
                self.files[CLEAN] = _File(self.stage / (CLEAN + ext), compress)
            if DUPLICATES not in self.files:
                self.files[DUPLICATES] = _File(self.stage / (DUPLICATES + ext), compress)
            self.files[REJECTS] = _File(self.stage / (REJECTS + ext), compress)
            self.files[REPORT] = _File(self.stage / REPORT)
        except BaseException:
            self.abort()
            raise

    def _put(self, name: str, record: dict) -> None:
        f = self.files[name]
        if isinstance(f, _ParquetFile):
            f.write_record(record)
        else:
            f.write(dumps(record))

    def clean(self, record: dict) -> None:
        if self.stdout:
            sys.stdout.buffer.write(dumps(record))
            sys.stdout.buffer.flush()  # a record as soon as it is cleaned, for a reader downstream
        else:
            self._put(CLEAN, record)

    def duplicate(self, record: dict) -> None:
        if not self.stdout:
            self._put(DUPLICATES, record)

    def reject(self, record: dict) -> None:
        if not self.stdout:
            self.files[REJECTS].write(dumps(record))

    def report(self, report: dict) -> None:
        if not self.stdout:
            self.files[REPORT].write(orjson.dumps(report, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n")

    def report_html(self, page: str) -> None:
        if not self.stdout:
            self.files.setdefault(REPORT_HTML, _File(self.stage / REPORT_HTML)).write(page.encode())

    def commit(self, run: dict | None = None) -> None:
        if self.stdout:
            sys.stdout.buffer.flush()
            return
        files = {}
        for name, f in self.files.items():
            if isinstance(f, _Shards):
                files.update(f.close_all())
            else:
                files[f.path.name] = f.close()
        files[REPORT].pop("records")
        if REPORT_HTML in files:
            files[REPORT_HTML].pop("records")
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
            f.discard()
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
