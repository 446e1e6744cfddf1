#!/usr/bin/env python3
"""Bytes a story that dedup keeps in memory: N stories added to a Deduper (a random
signature and ten paragraph keys each, as the cleaning steps hand them over; three in ten
an exact or near copy of an earlier one), then resolved. Reports the growth of this
process's RSS divided by N once the stories are added, and at the peak of resolve (its
bucket tables, candidate pairs and clusters on top). Run it in a fresh process per size:
the peak is the process's own high-water mark.

    python benchmarks/bench_dedup_memory.py [--stories 200000]
"""
from __future__ import annotations

import argparse
import gc
import resource
import time

import numpy as np
import psutil

from newsclean import DedupConfig
from newsclean.dedup import Deduper


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--stories", type=int, default=200_000)
    a = ap.parse_args()
    n, cfg = a.stories, DedupConfig()
    d = Deduper(cfg)
    gc.collect()
    proc = psutil.Process()
    before = proc.memory_info().rss
    chars = np.full(10, 200, np.uint32).tobytes()
    t = time.perf_counter()
    for i in range(n):
        src = i - 7 if i % 10 >= 7 and i >= 10 else i  # three in ten: a copy of an earlier story
        sig = np.random.default_rng(src).integers(0, 2**32, cfg.num_perm, dtype=np.uint32)
        if src != i and i % 2:
            sig[:4] ^= np.uint32(1)  # a near copy; the other copies are exact
        paras = np.random.default_rng(src + 10**9).integers(0, 2**63, 10, dtype=np.uint64).tobytes()
        d.add(f"https://news{i % 500}.example/story/{i}#0", "x" * 100, f"2025-01-{i % 28 + 1:02d}", sig, 300,
              exact=src * 7919 + (i % 2 if src != i else 0), paras=(paras, chars))
    gc.collect()
    added = proc.memory_info().rss
    out = d.resolve()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(f"{n} stories: {(added - before) / n:.0f} bytes a story once added (the signature's values "
          f"{cfg.num_perm * 4}), {(peak - before) / n:.0f} at the peak of resolve; {len(out)} duplicates; "
          f"{time.perf_counter() - t:.0f} s")


if __name__ == "__main__":
    main()
