"""Stage 1, read: paths → Documents, or Rejects that say which file and line and why.

Formats, by extension (after a compression suffix) or, for a name that says none, by
their first bytes: scraped text, HTML, JSONL, WARC/WET (FastWARC), Parquet (pyarrow, by
row group), CSV/TSV with a header row; each may be compressed .gz, .zst, .bz2 or .xz.
A binary file of any other kind is never guessed as text: it is a Reject that says what
it looks like.

Nothing here raises on bad input: a missing path, binary or empty file, undecodable
bytes, a corrupt archive, a malformed URL or a broken JSONL line each become a Reject,
and the stream goes on. Document ids are unique within a run (``UniqueIds``).
"""
from __future__ import annotations

import bz2
import codecs
import csv
import gzip
import hashlib
import io
import lzma
import os
import sys
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import orjson
import regex
import zstandard

from .config import Config
from .records import Document, Reject

TEXT_EXT = {".txt", ".text"}
HTML_EXT = {".html", ".htm", ".xhtml"}
JSONL_EXT = {".jsonl", ".ndjson"}
FORMAT_EXT = {**{e: "text" for e in TEXT_EXT}, **{e: "html" for e in HTML_EXT}, **{e: "jsonl" for e in JSONL_EXT},
              ".warc": "warc", ".arc": "warc", ".wet": "warc", ".parquet": "parquet", ".pq": "parquet",
              ".csv": "csv", ".tsv": "tsv"}
COMPRESSION_EXT = {".gz": "gzip", ".gzip": "gzip", ".zst": "zstd", ".zstd": "zstd", ".bz2": "bz2", ".xz": "xz"}
STDIN = "-"

# First bytes of compressed streams, and of binary files newsclean does not read (so a
# reject can say what the file looks like).
COMPRESSION_MAGIC = ((b"\x1f\x8b", "gzip"), (b"\x28\xb5\x2f\xfd", "zstd"), (b"BZh", "bz2"),
                     (b"\xfd7zXZ\x00", "xz"))
BINARY_MAGIC = ((b"%PDF-", "a PDF document"), (b"PK\x03\x04", "a ZIP archive (or an Office document)"),
                (b"\x89PNG", "a PNG image"), (b"\xff\xd8\xff", "a JPEG image"), (b"GIF8", "a GIF image"),
                (b"RIFF", "a RIFF file (WebP image, WAV audio, AVI video)"), (b"7z\xbc\xaf", "a 7-Zip archive"),
                (b"Rar!", "a RAR archive"), (b"\x7fELF", "an executable (ELF)"),
                (b"SQLite format 3\x00", "an SQLite database"), (b"Obj\x01", "an Avro file"))

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


def compression_of(path: Path) -> str | None:
    """The compression a file's name says (.gz, .zst, .bz2, .xz), or None."""
    return COMPRESSION_EXT.get(path.suffix.lower())


def file_format(path: Path) -> str | None:
    """The format a file's name says, compression suffix aside (None: it says none)."""
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] in COMPRESSION_EXT:
        suffixes = suffixes[:-1]
    return FORMAT_EXT.get(suffixes[-1] if suffixes else "")


def sniff(head: bytes) -> tuple[str | None, str | None]:
    """(format, what) from a file's first (decompressed) bytes: a format newsclean reads,
    or None and what the file looks like when it is some other binary."""
    if head.startswith(b"WARC/"):
        return "warc", None
    if head.startswith(b"PAR1"):
        return "parquet", None
    if head.startswith(b"%PDF-") or looks_binary(head):
        what = next((w for magic, w in BINARY_MAGIC if head.startswith(magic)), "binary data of an unknown kind")
        return None, what
    start = head.lstrip()[:512].lower()
    if start.startswith(codecs.BOM_UTF8):
        start = start[len(codecs.BOM_UTF8):].lstrip()
    if start.startswith(b"{"):
        return "jsonl", None
    if start.startswith((b"<!doctype html", b"<html", b"<?xml")) or b"<html" in start:
        return "html", None
    return "text", None


def open_binary(path: Path, compression: str | None):
    """A binary stream of the file's decompressed bytes."""
    if compression == "gzip":
        return gzip.open(path, "rb")
    if compression == "zstd":
        return io.BufferedReader(_ZstdReader(open(path, "rb")), buffer_size=1 << 20)
    if compression == "bz2":
        return bz2.open(path, "rb")
    if compression == "xz":
        return lzma.open(path, "rb")
    return open(path, "rb")


