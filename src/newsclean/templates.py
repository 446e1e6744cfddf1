"""Site templates, CCNet style: a line that recurs across many pages of one site (same
URL host, or same input folder) is that site's chrome.

Pass one counts, per site, on how many *distinct pages* each line hash occurs; pass two
asks. A page crawled again (the same URL, or the same text under another name) is counted
once: re-crawls are ordinary in scraped corpora, and counting copies would make a page's
own body its site's template. Memory is bounded by lossy counting: when a site's table
outgrows its cap, lines seen on a single page are dropped (a template line recurs, so it
survives the pruning).

A line must recur on at least ``min_docs`` pages; prose-like lines (long, ending a
sentence) also on ``min_share`` of the site's pages, so that on a site of many pages a
body paragraph that merely occurs twice, or a wire story the site printed three times,
stays. (Two distinct pages are enough: on the shared sets a prose line that two pages of
a site share is a footer or a notice far more often than a story's paragraph.) And no
template takes a page's body: when the template lines would leave less than
``min_body_left`` of a page's prose, that prose is the page's own story (printed on
several of the site's pages), not chrome, and only its non-prose template lines go.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import xxhash

from .records import Block, normalize_ws

MAX_LINES_PER_SITE = 200_000
COMPACT_MIN = 4096  # line hashes a site collects before they are merged into its table


class _SiteTable:
    """One site's line counts: distinct line hashes, sorted, and the pages each was seen
    on, as two numpy arrays (12 bytes a line; a Counter took 85), with the hashes of pages
    counted since the last merge waiting beside them."""

    __slots__ = ("keys", "counts", "pending", "n_pending")

    def __init__(self) -> None:
        self.keys = np.empty(0, dtype=np.uint64)
        self.counts = np.empty(0, dtype=np.uint32)
        self.pending: list[np.ndarray] = []
        self.n_pending = 0

    def add(self, hashes: np.ndarray, batch: int) -> None:
        self.pending.append(hashes)
        self.n_pending += len(hashes)
        if self.n_pending > max(batch, len(self.keys)):  # doubling: merges cost O(n log n) overall
            self.compact()

    def compact(self) -> None:
        if not self.pending:
            return
        keys = np.concatenate([self.keys, *self.pending])
        weights = np.concatenate([self.counts, np.ones(self.n_pending, dtype=np.uint32)])
        self.keys, inverse = np.unique(keys, return_inverse=True)
        self.counts = np.bincount(inverse, weights=weights, minlength=len(self.keys)).astype(np.uint32)
        self.pending, self.n_pending = [], 0

    def prune(self) -> None:
        """Drop the lines seen on a single page (lossy counting: a template line recurs)."""
        keep = self.counts >= 2
        self.keys, self.counts = self.keys[keep], self.counts[keep]

    def __len__(self) -> int:
        self.compact()
        return len(self.keys)

    def recurring(self, min_docs: int) -> dict[int, int]:
        self.compact()
        keep = self.counts >= min_docs
        return dict(zip(self.keys[keep].tolist(), self.counts[keep].tolist()))


def line_hash(text: str) -> int:
    return xxhash.xxh3_64_intdigest(normalize_ws(text).casefold().encode())


def page_keys(url: str | None, hashes: Sequence[int]) -> tuple[int, ...]:
    """What makes two documents the same page: the same URL, or the same lines in the
    same order (whitespace and case aside)."""
    text_key = xxhash.xxh3_64_intdigest(b"".join(h.to_bytes(8, "little") for h in hashes))
    if url:
        return (text_key, xxhash.xxh3_64_intdigest(b"url:" + url.encode("utf-8", "surrogatepass")))
    return (text_key,)


def is_prose(text: str) -> bool:
    return len(text) >= 80 and text.rstrip()[-1:] in ".!?\"'”’»"


class TemplateCounter:
    def __init__(self, min_docs: int = 2, min_share: float = 0.5, min_body_left: float = 0.1,
                 cap: int = MAX_LINES_PER_SITE):
        self.min_docs = min_docs
        self.min_share = min_share
        self.min_body_left = min_body_left
        self.cap = cap
        self.docs: Counter[str] = Counter()
        self.lines: dict[str, _SiteTable] = {}
        self.seen: dict[str, set[int]] = {}  # page keys counted, per site
        self.copies = 0  # documents not counted: a page seen before

    @classmethod
    def for_config(cls, config) -> "TemplateCounter | None":
        """The counter a run with ``config`` uses, or None when templates are off."""
        if not config.templates:
            return None
        return cls(config.template_min_docs, config.template_min_share, config.template_min_body_left)

    def observe(self, site: str | None, hashes: set[int], keys: Sequence[int] = ()) -> bool:
        """Count one document's distinct line hashes; False when it is a page already
        counted (a re-crawl, a copy under another name), which adds nothing."""
        if site is None:
            return False
        seen = self.seen.setdefault(site, set())
        if any(k in seen for k in keys):
            seen.update(keys)
            self.copies += 1
            return False
        seen.update(keys)
        self.docs[site] += 1
        table = self.lines.get(site)
        if table is None:
            table = self.lines[site] = _SiteTable()
        table.add(np.fromiter(hashes, dtype=np.uint64, count=len(hashes)), min(COMPACT_MIN, self.cap))
        if table.n_pending == 0 and len(table.keys) > self.cap:  # (just merged)
            table.prune()
        return True

    def freeze(self) -> "Templates":
        """What the counting found, as a table (the aggregation's output): per site its page
        count and the lines seen on at least ``min_docs`` of its pages — the only ones that
        can be template lines, so the table is small enough to travel with each batch."""
        lines = {site: table.recurring(self.min_docs) for site, table in self.lines.items()}
        return Templates(self.min_docs, self.min_share, self.min_body_left, dict(self.docs), lines)

    def template_blocks(self, site: str | None, blocks: list[Block], hashes: list[int] | None = None) -> frozenset[int]:
        return self.freeze().only([site]).template_blocks(site, blocks, hashes)


@dataclass(frozen=True)
class Templates:
    """Site templates, counted: per site, how many pages it has and on how many of them each
    recurring line occurs. Plain data — a cleaning step gets the part for its batch's sites."""

    min_docs: int
    min_share: float
    min_body_left: float
    docs: dict[str, int]
    lines: dict[str, dict[int, int]]

    def only(self, sites: Iterable[str | None]) -> "Templates":
        """The table for these sites alone (what a batch of their pages needs)."""
        keep = {s for s in sites if s in self.lines}
        return Templates(self.min_docs, self.min_share, self.min_body_left,
                         {s: self.docs[s] for s in sorted(keep)}, {s: self.lines[s] for s in sorted(keep)})

    def template_blocks(self, site: str | None, blocks: list[Block], hashes: list[int] | None = None) -> frozenset[int]:
        """The indexes of a page's blocks that are its site's template lines."""
        if site is None or site not in self.lines:
            return frozenset()
        table, n = self.lines[site], self.docs[site]
        hashes = hashes or [line_hash(b.text) for b in blocks]  # (computed where the page is)
        out, prose_lines = set(), set()
        for i, b in enumerate(blocks):
            c = table.get(hashes[i], 0)
            prose = is_prose(b.text)
            if c >= self.min_docs and (not prose or c >= self.min_share * n):
                out.add(i)
                if prose:
                    prose_lines.add(i)
        if prose_lines:
            prose_chars = sum(len(b.text) for b in blocks if is_prose(b.text))
            taken = sum(len(blocks[i].text) for i in prose_lines)
            if prose_chars - taken < self.min_body_left * prose_chars:
                out -= prose_lines
        return frozenset(out)
