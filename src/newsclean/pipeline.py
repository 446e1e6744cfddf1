"""The run: read → extract → clean → segment → dedup → write, over a stream of documents.

Per-document work (HTML extraction, cleaning, segmentation, signatures) is the steps of
newsclean.steps, run by an executor (newsclean.executors: this process, a process pool,
Ray tasks), results taken in input order, so the output is byte-identical at any ``-j``
and under any executor.
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
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace

import numpy as np

from . import __version__
from .config import SCHEMA_VERSION, Config
from .dedup import Deduper, band_keys
from .executors import LocalExecutor
from .extract import extract, extract_text, to_page
from .labeller import Labeller
from .records import Document, Labelling, Reject, story_record
from .read import url_problem
from .report import EXAMPLES, SITES_SHOWN
from .steps import (SIGN_BATCH, Cut, clean_batch, cut_page, extract_batch, extract_clean_batch, guarded,
                    label_page, process_page, process_pages, template_hashes)
from .templates import TemplateCounter, Templates, page_keys
from .work import Work, unit_signature, units

__all__ = ["Pipeline", "Stats", "clean_text", "explain_page", "batch_gc", "SIGN_BATCH", "Cut", "label_page",
           "process_page", "process_pages", "cut_page"]

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


# Work items travel as (unit, kind, value): a batch to work on, a unit's end (save it), or
# a unit's saved result (reused, passed through untouched).
_ITEM, _END, _SAVED = "item", "end", "saved"


def _costly(tagged: tuple) -> bool:
    """HTML is worth sending to a worker process; a plain-text page is not."""
    return tagged[1] == _ITEM and any(getattr(it, "fmt", "") == "html" for it in tagged[2])


def _extract_tagged(tagged: tuple, config: Config) -> tuple:
    n, kind, value = tagged
    return (n, kind, extract_batch(value, config)) if kind == _ITEM else tagged


def _clean_tagged(tagged: tuple, config: Config) -> tuple:
    n, kind, value = tagged
    return (n, kind, clean_batch(*value, config)) if kind == _ITEM else tagged


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
    sites: dict = field(default_factory=dict)  # site → [pages, characters, characters removed]
    templates: dict | None = None  # what the template pass counted


class Pipeline:
    """Maps documents to output records. ``run`` yields ``(kind, record)`` pairs, kind
    being "clean", "duplicate" or "reject"; every input ends in exactly one kind."""

    def __init__(self, config: Config | None = None, jobs: int = 1, index=None, executor=None):
        """``executor``: who runs the per-document steps (newsclean.executors; default a
        LocalExecutor of ``jobs`` processes). The output does not depend on it."""
        self.config = config or Config()
        self.executor = executor if executor is not None else LocalExecutor(jobs)
        self.jobs = max(1, int(jobs))
        self.index = index
        self.stats = Stats()
        self._staged: list = []  # index entries of this run's published stories, not yet stored
        self.work: Work | None = None
        self._resume = False
        self._units = 0
        self.pipeline_info = _pipeline_info(self.config)
        self.examples: list[dict] = []  # the first pages with lines removed, for report.html

    # -- stages ----------------------------------------------------------------------
    def run(self, items: Iterable[Document | Reject], work_dir: str | os.PathLike | None = None,
            resume: bool = False) -> Iterator[tuple[str, dict]]:
        """Records for ``items``, in input order. Corpus-wide steps (templates, dedup) keep
        their intermediate results in ``work_dir`` (a temporary folder if None, removed at
        the end); with ``resume`` the units of input already done there are reused."""
        cfg = self.config
        with self.executor:
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
        # One page a step: with no signatures to batch, a record goes out as soon as it
        # (and every one before it) is cleaned — a reader of stdout sees them one by one.
        batches = ([it] for it in items)
        for batch in self.executor.imap(extract_clean_batch, batches, self.config):
            for cut in batch:
                yield from self._emit(cut, {})

    def _extract_units(self, items, work: Work, counter: TemplateCounter | None) -> list[str]:
        """Extraction per unit of input (reused where the work folder has it), and the
        template counts; returns the units' signatures."""
        sigs: list[str] = []

        def tagged():
            for n, chunk in enumerate(units(items)):
                sig = unit_signature(chunk)
                sigs.append(sig)
                saved = work.load("extract", n, sig)
                if saved is not None:
                    work.reused["extract"] += 1
                    yield n, _SAVED, saved
                    continue
                for batch in _batched(chunk, SIGN_BATCH):
                    yield n, _ITEM, batch
                yield n, _END, None

        done: list = []
        for n, kind, value in self.executor.imap(_extract_tagged, tagged(), self.config, costly=_costly):
            if kind == _END:
                work.save("extract", n, sigs[n], done)
                done = []
                continue
            for ex, hashes, dt in value:
                self.stats.seconds["extract"] += dt if kind == _ITEM else 0.0
                if counter is not None and hashes is not None:
                    counter.observe(ex.site, set(hashes), page_keys(ex.url, hashes))
                if kind == _ITEM:
                    done.append((ex, hashes, dt))
        return sigs

    def _clean_units(self, work: Work, sigs: list[str], templates: Templates | None) -> list[str]:
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
                    # Each batch carries the templates of its own sites, and nothing more.
                    part = None if templates is None else templates.only({getattr(ex, "site", None) for ex in batch})
                    yield n, _ITEM, (batch, part)
                yield n, _END, None

        done: list = []
        for n, kind, value in self.executor.imap(_clean_tagged, tagged(), self.config):
            if kind == _END:
                work.save("cut", n, keys[n], done)
                done = []
            else:
                done.extend(value)
        return keys

    def _run(self, items, work: Work) -> Iterator[tuple[str, dict]]:
        cfg = self.config
        # Templates need every page's lines counted before any page is cleaned: extracted
        # texts wait in the work folder until the counts are a table.
        counter = TemplateCounter.for_config(cfg)
        sigs = self._extract_units(items, work, counter)
        templates = None
        if counter is not None:
            self.stats.templates = {"sites": len(counter.docs), "pages": sum(counter.docs.values()),
                                    "copies_not_counted": counter.copies}
            templates = counter.freeze()
            counter = None  # (the counts are let go once they are a table, and the table once used)
        self._units = len(sigs)
        keys = self._clean_units(work, sigs, templates)
        templates = None
        self.executor.release()
        decisions: dict = {}
        if cfg.dedup.enabled:
            deduper = Deduper(cfg.dedup, self.index)
            t = time.perf_counter()
            for n, key in enumerate(keys):
                for cut in work.load("cut", n, key):
                    if isinstance(cut, Cut):
                        paras = cut.paras or [None] * len(cut.stories)
                        for s, (sig, size, exact), p in zip(cut.stories, cut.sigs, paras):
                            deduper.add(s.id, s.text, s.date, sig, size, exact, p)
            decisions = deduper.resolve(self.executor)
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
        # Every document arrives here once, as its Cut or its Reject: the counts are summed
        # from what the steps returned, not kept by the stream as it passes.
        self.stats.documents += 1
        if isinstance(cut, Reject):
            self.stats.rejects[cut.reason] += 1
            yield "reject", cut.to_dict()
            return
        self.stats.renamed += cut.renamed
        for k, v in cut.seconds.items():
            self.stats.seconds[k] += v
        self.stats.removed.update(cut.removed)
        self._tally(cut)
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

    def _tally(self, cut: Cut) -> None:
        """Per-site characters removed, and the report's example pages."""
        spans = [r for s in cut.stories for r in s.removed] + cut.orphans
        site = self.stats.sites.setdefault(cut.site or "(no site)", [0, 0, 0])
        site[0] += 1
        site[1] += cut.chars
        site[2] += sum(r["end"] - r["start"] for r in spans)
        if spans and len(self.examples) < EXAMPLES:
            lines = [(a, b, None, s.index) for s in cut.stories for a, b in s.spans]
            lines += [(r["start"], r["end"], r["reason"], None) for r in spans]
            self.examples.append({"doc_id": cut.page_id, "path": cut.path, "stories": len(cut.stories),
                                  "lines": [{"text": cut.text[a:b], "reason": why, "story": k}
                                            for a, b, why, k in sorted(lines, key=lambda x: x[0])]})

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
            "executor": self.executor.name,
            "labeller": self.pipeline_info["labeller"],
            "models": {k: self.pipeline_info[k] for k in ("labeller", "boundary", "html_labeller")},
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
            "sites": {"count": len(st.sites), "most_removed": [
                {"site": site, "pages": p, "chars": c, "removed": r, "removed_share": round(r / c, 4) if c else 0.0}
                for site, (p, c, r) in sorted(st.sites.items(), key=lambda kv: (-kv[1][2], kv[0]))[:SITES_SHOWN]]},
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
    hashes of the models (the labellers', the boundaries'; the config names no model file,
    so it says which)."""
    return {"version": __version__, "schema": SCHEMA_VERSION, "config": config.hash(),
            "labeller": Labeller.load().hash if config.labeller else None,
            "boundary": Labeller.load("boundary").hash if config.labeller else None,
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
        ex = guarded(extract_text, it, config)
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
    labelled = guarded(label_page, page, config)
    if isinstance(labelled, Reject):
        return labelled
    cut = guarded(cut_page, labelled, config, sign=False)
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
