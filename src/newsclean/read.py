"""Stage 1, read: paths → Documents, or Rejects that say which file and line and why.

Nothing here raises on bad input: a missing path, binary or empty file, undecodable
bytes, a corrupt archive, a malformed URL or a broken JSONL line each become a Reject,
and the stream goes on. Document ids are unique within a run (``UniqueIds``).
"""
from __future__ import annotations

import codecs
import gzip
import hashlib
import os
import sys
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import orjson
import regex

from .config import Config
from .records import Document, Reject

TEXT_EXT = {".txt", ".text"}
HTML_EXT = {".html", ".htm", ".xhtml"}
JSONL_EXT = {".jsonl", ".ndjson"}
STDIN = "-"

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),  # before UTF-16 LE: it starts with the same bytes
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_META_CHARSET = regex.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", regex.I)


def decode(raw: bytes, html: bool = False, utf8_max_invalid: float = 0.5) -> tuple[str, str, int]:
    """Decode by BOM, then HTML meta charset, then UTF-8, then cp1252; return (text, how,
    sequences replaced by U+FFFD).

    A file that is UTF-8 but for a few bad bytes (a truncated character, a stray byte) stays
    UTF-8 with those bytes replaced; only when more than ``utf8_max_invalid`` of its
    non-ASCII bytes are invalid — what a cp1252 or Latin-1 file looks like to a UTF-8
    decoder — is it read as cp1252."""
    for bom, enc in _BOMS:
        if raw.startswith(bom):
            text = raw.decode(enc, errors="replace")
            return text, enc.replace("-sig", "") + "-bom", _replaced(text, raw)
    if html:
        m = _META_CHARSET.search(raw[:4096])
        if m:
            enc = m.group(1).decode("ascii", "replace").lower()
            try:
                return raw.decode(enc), f"{enc}-meta", 0
            except (LookupError, UnicodeDecodeError):
                pass  # a lying or unknown meta charset: fall through to UTF-8
    try:
        return raw.decode("utf-8"), "utf-8", 0
    except UnicodeDecodeError:
        pass
    text = raw.decode("utf-8", errors="replace")
    bad = _replaced(text, raw)
    if bad <= utf8_max_invalid * len(raw.translate(None, _ASCII)):
        return text, "utf-8", bad
    # cp1252 leaves five bytes undefined; those become U+FFFD rather than failing.
    text = raw.decode("cp1252", errors="replace")
    return text, "cp1252-fallback", _replaced(text, b"")


_ASCII = bytes(range(128))
_FFFD = "\ufffd".encode()


def _replaced(text: str, raw: bytes) -> int:
    """How many U+FFFD the decoder put in (the source may hold some of its own)."""
    return text.count("\ufffd") - raw.count(_FFFD)


def looks_binary(raw: bytes) -> bool:
    """NUL bytes outside a UTF-16/32 text mean this is no text file."""
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return False
    return b"\x00" in raw[:65536]


def site_of(url: str | None, fallback: str | None) -> str | None:
    """The template group of a document: its URL host, else the folder it came from."""
    if url:
        try:
            host = urlsplit(url).hostname
        except ValueError:  # a malformed URL names no site
            host = None
        if host:
            return host.lower().removeprefix("www.")
    return fallback


_URL_SPACE = regex.compile(r"[\s\p{Cc}]")


