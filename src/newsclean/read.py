"""Stage 1, read: paths → Documents, or Rejects that say which file and line and why.

Nothing here raises on bad input: a missing path, binary or empty file, undecodable
bytes or a broken JSONL line each become a Reject and the stream goes on.
"""
from __future__ import annotations

import codecs
import gzip
import hashlib
import sys
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


def decode(raw: bytes, html: bool = False) -> tuple[str, str]:
    """Decode by BOM, then HTML meta charset, then UTF-8, then cp1252; return (text, how)."""
    for bom, enc in _BOMS:
        if raw.startswith(bom):
            return raw.decode(enc, errors="replace"), enc.replace("-sig", "") + "-bom"
    if html:
        m = _META_CHARSET.search(raw[:4096])
        if m:
            enc = m.group(1).decode("ascii", "replace").lower()
            try:
                return raw.decode(enc), f"{enc}-meta"
            except (LookupError, UnicodeDecodeError):
                pass  # a lying or unknown meta charset: fall through to UTF-8
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        # cp1252 leaves five bytes undefined; those become U+FFFD rather than failing.
        return raw.decode("cp1252", errors="replace"), "cp1252-fallback"


def looks_binary(raw: bytes) -> bool:
    """NUL bytes outside a UTF-16/32 text mean this is no text file."""
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return False
    return b"\x00" in raw[:65536]


def site_of(url: str | None, fallback: str | None) -> str | None:
    """The template group of a document: its URL host, else the folder it came from."""
    if url:
        host = urlsplit(url).hostname
        if host:
            return host.lower().removeprefix("www.")
    return fallback


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


def expand(paths: Iterable[str]) -> Iterator[tuple[str, Path | None]]:
    """Inputs in a fixed order: each argument as given, directories walked sorted."""
    for arg in paths:
        if arg == STDIN:
            yield arg, None
            continue
        p = Path(arg)
        if p.is_dir():
            files = (f for f in p.rglob("*") if f.is_file())
            for f in sorted(files, key=lambda f: f.relative_to(p).parts):
                if not any(part.startswith(".") for part in f.relative_to(p).parts):
                    yield arg, f
        else:
            yield arg, p


def read_inputs(paths: Iterable[str], config: Config, stdin=None) -> Iterator[Document | Reject]:
    for arg, path in expand(paths):
        if path is None:
            stream = stdin if stdin is not None else sys.stdin.buffer
            yield from read_jsonl_lines(stream, "<stdin>", "<stdin>", config)
        elif not path.exists():
            yield Reject(str(path), "missing", "no such file or directory")
        else:
            yield from read_file(path, config, explicit=(str(path) == arg))


def read_file(path: Path, config: Config, explicit: bool = True) -> Iterator[Document | Reject]:
    fmt = file_format(path)
    if fmt is None:
        if not explicit:
            yield Reject(str(path), "unsupported", "not .txt, .html, .jsonl (or .gz of one)")
            return
        fmt = "text"  # a file named on the command line is read as text whatever its name
    gz = path.name.lower().endswith(".gz")
    try:
        if fmt == "jsonl":
            opener = gzip.open if gz else open
            with opener(path, "rb") as fh:
                yield from read_jsonl_lines(fh, str(path), doc_stem(path), config)
            return
        raw = gzip.decompress(path.read_bytes()) if gz else path.read_bytes()
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        yield Reject(str(path), "unreadable", str(exc.strerror if isinstance(exc, OSError) and exc.strerror else exc))
        return
    source = {"path": str(path), "sha256": hashlib.sha256(raw).hexdigest(), "format": fmt}
    if looks_binary(raw):
        yield Reject(str(path), "binary", "NUL bytes: not a text file", doc_id=doc_stem(path))
        return
    text, how = decode(raw, html=(fmt == "html"))
    if not text.strip():
        yield Reject(str(path), "empty", "no text", doc_id=doc_stem(path))
        return
    source["encoding"] = how
    yield Document(doc_stem(path), text, fmt, source, url=None, site=str(path.parent))


def read_jsonl_lines(stream, path: str, stem: str, config: Config) -> Iterator[Document | Reject]:
    lineno = 0
    try:
        for lineno, raw in enumerate(stream, 1):
            if not raw.strip():
                continue
            yield _jsonl_record(raw, path, stem, lineno, config)
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        yield Reject(path, "unreadable", str(exc), line=lineno + 1)


def _jsonl_record(raw: bytes, path: str, stem: str, lineno: int, config: Config) -> Document | Reject:
    try:
        rec = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        # orjson rejects invalid UTF-8 too; say which of the two it was.
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError:
            return Reject(path, "bad-json", "invalid UTF-8 in JSON line", line=lineno)
        return Reject(path, "bad-json", str(exc).split(":")[0], line=lineno)
    if not isinstance(rec, dict):
        return Reject(path, "bad-record", f"a JSON {type(rec).__name__}, not an object", line=lineno)
    doc_id = rec.get(config.id_field)
    doc_id = f"{stem}-{lineno}" if doc_id is None or doc_id == "" else str(doc_id)
    url = rec.get(config.url_field)
    url = url if isinstance(url, str) and url else None
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
    return Document(doc_id, content, fmt, source, url=url, site=site_of(url, None))
