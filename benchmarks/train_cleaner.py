#!/usr/bin/env python3
"""Train the line labellers (newsclean.labeller) and estimate how they carry to new sites.

    python benchmarks/train_cleaner.py                # cross-validate, then write the models
    python benchmarks/train_cleaner.py --folds 5 --no-write [--only text|html]

The text model: the natural pages of ../shared/eval/ and ../shared/eval-wide/ (full gold:
every line is labelled by matching the gold body as token 3-grams, which is blind to the
quotes and spaces the gold straightens) and ../shared/eval-snippets/ (partial labels: a
line holding a must-have snippet is body, one holding a must-not is not; the rest is
unlabelled). The HTML model: the same three sets' raw HTML through newsclean's extraction
(trafilatura), its lines labelled the same way. Folds are grouped by site (URL host): no
site is on both sides. Prints, per set, the out-of-fold figures without the model (the
rules alone; trafilatura alone) and with it — bag-of-words F1 of the body (as
score_pages.py) and snippet F1 (as score_snippets.py) — and writes the models trained on
everything to src/newsclean/models/labeller.txt and labeller-html.txt (LightGBM's text
format) unless --no-write. About ten minutes on two cores.
"""
from __future__ import annotations

import argparse
import dataclasses
import gzip
import hashlib
import json
import re
import sys
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
sys.path.insert(0, str(ROOT / "src"))

from newsclean import Config, DedupConfig  # noqa: E402
from newsclean.clean import block_features, clean  # noqa: E402
from newsclean.extract import extract_text, split_blocks, to_page  # noqa: E402
from newsclean.labeller import (BAG_SEPARATOR, FEATURES, HTML_FEATURES, HTML_LINE_FEATURES, Labeller, WordOdds, label,  # noqa: E402
                                page_features)
from newsclean.labeller import with_odds as labeller_with_odds  # noqa: E402
from newsclean.segment import BOUNDARY_FEATURES, boundary_rows  # noqa: E402
from newsclean.pipeline import process_page  # noqa: E402
from newsclean.steps import html_rows as steps_html_rows  # noqa: E402
from newsclean.records import Document, Page  # noqa: E402

TOKEN = re.compile(r"\w+")
MODEL = ROOT / "src" / "newsclean" / "models" / "labeller.txt"
WORDS = ROOT / "src" / "newsclean" / "models" / "words.txt"
HTML_WORDS = ROOT / "src" / "newsclean" / "models" / "words-html.txt"
HTML_MODEL = ROOT / "src" / "newsclean" / "models" / "labeller-html.txt"
BOUNDARY_MODEL = ROOT / "src" / "newsclean" / "models" / "boundary.txt"
PARAMS = {"objective": "binary", "learning_rate": 0.05, "num_leaves": 63, "min_data_in_leaf": 40,
          "feature_fraction": 0.8, "bagging_fraction": 0.8, "bagging_freq": 1, "lambda_l2": 1.0,
          "verbose": -1, "seed": 1, "deterministic": True, "num_threads": 2}
