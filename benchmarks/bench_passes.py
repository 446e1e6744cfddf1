#!/usr/bin/env python3
"""The corpus passes the run's driver makes — template counting and dedup — at sizes a
whole run does not reach in an afternoon on two cores (a million generated pages is about
2.5 hours of cleaning there; the cleaner's cost a page is fixed, its caches bounded, so
bench_scale.py measures it at 100,000). Each size runs in a fresh process, one core:

1. read: the generated pages, streamed from a JSONL file (written first, in another process);
2. extract + count: newsclean's text extraction and the template counts (TemplateCounter),
   then the counts frozen into the table the cleaning steps get;
3. sign: each page's extracted text signed as one story (sketch_many, paragraph_keys) —
   the cleaner's stories would be shorter; what dedup holds a story does not depend on it;
4. dedup: every signature added to a Deduper, then resolved (exact copies, bucket shuffle,
   verification, clusters).

Reports docs/s per pass (CPU time) and the process's memory above its start, in bytes a
document: the most RSS sampled during each pass, the RSS after it, and the process's
high-water mark.

    python benchmarks/bench_passes.py --docs 100000 1000000
"""
from __future__ import annotations

import argparse
import gc
import json
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
BATCH = 256  # pages extracted at a time


def write_corpus(path: Path, n: int) -> None:
    # (in a process of its own: generate keeps what it published, and a child forked from
    # a big parent inherits its high-water mark, which would pass for the child's peak)
    subprocess.run([sys.executable, str(HERE / "generate.py"), "--docs", str(n), "-o", str(path)], check=True)


def measure(path: Path) -> dict:
    import orjson
    import psutil

    from newsclean import Config
    from newsclean.dedup import Deduper, paragraph_keys, sketch_many
    from newsclean.records import Document
    from newsclean.steps import SIGN_BATCH, extract_batch
    from newsclean.templates import TemplateCounter, page_keys

    cfg = Config()
    proc = psutil.Process()
    gc.collect()
    start = proc.memory_info().rss
    out: dict = {"passes": {}, "rss": {}, "peak_in": {}}
    phase = {"name": ""}

    def sample():  # the high-water mark of each pass, every 20 ms
        while True:
            k = phase["name"]
            out["peak_in"][k] = max(out["peak_in"].get(k, 0), proc.memory_info().rss - start)
            time.sleep(0.02)

    threading.Thread(target=sample, daemon=True).start()
    counter = TemplateCounter.for_config(cfg)
    texts_file = path.with_suffix(".texts")
    n = 0

    def timed(name, fn):
        phase["name"] = name
        t = time.process_time()
        fn()
        out["passes"][name] = time.process_time() - t
        gc.collect()
        out["rss"][name] = proc.memory_info().rss - start

    def count():
        nonlocal n
        with open(path, "rb") as fh, open(texts_file, "wb") as keep:
            batch = []

            def flush():
                for ex, hashes, _ in extract_batch(batch, cfg):
                    counter.observe(ex.site, set(hashes), page_keys(ex.url, hashes))
                    keep.write(orjson.dumps([ex.doc_id, ex.text]) + b"\n")
                batch.clear()

            for line in fh:
                r = orjson.loads(line)
                batch.append(Document(r["id"], r["text"], "text", {"path": str(path)}, url=r["url"],
                                      site=r["url"].split("/")[2]))
                n += 1
                if len(batch) == BATCH:
                    flush()
            flush()

    timed("extract + count", count)
    templates = []
    timed("freeze", lambda: templates.append(counter.freeze()))
    out["template_lines"] = sum(len(t) for t in templates[0].lines.values())
    del counter, templates
    deduper = Deduper(cfg.dedup)

    def sign():
        with open(texts_file, "rb") as fh:
            batch = []

            def flush():
                for (doc_id, text), (sig, size, exact) in zip(batch, sketch_many([t for _, t in batch], cfg.dedup)):
                    deduper.add(f"{doc_id}#0", text, None, sig, size, exact,
                                paragraph_keys(text, cfg.dedup.para_min_chars))
                batch.clear()

            for line in fh:
                batch.append(orjson.loads(line))
                if len(batch) == SIGN_BATCH:  # (as the cleaning steps sign)
                    flush()
            flush()

    timed("sign + add", sign)
    decisions = []
    timed("dedup (resolve)", lambda: decisions.append(deduper.resolve()))
    texts_file.unlink()
    out["docs"], out["duplicates"] = n, len(decisions[0])
    out["peak"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - start
    out["stats"] = deduper.stats()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=int, nargs="+", default=[100_000])
    ap.add_argument("--measure", metavar="CORPUS", help=argparse.SUPPRESS)  # (the child process)
    a = ap.parse_args()
    if a.measure:
        print(json.dumps(measure(Path(a.measure))))
        return
    with tempfile.TemporaryDirectory(prefix="nc-passes-") as tmp:
        for n in a.docs:
            path = Path(tmp) / f"corpus-{n}.jsonl"
            write_corpus(path, n)
            res = subprocess.run([sys.executable, __file__, "--measure", str(path)], capture_output=True, text=True)
            if res.returncode:
                raise SystemExit(res.stderr)
            r = json.loads(res.stdout)
            path.unlink()
            print(f"\n{n:,} generated pages: {r['duplicates']:,} duplicates, {r['template_lines']:,} template lines "
                  f"counted; peak {r['peak'] / 2**20:,.0f} MiB above the start ({r['peak'] / n:,.0f} bytes a document)")
            st = r["stats"]
            print(f"  dedup: {st['candidate_pairs']:,} candidate pairs verified, {st['rejected_pairs']:,} rejected by "
                  f"the paragraph test; matched {st['matched']}")
            for name, s in r["passes"].items():
                print(f"  {name:16s} {s:8.1f} s CPU  {n / max(s, 1e-9):10,.0f} docs/s   "
                      f"RSS at most {r['peak_in'][name] / n:6,.0f}, after {r['rss'][name] / n:6,.0f} bytes a document")


if __name__ == "__main__":
    main()
