#!/usr/bin/env python3
"""Throughput, memory and quality of newsclean, stage by stage, beside the alternatives.

On a generated scraped corpus (benchmarks/generate.py) it measures, on one core:
  clean        read → extract → clean → segment (the text cleaner)
  signature    word 5-gram shingling + vectorised MinHash (newsclean)
  lsh          banded LSH insert + candidate verification (newsclean)
  sig+lsh      the two together, per document
  datasketch   MinHash.bulk + MinHashLSH on the same shingles
  rensa        RMinHash + RMinHashLSH on the same shingles (Python shingling)
then the whole CLI at -j 1 and -j all, and the pipeline a user would otherwise assemble
(C4 line rules + datasketch MinHash LSH). Peak RSS is the process's after each stage.
Quality figures come from ../shared/eval when it is there.

    python benchmarks/bench_pipeline.py --docs 20000
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from baseline_c4_lsh import c4_lines  # noqa: E402
from generate import SHARED, generate  # noqa: E402

from newsclean import Config  # noqa: E402
from newsclean.clean import clean  # noqa: E402
from newsclean.dedup import Deduper, sketch_many, words  # noqa: E402
from newsclean.pipeline import SIGN_BATCH, batch_gc  # noqa: E402
from newsclean.extract import extract  # noqa: E402
from newsclean.records import Document  # noqa: E402
from newsclean.segment import segment, stories  # noqa: E402

ROWS: list[tuple] = []


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def row(stage: str, n: int, mb: float, seconds: float, note: str = "") -> None:
    ROWS.append((stage, n, n / seconds, mb / seconds if mb else None, rss_mb(), note))
    r = ROWS[-1]
    mbs = f"{r[3]:7.2f}" if r[3] is not None else "      -"
    print(f"{stage:34s} {n:8d} docs {r[2]:9.0f} docs/s {mbs} MB/s  peak RSS {r[4]:7.0f} MB  {note}", flush=True)


def shingle_strings(text: str, n: int = 5) -> list[bytes]:
    w = words(text)
    return [" ".join(w[i:i + n]).encode() for i in range(max(1, len(w) - n + 1))]


def bench_alternatives(texts: list[str], cfg) -> None:
    from datasketch import MinHash, MinHashLSH

    n = len(texts)
    t = time.perf_counter()
    sh = [shingle_strings(x) for x in texts]
    t_sh = time.perf_counter() - t
    t = time.perf_counter()
    sigs = MinHash.bulk(sh, num_perm=cfg.num_perm, seed=cfg.seed, scheme=cfg.scheme)
    lsh = MinHashLSH(num_perm=cfg.num_perm, params=(cfg.bands, cfg.rows))
    for i, m in enumerate(sigs):
        lsh.query(m)
        lsh.insert(i, m, check_duplication=False)
    row("datasketch bulk+LSH (+shingling)", n, 0, time.perf_counter() - t + t_sh, "MinHash.bulk, MinHashLSH")
    try:
        from rensa import RMinHash, RMinHashLSH
    except ImportError:
        print("rensa not installed (pip install rensa): skipped")
        return
    t = time.perf_counter()
    lsh = RMinHashLSH(threshold=0.5, num_perm=cfg.num_perm, num_bands=cfg.bands)
    for i, x in enumerate(texts):
        m = RMinHash(num_perm=cfg.num_perm, seed=cfg.seed)
        m.update([s.decode() for s in shingle_strings(x)])
        lsh.query(m)
        lsh.insert(i, m)
    row("rensa RMinHash+LSH (+shingling)", n, 0, time.perf_counter() - t, "Python shingling")


def bench_stages(docs: list[dict]) -> list[str]:
    cfg = Config()
    texts = [d["text"] for d in docs]
    mb = sum(len(x.encode()) for x in texts) / 1e6
    t = time.perf_counter()
    bodies = []
    for d in docs:
        page = extract(Document(d["id"], d["text"], "text", {"path": "bench"}, url=d["url"]), cfg)
        bodies += [s.text for s in stories(segment(clean(page, cfg), cfg), cfg) if s.text]
    row("clean (extract+clean+segment)", len(docs), mb, time.perf_counter() - t)
    bmb = sum(len(x.encode()) for x in bodies) / 1e6
    print(f"  ({len(bodies)} stories, mean {1e6 * bmb / max(1, len(bodies)):.0f} bytes of clean text)")
    t = time.perf_counter()
    signed = []
    for i in range(0, len(bodies), SIGN_BATCH):
        signed += sketch_many(bodies[i:i + SIGN_BATCH], cfg.dedup)
    t_sig = time.perf_counter() - t
    row("signature (shingle+MinHash)", len(bodies), bmb, t_sig, f"numpy, batches of {SIGN_BATCH}, affine32")
    d = Deduper(cfg.dedup)
    t = time.perf_counter()
    for i, (x, (sig, size, exact)) in enumerate(zip(bodies, signed)):
        d.add(f"{i}#0", x, None, sig, size, exact)
    d.resolve()
    t_lsh = time.perf_counter() - t
    row("lsh (insert+verify+resolve)", len(bodies), bmb, t_lsh, f"{d.candidates} candidate pairs verified")
    row("newsclean sig+LSH per core", len(bodies), bmb, t_sig + t_lsh, "the issue's ≥ 5,000 docs/s figure")
    bench_alternatives(bodies, cfg.dedup)
    return bodies


def bench_cli(path: str, n: int, mb: float, repeat: int = 3, label: str = "") -> None:
    """End to end, as a user runs them (process start, imports, reading, writing): the
    CLI at -j 1 and on every core, and the C4 + datasketch script, alternated (interference
    only ever adds time), best of ``repeat``."""
    cores = str(os.cpu_count() or 1)
    runs = {f"newsclean CLI -j {j}": [sys.executable, "-m", "newsclean.cli", "clean", path, "-o",
                                      tempfile.mkdtemp(prefix="nc-bench-"), "-q", "-j", j] for j in ("1", cores)}
    runs["C4 + datasketch script (one core)"] = [sys.executable, str(HERE / "baseline_c4_lsh.py"), path,
                                                 tempfile.mktemp(suffix=".jsonl", prefix="nc-base-")]
    best: dict[str, float] = {}
    notes: dict[str, str] = {}
    for _ in range(repeat):
        for name, cmd in runs.items():
            t = time.perf_counter()
            res = subprocess.run(cmd, capture_output=True, text=True)
            dt = time.perf_counter() - t
            if res.returncode != 0:
                print(res.stderr)
                return
            best[name] = min(best.get(name, float("inf")), dt)
            if "-o" in cmd:
                rep = json.loads(Path(cmd[cmd.index("-o") + 1], "report.json").read_text())
                notes[name] = f"clean {rep['counts']['clean']}, duplicates {rep['counts']['duplicates']}"
            else:
                notes[name] = res.stderr.strip()
    base = best["C4 + datasketch script (one core)"]
    print(f"\nend to end on {label or path} ({n:,} docs, {mb:.1f} MB), best of {repeat} alternated:")
    for name, dt in best.items():
        ROWS.append((name, n, n / dt, mb / dt, None, notes[name]))
        print(f"  {name:36s} {dt:7.2f} s {n / dt:8.0f} docs/s {mb / dt:6.2f} MB/s  {base / dt:5.2f}× the script  "
              f"{notes[name]}", flush=True)


def real_corpus() -> tuple[str, int, float] | None:
    """../shared/eval-wide/corpus.jsonl.gz: real scraped pages, with syndicated copies."""
    path = SHARED / "eval-wide" / "corpus.jsonl.gz"
    if not path.exists():
        return None
    import gzip
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        texts = [json.loads(line).get("text", "") for line in fh]
    return str(path), len(texts), sum(len(t.encode()) for t in texts) / 1e6


def bench_baseline(docs: list[dict], mb: float) -> None:
    from datasketch import MinHash, MinHashLSH

    t = time.perf_counter()
    lsh = MinHashLSH(threshold=0.8, num_perm=128)
    dups = 0
    for i, d in enumerate(docs):
        body = c4_lines(d["text"])
        m = MinHash(num_perm=128, scheme="affine32")
        m.update_batch(shingle_strings(body))
        if lsh.query(m):
            dups += 1
        else:
            lsh.insert(i, m, check_duplication=False)
    row("C4 rules + datasketch LSH, in process", len(docs), mb, time.perf_counter() - t, f"{dups} duplicates")


def quality() -> None:
    if not (SHARED / "eval").is_dir():
        print("(../shared/eval not here: quality figures skipped)")
        return
    for name, scorer, extra in [("pages", "score_pages.py", []), ("corpus", "score_dedup.py", []),
                                ("html", "score_pages.py", ["--html-field", "html"])]:
        out = tempfile.mkdtemp(prefix="nc-q-")
        subprocess.run([sys.executable, "-m", "newsclean.cli", "clean", str(SHARED / "eval" / f"{name}.jsonl"),
                        "-o", out, "-q", *extra], check=True)
        res = subprocess.run([sys.executable, str(SHARED / "tools" / scorer),
                              str(SHARED / "eval" / f"{name}.gold.jsonl"), out], capture_output=True, text=True)
        print(f"quality {name:7s} {res.stdout.strip().splitlines()[-1]}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=int, default=20000)
    ap.add_argument("--no-cli", action="store_true", help="skip the end-to-end CLI runs")
    ap.add_argument("--repeat", type=int, default=3, help="end-to-end runs of each, alternated (best is reported)")
    ap.add_argument("--only-cli", action="store_true", help="only the end-to-end runs (real pages, then generated)")
    a = ap.parse_args()
    docs = list(generate(a.docs))
    mb = sum(len(d["text"].encode()) for d in docs) / 1e6
    print(f"generated {len(docs)} scraped pages, {mb:.1f} MB; {os.cpu_count()} cores\n")
    if not a.only_cli:
        with batch_gc():  # the collector as the CLI sets it, for newsclean and the alternatives alike
            bench_stages(docs)
            bench_baseline(docs, mb)
    if not a.no_cli:
        real = real_corpus()
        if real is not None:
            bench_cli(*real, repeat=a.repeat, label="eval-wide/corpus.jsonl.gz (real pages)")
        with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as f:
            for d in docs:
                f.write(json.dumps(d) + "\n")
        bench_cli(f.name, len(docs), mb, repeat=a.repeat, label="the generated corpus")
        os.unlink(f.name)
    if not a.only_cli:
        quality()


if __name__ == "__main__":
    main()