TEXT_PARAMS: dict = {}
# Lines of the rendered page that trafilatura and the DOM context agree on are many: leaves
# of at least 100 lines (out of fold 0.9649 / 0.9455 / 0.9373 against 0.9624 / 0.9453 / 0.9364 with 40).
HTML_PARAMS = {"min_data_in_leaf": 100}
HTML_ROUNDS = 200
# Boundaries: a few positives a page with an appended story among ~120 candidates a page,
# weighed 3 to 1. Larger trees with at least 100 candidates a leaf cut fewer pages falsely
# for the same stories found (out of fold, mean of three seeds, quick decode, eval-wide at
# its threshold: 440 found in 476 cuts against 443 in 492 with 15 leaves of 50; 127
# leaves, 200 a leaf or positives weighed 5 to 1 were on the same curve).
BOUNDARY_PARAMS = {"num_leaves": 63, "min_data_in_leaf": 100, "scale_pos_weight": 3.0}
BOUNDARY_ROUNDS = 300
# The shipped boundary model may be a bag of such models that differ in their bagging seed,
# P their mean (labeller.BAG_SEPARATOR, boundary_bag). Out of fold, the whole path, eval-wide's
# appended stories found / cuts made and eval's, at boundary_threshold 0.35:
#   one model, 300 trees (shipped):                    467/513 in 495 cuts; eval 94/101 in 97
#   seeds 1-3, 300 trees each:                         467/513 in 491 cuts; eval 95/101 in 98
#   seeds 1-3, 100 trees each at learning rate 0.15:   461/513 in 485 cuts; eval 95/101 in 99
# The bag of three full models is the better on both sets, but it predicts in three times
# the time (the cleaner ~12 % slower) and ships 6.3 MB, its gain is within the +-5 stories
# that one seed moves, and it was not yet scored on eval-snippets/: one model is shipped.
BOUNDARY_SEEDS = (1,)
BOUNDARY_BAG_PARAMS: dict = {}
BOUNDARY_BAG_ROUNDS = BOUNDARY_ROUNDS
# Word odds (labeller.WordOdds): smoothed by two pages' worth of the prior, none for a word
# on fewer than three pages. Out of fold (nested: each fold's rows read odds learned without
# their own fold or the scored one; eval / eval-wide / snippets, the shipped boundary model)
# at least 3 pages: 0.9411 / 0.9288 / 0.8864, 5: 0.9399 / 0.9283 / 0.8857, 10: 0.9414 /
# 0.9289 / 0.8836 — the same within noise, 3 the best on the snippets; without odds
# 0.9352 / 0.9249 / 0.8862.
ODDS_ALPHA = 2.0
ODDS_MIN_PAGES = 3
ROUNDS = 200  # as good out of fold as 400 (eval 0.935, eval-wide 0.919, snippets 0.882), predicted in 2/5 of the time


def read(path):
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def tokens(text):
    return TOKEN.findall((text or "").lower())


def host(url):
    try:
        return (urlsplit(url or "").hostname or "").removeprefix("www.")
    except ValueError:
        return ""


def full_labels(blocks, gold: str) -> np.ndarray:
    """1 for a line whose token 3-grams are mostly in the gold body; short lines (1-2
    tokens) when their tokens follow each other in the gold and a neighbour is body."""
    g = tokens(gold)
    tri = {tuple(g[i:i + 3]) for i in range(len(g) - 2)}
    bi = {tuple(g[i:i + 2]) for i in range(len(g) - 1)}
    uni = set(g)
    lab = np.zeros(len(blocks), dtype=np.int8)
    short = []
    for i, b in enumerate(blocks):
        t = tokens(b.text)
        if len(t) >= 3:
            grams = [tuple(t[k:k + 3]) for k in range(len(t) - 2)]
            lab[i] = sum(x in tri for x in grams) >= 0.5 * len(grams)
        elif t:
            short.append((i, (tuple(t) in bi) if len(t) == 2 else (t[0] in uni)))
    for i, ok in short:
        if ok and ((i > 0 and lab[i - 1]) or (i + 1 < len(lab) and lab[i + 1])):
            lab[i] = 1
    return lab


def snippet_labels(blocks, gold) -> np.ndarray:
    norm = [" ".join(b.text.split()).lower() for b in blocks]
    lab = np.full(len(blocks), -1, dtype=np.int8)
    for s in gold["without"]:
        s = " ".join(s.split()).lower()
        for i, t in enumerate(norm):
            if s and s in t:
                lab[i] = 0
    for s in gold["with"]:
        s = " ".join(s.split()).lower()
        for i, t in enumerate(norm):
            if s and s in t:
                lab[i] = 1
    return lab