class _ZstdReader(io.RawIOBase):
    """A zstd file's bytes, frame after frame, that raises at the end of a file cut short
    (zstandard's own stream reader just stops there: a truncated file would pass as whole)."""

    CHUNK = 1 << 18

    def __init__(self, fh) -> None:
        self.fh = fh
        self.dobj = zstandard.ZstdDecompressor().decompressobj()
        self.pending = b""
        self.started = False  # a frame begun and not yet ended

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        while not self.pending:
            raw = self.fh.read(self.CHUNK)
            if not raw:
                if self.started:
                    raise zstandard.ZstdError("truncated zstd frame: the file is cut short")
                return 0
            self._feed(raw)
        n = min(len(b), len(self.pending))
        b[:n] = self.pending[:n]
        self.pending = self.pending[n:]
        return n

    def _feed(self, raw: bytes) -> None:
        while raw:
            self.started = True
            self.pending += self.dobj.decompress(raw)
            raw = b""
            if self.dobj.eof:  # a frame ended: what follows is the next frame's
                raw = self.dobj.unused_data
                self.dobj = zstandard.ZstdDecompressor().decompressobj()
                self.started = False

    def close(self) -> None:
        self.fh.close()
        super().close()


def _compression_by_magic(path: Path) -> str | None:
    with open(path, "rb") as fh:
        head = fh.read(8)
    return next((c for magic, c in COMPRESSION_MAGIC if head.startswith(magic)), None)


def doc_stem(path: Path) -> str:
    name = path.name
    suffix = Path(name).suffix
    if suffix.lower() in COMPRESSION_EXT:
        name = name[:-len(suffix)]
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


_CORRUPT = (OSError, EOFError, gzip.BadGzipFile, zlib.error, lzma.LZMAError, zstandard.ZstdError)


