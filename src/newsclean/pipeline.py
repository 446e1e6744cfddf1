"""The run: read → extract → clean → segment → dedup → write, over a stream of documents.

Per-document work (HTML extraction, cleaning, segmentation, signatures) runs in worker
processes, results taken in input order, so the output is byte-identical at any ``-j``.
Corpus-wide decisions (site templates, duplicates) need everything first; for them the
extracted texts and then the stories are spooled to a temporary file, so memory holds
counts and signatures, not texts. Only texts cross between processes, never pages: a
page's blocks are rebuilt from its text where it is cleaned.
"""
from __future__ import annotations

import gc
import hashlib
import os
import platform
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from multiprocessing import get_context
from typing import Any

import numpy as np

from . import __version__
from .clean import block_features, clean
from .config import SCHEMA_VERSION, Config
from .errors import RunError
from .dedup import Deduper, band_keys, sketch_many
from .extract import extract, extract_text, to_page
from .labeller import Labeller, label, page_features, prune
from .records import ERROR, Document, Extracted, Labelling, Page, Reject, Story, story_record
from .read import url_problem
from .segment import segment, stories
from .templates import TemplateCounter, line_hash, page_keys
from .work import Work, unit_signature, units

_CONFIG: Config | None = None
_TEMPLATES: TemplateCounter | None = None  # the corpus's site templates, once counted
SIGN_BATCH = 64  # pages a worker cleans and signs together (fewer, larger messages)


GC_THRESHOLD = 50_000  # allocations between young collections (CPython's default: 700)


@contextmanager
def batch_gc() -> Iterator[None]:
    """The cyclic garbage collector set for a batch run, and restored after it. A run
    allocates millions of short-lived objects while it keeps a few hundred thousand (the
    dedup index); with the default thresholds the collector rescans those again and again
    (three quarters of the time of deduplication, a tenth of the cleaner's). Start-up
    objects are frozen out of its sight, and young collections come less often."""
    thresholds = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(GC_THRESHOLD, 20, 100)
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()


def _init_worker(config: Config, templates: TemplateCounter | None = None) -> None:
    global _CONFIG, _TEMPLATES
    _CONFIG, _TEMPLATES = config, templates


def _extract_task(item: Document | Reject) -> tuple[Extracted | Reject, list[int] | None, float]:
    """Extraction, and the hashes of the page's lines (in order) for the template counts."""
    if isinstance(item, Reject):
        return item, None, 0.0
    t = time.perf_counter()
    ex = _guarded(extract_text, item, _CONFIG)
    if isinstance(ex, Reject):
        return ex, None, time.perf_counter() - t
    return ex, template_hashes(ex, _CONFIG), time.perf_counter() - t


def template_hashes(ex: Extracted, config: Config) -> list[int] | None:
    """The hashes of a page's lines, in order, for the template counts (None: not counted)."""
    if not config.templates or ex.site is None:
        return None
    return [line_hash(line) for line in ex.text.split("\n") if line.strip()]


# Work items travel as (unit, kind, value): an item or batch to work on, a unit's end
# (save it), or a unit's saved result (reused, passed through untouched).
_ITEM, _END, _SAVED = "item", "end", "saved"


def _costly(tagged: tuple) -> bool:
    """HTML is worth sending to a worker process; a plain-text page is not."""
    return tagged[1] == _ITEM and getattr(tagged[2], "fmt", "") == "html"


def _extract_tagged(tagged: tuple) -> tuple:
    n, kind, value = tagged
    return (n, kind, _extract_task(value)) if kind == _ITEM else tagged


def _story_tagged(tagged: tuple) -> tuple:
    n, kind, value = tagged
    return (n, kind, _story_task(value)) if kind == _ITEM else tagged


class _Ready:
    """A result computed in place, in the queue of asynchronous ones."""

    def __init__(self, value: Any) -> None:
        self.value = value

    def ready(self) -> bool:
        return True

    def get(self) -> Any:
        return self.value


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


