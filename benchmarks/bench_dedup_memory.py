#!/usr/bin/env python3
"""Bytes a story that dedup keeps in memory: N stories added to a Deduper (random
signatures and ten paragraph keys each, as the cleaning steps hand them over), the growth
of this process's RSS divided by N. What a long run's memory grows by in dedup, apart
from the bucket tables its staged verification builds at the end.

    python benchmarks/bench_dedup_memory.py [--stories 200000]
"""
from __future__ import annotations

import argparse
import gc

import numpy as np
import psutil

from newsclean import DedupConfig
from newsclean.dedup import Deduper


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--stories", type=int, default=200_000)
    a = ap.parse_args()
    cfg = DedupConfig()
    rng = np.random.default_rng(0)
    sigs = rng.integers(0, 2 ** 32, size=(1000, cfg.num_perm), dtype=np.uint32)
    paras = rng.integers(0, 2 ** 63, size=(1000, 10), dtype=np.uint64)
    d = Deduper(cfg)
    gc.collect()
    before = psutil.Process().memory_info().rss
    for i in range(a.stories):
        sig = sigs[i % 1000].copy()
        sig[0] = i  # every story its own signature and paragraphs
        p = paras[i % 1000].copy()
        p[0] = i
        chars = np.full(10, 200, np.uint32).tobytes()
        d.add(f"doc-{i:08d}#0", "x" * 100, "2025-01-01", sig, 300, exact=i * 7919, paras=(p.tobytes(), chars))
    gc.collect()
    grown = psutil.Process().memory_info().rss - before
    print(f"{a.stories} stories: {grown / a.stories:.0f} bytes a story in the Deduper "
          f"(of which the signature's values {cfg.num_perm * 4})")


if __name__ == "__main__":
    main()
