"""Stage 5, dedup: the same story across a corpus — exact copies, truncated copies and
lightly edited ones — found on the cleaned story text, never on the raw page.

Signatures are datasketch MinHashes computed in one vectorised step (the permutations
are datasketch's own, scheme pinned; the result equals ``MinHash.update_batch`` fed the
same shingle hashes). Candidates come from banded LSH; every candidate pair is verified
(estimated Jaccard, or containment for a truncated copy) before union-find, so shared
boilerplate and transitive chains cannot weld unrelated stories into giant clusters.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

import re

import numpy as np
import xxhash
from datasketch import MinHash

from .config import DedupConfig

_WORD = re.compile(r"[^\W_]+")  # letters and digits (stdlib re: Unicode-aware and fast)
_U64 = np.uint64
_ROLL = _U64(0x9E3779B97F4A7C15)  # odd multiplier of the polynomial shingle hash


def words(text: str) -> list[str]:
    return _WORD.findall(text.casefold())


def exact_key(text: str) -> int:
    """Hash of the text with case, punctuation and spacing normalised away."""
    return xxhash.xxh3_64_intdigest(" ".join(words(text)).encode())


@lru_cache(maxsize=1 << 20)
def word_hash(word: str) -> int:
    """64-bit hash of a word; cached, since a corpus repeats its vocabulary endlessly."""
    return xxhash.xxh3_64_intdigest(word.encode())


def shingle_hashes(text: str, n: int) -> np.ndarray:
    """32-bit hashes of the distinct word n-grams of ``text`` (vectorised rolling hash)."""
    toks = words(text)
    if not toks:
        return np.empty(0, dtype=np.uint32)
    wh = np.fromiter(map(word_hash, toks), dtype=_U64, count=len(toks))
    k = min(n, len(wh))
    m = len(wh) - k + 1
    h = wh[:m].copy()
    with np.errstate(over="ignore"):
        for j in range(1, k):
            h = h * _ROLL + wh[j:j + m]
        h ^= h >> _U64(29)
    return np.unique((h & _U64(0xFFFFFFFF)).astype(np.uint32))


@lru_cache(maxsize=8)
def permutations(num_perm: int, seed: int, scheme: str) -> np.ndarray:
    return MinHash(num_perm=num_perm, seed=seed, scheme=scheme).permutations


def _fmix32(h: np.ndarray) -> np.ndarray:
    h = h ^ (h >> np.uint32(16))
    h = h * np.uint32(0x85EBCA6B)
    h = h ^ (h >> np.uint32(13))
    h = h * np.uint32(0xC2B2AE35)
    return h ^ (h >> np.uint32(16))


def signature(hashes: np.ndarray, cfg: DedupConfig) -> np.ndarray:
    """MinHash signature of 32-bit shingle hashes, scheme affine32, as datasketch computes it."""
    if cfg.scheme != "affine32":
        m = MinHash(num_perm=cfg.num_perm, seed=cfg.seed, scheme=cfg.scheme,
                    permutations=permutations(cfg.num_perm, cfg.seed, cfg.scheme),
                    hashfunc=lambda x: x)
        m.update_batch(hashes.tolist())
        return m.hashvalues
    a, b = permutations(cfg.num_perm, cfg.seed, cfg.scheme)
    if hashes.size == 0:
        return np.full(cfg.num_perm, np.uint32(0xFFFFFFFF), dtype=np.uint32)
    with np.errstate(over="ignore"):
        hv = _fmix32(hashes.astype(np.uint32))
        return (hv[:, None] * a[None, :] + b[None, :]).min(axis=0)


def band_keys(sig: np.ndarray, cfg: DedupConfig) -> list[int]:
    """One 64-bit key per LSH band: a band's rows hashed together with the band number."""
    rows = sig[: cfg.bands * cfg.rows].astype(_U64).reshape(cfg.bands, cfg.rows)
    with np.errstate(over="ignore"):
        h = np.arange(cfg.bands, dtype=_U64) * _U64(0xD6E8FEB86659FD93)
        for r in range(cfg.rows):
            h = (h ^ rows[:, r]) * _U64(0x9E3779B97F4A7C15)
            h ^= h >> _U64(32)
    return h.tolist()


@dataclass
class Entry:
    """What dedup keeps of a story: its signature and the facts that choose a representative."""

    key: str  # "<doc_id>#<story>"
    seq: int  # order of arrival: the last tie-breaker
    sig: np.ndarray
    size: int  # distinct shingles
    length: int  # characters of clean text
    date: str | None
    exact: int
    old: bool = False  # from a persistent index: already published, stays the representative


