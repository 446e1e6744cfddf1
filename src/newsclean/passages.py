"""Passages a page prints more than once (a headline twice, a caption twice, a whole
block of the article again), found before the body is chosen, so that a copy never
outweighs its original.

A copy is exact after typography folding (curly and straight quotes, dashes, non-breaking
spaces, case), a cut copy (ending in "…", or a prefix of at least half the original), or
nearly the same (Jaccard of word bigrams ≥ 0.7) with the same first or last words.
"""
from __future__ import annotations

import unicodedata

import re

from .config import Rules


_WORDS = re.compile(r"\w+")


_ASCII_KEEP = set(b"abcdefghijklmnopqrstuvwxyz0123456789_")
_ASCII_FOLD = bytes(c if c in _ASCII_KEEP else 32 for c in range(256))


def fold(text: str) -> str:
    """Typography-insensitive form: NFKC, curly to straight quotes, dashes, case, spaces."""
    if text.isascii():  # the common case, in C all the way
        return " ".join(text.encode().lower().translate(_ASCII_FOLD).decode().split())
    # Quotes, dashes, ellipses and odd spaces are no word characters: the word split
    # alone makes curly and straight copies equal.
    t = text if unicodedata.is_normalized("NFKC", text) else unicodedata.normalize("NFKC", text)
    return " ".join(_WORDS.findall(t.casefold()))


def _cut_mark(text: str) -> tuple[str, bool]:
    """The text without a closing "…" or "...", and whether it had one (a cut copy)."""
    t = text.rstrip()
    if t.endswith("…"):
        return t[:-1].rstrip(), True
    if t.endswith("..."):
        return t[:-3].rstrip(), True
    return text, False


def shingles(words: list[str], n: int = 2) -> set[tuple[str, ...]]:
    if len(words) < n:
        return {tuple(words)}
    return {tuple(words[i:i + n]) for i in range(len(words) - n + 1)}


def find_repeats(texts: list[str], eligible: list[bool], rules: Rules) -> dict[int, int]:
    """Map each later copy to the earliest block it repeats: a naive scrape prints hidden
    copies of whole blocks, so every later copy counts."""
    idx = [i for i, t in enumerate(texts) if eligible[i] and len(t) >= rules.repeat_min_chars]
    folded = {i: fold(_cut_mark(texts[i])[0]) for i in idx}
    seen: dict[str, int] = {}
    # A copy that is not exact keeps its first or its last words (a cut copy, a light
    # edit): those are the keys candidates are looked up by, before any Jaccard is paid.
    by_end: dict[str, list[int]] = {}
    found: dict[int, int] = {}
    for i in idx:
        key = folded[i]
        first = seen.get(key)
        if first is None:
            words = key.split()
            ends = ("<" + " ".join(words[:rules.repeat_end_words]), ">" + " ".join(words[-rules.repeat_end_words:]))
            cands = sorted({j for e in ends for j in by_end.get(e, ())})
            if cands:
                cut = _cut_mark(texts[i])[1]
                sh = shingles(words)
                for j in cands:
                    other = folded[j]
                    if (cut or len(key) < len(other)) and other.startswith(key) and len(key) >= rules.repeat_prefix_share * len(other):
                        first = j
                        break
                    osh = shingles(other.split())
                    if len(sh & osh) >= rules.repeat_near_jaccard * len(sh | osh):
                        first = j
                        break
            if first is None:
                seen[key] = i
                for e in ends:
                    by_end.setdefault(e, []).append(i)
                continue
        found[i] = first
    return found
