"""Floors on the shared evaluation sets (skipped where ../shared is absent): they fail
when a change makes the cleaner worse on real pages from sites the rules never saw."""
import json
import subprocess
import sys

from .conftest import ROOT

NATURAL_F1_FLOOR = 0.93  # issue: text-only cleaning of naive scrapes
# In-page repeats and appended stories. The learned boundaries (models/boundary.txt) trade
# eval/'s split recall (0.97 by the rules, out of fold; 0.94 shipped) for eval-wide/'s
# (0.46 by the rules, 0.85 out of fold): the floors are the shipped model's, less a little.
SPLIT_RECALL_FLOOR = 0.93
SPLIT_PRECISION_FLOOR = 0.95
REPEATED_CEILING = 0.01  # body paragraphs printed twice
CHANGED_GAP = 0.02  # changed pages' F1 within this of the natural pages'
DEDUP_FLOOR = {"pair_precision": 0.98, "pair_recall": 0.95}


def score(shared, tmp_path, name, *extra, scorer="score_pages.py"):
    out = tmp_path / name
    res = subprocess.run([sys.executable, "-m", "newsclean.cli", "clean", str(shared / "eval" / f"{name}.jsonl"),
                          "-o", str(out), "-q", *extra], cwd=ROOT, capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    res = subprocess.run([sys.executable, str(shared / "tools" / scorer),
                          str(shared / "eval" / f"{name}.gold.jsonl"), str(out), "--json"],
                         capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout.splitlines()[0])


def test_text_pages_floor(shared, tmp_path):
    figures = score(shared, tmp_path, "pages")
    assert figures["lost"] == 0
    assert figures["natural_f1"] >= NATURAL_F1_FLOOR, figures
    assert figures["split_recall"] >= SPLIT_RECALL_FLOOR, figures
    assert figures["split_precision"] >= SPLIT_PRECISION_FLOOR, figures
    assert figures["repeated"] <= REPEATED_CEILING, figures
    assert figures["changed_f1"] >= figures["natural_f1"] - CHANGED_GAP, figures


def test_corpus_dedup_floor(shared, tmp_path):
    figures = score(shared, tmp_path, "corpus", scorer="score_dedup.py")
    assert figures["lost"] == 0
    assert all(figures[k] >= v for k, v in DEDUP_FLOOR.items()), figures
    assert min(figures["variant_recall"].values()) >= 0.9, figures


def test_html_path_is_never_below_trafilatura_alone(shared, tmp_path):
    """The HTML path against trafilatura alone (its defaults, comments off) on the same
    pages, both scored by the same scorer: newsclean may add structure, never lose text."""
    import logging

    import trafilatura

    logging.getLogger("trafilatura").setLevel(logging.CRITICAL)
    figures = score(shared, tmp_path, "html", "--html-field", "html", "--no-dedup")
    assert figures["lost"] == 0
    alone = tmp_path / "alone"
    alone.mkdir()
    with open(shared / "eval" / "html.jsonl", encoding="utf-8") as f, open(alone / "clean.jsonl", "w") as out:
        for line in f:
            r = json.loads(line)
            text = trafilatura.extract(r["html"], url=r.get("url"), include_comments=False) or ""
            out.write(json.dumps({"doc_id": r["id"], "story": 0, "text": text}) + "\n")
    res = subprocess.run([sys.executable, str(shared / "tools" / "score_pages.py"),
                          str(shared / "eval" / "html.gold.jsonl"), str(alone), "--json"], capture_output=True, text=True)
    reference = json.loads(res.stdout.splitlines()[0])
    assert figures["natural_f1"] >= reference["natural_f1"] - 0.0005, (figures, reference)


def test_a_corpus_crawled_three_times_keeps_every_story(shared, tmp_path):
    """Every page of the shared corpus three times under distinct ids: three
    clean-or-duplicate records per story, no page wiped by its own copies."""
    tripled = tmp_path / "corpus3.jsonl"
    with open(shared / "eval" / "corpus.jsonl", encoding="utf-8") as f:
        recs = [json.loads(line) for line in f if line.strip()]
    tripled.write_text("".join(json.dumps(dict(r, id=f"{r['id']}-{k}")) + "\n" for k in range(3) for r in recs))
    out = tmp_path / "out"
    res = subprocess.run([sys.executable, "-m", "newsclean.cli", "clean", str(tripled), "-o", str(out), "-q"],
                         cwd=ROOT, capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    rejects = [json.loads(x) for x in (out / "rejects.jsonl").read_text().splitlines()]
    assert not [r for r in rejects if r["reason"] == "no-body"]
    from collections import Counter
    per_story = Counter()
    for name in ("clean.jsonl", "duplicates.jsonl"):
        for line in (out / name).read_text().splitlines():
            r = json.loads(line)
            per_story[(r["doc_id"].rsplit("-", 1)[0], r["story"])] += 1
    assert len({doc for doc, _ in per_story}) == len(recs) - len(rejects) // 3
    assert set(per_story.values()) == {3}
