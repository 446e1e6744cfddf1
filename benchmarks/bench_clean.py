#!/usr/bin/env python3
"""Throughput of the text cleaner (extract → clean → segment → the learned labeller) on
one core, and of the rules alone beside it, in the same run; then the HTML path beside
trafilatura alone on the same pages.

Reports MB/s of scraped text (CPU time), cold (line-feature cache empty) and warm, best of three
runs, on the shared evaluation pages (eval/ and eval-wide/'s longer pages) when they are
there and on a generated corpus. The HTML path (trafilatura, then newsclean's passes) and
trafilatura.extract alone (comments off) run alternated on eval-wide/'s raw HTML, best of
three each. Everything runs under the garbage-collector settings the CLI uses
(newsclean.pipeline.batch_gc), for newsclean and trafilatura alike.

    python benchmarks/bench_clean.py [--docs 3000] [--html-pages 300]
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
from newsclean.pipeline import batch_gc, process_page  # noqa: E402
from newsclean.records import Document  # noqa: E402


def run(texts: list[str], cfg: Config) -> float:
    """CPU seconds of this process (the cleaner is single-threaded; other processes on
    this shared machine add wall time, not CPU time)."""
    t = time.process_time()
    for i, text in enumerate(texts):
        process_page(extract(Document(str(i), text, "text", {"path": "bench"}), cfg), cfg, sign=False)
    return time.process_time() - t


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


def stages(texts: list[str], cfg: Config, repeat: int) -> None:
    """Where the text cleaner's time goes, stage by stage (CPU ms a page, each stage's best
    of ``repeat`` runs, the line cache cold), and what the two models' prediction alone
    allows: the MB/s the cleaner could reach if everything else were free."""
    from newsclean.clean import block_features, clean
    from newsclean.labeller import Labeller, label, text_features
    from newsclean.segment import boundary_rows, segment, split_learned, strong_seam_possible

    lab_model, bound_model = Labeller.load(), Labeller.load("boundary")
    pages = [extract(Document(str(i), t, "text", {"path": "bench"}), cfg) for i, t in enumerate(texts)]
    pages = [p for p in pages if p.blocks]
    names = ("block features", "clean (rules)", "labeller features", "labeller prediction", "rules' seams",
             "boundary rows", "boundary prediction")
    best = dict.fromkeys(names, float("inf"))
    for _ in range(repeat):
        features.cache_clear()
        spent = dict.fromkeys(names, 0.0)
        for page in pages:
            clock = [time.process_time()]

            def tick(name: str) -> None:
                clock.append(time.process_time())
                spent[name] += clock[-1] - clock[-2]

            feats = block_features(page.blocks, cfg.rules)
            tick("block features")
            rules = clean(page, cfg, feats)
            tick("clean (rules)")
            rows = text_features(rules, feats[1], lab_model.words)
            tick("labeller features")
            lab_model.probabilities(rows)
            tick("labeller prediction")
            labelled = label(rules, lab_model, cfg, feats[1])  # features and prediction again:
            clock[-1] = time.process_time()  # timed above, not here
            strong = cfg.segmenting.rules_strong_seams and strong_seam_possible(rules, cfg)
            seams = segment(rules, cfg).seams if strong else {}
            tick("rules' seams")
            _, brows = boundary_rows(labelled, feats[1], cfg.segmenting)
            tick("boundary rows")
            bound_model.probabilities(brows)
            tick("boundary prediction")
            split_learned(labelled, bound_model, cfg, feats[1], seams)  # rows and prediction again, timed above
            clock[-1] = time.process_time()
        best = {k: min(best[k], spent[k]) for k in names}
    mb = sum(len(t.encode()) for t in texts) / 1e6
    for name in names:
        print(f"  {name:22s} {best[name] / len(pages) * 1000:6.2f} ms a page")
    predict = best["labeller prediction"] + best["boundary prediction"]
    print(f"  the two models' prediction alone: {mb / predict:.2f} MB/s (the cleaner's ceiling were all else free)")


def html_path(pages: list[dict], repeat: int) -> None:
    """newsclean's HTML path against trafilatura alone, alternated page by page (this
    machine's speed drifts by a fifth over minutes: whole passes one after the other
    measured the drift as much as the code), each page's best of ``repeat``."""
    import logging

    import trafilatura

    logging.getLogger("trafilatura").setLevel(logging.CRITICAL)
    cfg = Config(html_field="html")

    def ours(p: dict) -> None:
        doc = Document(p["id"], p["html"], "html", {"path": "bench"}, url=p.get("url"))
        process_page(extract(doc, cfg), cfg, sign=False)

    def alone(p: dict) -> None:
        trafilatura.extract(p["html"], url=p.get("url"), include_comments=False)

    ours(pages[0])  # the model loaded, the stoplists read
    names = ("newsclean HTML path", "trafilatura alone")
    best = {name: [float("inf")] * len(pages) for name in names}
    for r in range(repeat):
        for k, p in enumerate(pages):
            pair = ((names[0], ours), (names[1], alone))
            for name, fn in (pair if (r + k) % 2 == 0 else pair[::-1]):
                t = time.perf_counter()
                fn(p)
                best[name][k] = min(best[name][k], time.perf_counter() - t)
    mb = sum(len(p["html"].encode()) for p in pages) / 1e6
    total = {name: sum(times) for name, times in best.items()}
    for name, secs in total.items():
        print(f"{name:28s} {len(pages):6d} docs {mb:7.2f} MB of HTML | {len(pages) / secs:6.1f} docs/s")
    print(f"  newsclean / trafilatura time: {total[names[0]] / total[names[1]]:.2f}x")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=int, default=3000, help="generated documents")
    ap.add_argument("--repeat", type=int, default=3, help="runs of each, the best reported")
    ap.add_argument("--html-pages", type=int, default=300, help="eval-wide HTML pages for the HTML path (0: skip)")
    ap.add_argument("--only", choices=("text", "html"), help="measure only the text cleaner or only the HTML path")
    ap.add_argument("--stages", action="store_true", help="with --wide-pages: the time of each stage of the text "
                    "cleaner, and the ceiling the models' prediction sets")
    ap.add_argument("--wide-pages", type=int, help="the text cleaner (rules + labeller) on eval-wide's first N pages "
                    "only: to compare two checkouts, run each in turn (PYTHONPATH=OTHER/src)")
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
    configs = [("rules + labeller", Config()), ("rules alone", Config(labeller=False))] if a.only != "html" else []
    if a.wide_pages:
        sets = [(f"shared/eval-wide, first {a.wide_pages}", texts[:a.wide_pages]) for name, texts in sets
                if "eval-wide" in name]
        configs, a.html_pages = configs[:1], 0
    else:
        sets.append(("generated corpus", [d["text"] for d in generate(a.docs)]))
    for label, cfg in configs:
        run(["warm up the stoplists and the model"], cfg)
        print(f"-- {label}")
        for name, texts in sets:
            report(name, texts, cfg, a.repeat)
            if a.stages and a.wide_pages:
                stages(texts, cfg, a.repeat)
    html = SHARED / "eval-wide/html.jsonl.gz"
    if a.html_pages and html.is_file() and a.only != "text":
        with gzip.open(html, "rt", encoding="utf-8") as f:
            pages = [json.loads(x) for _, x in zip(range(a.html_pages), f)]
        print("-- HTML path (eval-wide/html.jsonl.gz)")
        html_path(pages, a.repeat)


if __name__ == "__main__":
    with batch_gc():
        main()