def url_problem(url: str) -> str | None:
    """Why ``url`` is no usable URL, or None: what ``urlsplit`` refuses, a port out of
    range, white space or control characters in the host, http(s) without a host."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 — the property raises on a port out of range
    except ValueError as exc:
        return str(exc)
    if _URL_SPACE.search(parts.netloc):
        return "white space or control characters in the host"
    if parts.scheme.lower() in ("http", "https") and not parts.hostname:
        return "no host"
    return None


def file_format(path: Path) -> str | None:
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    ext = suffixes[-1] if suffixes else ""
    if ext in TEXT_EXT:
        return "text"
    if ext in HTML_EXT:
        return "html"
    if ext in JSONL_EXT:
        return "jsonl"
    return None


def doc_stem(path: Path) -> str:
    name = path.name
    if name.lower().endswith(".gz"):
        name = name[:-3]
    return Path(name).stem


def expand(paths: Iterable[str]) -> Iterator[tuple[str, Path | None, Reject | None]]:
    """Inputs in a fixed order: each argument as given, folders walked in sorted order,
    into symlinked folders too (a folder reached twice — a link loop, two links — is walked
    once). A folder that cannot be listed is a Reject, never silence. Hidden files and
    folders (``.git``, ``.DS_Store``) are not inputs."""
    for arg in paths:
        if arg == STDIN:
            yield arg, None, None
        elif Path(arg).is_dir():
            yield from ((arg, f, problem) for f, problem in _walk(Path(arg)))
        else:
            yield arg, Path(arg), None


def _walk(root: Path) -> Iterator[tuple[Path, Reject | None]]:
    seen: set[tuple[int, int]] = set()

    def visit(d: Path) -> Iterator[tuple[Path, Reject | None]]:
        try:
            st = d.stat()
            if (st.st_dev, st.st_ino) in seen:
                return
            seen.add((st.st_dev, st.st_ino))
            with os.scandir(d) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            yield d, Reject(str(d), "unreadable", f"cannot list folder: {exc.strerror or exc}")
            return
        for e in entries:
            if e.name.startswith("."):
                continue
            try:
                is_dir = e.is_dir()  # follows symbolic links
            except OSError:
                is_dir = False
            if is_dir:
                yield from visit(Path(e.path))
            else:
                yield Path(e.path), None

    yield from visit(root)


class UniqueIds:
    """Document ids made unique within a run: the first document keeps its id; a later
    one with the same id takes its path instead (a file: its path below the folder walked,
    without extension; a JSONL record without an id: that path and its line), and where
    that is taken too, or for a record's own id, a suffix ``~2``, ``~3``…. The document's
    ``source`` keeps the id it was given as ``renamed_from``."""

    def __init__(self) -> None:
        self.used: set[str] = set()
        self.renamed = 0

    def take(self, item: Document | Reject, fallback: str | None) -> Document | Reject:
        given = item.doc_id
        if given is None:
            return item
        new = given
        if new in self.used:
            new = fallback if fallback and fallback not in self.used else given
            k = 2
            while new in self.used:
                new, k = f"{given}~{k}", k + 1
            item.doc_id = new
            self.renamed += 1
            if isinstance(item, Document):
                item.source["renamed_from"] = given
        self.used.add(new)
        return item


def _path_id(arg: str, path: Path) -> str:
    """A file's path without extension: below the folder walked, else as given."""
    base = Path(arg)
    rel = path.relative_to(base) if base in path.parents else path
    return (rel.parent / doc_stem(rel)).as_posix()


def read_inputs(paths: Iterable[str], config: Config, stdin=None) -> Iterator[Document | Reject]:
    ids = UniqueIds()
    for arg, path, problem in expand(paths):
        if problem is not None:
            yield problem
        elif path is None:
            stream = stdin if stdin is not None else sys.stdin.buffer
            for item in read_jsonl_lines(stream, "<stdin>", "<stdin>", config):
                yield ids.take(item, None)
        elif not path.exists():
            what = "a broken symbolic link" if path.is_symlink() else "no such file or directory"
            yield Reject(str(path), "missing", what)
        else:
            pid, stem, jsonl = _path_id(arg, path), doc_stem(path), file_format(path) == "jsonl"
            for item in read_file(path, config, explicit=(str(path) == arg)):
                line = item.source.get("line") if isinstance(item, Document) else item.line
                if not jsonl:
                    fallback = pid
                elif item.doc_id == f"{stem}-{line}":  # a record without an id of its own
                    fallback = f"{pid}-{line}"
                else:
                    fallback = None
                yield ids.take(item, fallback)


_CORRUPT = (OSError, EOFError, gzip.BadGzipFile, zlib.error)


