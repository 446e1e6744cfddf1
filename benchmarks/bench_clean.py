#!/usr/bin/env python3
"""Throughput of the text cleaner (extract → clean → segment → the learned labeller) on
one core, and of the rules alone beside it, in the same run.

Reports MB/s of scraped text, cold (line-feature cache empty) and warm, best of three
runs, on the shared evaluation pages (eval/ and eval-wide/'s longer pages) when they are
there and on a generated corpus.

    python benchmarks/bench_clean.py [--docs 3000]
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import SHARED, generate  # noqa: E402

from newsclean import Config  # noqa: E402
from newsclean.clean import features  # noqa: E402
from newsclean.extract import extract  # noqa: E402
from newsclean.pipeline import process_page  # noqa: E402
from newsclean.records import Document  # noqa: E402


def run(texts: list[str], cfg: Config) -> float:
    t = time.perf_counter()
    for i, text in enumerate(texts):
        process_page(extract(Document(str(i), text, "text", {"path": "bench"}), cfg), cfg, sign=False)
    return time.perf_counter() - t


def report(name: str, texts: list[str], cfg: Config, repeat: int = 3) -> None:
    """Best of ``repeat`` runs (as timeit does: interference only ever adds time)."""
    mb = sum(len(t.encode()) for t in texts) / 1e6
    cold = warm = float("inf")
    for _ in range(repeat):
        features.cache_clear()
        cold = min(cold, run(texts, cfg))
        hits = features.cache_info()
        warm = min(warm, run(texts, cfg))
    share = hits.hits / max(1, hits.hits + hits.misses)
    print(f"{name:28s} {len(texts):6d} docs {mb:7.2f} MB | cold {mb / cold:5.2f} MB/s ({len(texts) / cold:6.0f} docs/s, "
          f"line cache hit {share:.0%}) | warm {mb / warm:5.2f} MB/s")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=int, default=3000, help="generated documents")
    ap.add_argument("--repeat", type=int, default=3, help="runs of each, the best reported")
    a = ap.parse_args()
    import gzip

    sets = []
    for name in ("eval/pages.jsonl", "eval-wide/pages.jsonl.gz"):
        path = SHARED / name
        if path.is_file():
            with (gzip.open if name.endswith(".gz") else open)(path, "rt", encoding="utf-8") as f:
                sets.append((f"shared/{name}", [json.loads(x)["text"] for x in f]))
        else:
            print(f"(../shared/{name} not here: skipped)")
    sets.append(("generated corpus", [d["text"] for d in generate(a.docs)]))
    for label, cfg in (("rules + labeller", Config()), ("rules alone", Config(labeller=False))):
        run(["warm up the stoplists and the model"], cfg)
        print(f"-- {label}")
        for name, texts in sets:
            report(name, texts, cfg, a.repeat)


if __name__ == "__main__":
    main()
