#!/usr/bin/env python3
"""WARC reading speed: records/s through newsclean's reader alone (FastWARC, the record
checks, decoding into Documents) beside warcio reading the same file (iterating the
records, reading each HTML payload) — whole processes, alternated, best of several.

The WARC is made from the shared eval-wide HTML pages (real pages, about 80 KB each),
repeated to ``--records`` responses, each with its request record, one gzip member per
record as crawlers write them.

    python benchmarks/bench_read.py [--records 5000] [--repeat 3]
"""
from __future__ import annotations

import argparse
import base64
import gzip
import hashlib
import json
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import SHARED  # noqa: E402


def pages() -> list[tuple[str, bytes]]:
    path = SHARED / "eval-wide" / "html.jsonl.gz"
    if path.exists():
        with gzip.open(path, "rt") as fh:
            rows = [json.loads(line) for line in fh]
        return [(r.get("url") or f"https://example.org/{i}", r["html"].encode()) for i, r in enumerate(rows)]
    body = "".join(f"<p>Paragraph {k} of a generated page about the harbour council.</p>" for k in range(200))
    return [(f"https://site{i}.example/story", f"<html><body><article>{body}</article></body></html>".encode())
            for i in range(50)]


def record(wtype: str, uri: str, block: bytes, ctype: str, n: int, payload: bytes | None = None) -> bytes:
    # A payload digest on responses, as crawlers (Common Crawl, Heritrix, wget) write them.
    digest = "" if payload is None else \
        f"WARC-Payload-Digest: sha1:{base64.b32encode(hashlib.sha1(payload).digest()).decode()}\r\n"
    head = (f"WARC/1.0\r\nWARC-Type: {wtype}\r\nWARC-Record-ID: <urn:uuid:{uuid.UUID(int=n)}>\r\n"
            f"WARC-Date: 2026-11-01T10:00:00Z\r\nWARC-Target-URI: {uri}\r\n{digest}Content-Type: {ctype}\r\n"
            f"Content-Length: {len(block)}\r\n\r\n").encode()
    return gzip.compress(head + block + b"\r\n\r\n", compresslevel=6, mtime=0)


def write_warc(path: Path, n_records: int) -> int:
    src = pages()
    size = 0
    with open(path, "wb") as fh:
        for i in range(n_records):
            uri, html = src[i % len(src)]
            http = b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n\r\n" + html
            fh.write(record("request", uri, b"GET / HTTP/1.1\r\n\r\n", "application/http; msgtype=request", 2 * i))
            fh.write(record("response", uri, http, "application/http; msgtype=response", 2 * i + 1, html))
            size += len(html)
    return size


NEWSCLEAN = """
import sys, time
from newsclean import Config, read_inputs
t = time.perf_counter()
n = sum(1 for d in read_inputs([sys.argv[1]], Config()) if getattr(d, "fmt", None) == "html")
print(n, time.perf_counter() - t)
"""

WARCIO = """
import sys, time
from warcio.archiveiterator import ArchiveIterator
t = time.perf_counter()
n = 0
with open(sys.argv[1], "rb") as fh:
    for rec in ArchiveIterator(fh):
        if rec.rec_type == "response" and "html" in (rec.http_headers.get_header("Content-Type") or ""):
            rec.content_stream().read().decode("utf-8", "replace")
            n += 1
print(n, time.perf_counter() - t)
"""

FASTWARC = """
import sys, time
from fastwarc.warc import ArchiveIterator, WarcRecordType
t = time.perf_counter()
n = 0
for rec in ArchiveIterator(sys.argv[1], record_types=WarcRecordType.response, parse_http=True):
    if "html" in (rec.http_content_type or ""):
        rec.reader.read().decode("utf-8", "replace")
        n += 1
print(n, time.perf_counter() - t)
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--records", type=int, default=5000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        warc = Path(tmp) / "bench.warc.gz"
        html_bytes = write_warc(warc, args.records)
        print(f"WARC: {args.records:,} HTML responses (+ as many requests), {html_bytes / 1e6:.0f} MB of HTML, "
              f"{warc.stat().st_size / 1e6:.0f} MB gzipped")
        readers = {"newsclean (read_inputs → Documents)": NEWSCLEAN, "warcio (payloads read)": WARCIO,
                   "fastwarc alone (payloads read)": FASTWARC}
        best: dict[str, float] = {}
        for _ in range(args.repeat):  # alternated: interference only ever adds time
            for name, code in readers.items():
                t = time.perf_counter()
                out = subprocess.run([sys.executable, "-c", code, str(warc)], check=True, capture_output=True,
                                     text=True).stdout.split()
                wall = time.perf_counter() - t
                assert int(out[0]) == args.records, (name, out)
                best[name] = min(best.get(name, float("inf")), wall)
        base = best["warcio (payloads read)"]
        print(f"{'reader':40} {'s (process)':>12} {'records/s':>10} {'vs warcio':>10}")
        for name, s in best.items():
            print(f"{name:40} {s:12.2f} {args.records / s:10,.0f} {base / s:9.2f}×")


if __name__ == "__main__":
    main()