def load_sets():
    """(set, [(page, gold)], kind of gold): the natural and the changed pages of eval/ and
    eval-wide/ (full gold: each story's text), the pages of eval-snippets/."""
    sets = []
    for name, pages, gold in (("eval", SHARED / "eval/pages.jsonl", SHARED / "eval/pages.gold.jsonl"),
                              ("wide", SHARED / "eval-wide/pages.jsonl.gz", SHARED / "eval-wide/pages.gold.jsonl.gz")):
        g = {x["id"]: x for x in read(gold)}
        sets.append((name, [(p, g[p["id"]]) for p in read(pages) if p["id"] in g], "full"))
    g = {x["id"]: x for x in read(SHARED / "eval-snippets/snippets.gold.jsonl")}
    sets.append(("snippets", [(p, g[p["id"]]) for p in read(SHARED / "eval-snippets/snippets.jsonl.gz")
                              if p["id"] in g], "snippets"))
    return sets


def prepare(doc, gold, kind, config):
    """The features the labeller sees (what it sees at run time: after the rules, before
    any model) and the gold labels of one page: 1 for a line of any of its stories (the
    labeller keeps body; the segmenter then cuts it into stories)."""
    text = doc["text"]
    page = Page(doc["id"], text, {"path": "train"}, doc.get("url"), None, split_blocks(text))
    feats = block_features(page.blocks, config.rules)
    x = page_features(clean(page, config, feats), feats[1])
    if kind == "full":
        y = np.max([full_labels(page.blocks, s) for s in gold["stories"]], axis=0) if page.blocks else np.zeros(0, np.int8)
    else:
        y = snippet_labels(page.blocks, gold)
    return page, x, y


def boundary_labels(blocks, gold, cands) -> np.ndarray:
    """1 for a candidate where cutting starts the appended story well: below the last line
    of the page's own story and at most at the appended story's first line of eight words
    or more (what lies between is the other page's chrome); 0 elsewhere and on pages
    with one story."""
    y = np.zeros(len(cands), dtype=np.int8)
    if len(gold["stories"]) < 2 or not len(cands):
        return y
    own, other = full_labels(blocks, gold["stories"][0]), full_labels(blocks, gold["stories"][1])
    first = np.flatnonzero((other == 1) & (own == 0))
    if not first.size:
        return y
    long = [k for k in first if len(blocks[k].text.split()) >= 8]
    hi = long[0] if long else first[0]
    lo = max((k for k in np.flatnonzero(own) if k < first[0]), default=-1)
    y[(cands > lo) & (cands <= hi)] = 1
    if not y.any():
        after = np.flatnonzero(cands >= first[0])
        if after.size:
            y[after[0]] = 1
    return y


def page_stories(page, config, labeller, boundary=None) -> dict[int, str]:
    """The stories' texts as newsclean writes them (the real clean → label → segment path),
    by story index."""
    cut = process_page(page, config, sign=False, labeller=labeller, boundary=boundary)
    return {s.index: s.text for s in cut.stories}


def page_story0(page, config, labeller) -> str:
    return page_stories(page, config, labeller).get(0, "")


def bow_f1(text: str, gold: str) -> float:
    """Bag-of-words F1 of a text against its gold, as score_pages.py counts it."""
    pt, gt = tokens(text), tokens(gold)
    tp = sum((Counter(pt) & Counter(gt)).values())
    p, r = (tp / len(pt) if pt else 0.0), (tp / len(gt) if gt else 0.0)
    return 2 * p * r / (p + r) if p + r else (1.0 if not gt and not pt else 0.0)


def score(texts, golds, kind):
    """Mean bag-of-words F1 (score_pages.py) or snippet F1 (score_snippets.py)."""
    if kind == "full":
        return float(np.mean([bow_f1(text, gold["stories"][0]) for text, gold in zip(texts, golds)]))
    tp = fn = fp = 0
    for text, gold in zip(texts, golds):
        t = " ".join(text.split()).lower()
        for s in gold["with"]:
            tp, fn = (tp + 1, fn) if " ".join(s.split()).lower() in t else (tp, fn + 1)
        for s in gold["without"]:
            fp += " ".join(s.split()).lower() in t
    p, r = tp / max(tp + fp, 1), tp / max(tp + fn, 1)
    return 2 * p * r / (p + r) if p + r else 0.0


