"""Site templates, CCNet style: a line that recurs across many documents of one site
(same URL host, or same input folder) is that site's chrome.

Pass one counts, per site, in how many documents each line hash occurs; pass two asks.
Memory is bounded by lossy counting: when a site's table outgrows its cap, lines seen in
a single document are dropped (a template line recurs, so it survives the pruning).
A line must recur in at least ``min_docs`` documents; prose-like lines (long, ending a
sentence) must also recur in ``min_share`` of the site's documents, so that a body
paragraph that merely occurs twice, or a wire story the site printed three times, stays.
"""
from __future__ import annotations

from collections import Counter

import xxhash

from .records import Block, normalize_ws

MAX_LINES_PER_SITE = 200_000


def line_hash(text: str) -> int:
    return xxhash.xxh3_64_intdigest(normalize_ws(text).casefold().encode())


def is_prose(text: str) -> bool:
    return len(text) >= 80 and text.rstrip()[-1:] in ".!?\"'”’»"


class TemplateCounter:
    def __init__(self, min_docs: int = 3, min_share: float = 0.5, cap: int = MAX_LINES_PER_SITE):
        self.min_docs = min_docs
        self.min_share = min_share
        self.cap = cap
        self.docs: Counter[str] = Counter()
        self.lines: dict[str, Counter[int]] = {}

    def observe(self, site: str | None, hashes: set[int]) -> None:
        if site is None:
            return
        self.docs[site] += 1
        table = self.lines.setdefault(site, Counter())
        table.update(hashes)
        if len(table) > self.cap:
            for h in [h for h, c in table.items() if c < 2]:
                del table[h]

    def template_blocks(self, site: str | None, blocks: list[Block], hashes: list[int] | None = None) -> frozenset[int]:
        if site is None or site not in self.lines:
            return frozenset()
        table, n = self.lines[site], self.docs[site]
        hashes = hashes or [line_hash(b.text) for b in blocks]  # (computed where the page is)
        out = set()
        for i, b in enumerate(blocks):
            c = table.get(hashes[i], 0)
            if c >= self.min_docs and (not is_prose(b.text) or c >= self.min_share * n):
                out.add(i)
        return frozenset(out)