def label_page(page: Page, config: Config, labeller=None) -> Labelling:
    """clean → segment → label for one page: every block's verdict. ``labeller``: a
    trained newsclean.labeller.Labeller (default: the shipped one, when ``config.labeller``)."""
    if not page.blocks:
        return Labelling.of(page)
    # What an extractor that saw the DOM chose is kept, but for the lines its own model is
    # confident are chrome: the text cleaner's rules on top of it cost recall.
    dom = bool(page.source.get("extractor")) and not config.html_cleaner
    if dom and not config.html_labeller:
        return Labelling.of(page)
    feats = block_features(page.blocks, config.rules)
    rules = segment(clean(page, config, feats), config)
    if dom:
        model = labeller if labeller is not None else Labeller.load("html")
        return prune(rules, model.probabilities(page_features(rules, feats[1])), config)
    if labeller is None and config.labeller:
        labeller = Labeller.load()
    return label(rules, labeller, config, feats[1]) if labeller is not None else rules


def process_page(page: Page, config: Config, sign: bool = True, labeller=None) -> Cut:
    """One page labelled (label_page), cut into stories and, when ``sign``, signed (pure:
    no corpus state)."""
    t0 = time.perf_counter()
    labelled = label_page(page, config, labeller)
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
               {"clean": clean_seconds, "segment": t2 - t1, "signature": t3 - t2})


def _guarded(fn: Callable, doc: Document | Page | Labelling, *args, **kwargs):
    """``fn(doc, *args)``, or a reject naming the document when it fails: one page that
    trips a bug, in the cleaner or in trafilatura, costs that page, not the run (and says so)."""
    try:
        return fn(doc, *args, **kwargs)
    except Exception as e:  # noqa: BLE001 — any failure of one document is that document's
        return Reject(doc.source.get("path", ""), ERROR, f"{type(e).__name__}: {e}", line=doc.source.get("line"),
                      doc_id=doc.doc_id)


def process_pages(items: list[Page | Reject], config: Config) -> list[Cut | Reject]:
    """process_page over a batch, with the batch's signatures computed together (a few
    large numpy calls instead of many small ones)."""
    out = [it if isinstance(it, Reject) else _guarded(process_page, it, config, sign=False) for it in items]
    if config.dedup.enabled:
        cuts = [c for c in out if isinstance(c, Cut) and c.stories]
        t = time.perf_counter()
        sigs = sketch_many([s.text for c in cuts for s in c.stories], config.dedup)
        dt = (time.perf_counter() - t) / max(1, len(cuts))
        pos = 0
        for c in cuts:
            c.sigs = sigs[pos:pos + len(c.stories)]
            c.seconds["signature"] = dt
            pos += len(c.stories)
    return out


def _story_task(items: list[Extracted | Reject]) -> list[Cut | Reject]:
    t = time.perf_counter()
    pages = [it if isinstance(it, Reject) else to_page(it) for it in items]
    if _TEMPLATES is not None:
        # The lines are hashed again here rather than carried from the counting pass: the
        # parent process is the narrow part of the run, and workers hash side by side.
        pages = [replace(p, template=_TEMPLATES.template_blocks(p.site, p.blocks)) if isinstance(p, Page) else p
                 for p in pages]
    dt = (time.perf_counter() - t) / max(1, len(pages))
    out = process_pages(pages, _CONFIG)
    for c in out:
        if isinstance(c, Cut):
            c.seconds["extract"] = dt
    return out


def _batched(items: Iterable, size: int) -> Iterator[list]:
    batch = []
    for it in items:
        batch.append(it)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


@dataclass
class Stats:
    documents: int = 0
    stories: int = 0
    clean: int = 0
    duplicates: int = 0
    rejects: Counter = field(default_factory=Counter)
    removed: Counter = field(default_factory=Counter)
    seconds: Counter = field(default_factory=Counter)
    dedup: dict = field(default_factory=dict)
    dedup_index: dict | None = None
    renamed: int = 0  # documents whose id repeated an earlier one's (newsclean.read.UniqueIds)
    templates: dict | None = None  # what the template pass counted