def estimate(a: Entry, b: Entry) -> tuple[float, float]:
    """(Jaccard, containment of the smaller story in the larger), from signatures and sizes."""
    j = float(np.count_nonzero(a.sig == b.sig)) / len(a.sig)
    small = min(a.size, b.size)
    if small == 0:
        return j, 0.0
    inter = j * (a.size + b.size) / (1.0 + j)
    return j, min(1.0, inter / small)


def rank(e: Entry) -> tuple:
    """Representative order: published first, then the longest, earliest dated, first seen."""
    return (not e.old, -e.length, e.date or "9999-99-99", e.seq)


class Deduper:
    """Collect entries, verify LSH candidates, union verified pairs, pick representatives."""

    def __init__(self, cfg: DedupConfig, index=None):
        self.cfg = cfg
        self.index = index  # persistent store of earlier runs (newsclean.index), or None
        self.entries: list[Entry] = []
        self._pos: dict[str, int] = {}  # key → position in entries
        self.buckets: dict[int, list[int]] = {}
        self.exact: dict[int, int] = {}
        self.parent: list[int] = []
        self.sims: dict[int, float] = {}
        self.kinds: Counter[str] = Counter()
        self.histogram: Counter[int] = Counter()
        self.candidates = 0
        self.rejected = 0

    # union-find over entry positions
    def _find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def _union(self, i: int, j: int) -> None:
        ri, rj = self._find(i), self._find(j)
        if ri != rj:
            self.parent[max(ri, rj)] = min(ri, rj)

    def _add_entry(self, e: Entry) -> int:
        pos = len(self.entries)
        self.entries.append(e)
        self.parent.append(pos)
        self._pos[e.key] = pos
        return pos

    def _pull_old(self, keys) -> list[int]:
        """Bring entries of earlier runs that an LSH lookup named into this run."""
        out = []
        for key in keys:
            if key in self._pos:
                out.append(self._pos[key])
                continue
            old = self.index.get(key)
            if old is None:
                continue
            old.old = True
            pos = self._add_entry(old)
            out.append(pos)
        return out

    def add(self, key: str, text: str, date: str | None, sig: np.ndarray, size: int) -> None:
        e = Entry(key, len(self.entries), sig, size, len(text), date, exact_key(text))
        pos = self._add_entry(e)
        if not text.strip():
            return
        if e.exact in self.exact:
            self._union(self.exact[e.exact], pos)
            self.sims[pos] = 1.0
            self.kinds["exact"] += 1
            return
        self.exact[e.exact] = pos
        if size < self.cfg.min_shingles:
            return
        keys = band_keys(sig, self.cfg)
        cands: set[int] = set()
        for k in keys:
            bucket = self.buckets.get(k)
            if bucket:
                cands.update(bucket)
        if self.index is not None:
            cands.update(self._pull_old(self.index.candidates(sig, keys, e.exact)))
        best = None
        for c in sorted(cands):
            if c == pos:
                continue
            self.candidates += 1
            j, contain = estimate(e, self.entries[c])
            if j >= self.cfg.jaccard or contain >= self.cfg.containment:
                score = max(j, contain)
                if best is None or score > best[0]:
                    best = (score, c, "near" if j >= self.cfg.jaccard else "contained")
            else:
                self.rejected += 1
        if best is not None:
            self._union(best[1], pos)
            self.sims[pos] = round(best[0], 4)
            self.kinds[best[2]] += 1
        for k in keys:
            self.buckets.setdefault(k, []).append(pos)

    def resolve(self) -> dict[str, tuple[str, float]]:
        """key → (representative key, similarity) for every story that is a duplicate."""
        groups: dict[int, list[int]] = {}
        for i in range(len(self.entries)):
            groups.setdefault(self._find(i), []).append(i)
        out = {}
        self.histogram.clear()
        for members in groups.values():
            self.histogram[len(members)] += 1
            if len(members) < 2:
                continue
            rep = min(members, key=lambda i: rank(self.entries[i]))
            r = self.entries[rep]
            for i in members:
                if i == rep or self.entries[i].old:
                    continue
                e = self.entries[i]
                if e.exact == r.exact:
                    sim = 1.0
                else:
                    j, contain = estimate(e, r)
                    sim = round(max(j, contain), 4)
                out[e.key] = (r.key, sim)
        return out

    def new_entries(self) -> list[Entry]:
        return [e for e in self.entries if not e.old]

    def stats(self) -> dict:
        return {"candidate_pairs": self.candidates, "rejected_pairs": self.rejected,
                "matched": dict(sorted(self.kinds.items())),
                "cluster_sizes": {str(k): v for k, v in sorted(self.histogram.items())}}
