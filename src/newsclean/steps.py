"""The per-document work of a run, as steps over batches: pure functions of their
arguments (no module state), so that any executor — this process, a process pool, Ray
tasks on a cluster — can run them and get the same result.

    extract_batch(documents, config)        → extracted texts (+ line hashes for templates)
    clean_batch(extracted, templates, config) → Cuts: stories (clean → label → segment → cut)
                                               and, when dedup is on, their signatures
                                               (sign_batch)

A document whose step fails becomes a Reject naming it (``guarded``): one page that trips
a bug costs that page, not the run.
"""
from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from .clean import block_features, clean
from .config import Config
from .dedup import paragraph_keys, sketch_many
from .extract import extract_text, to_page
from .labeller import HTML_FEATURES, Labeller, choose, dom_features, label, page_features, with_odds
from .records import ERROR, Document, Extracted, Labelling, Page, Reject, Story
from .report import EXAMPLES
from .segment import segment, split_learned, stories, strong_seam_possible
from .templates import Templates, line_hash

SIGN_BATCH = 64  # pages a step cleans and signs together (fewer, larger messages; changes no output)


def template_hashes(ex: Extracted, config: Config) -> list[int] | None:
    """The hashes of a page's lines, in order, for the template counts (None: not counted)."""
    if not config.templates or ex.site is None:
        return None
    return [line_hash(line) for line in ex.text.split("\n") if line.strip()]


@dataclass
class Cut:
    """A page after clean and segment: its stories, their signatures, stage timings."""

    page_id: str
    path: str
    line: int | None
    stories: list[Story]
    orphans: list[dict]  # removed spans of a page with no story left (they go to its reject)
    sigs: list[tuple[np.ndarray, int, int]]  # (signature, shingles, exact key) per story
    removed: Counter
    seconds: dict[str, float]
    site: str | None = None
    text: str = ""  # the page text the spans point into: only on pages report.html may show (spare_texts)
    chars: int = 0  # the page text's length
    renamed: bool = False  # its id repeated an earlier document's (newsclean.read.UniqueIds)
    paras: list[tuple[bytes, bytes]] | None = None  # each story's paragraph keys (dedup.paragraph_keys)


def label_page(page: Page, config: Config, labeller=None, boundary=None) -> Labelling:
    """clean → label → segment for one page: every block's verdict and story. ``labeller``:
    a trained newsclean.labeller.Labeller (default: the shipped one, when ``config.labeller``;
    for HTML read through its rendering, the shipped HTML one); ``boundary``: the model of
    story boundaries that goes with it (default: the shipped one). Without a labeller the
    rules alone label the page and their segmenter splits it."""
    if not page.blocks or (page.source.get("extractor") and page.dom_text is None):
        return Labelling.of(page)  # nothing, or trafilatura's text as it extracted it (html_labeller off)
    if page.dom_text is not None:
        rules, rows = html_rows(page, config)
        model = labeller if labeller is not None else Labeller.load("html")
        rows = with_odds(rows, page.blocks, model.words)
        return choose(rules, model.probabilities(rows), rows[:, HTML_FEATURES.index("dom_line")] > 0, config)
    feats = block_features(page.blocks, config.rules)
    rules = clean(page, config, feats)
    if labeller is None and config.labeller:
        labeller = Labeller.load()
    if labeller is None:
        return segment(rules, config)
    labelled = label(rules, labeller, config, feats[1])
    strong = config.segmenting.rules_strong_seams and strong_seam_possible(rules, config)
    seams = segment(rules, config).seams if strong else {}
    return split_learned(labelled, boundary if boundary is not None else Labeller.load("boundary"), config, feats[1],
                         seams)


def html_rows(page: Page, config: Config) -> tuple[Labelling, np.ndarray]:
    """A rendered HTML page as the rules and the segmenter label it, and the rows of
    labeller.HTML_LINE_FEATURES the HTML model reads (what train_cleaner trains it on, with
    the word odds of each fold)."""
    feats = block_features(page.blocks, config.rules)
    rules = segment(clean(page, config, feats), config)
    return rules, np.hstack([page_features(rules, feats[1]), dom_features(page.blocks, page.dom_text or "", page.dom_contexts)])


def process_page(page: Page, config: Config, sign: bool = True, labeller=None, boundary=None) -> Cut:
    """One page labelled (label_page), cut into stories and, when ``sign``, signed (pure:
    no corpus state)."""
    t0 = time.perf_counter()
    labelled = label_page(page, config, labeller, boundary)
    return cut_page(labelled, config, sign, time.perf_counter() - t0)


