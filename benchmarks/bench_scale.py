#!/usr/bin/env python3
"""A corpus of N generated pages cleaned and deduplicated by the CLI, as one process tree:
wall time, per-stage docs/s (from report.json: seconds summed over the workers, so docs
per core-second), and the peak memory of the whole tree (the parent and its workers,
proportional set size: pages the fork shares are counted once), sampled every 0.2 s.

    python benchmarks/bench_scale.py --docs 100000 1000000 [-j 2]

Memory should grow with the signatures kept for dedup, not with the texts (those wait in
the run's work folder on disk): compare the peaks of two sizes for bytes per document.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from generate import generate  # noqa: E402


def tree_memory(proc: psutil.Process) -> tuple[int, int]:
    """(RSS, PSS) summed over a process and its children, in bytes."""
    rss = pss = 0
    for p in [proc] + proc.children(recursive=True):
        try:
            m = p.memory_full_info()
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
        rss += m.rss
        pss += getattr(m, "pss", m.rss)
    return rss, pss


def run(path: Path, out: Path, jobs: int) -> dict:
    cmd = [sys.executable, "-m", "newsclean.cli", "clean", str(path), "-o", str(out), "-q", "-j", str(jobs)]
    t = time.perf_counter()
    proc = subprocess.Popen(cmd)
    ps = psutil.Process(proc.pid)
    peak_rss = peak_pss = 0
    while proc.poll() is None:
        try:
            rss, pss = tree_memory(ps)
        except psutil.NoSuchProcess:
            break
        peak_rss, peak_pss = max(peak_rss, rss), max(peak_pss, pss)
        time.sleep(0.2)
    wall = time.perf_counter() - t
    if proc.returncode != 0:
        raise SystemExit(f"newsclean failed ({proc.returncode})")
    report = json.loads((out / "report.json").read_text())
    return {"wall": wall, "peak_rss": peak_rss, "peak_pss": peak_pss, "report": report}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=int, nargs="+", default=[100_000])
    ap.add_argument("-j", "--jobs", type=int, default=2)
    ap.add_argument("--keep", action="store_true", help="keep the generated corpora and outputs")
    a = ap.parse_args()
    results = []
    with tempfile.TemporaryDirectory(prefix="nc-scale-") as tmp:
        for n in a.docs:
            path = Path(tmp) / f"corpus-{n}.jsonl"
            size = 0
            with open(path, "w", encoding="utf-8") as fh:
                for rec in generate(n):
                    line = json.dumps(rec, ensure_ascii=False) + "\n"
                    size += len(line.encode())
                    fh.write(line)
            r = run(path, Path(tmp) / f"out-{n}", a.jobs)
            r["docs"], r["mb"] = n, size / 1e6
            results.append(r)
            if not a.keep:
                path.unlink()
            sec = r["report"]["seconds"]
            c = r["report"]["counts"]
            print(f"\n{n:,} docs ({r['mb']:,.0f} MB), -j {a.jobs}: {r['wall']:,.0f} s wall, {n / r['wall']:,.0f} docs/s; "
                  f"peak memory of the process tree: RSS {r['peak_rss'] / 2**20:,.0f} MiB, "
                  f"PSS {r['peak_pss'] / 2**20:,.0f} MiB")
            print(f"  {c['clean']:,} clean, {c['duplicates']:,} duplicates, {c['rejects']:,} rejects")
            for stage, s in sorted(sec.items()):
                if s > 0 and stage != "total":
                    print(f"  {stage:12s} {s:9.1f} s  {n / s:9,.0f} docs/s (per core)")
    if len(results) > 1:
        a0, b0 = results[0], results[-1]
        per_doc = (b0["peak_pss"] - a0["peak_pss"]) / (b0["docs"] - a0["docs"])
        print(f"\nmemory grows by {per_doc:,.0f} bytes a document (PSS, {a0['docs']:,} → {b0['docs']:,} docs)")


if __name__ == "__main__":
    main()