def _unreadable(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return f"corrupt deflate stream ({exc})" if isinstance(exc, zlib.error) else str(exc)


def read_file(path: Path, config: Config, explicit: bool = True) -> Iterator[Document | Reject]:
    fmt = file_format(path)
    if fmt is None:
        if not explicit:
            yield Reject(str(path), "unsupported", "not .txt, .html, .jsonl (or .gz of one)")
            return
        fmt = "text"  # a file named on the command line is read as text whatever its name
    gz = path.name.lower().endswith(".gz")
    if fmt == "jsonl":
        yield from _read_jsonl_file(path, gz, config)
        return
    try:
        raw = gzip.decompress(path.read_bytes()) if gz else path.read_bytes()
    except _CORRUPT as exc:
        yield Reject(str(path), "unreadable", _unreadable(exc), doc_id=doc_stem(path))
        return
    source = {"path": str(path), "sha256": hashlib.sha256(raw).hexdigest(), "format": fmt}
    if looks_binary(raw):
        yield Reject(str(path), "binary", "NUL bytes: not a text file", doc_id=doc_stem(path))
        return
    text, how, replaced = decode(raw, html=(fmt == "html"), utf8_max_invalid=config.utf8_max_invalid)
    if not text.strip():
        yield Reject(str(path), "empty", "no text", doc_id=doc_stem(path))
        return
    source["encoding"] = how
    if replaced:
        source["replaced"] = replaced
    yield Document(doc_stem(path), text, fmt, source, url=None, site=str(path.parent))


def _read_jsonl_file(path: Path, gz: bool, config: Config) -> Iterator[Document | Reject]:
    try:
        fh = gzip.open(path, "rb") if gz else open(path, "rb")
    except OSError as exc:
        yield Reject(str(path), "unreadable", _unreadable(exc))
        return
    with fh:
        # (the archive is read ahead in blocks: the offset is where reading had got to)
        where = (lambda: f" near byte {fh.fileobj.tell():,} of the archive") if gz else None
        yield from read_jsonl_lines(fh, str(path), doc_stem(path), config, where)


def read_jsonl_lines(stream, path: str, stem: str, config: Config, where=None) -> Iterator[Document | Reject]:
    """The records of a JSONL stream; a read error or a corrupt archive ends it with a
    Reject that says where (``where()``: the position in the archive), after the records
    read before the damage."""
    lineno = 0
    try:
        for lineno, raw in enumerate(stream, 1):
            if lineno == 1 and raw.startswith(codecs.BOM_UTF8):
                raw = raw[len(codecs.BOM_UTF8):]
            if raw.strip():
                yield _jsonl_record(raw, path, stem, lineno, config)
    except _CORRUPT as exc:
        at = f"{where()}, after {lineno} good lines" if where is not None else ""
        yield Reject(path, "unreadable", f"{_unreadable(exc)}{at}", line=lineno + 1)


def _jsonl_record(raw: bytes, path: str, stem: str, lineno: int, config: Config) -> Document | Reject:
    how, replaced = None, 0
    try:
        rec = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        try:  # orjson refuses invalid UTF-8 too: decode as a file would be, and try again
            raw.decode("utf-8")
        except UnicodeDecodeError:
            text, how, replaced = decode(raw, utf8_max_invalid=config.utf8_max_invalid)
            try:
                rec = orjson.loads(text)
            except orjson.JSONDecodeError as exc2:
                return Reject(path, "bad-json", str(exc2).split(":")[0], line=lineno)
        else:
            return Reject(path, "bad-json", str(exc).split(":")[0], line=lineno)
    if not isinstance(rec, dict):
        return Reject(path, "bad-record", f"a JSON {type(rec).__name__}, not an object", line=lineno)
    doc_id = rec.get(config.id_field)
    doc_id = f"{stem}-{lineno}" if doc_id is None or doc_id == "" else str(doc_id)
    url = rec.get(config.url_field)
    if url is not None and url != "":
        problem = url_problem(url) if isinstance(url, str) else f"a JSON {type(url).__name__}, not a string"
        if problem:
            return Reject(path, "bad-url", f"field {config.url_field!r} {str(url)[:200]!r}: {problem}",
                          line=lineno, doc_id=doc_id)
    url = url or None
    fmt, content = "text", rec.get(config.text_field)
    if config.html_field and isinstance(rec.get(config.html_field), str):
        fmt, content = "html", rec[config.html_field]
    if not isinstance(content, str):
        field = config.html_field or config.text_field
        what = "missing" if content is None else f"a {type(content).__name__}"
        return Reject(path, "no-text", f"field {field!r} is {what}", line=lineno, doc_id=doc_id)
    if not content.strip():
        return Reject(path, "empty", f"field {config.text_field!r} is blank", line=lineno, doc_id=doc_id)
    if "\x00" in content:
        return Reject(path, "binary", "NUL characters in the text", line=lineno, doc_id=doc_id)
    source = {"path": path, "sha256": hashlib.sha256(raw.rstrip(b"\r\n")).hexdigest(),
              "format": "jsonl", "line": lineno}
    if how is not None:  # not plain UTF-8
        source["encoding"] = how
        if replaced:
            source["replaced"] = replaced
    return Document(doc_id, content, fmt, source, url=url, site=site_of(url, None))