def _unreadable(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    if isinstance(exc, zlib.error):
        return f"corrupt deflate stream ({exc})"
    return str(exc) or type(exc).__name__


def _head(path: Path, compression: str | None, n: int = 65536) -> bytes:
    with open_binary(path, compression) as fh:
        return fh.read(n)


def read_file(path: Path, config: Config, explicit: bool = True) -> Iterator[Document | Reject]:
    """One file's documents. Its format is the one its name says; a name that says none
    is told by the first bytes (a file in a walked folder is read only when those show a
    format newsclean reads, not as plain text: a stray README is no page)."""
    fmt, compression = file_format(path), compression_of(path)
    try:
        if fmt is None:  # (a name that says its format is read as that: one open, no sniffing)
            compression = compression or _compression_by_magic(path)
            sniffed, what = sniff(_head(path, compression))
            if what is not None:
                yield Reject(str(path), "unsupported", f"looks like {what}, not text", doc_id=doc_stem(path))
                return
            if sniffed == "text" and not explicit:
                yield Reject(str(path), "unsupported", "no format newsclean reads: not text, HTML, JSONL, WARC, "
                             "Parquet or CSV by its name (.txt, .html, .jsonl, .warc, .parquet, .csv, .tsv; "
                             "compressed .gz/.zst/.bz2/.xz) or by its content")
                return
            fmt = sniffed
    except _CORRUPT as exc:
        yield Reject(str(path), "unreadable", _unreadable(exc), doc_id=doc_stem(path))
        return
    if fmt == "jsonl":
        yield from _read_jsonl_file(path, compression, config)
    elif fmt == "warc":
        yield from read_warc(path, compression, config)
    elif fmt == "parquet":
        yield from read_parquet(path, compression, config)
    elif fmt in ("csv", "tsv"):
        yield from read_csv(path, compression, config, delimiter="\t" if fmt == "tsv" else ",")
    else:
        yield from _read_page_file(path, compression, fmt, config)


def _read_page_file(path: Path, compression: str | None, fmt: str, config: Config) -> Iterator[Document | Reject]:
    try:
        with open_binary(path, compression) as fh:
            raw = fh.read()
    except _CORRUPT as exc:
        yield Reject(str(path), "unreadable", _unreadable(exc), doc_id=doc_stem(path))
        return
    source = {"path": str(path), "sha256": hashlib.sha256(raw).hexdigest(), "format": fmt}
    if looks_binary(raw):
        _, what = sniff(raw[:65536])
        yield Reject(str(path), "binary", f"NUL bytes: not a text file ({what or 'binary data'})",
                     doc_id=doc_stem(path))
        return
    text, how, replaced = decode(raw, html=(fmt == "html"), utf8_max_invalid=config.utf8_max_invalid)
    if not text.strip():
        yield Reject(str(path), "empty", "no text", doc_id=doc_stem(path))
        return
    source["encoding"] = how
    if replaced:
        source["replaced"] = replaced
    yield Document(doc_stem(path), text, fmt, source, url=None, site=str(path.parent))


def _read_jsonl_file(path: Path, compression: str | None, config: Config) -> Iterator[Document | Reject]:
    try:
        fh = open_binary(path, compression)
    except _CORRUPT as exc:
        yield Reject(str(path), "unreadable", _unreadable(exc))
        return
    with fh:
        # (the archive is read ahead in blocks: the offset is where reading had got to)
        gz = isinstance(fh, gzip.GzipFile)
        where = (lambda: f" near byte {fh.fileobj.tell():,} of the archive") if gz else None
        yield from read_jsonl_lines(fh, str(path), doc_stem(path), config, where)


# -- WARC / WET ---------------------------------------------------------------------------

def read_warc(path: Path, compression: str | None, config: Config) -> Iterator[Document | Reject]:
    """HTML responses (and resources) of a WARC as HTML documents, WET conversions as
    text; each with its record id, target URI and date in ``source``. A response that is
    not HTML is a Reject saying what it is; request, warcinfo and metadata records hold
    no page and are passed over. ``line`` is the record's number in the file. A record cut
    short (a truncated download, a damaged archive) ends the file with a Reject."""
    from fastwarc.warc import ArchiveIterator, WarcRecordType

    pages = WarcRecordType.response | WarcRecordType.resource | WarcRecordType.conversion | WarcRecordType.revisit
    stem, n = doc_stem(path), 0
    try:
        # FastWARC decompresses gzip and zstd itself (and faster); bz2 and xz come through Python.
        stream = str(path) if compression in (None, "gzip", "zstd") else open_binary(path, compression)
        for n, rec in enumerate(ArchiveIterator(stream, parse_http=False, fsspec_args=False), 1):
            declared = rec.headers.get("Content-Length")
            if declared is None or not declared.strip().isdigit():
                yield Reject(str(path), "unreadable", f"record {n} has no Content-Length: the file is cut short "
                             "or damaged here", line=n)
                return
            if not rec.record_type & pages:
                rec.reader.consume()
                continue
            if (rec.headers.get("Content-Type") or "").startswith("application/http"):
                rec.parse_http()
            payload = rec.reader.read()
            if len(payload) < rec.content_length:
                yield Reject(str(path), "unreadable", f"record {n} is cut short ({len(payload):,} of "
                             f"{rec.content_length:,} payload bytes): the file ends or is damaged here", line=n)
                return
            yield _warc_document(rec, payload, path, stem, n, config)
    except (OSError, ValueError) + _CORRUPT as exc:
        yield Reject(str(path), "unreadable", f"corrupt WARC after {n} records: {_unreadable(exc)}", line=n + 1)


def _warc_document(rec, payload: bytes, path: Path, stem: str, n: int, config: Config) -> Document | Reject:
    from fastwarc.warc import WarcRecordType

    h = rec.headers
    uri = h.get("WARC-Target-URI") or None
    rid = rec.record_id or f"{stem}-{n}"
    source = {"path": str(path), "format": "warc", "line": n, "warc_record_id": rid, "warc_type": h.get("WARC-Type"),
              "warc_target_uri": uri, "warc_date": h.get("WARC-Date")}
    # The crawler's payload digest names the content as well as a hash of ours would (and
    # hashing every payload again costs a seventh of reading); without one, sha256 it.
    digest = h.get("WARC-Payload-Digest")
    if digest:
        source["warc_payload_digest"] = digest
    else:
        source["sha256"] = hashlib.sha256(payload).hexdigest()
    doc_id = rid.removeprefix("<").removesuffix(">").removeprefix("urn:uuid:")
    if rec.record_type == WarcRecordType.revisit:
        return Reject(str(path), "unsupported", f"revisit record of {uri}: no payload of its own", line=n, doc_id=doc_id)
    if rec.record_type == WarcRecordType.conversion:
        fmt, ctype = "text", "text/plain"
    else:
        ctype = (rec.http_content_type if rec.is_http else h.get("Content-Type")) or ""
        fmt = "html" if ("html" in ctype.lower() or (not ctype and b"<html" in payload[:2048].lower())) else None
        if fmt is None:
            return Reject(str(path), "unsupported", f"WARC {h.get('WARC-Type')} of {uri} is {ctype or 'untyped'}, "
                          "not HTML", line=n, doc_id=doc_id)
    if uri:
        problem = url_problem(uri)
        if problem:
            return Reject(str(path), "bad-url", f"WARC-Target-URI {uri[:200]!r}: {problem}", line=n, doc_id=doc_id)
    if looks_binary(payload):
        return Reject(str(path), "binary", f"NUL bytes in the {ctype} payload of {uri}", line=n, doc_id=doc_id)
    charset = rec.http_charset if rec.is_http else None
    text = None
    if charset:
        try:
            text, how, replaced = payload.decode(charset), f"{charset.lower()}-http", 0
        except (LookupError, UnicodeDecodeError):
            text = None
    if text is None:
        text, how, replaced = decode(payload, html=(fmt == "html"), utf8_max_invalid=config.utf8_max_invalid)
    if not text.strip():
        return Reject(str(path), "empty", f"empty payload of {uri}", line=n, doc_id=doc_id)
    source["encoding"] = how
    if replaced:
        source["replaced"] = replaced
    return Document(doc_id, text, fmt, source, url=uri, site=site_of(uri, None))


# -- Parquet, CSV -------------------------------------------------------------------------

def read_parquet(path: Path, compression: str | None, config: Config) -> Iterator[Document | Reject]:
    """A Parquet file's rows, one row group at a time (memory holds one), read as JSONL
    records are (the same fields); ``line`` is the row's number, from 1."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    stem, n = doc_stem(path), 0
    try:
        if compression is None:
            pf = pq.ParquetFile(path)
        else:  # Parquet needs to seek: a compressed file is decompressed in memory first
            with open_binary(path, compression) as fh:
                pf = pq.ParquetFile(pa.BufferReader(fh.read()))
        for group in range(pf.num_row_groups):
            for row in pf.read_row_group(group).to_pylist():
                n += 1
                blob = orjson.dumps(row, default=str)  # dates, decimals, bytes: as JSON can hold them
                row = orjson.loads(blob)
                yield record_document(row, str(path), stem, n, config, hashlib.sha256(blob).hexdigest(), "parquet")
    except (OSError, pa.ArrowException) + _CORRUPT as exc:
        yield Reject(str(path), "unreadable", f"corrupt Parquet after {n} rows: {exc}", line=n + 1)


def read_csv(path: Path, compression: str | None, config: Config, delimiter: str = ",") -> Iterator[Document | Reject]:
    """A CSV (or TSV) file with a header row, each row read as a JSONL record is (its
    columns the fields); ``line`` is the line the row starts on."""
    stem = doc_stem(path)
    try:
        with open_binary(path, compression) as fh:
            raw = fh.read()
    except _CORRUPT as exc:
        yield Reject(str(path), "unreadable", _unreadable(exc))
        return
    if looks_binary(raw):
        yield Reject(str(path), "binary", "NUL bytes: not a CSV file")
        return
    text, how, _ = decode(raw, utf8_max_invalid=config.utf8_max_invalid)
    csv.field_size_limit(max(csv.field_size_limit(), len(text) + 1))  # a page in one cell is fine
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    start = 2
    try:
        for row in reader:
            line, start = start, reader.line_num + 1
            if None in row:
                yield Reject(str(path), "bad-record", f"{len(row[None])} more cells than the header has columns",
                             line=line)
                continue
            blob = orjson.dumps(row, option=orjson.OPT_SORT_KEYS)
            yield record_document({k: v for k, v in row.items() if v is not None}, str(path), stem, line, config,
                          hashlib.sha256(blob).hexdigest(), "tsv" if delimiter == "\t" else "csv",
                          None if how == "utf-8" else how)
    except csv.Error as exc:
        yield Reject(str(path), "bad-record", f"broken CSV: {exc}", line=reader.line_num)


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
    sha = hashlib.sha256(raw.rstrip(b"\r\n")).hexdigest()
    return record_document(rec, path, stem, lineno, config, sha, "jsonl", how, replaced)


GIVEN = ("title", "date", "lang")  # a record's own facts, used where the text gives none


def record_document(rec: dict, path: str, stem: str, lineno: int, config: Config, sha: str, fmt_name: str,
            how: str | None = None, replaced: int = 0) -> Document | Reject:
    """One record of a JSONL, Parquet or CSV file (a mapping of field → value) → Document."""
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
    source = {"path": path, "sha256": sha, "format": fmt_name, "line": lineno}
    if how is not None:  # not plain UTF-8
        source["encoding"] = how
        if replaced:
            source["replaced"] = replaced
    given = {k: rec[k] for k in GIVEN if isinstance(rec.get(k), str) and rec[k].strip()}
    meta = None
    if config.keep_fields:
        every = "*" in config.keep_fields
        body = {config.text_field, config.html_field}
        meta = {k: v for k, v in rec.items() if (k in config.keep_fields or (every and k not in body))}
    return Document(doc_id, content, fmt, source, url=url, site=site_of(url, None), given=given, meta=meta)