class Pipeline:
    """Maps documents to output records. ``run`` yields ``(kind, record)`` pairs, kind
    being "clean", "duplicate" or "reject"; every input ends in exactly one kind."""

    def __init__(self, config: Config | None = None, jobs: int = 1, index=None):
        self.config = config or Config()
        self.jobs = max(1, int(jobs))
        self.index = index
        self.stats = Stats()
        self._staged: list = []  # index entries of this run's published stories, not yet stored
        self.work: Work | None = None
        self._resume = False
        self._units = 0
        self.pipeline_info = _pipeline_info(self.config)

    # -- parallel map, ordered -------------------------------------------------------
    def _pool(self, templates: TemplateCounter | None):
        ctx = get_context("fork") if hasattr(os, "fork") else get_context()
        try:
            return ctx.Pool(self.jobs, initializer=_init_worker, initargs=(self.config, templates))
        except OSError as exc:  # EAGAIN, ENOMEM: the machine will not give us the processes
            raise RunError(f"cannot start {self.jobs} worker processes: {exc.strerror or exc} "
                           "(try a smaller -j)") from None

    def _map(self, fn: Callable, items: Iterable, chunksize: int = 8,
             templates: TemplateCounter | None = None) -> Iterator:
        if self.jobs == 1:
            _init_worker(self.config, templates)
            for it in items:
                yield fn(it)
            return
        with self._pool(templates) as pool:
            yield from pool.imap(fn, items, chunksize=chunksize)

    def _map_costly(self, fn: Callable, items: Iterable, costly: Callable[[Any], bool]) -> Iterator:
        """``fn`` over items in order, sending only the costly ones (HTML to extract) to
        worker processes: a plain-text page costs less to work on here than to ship."""
        _init_worker(self.config)
        if self.jobs == 1:
            yield from map(fn, items)
            return
        pool, pending = None, deque()
        try:
            for it in items:
                if costly(it):
                    pool = pool or self._pool(None)
                    pending.append(pool.apply_async(fn, (it,)))
                else:
                    pending.append(_Ready(fn(it)))
                while pending and (pending[0].ready() or len(pending) > 4 * self.jobs):
                    yield pending.popleft().get()
            while pending:
                yield pending.popleft().get()
        finally:
            if pool is not None:
                pool.terminate()

    # -- stages ----------------------------------------------------------------------
    def _counted(self, items: Iterable[Document | Reject]) -> Iterator[Document | Reject]:
        for it in items:
            self.stats.documents += 1
            if isinstance(it, Document) and "renamed_from" in it.source:
                self.stats.renamed += 1
            yield it

    def run(self, items: Iterable[Document | Reject], work_dir: str | os.PathLike | None = None,
            resume: bool = False) -> Iterator[tuple[str, dict]]:
        """Records for ``items``, in input order. Corpus-wide steps (templates, dedup) keep
        their intermediate results in ``work_dir`` (a temporary folder if None, removed at
        the end); with ``resume`` the units of input already done there are reused."""
        cfg = self.config
        if work_dir is None and not resume and not cfg.templates and not cfg.dedup.enabled:
            yield from self._stream(items)
            return
        key = {"newsclean": __version__, "config": cfg.hash()}
        self.work = Work(work_dir, key, resume=resume)
        self._resume = resume
        try:
            yield from self._run(items, self.work)
        finally:
            if self.work.temporary:
                self.work.remove()

    def _stream(self, items) -> Iterator[tuple[str, dict]]:
        """No corpus steps: every page is cleaned and written as it comes."""
        def extracted():
            tagged = ((0, _ITEM, it) for it in self._counted(items))
            for _, _, (ex, _, dt) in self._map_costly(_extract_tagged, tagged, _costly):
                self.stats.seconds["extract"] += dt
                yield ex
        for batch in self._map(_story_task, _batched(extracted(), SIGN_BATCH), chunksize=1):
            for cut in batch:
                yield from self._emit(cut, {})

    def _extract_units(self, items, work: Work, counter: TemplateCounter | None) -> list[str]:
        """Extraction per unit of input (reused where the work folder has it), and the
        template counts; returns the units' signatures."""
        sigs: list[str] = []

        def tagged():
            for n, chunk in enumerate(units(self._counted(items))):
                sig = unit_signature(chunk)
                sigs.append(sig)
                saved = work.load("extract", n, sig)
                if saved is not None:
                    work.reused["extract"] += 1
                    yield n, _SAVED, saved
                    continue
                for it in chunk:
                    yield n, _ITEM, it
                yield n, _END, None

        done: list = []
        for n, kind, value in self._map_costly(_extract_tagged, tagged(), _costly):
            if kind == _END:
                work.save("extract", n, sigs[n], done)
                done = []
                continue
            for ex, hashes, dt in (value if kind == _SAVED else [value]):
                self.stats.seconds["extract"] += dt if kind == _ITEM else 0.0
                if counter is not None and hashes is not None:
                    counter.observe(ex.site, set(hashes), page_keys(ex.url, hashes))
                if kind == _ITEM:
                    done.append((ex, hashes, dt))
        return sigs

    def _clean_units(self, work: Work, sigs: list[str], counter: TemplateCounter | None) -> list[str]:
        """clean → segment → signatures per unit, reused where done; returns the cut
        units' signatures (the unit's and the whole corpus's: templates see every page)."""
        corpus = hashlib.sha256("".join(sigs).encode()).hexdigest()
        keys = [f"{sig}:{corpus}" for sig in sigs]

        def tagged():
            for n, sig in enumerate(sigs):
                if work.has("cut", n, keys[n]):
                    work.reused["clean"] += 1
                    continue
                data = work.load("extract", n, sig)
                for batch in _batched([ex for ex, _, _ in data], SIGN_BATCH):
                    yield n, _ITEM, batch
                yield n, _END, None

        done: list = []
        for n, kind, value in self._map(_story_tagged, tagged(), chunksize=1, templates=counter):
            if kind == _END:
                work.save("cut", n, keys[n], done)
                done = []
            else:
                done.extend(value)
        return keys

    def _run(self, items, work: Work) -> Iterator[tuple[str, dict]]:
        cfg = self.config
        # Templates need every page's lines counted before any page is cleaned: extracted
        # texts wait in the work folder, and the cleaning workers start (and, forked,
        # inherit the counts) only once the counting is done.
        counter = TemplateCounter.for_config(cfg)
        sigs = self._extract_units(items, work, counter)
        if counter is not None:
            self.stats.templates = {"sites": len(counter.docs), "pages": sum(counter.docs.values()),
                                    "copies_not_counted": counter.copies}
        self._units = len(sigs)
        keys = self._clean_units(work, sigs, counter)
        decisions: dict = {}
        if cfg.dedup.enabled:
            deduper = Deduper(cfg.dedup, self.index)
            t = time.perf_counter()
            for n, key in enumerate(keys):
                for cut in work.load("cut", n, key):
                    if isinstance(cut, Cut):
                        for s, (sig, size, exact) in zip(cut.stories, cut.sigs):
                            deduper.add(s.id, s.text, s.date, sig, size, exact)
            decisions = deduper.resolve()
            self.stats.seconds["lsh"] += time.perf_counter() - t
            if self.index is not None:
                # Staged, not stored: the caller commits the index once its outputs are
                # safe (commit_index), so an index never holds a story nobody published.
                self._staged = [e for e in deduper.new_entries() if e.key not in decisions]
                self.stats.dedup_index = {"to_add": len(self._staged), "size_before": len(self.index)}
            self.stats.dedup = deduper.stats()
        for n, key in enumerate(keys):
            for cut in work.load("cut", n, key):
                yield from self._emit(cut, decisions)

    def _emit(self, cut: Cut | Reject, decisions: dict) -> Iterator[tuple[str, dict]]:
        if isinstance(cut, Reject):
            self.stats.rejects[cut.reason] += 1
            yield "reject", cut.to_dict()
            return
        for k, v in cut.seconds.items():
            self.stats.seconds[k] += v
        self.stats.removed.update(cut.removed)
        if not cut.stories:
            reasons = ", ".join(f"{r} {n}" for r, n in sorted(cut.removed.items()))
            why = f"every block removed ({reasons})" if reasons else "no text: the extractor found no main text"
            rej = Reject(cut.path, "no-body", why, line=cut.line, doc_id=cut.page_id)
            self.stats.rejects[rej.reason] += 1
            yield "reject", dict(rej.to_dict(), removed=cut.orphans)
            return
        for s in cut.stories:
            self.stats.stories += 1
            if s.id in decisions:
                s.duplicate_of, s.similarity = decisions[s.id]
                self.stats.duplicates += 1
                yield "duplicate", story_record(s, self.pipeline_info)
            else:
                self.stats.clean += 1
                yield "clean", story_record(s, self.pipeline_info)

    def commit_index(self) -> int:
        """Store this run's published stories in the persistent index (one transaction);
        call it after the run's records are safely written. Returns how many were stored."""
        if self.index is None or not self._staged:
            return 0
        t = time.perf_counter()
        added = self.index.add_all(self._staged, band_keys=lambda sig: band_keys(sig, self.config.dedup))
        self.stats.seconds["index"] += time.perf_counter() - t
        self._staged = []
        return added

    def report(self) -> dict:
        import datasketch
        import trafilatura

        st = self.stats
        d = self.config.dedup
        return {
            "newsclean": __version__, "schema": SCHEMA_VERSION,
            "config": self.config.to_dict(), "config_hash": self.config.hash(), "jobs": self.jobs,
            "labeller": self.pipeline_info["labeller"],
            "versions": {"python": platform.python_version(), "datasketch": datasketch.__version__,
                         "trafilatura": trafilatura.__version__, "numpy": np.__version__},
            "counts": {"documents": st.documents, "stories": st.stories, "clean": st.clean,
                       "duplicates": st.duplicates, "rejects": sum(st.rejects.values())},
            "rejects": dict(sorted(st.rejects.items())),
            "ids": {"renamed": st.renamed,
                    "how": "a repeated id becomes the document's path (files), its path and line (JSONL "
                           "without ids), or takes a suffix ~2, ~3 (a record's own id); source.renamed_from "
                           "keeps the id it was given"},
            "removed": dict(sorted(st.removed.items())),
            "templates": st.templates,
            "dedup": {"minhash": {"num_perm": d.num_perm, "bands": d.bands, "rows": d.rows,
                                  "scheme": d.scheme, "seed": d.seed,
                                  "shingling": f"word {d.shingle}-grams, casefolded, letters and digits"},
                      "index": st.dedup_index, **st.dedup},
            "seconds": {k: round(v, 3) for k, v in sorted(st.seconds.items())},
            "resumed": ({"units": self._units, "extract": self.work.reused["extract"],
                         "clean": self.work.reused["clean"], "stale": self.work.stale}
                        if self._resume and self.work is not None else None),
        }