def split_figures(outs, golds):
    """As score_pages.py: story 0's F1 on natural and on changed pages, and the appended
    stories split off (recall: of the pages with one, those whose split-off story matches
    it at F1 >= 0.5; precision: of the split-off stories, those that match)."""
    nat, chg, hit, total, ok, extra = [], [], 0, 0, 0, 0
    for out, gold in zip(outs, golds):
        (nat if gold["kind"] == "natural" else chg).append(bow_f1(out.get(0, ""), gold["stories"][0]))
        extras = [t for k, t in out.items() if k >= 1]
        if len(gold["stories"]) > 1:
            total += 1
            hit += any(bow_f1(t, gold["stories"][1]) >= 0.5 for t in extras)
        extra += len(extras)
        ok += sum(len(gold["stories"]) > 1 and bow_f1(t, gold["stories"][1]) >= 0.5 for t in extras)
    return (f"natural {np.mean(nat):.4f} changed {np.mean(chg):.4f} | split recall {hit}/{total} = "
            f"{hit / max(total, 1):.3f}, precision {ok}/{extra} = {ok / max(extra, 1):.3f}")


def weights(x, y):
    """Each labelled line weighs its words, each page the same in all: the figures are
    bag-of-words F1 averaged over pages, not line accuracy."""
    w = np.maximum(x[:, FEATURES.index("words")], 1.0)
    return w / max(float(w[y >= 0].sum()), 1.0) * 100.0


def fold_word_counts(rows, fold_of) -> dict[int, tuple[Counter, Counter]]:
    """Per fold, the number of pages each word stands in a body and off one: natural and
    snippet pages only (a changed page is a copy of a natural one, and its appended story
    is another page's, maybe of another fold)."""
    out = {k: (Counter(), Counter()) for k in set(fold_of.values())}
    for r in rows:
        if r[1] == "full" and r[5]["kind"] != "natural":
            continue
        body, other = WordOdds.count([b.text for b in r[2].blocks], r[4])
        out[fold_of[r[6]]][0].update(body)
        out[fold_of[r[6]]][1].update(other)
    return out


def word_odds(counts, without=()) -> WordOdds:
    """Word odds from the counts of every fold but ``without``."""
    body, other = Counter(), Counter()
    for k, (b, o) in counts.items():
        if k not in without:
            body.update(b)
            other.update(o)
    return WordOdds.learn(body, other, ODDS_ALPHA, ODDS_MIN_PAGES)


def with_odds(row, words: WordOdds) -> np.ndarray:
    """A page's rows of its model's features (FEATURES, HTML_FEATURES): its cached rows
    (LINE_FEATURES, HTML_LINE_FEATURES) and what ``words`` make of its lines."""
    return labeller_with_odds(row[3], row[2].blocks, words)


def odds_rows(rows, idx, fold_of, counts, scored=None) -> list[np.ndarray]:
    """The model's rows of the pages ``idx`` (with_odds), each page's word odds learned without
    its own fold (and without the fold ``scored``, when the model is to be scored on it)."""
    cache: dict[int, WordOdds] = {}
    out = []
    for i in idx:
        j = fold_of[rows[i][6]]
        if j not in cache:
            cache[j] = word_odds(counts, {j, scored} - {None})
        out.append(with_odds(rows[i], cache[j]))
    return out


def train(x, y, rounds=ROUNDS, w=None, **params):
    """A model over the labelled lines (label -1: unlabelled, left out); its features are
    the text model's or the HTML model's, by their number."""
    import lightgbm

    m = y >= 0
    names = FEATURES if x.shape[1] == len(FEATURES) else HTML_FEATURES
    data = lightgbm.Dataset(x[m], y[m], weight=None if w is None else w[m], feature_name=list(names))
    return lightgbm.train({**PARAMS, **params}, data, rounds)


def site_folds(rows, folds: int) -> dict[str, int]:
    """Sites to folds by a stable hash of the host: the same folds on every run and machine."""
    return {h: int(hashlib.sha256(h.encode()).hexdigest(), 16) % folds for h in {r[6] for r in rows}}


