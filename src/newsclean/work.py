"""A run's intermediate results, kept per unit of input in a work folder, so that a run
killed at any point and started again with ``--resume`` reuses what was done (datatrove's
completion markers, per unit rather than per task).

A unit is a stretch of consecutive documents of one input file (at most ``UNIT_DOCS``).
Each result file starts with the signature of what it was computed from — the unit's
documents (ids and content hashes), and for cleaned units the whole corpus's, since site
templates depend on every page — and is written under a temporary name and renamed:
a file that is there and whose signature matches is a finished unit; anything else is
computed again. The folder's key (newsclean version and config hash) must match too.
"""
from __future__ import annotations

import hashlib
import os
import pickle
import shutil
import tempfile
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path

import orjson

from .records import Document, Reject

UNIT_DOCS = 1024  # documents per unit of resumable work (changes no output)
KEY = "key.json"


def item_path(item: Document | Reject) -> str:
    return item.source.get("path", "") if isinstance(item, Document) else item.path


def units(items: Iterable[Document | Reject], size: int | None = None) -> Iterator[list[Document | Reject]]:
    """Consecutive items of one input file, at most ``size`` (``UNIT_DOCS``) at a time."""
    size = size or UNIT_DOCS
    chunk: list = []
    path = None
    for it in items:
        p = item_path(it)
        if chunk and (p != path or len(chunk) >= size):
            yield chunk
            chunk = []
        chunk.append(it)
        path = p
    if chunk:
        yield chunk


def unit_signature(chunk: list[Document | Reject]) -> str:
    """What a unit was read as: ids, formats, content hashes, URLs; rejects as written."""
    ident = [(it.doc_id, it.fmt, it.source.get("sha256") or it.source.get("warc_payload_digest"), it.source.get("line"),
              it.url, it.site)
             if isinstance(it, Document) else it.to_dict() for it in chunk]
    return hashlib.sha256(orjson.dumps(ident)).hexdigest()


class Work:
    """The work folder of one output folder (or a temporary one)."""

    def __init__(self, path: str | os.PathLike | None, key: dict, resume: bool = False):
        self.temporary = path is None
        self.path = Path(tempfile.mkdtemp(prefix="newsclean-work-")) if path is None else Path(path)
        self.reused: Counter[str] = Counter()
        self.stale = False  # a work folder was there but belonged to another run
        blob = orjson.dumps(key, option=orjson.OPT_SORT_KEYS)
        if not self.temporary:
            if self.path.exists():
                same = resume and (self.path / KEY).is_file() and (self.path / KEY).read_bytes() == blob
                if not same:
                    self.stale = resume
                    shutil.rmtree(self.path)
            self.path.mkdir(parents=True, exist_ok=True)
            (self.path / KEY).write_bytes(blob)

    def _file(self, stage: str, n: int) -> Path:
        return self.path / f"{stage}-{n:06d}.pkl"

    def signature(self, stage: str, n: int) -> str | None:
        try:
            with open(self._file(stage, n), "rb") as fh:
                return pickle.load(fh)
        except (OSError, EOFError, pickle.UnpicklingError, ValueError):
            return None

    def has(self, stage: str, n: int, sig: str) -> bool:
        return self.signature(stage, n) == sig

    def load(self, stage: str, n: int, sig: str) -> list | None:
        """The unit's saved result, or None when it is missing, torn or of other input."""
        try:
            with open(self._file(stage, n), "rb") as fh:
                if pickle.load(fh) != sig:
                    return None
                return pickle.load(fh)
        except (OSError, EOFError, pickle.UnpicklingError, ValueError, AttributeError):
            return None

    def save(self, stage: str, n: int, sig: str, data: list) -> None:
        path = self._file(stage, n)
        tmp = path.with_name(path.name + ".tmp")
        with open(tmp, "wb") as fh:
            pickle.dump(sig, fh, protocol=pickle.HIGHEST_PROTOCOL)
            pickle.dump(data, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)

    def remove(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)