def cut_page(labelled: Labelling, config: Config, sign: bool = True, clean_seconds: float = 0.0) -> Cut:
    """A labelled page cut into its stories, with their signatures when ``sign``."""
    page = labelled.page
    t1 = time.perf_counter()
    every = stories(labelled, config)
    cut = [s for s in every if s.text]
    orphans = [r for s in every if not s.text for r in s.removed]
    if cut and orphans:  # a story left empty: its removed spans stay with the page's first
        cut[0].removed = sorted(cut[0].removed + orphans, key=lambda r: r["start"])
        orphans = []
    t2 = time.perf_counter()
    sigs = sketch_many([s.text for s in cut], config.dedup) if config.dedup.enabled and sign and cut else []
    t3 = time.perf_counter()
    removed = Counter(lab for lab in labelled.labels if lab is not None)
    return Cut(page.doc_id, page.source.get("path", ""), page.source.get("line"), cut, orphans, sigs, removed,
               {"clean": clean_seconds, "segment": t2 - t1, "signature": t3 - t2}, page.site, page.text,
               len(page.text), "renamed_from" in page.source)


def guarded(fn: Callable, doc: Document | Page | Labelling, *args, **kwargs):
    """``fn(doc, *args)``, or a reject naming the document when it fails: one page that
    trips a bug, in the cleaner or in trafilatura, costs that page, not the run (and says so)."""
    try:
        return fn(doc, *args, **kwargs)
    except Exception as e:  # noqa: BLE001 — any failure of one document is that document's
        return Reject(doc.source.get("path", ""), ERROR, f"{type(e).__name__}: {e}", line=doc.source.get("line"),
                      doc_id=doc.doc_id)


def process_pages(items: list[Page | Reject], config: Config) -> list[Cut | Reject]:
    """process_page over a batch, then the batch signed together (sign_batch)."""
    out = spare_texts([it if isinstance(it, Reject) else guarded(process_page, it, config, sign=False) for it in items])
    return sign_batch(out, config) if config.dedup.enabled else out


def spare_texts(cuts: list[Cut | Reject]) -> list[Cut | Reject]:
    """Only a batch's first EXAMPLES pages with lines removed keep their page text: the
    report shows the run's first such pages, which are among those whatever the batches,
    and the rest of the texts would travel back from the workers for nothing (under Ray
    they were half of what a document shipped)."""
    shown = 0
    for c in cuts:
        if isinstance(c, Cut):
            if shown < EXAMPLES and (c.orphans or any(s.removed for s in c.stories)):
                shown += 1
            else:
                c.text = ""
    return cuts


def sign_batch(cuts: list[Cut | Reject], config: Config) -> list[Cut | Reject]:
    """The MinHash signatures of a batch's stories, computed together (a few large numpy
    calls instead of many small ones); each Cut gets its own (a step's output, not yet
    seen by anyone else)."""
    signed = [c for c in cuts if isinstance(c, Cut) and c.stories]
    t = time.perf_counter()
    sigs = sketch_many([s.text for c in signed for s in c.stories], config.dedup)
    dt = (time.perf_counter() - t) / max(1, len(signed))
    pos = 0
    for c in signed:
        c.paras = [paragraph_keys(s.text, config.dedup.para_min_chars) for s in c.stories]
        c.sigs = sigs[pos:pos + len(c.stories)]
        c.seconds["signature"] = dt
        pos += len(c.stories)
    return cuts


def extract_batch(items: list[Document | Reject], config: Config) -> list[tuple[Extracted | Reject, list[int] | None, float]]:
    """Each document's extracted text, the hashes of its lines (in order) for the template
    counts, and the seconds it took; rejects pass through."""
    out = []
    for item in items:
        if isinstance(item, Reject):
            out.append((item, None, 0.0))
            continue
        t = time.perf_counter()
        ex = guarded(extract_text, item, config)
        hashes = None if isinstance(ex, Reject) else template_hashes(ex, config)
        out.append((ex, hashes, time.perf_counter() - t))
    return out


def clean_batch(items: list[Extracted | Reject], templates: Templates | None, config: Config) -> list[Cut | Reject]:
    """Extracted pages → their Cuts (stories and signatures). ``templates``: the site
    templates of the batch's sites (Templates.only), or None when templates are off."""
    t = time.perf_counter()
    pages = [it if isinstance(it, Reject) else to_page(it) for it in items]
    if templates is not None:
        # The lines are hashed again here rather than carried from the counting pass: the
        # parent process is the narrow part of the run, and workers hash side by side.
        pages = [replace(p, template=templates.template_blocks(p.site, p.blocks)) if isinstance(p, Page) else p
                 for p in pages]
    dt = (time.perf_counter() - t) / max(1, len(pages))
    out = process_pages(pages, config)
    for c in out:
        if isinstance(c, Cut):
            c.seconds["extract"] = dt
    return out


def extract_clean_batch(items: list[Document | Reject], config: Config) -> list[Cut | Reject]:
    """Both steps at once, for a run with no corpus pass between them (no templates)."""
    done = extract_batch(items, config)
    out = clean_batch([ex for ex, _, _ in done], None, config)
    for c, (_, _, dt) in zip(out, done):
        if isinstance(c, Cut):
            c.seconds["extract"] += dt
    return out