def cross_validate(rows, folds: int, base, model_text, params: dict, rounds: int):
    """Out-of-fold texts: ``base(row)`` (without any model) and ``model_text(row, labeller)``
    with a model (and its word odds, nested as the text model's) trained on the other
    folds' sites."""
    fold_of = site_folds(rows, folds)
    counts = fold_word_counts(rows, fold_of)
    texts_base = {i: base(r) for i, r in enumerate(rows)}
    texts_model = {}
    for k in range(folds):
        tr = [i for i, r in enumerate(rows) if fold_of[r[6]] != k]
        te = [i for i, r in enumerate(rows) if fold_of[r[6]] == k]
        x = np.vstack(odds_rows(rows, tr, fold_of, counts, scored=k))
        y = np.concatenate([rows[i][4] for i in tr])
        w = np.concatenate([weights(rows[i][3], rows[i][4]) for i in tr])
        labeller = Labeller(train(x, y, rounds=rounds, w=w, **params).model_to_string(),
                            FEATURES if x.shape[1] == len(FEATURES) else HTML_FEATURES, word_odds(counts, {k}))
        for i in te:
            texts_model[i] = model_text(rows[i], labeller)
        print(f"fold {k}: {len(tr)} pages to train, {len(te)} to score", file=sys.stderr)
    return texts_base, texts_model


def boundary_data(row, config, labeller):
    """A page's candidate boundaries as the segmenter sees them after ``labeller``, their
    rows of BOUNDARY_FEATURES and their gold labels."""
    page = row[2]
    if not page.blocks:
        return np.zeros((0, len(BOUNDARY_FEATURES)), np.float32), np.zeros(0, np.int8)
    feats = block_features(page.blocks, config.rules)
    labelled = label(clean(page, config, feats), labeller, config, feats[1])
    cands, x = boundary_rows(labelled, feats[1], config.segmenting)
    return x, boundary_labels(page.blocks, row[5], cands)


def cross_validate_text(rows, folds: int, config):
    """Out of fold, by site: the labeller trained on the other folds' pages; the boundary
    model on the other folds' candidates, each page's candidates as the labeller that had
    not seen its site left them. Returns each page's stories (rules alone; labeller and
    boundaries), every page's candidate rows (to train the shipped boundary model on)."""
    fold_of = site_folds(rows, folds)
    counts = fold_word_counts(rows, fold_of)
    rules_cfg = dataclasses.replace(config, labeller=False)
    base = {i: page_stories(r[2], rules_cfg, None) for i, r in enumerate(rows)}
    labellers, bdata = {}, {}
    for k in range(folds):
        tr = [i for i, r in enumerate(rows) if fold_of[r[6]] != k]
        x = np.vstack(odds_rows(rows, tr, fold_of, counts, scored=k))
        y = np.concatenate([rows[i][4] for i in tr])
        w = np.concatenate([weights(rows[i][3], rows[i][4]) for i in tr])
        labellers[k] = Labeller(train(x, y, rounds=ROUNDS, w=w, **TEXT_PARAMS).model_to_string(),
                                words=word_odds(counts, {k}))
        for i, r in enumerate(rows):
            if fold_of[r[6]] == k and r[1] == "full":
                bdata[i] = boundary_data(r, config, labellers[k])
        print(f"fold {k}: labeller trained on {len(tr)} pages", file=sys.stderr)
    model = {}
    for k in range(folds):
        tr = [i for i in bdata if fold_of[rows[i][6]] != k]
        boundary = Labeller(boundary_bag([bdata[i] for i in tr]), BOUNDARY_FEATURES)
        for i, r in enumerate(rows):
            if fold_of[r[6]] == k:
                model[i] = page_stories(r[2], config, labellers[k], boundary)
        print(f"fold {k}: boundaries trained on {len(tr)} pages", file=sys.stderr)
    return base, model, [bdata[i] for i in sorted(bdata)]