def _pipeline_info(config: Config) -> dict:
    """What made a record: newsclean's version, the schema, the config's hash, and the
    hashes of the labeller models (the config names no model file, so it says which)."""
    return {"version": __version__, "schema": SCHEMA_VERSION, "config": config.hash(),
            "labeller": Labeller.load().hash if config.labeller else None,
            "html_labeller": Labeller.load("html").hash if config.html_labeller else None}


def explain_page(items: Iterable[Document | Reject], doc_id: str | None,
                 config: Config) -> tuple[Labelling, Cut] | Reject | None:
    """One document of ``items`` (the first, or the one with ``doc_id``) cleaned as a run
    over ``items`` would clean it — site templates counted over all of them, dedup aside —
    with every block's verdict. A Reject when that document is one; None when there is none."""
    counter = TemplateCounter.for_config(config)
    chosen = None
    for it in items:
        mine = chosen is None and (doc_id is None or it.doc_id == doc_id)
        if isinstance(it, Reject):
            if mine:
                return it
            continue
        if not mine and counter is None:
            continue
        ex = _guarded(extract_text, it, config)
        if isinstance(ex, Reject):
            if mine:
                return ex
            continue
        hashes = template_hashes(ex, config)
        if counter is not None and hashes is not None:
            counter.observe(ex.site, set(hashes), page_keys(ex.url, hashes))
        if mine:
            chosen = ex
            if counter is None:
                break
    if chosen is None:
        return None
    page = to_page(chosen)
    if counter is not None:
        page = replace(page, template=counter.template_blocks(page.site, page.blocks))
    labelled = _guarded(label_page, page, config)
    if isinstance(labelled, Reject):
        return labelled
    cut = _guarded(cut_page, labelled, config, sign=False)
    return cut if isinstance(cut, Reject) else (labelled, cut)


def clean_text(text: str, doc_id: str = "text", url: str | None = None, config: Config | None = None,
               html: bool = False) -> list[dict]:
    """Clean one page (plain text, or HTML with ``html=True``); return its story records.

    No corpus-level steps run here (templates and duplicates need a corpus). A malformed
    ``url`` is a ValueError, raised before any work."""
    config = config or Config()
    if url is not None:
        problem = url_problem(url)
        if problem:
            raise ValueError(f"malformed url {url!r}: {problem}")
    source = {"path": "<text>", "sha256": hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest(),
              "format": "html" if html else "text"}
    doc = Document(doc_id, text, "html" if html else "text", source, url=url)
    cut = process_page(extract(doc, config), config)
    return [story_record(s, _pipeline_info(config)) for s in cut.stories]