def train_boundary(data, rounds=None, **params):
    """The boundary model over candidate rows [(x, y)] (BOUNDARY_PARAMS, BOUNDARY_ROUNDS,
    unless given)."""
    import lightgbm

    x = np.vstack([d[0] for d in data])
    y = np.concatenate([d[1] for d in data])
    ds = lightgbm.Dataset(x, y, feature_name=list(BOUNDARY_FEATURES))
    return lightgbm.train({**PARAMS, **BOUNDARY_PARAMS, **params}, ds, rounds or BOUNDARY_ROUNDS)


def boundary_bag(data, rounds=None, seeds=BOUNDARY_SEEDS, **params) -> str:
    """The shipped boundary model's text: one model of train_boundary per bagging seed,
    joined by labeller.BAG_SEPARATOR."""
    params = {**BOUNDARY_BAG_PARAMS, **params}
    return BAG_SEPARATOR.join(train_boundary(data, rounds or BOUNDARY_BAG_ROUNDS, seed=seed, **params).model_to_string()
                              for seed in seeds)


def report_text(rows, base, model) -> None:
    for name in ("eval", "wide", "snippets"):
        idx = [i for i, r in enumerate(rows) if r[0] == name]
        if not idx:
            continue
        kind = rows[idx[0]][1]
        nat = [i for i in idx if kind != "full" or rows[i][5]["kind"] == "natural"]
        golds = [rows[i][5] for i in nat]
        print(f"{name:9s} out of fold, text path: rules {score([base[i].get(0, '') for i in nat], golds, kind):.4f}"
              f" | rules + labeller {score([model[i].get(0, '') for i in nat], golds, kind):.4f}")
        if kind == "full":
            golds = [rows[i][5] for i in idx]
            print(f"{name:9s}   rules alone:            {split_figures([base[i] for i in idx], golds)}")
            print(f"{name:9s}   labeller + boundaries:  {split_figures([model[i] for i in idx], golds)}")


def report(rows, texts_base, texts_model, path: str, base_name: str, model_name: str) -> None:
    for name in ("eval", "wide", "snippets"):
        idx = [i for i, r in enumerate(rows) if r[0] == name]
        if not idx:
            continue
        kind = rows[idx[0]][1]
        golds = [rows[i][5] for i in idx]
        print(f"{name:9s} out of fold, {path}: {base_name} {score([texts_base[i] for i in idx], golds, kind):.4f}"
              f" | {model_name} {score([texts_model[i] for i in idx], golds, kind):.4f}")


def write_model(rows, path: Path, params: dict, rounds: int, x: list[np.ndarray]) -> None:
    """The model trained on every page, ``x`` their rows."""
    model = train(np.vstack(x), np.concatenate([r[4] for r in rows]), rounds=rounds,
                  w=np.concatenate([weights(r[3], r[4]) for r in rows]), **params)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(model.model_to_string())
    print(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB)", file=sys.stderr)


def write_line_model(rows, folds: int, path: Path, words: Path, params: dict, rounds: int) -> None:
    """A line labeller (text or HTML) trained on every page, each page's word odds learned
    without its fold (as the model meets them: odds learned without the page), and the
    word odds of every page, shipped beside it."""
    fold_of = site_folds(rows, folds)
    counts = fold_word_counts(rows, fold_of)
    write_model(rows, path, params, rounds, odds_rows(rows, range(len(rows)), fold_of, counts))
    words.write_text(word_odds(counts).dump(), encoding="utf-8")
    print(f"wrote {words} ({words.stat().st_size / 1e6:.1f} MB)", file=sys.stderr)


def cached(path: str | None, build):
    """``build()``, kept in ``path`` between runs when one is given (experiments)."""
    import pickle

    if path and Path(path).exists():
        return pickle.loads(Path(path).read_bytes())
    rows = build()
    if path:
        Path(path).write_bytes(pickle.dumps(rows))
    return rows


def text_rows(config):
    rows = []  # (set, kind, page, x, y, gold, host, doc)
    for name, items, kind in load_sets():
        for doc, gold in items:
            page, x, y = prepare(doc, gold, kind, config)
            rows.append((name, kind, page, x, y, gold, host(doc.get("url")), doc))
    return rows


def _extract_html(doc):
    config = Config(html_field="html")
    return extract_text(Document(doc["id"], doc["html"], "html", {"path": "train"}, url=doc.get("url")), config)


def html_rows(config):
    """The HTML pages as newsclean's HTML path sees them: the page rendered, what the rules
    and trafilatura make of its lines (steps.html_rows), and the gold labels of its lines."""
    from multiprocessing import get_context

    rows = []
    for name, pages, gold, kind in (("eval", "eval/html.jsonl", "eval/html.gold.jsonl", "full"),
                                    ("wide", "eval-wide/html.jsonl.gz", "eval-wide/html.gold.jsonl.gz", "full"),
                                    ("snippets", "eval-snippets/snippets.html.jsonl.gz",
                                     "eval-snippets/snippets.gold.jsonl", "snippets")):
        g = {x["id"]: x for x in read(SHARED / gold) if x.get("kind", "natural") == "natural"}
        docs = [d for d in read(SHARED / pages) if d["id"] in g]
        with get_context("fork").Pool(2) as pool:
            extracted = pool.map(_extract_html, docs, chunksize=8)
        for doc, ex in zip(docs, extracted):
            page = to_page(ex)
            x = (steps_html_rows(page, config)[1] if page.blocks
                 else np.zeros((0, len(HTML_LINE_FEATURES)), np.float32))
            gd = g[doc["id"]]
            y = full_labels(page.blocks, gd["stories"][0]) if kind == "full" else snippet_labels(page.blocks, gd)
            rows.append((name, kind, page, x, y, gd, host(doc.get("url")), ex))
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--no-write", action="store_true")
    ap.add_argument("--only", choices=("text", "html"), help="train one of the two models")
    ap.add_argument("--cache", help="keep the pages' features in this file between runs (experiments)")
    ap.add_argument("--dump", help="write each page's out-of-fold story 0 (rules and model) to this JSONL file")
    a = ap.parse_args()
    if not (SHARED / "eval").is_dir():
        sys.exit("train_cleaner: ../shared (the evaluation sets) is not beside this checkout")
    config = Config(templates=False, dedup=DedupConfig(enabled=False))
    if a.only != "html":
        t = time.time()
        rows = cached(a.cache, lambda: text_rows(config))
        print(f"features of {len(rows)} pages in {time.time() - t:.0f}s", file=sys.stderr)
        base, model, bdata = cross_validate_text(rows, a.folds, config)
        if a.dump:
            with open(a.dump, "w", encoding="utf-8") as f:
                for i, r in enumerate(rows):
                    f.write(json.dumps({"set": r[0], "id": r[7]["id"], "url": r[7].get("url"), "rules": base[i],
                                        "model": model[i]}) + "\n")
        report_text(rows, base, model)
        if not a.no_write:
            write_line_model(rows, a.folds, MODEL, WORDS, TEXT_PARAMS, ROUNDS)
            BOUNDARY_MODEL.write_text(boundary_bag(bdata))
            print(f"wrote {BOUNDARY_MODEL} ({BOUNDARY_MODEL.stat().st_size / 1e6:.1f} MB)", file=sys.stderr)
    if a.only != "text":
        t = time.time()
        rows = cached(a.cache and a.cache + ".html", lambda: html_rows(config))
        print(f"HTML: extraction and features of {len(rows)} pages in {time.time() - t:.0f}s", file=sys.stderr)
        html_cfg = Config(html_field="html", templates=False, dedup=DedupConfig(enabled=False))
        base, model = cross_validate(rows, a.folds, lambda r: r[7].dom_text or "",
                                     lambda r, lab: page_story0(to_page(r[7]), html_cfg, lab), HTML_PARAMS, HTML_ROUNDS)
        report(rows, base, model, "HTML path", "trafilatura alone", "rendering + HTML labeller")
        if not a.no_write:
            write_line_model(rows, a.folds, HTML_MODEL, HTML_WORDS, HTML_PARAMS, HTML_ROUNDS)


if __name__ == "__main__":
    main()
