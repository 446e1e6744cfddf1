"""Stage 5, dedup: the same story across a corpus — exact copies, truncated copies and
lightly edited ones — found on the cleaned story text, never on the raw page.

Signatures are datasketch MinHashes computed in one vectorised step (the permutations
are datasketch's own, scheme pinned; the result equals ``MinHash.update_batch`` fed the
same shingle hashes). Candidates come from banded LSH; every candidate pair is verified
(estimated Jaccard, or containment for a truncated copy) before union-find, so shared
boilerplate and transitive chains cannot weld unrelated stories into giant clusters.
"""
from __future__ import annotations

from array import array
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import regex
import xxhash

from .config import DedupConfig

_U64 = np.uint64
_ROLL = _U64(0x9E3779B97F4A7C15)  # odd multiplier of the polynomial shingle hash
_P = _U64(0x100000001B3)  # odd base of the per-word polynomial hash


def _inverse64(a: int) -> int:
    x = a
    for _ in range(6):  # Newton: each step doubles the correct low bits
        x = (x * (2 - a * x)) % (1 << 64)
    return x


_PINV = _U64(_inverse64(int(_P)))
# Word characters, byte-wise: ASCII letters and digits, and every byte of a non-ASCII
# character (so accented and non-Latin words stay whole); common typographic punctuation
# is turned into spaces first.
_WORDCHAR = np.zeros(256, dtype=bool)
_WORDCHAR[list(b"abcdefghijklmnopqrstuvwxyz0123456789")] = True
_WORDCHAR[0x80:] = True
_LATIN1_PUNCT = np.array([0xA0, 0xAB, 0xBB, 0xB7], dtype=np.uint8)
_POWERS: dict[str, np.ndarray] = {}


def _powers(n: int) -> tuple[np.ndarray, np.ndarray]:
    """P^i and P^-i mod 2^64 for i < n (grown on demand, kept)."""
    have = _POWERS.get("p")
    if have is None or len(have) < n:
        size = max(n, 1 << 16, 2 * len(have) if have is not None else 0)
        with np.errstate(over="ignore"):
            p = np.empty(size, dtype=_U64)
            p[0] = 1
            p[1:] = np.cumprod(np.full(size - 1, _P, dtype=_U64))
            q = np.empty(size, dtype=_U64)
            q[0] = 1
            q[1:] = np.cumprod(np.full(size - 1, _PINV, dtype=_U64))
        _POWERS["p"], _POWERS["q"] = p, q
    return _POWERS["p"], _POWERS["q"]


def _text_bytes(text: str) -> bytes:
    return text.lower().encode("utf-8", "surrogatepass")


def _word_mask(a: np.ndarray) -> np.ndarray:
    """1 where a byte belongs to a word. Typographic punctuation is cut out in UTF-8 form:
    the General Punctuation block (E2 80 xx: dashes, curly quotes, ellipsis, bullets,
    thin spaces), CJK punctuation (E3 80 xx: 、。「」) and NBSP, guillemets and middle dot (C2 A0/AB/BB/B7)."""
    w = _WORDCHAR[a]
    if a.size > 2 and a.max() >= 0x80:
        lead = np.flatnonzero(((a[:-2] == 0xE2) | (a[:-2] == 0xE3)) & (a[1:-1] == 0x80))
        for d in range(3):
            w[lead + d] = False
        lead = np.flatnonzero((a[:-1] == 0xC2) & np.isin(a[1:], _LATIN1_PUNCT))
        w[lead] = False
        w[lead + 1] = False
    return w.view(np.int8)


def _token_bounds(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """[start, end) byte offsets of the tokens: runs of word bytes, except that Chinese and
    Japanese, written without spaces, count each ideograph or kana as a token of its own
    (a whole sentence as one "word" would make a shingle of a paragraph)."""
    w = _word_mask(a)
    edges = np.diff(w, prepend=np.int8(0), append=np.int8(0))
    if a.size < 3 or a.max() < 0xE3:
        return np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    # Lead bytes of U+3040..U+9FFF in UTF-8: E3 81.. to E9 (kana, CJK ideographs).
    lead = np.flatnonzero(((a[:-1] >= 0xE4) & (a[:-1] <= 0xE9)) | ((a[:-1] == 0xE3) & (a[1:] >= 0x81)))
    cut = np.zeros(a.size + 1, dtype=bool)
    cut[lead] = True
    cut[np.minimum(lead + 3, a.size)] = True
    inside = np.concatenate([w, np.zeros(1, np.int8)]).astype(bool)  # byte i is a word byte
    before = np.concatenate([np.zeros(1, np.int8), w]).astype(bool)  # byte i - 1 is
    return (np.flatnonzero(inside & (~before | cut)), np.flatnonzero(before & (~inside | cut)))


def _word_hashes(buf: bytes) -> tuple[np.ndarray, np.ndarray]:
    """(start offsets, 64-bit hashes) of the words of a byte buffer, all at once: a
    polynomial hash from prefix sums, made position-free by the inverse powers."""
    a = np.frombuffer(buf, dtype=np.uint8)
    if a.size == 0:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=_U64)
    starts, ends = _token_bounds(a)
    p, q = _powers(a.size + 1)
    with np.errstate(over="ignore"):
        prefix = np.empty(a.size + 1, dtype=_U64)
        prefix[0] = 0
        np.cumsum((a.astype(_U64) + _U64(1)) * p[: a.size], dtype=_U64, out=prefix[1:])
        h = (prefix[ends] - prefix[starts]) * q[starts]
        h ^= h >> _U64(33)
        h *= _U64(0xFF51AFD7ED558CCD)
        h ^= h >> _U64(33)
    return starts, h


def words(text: str) -> list[str]:
    """The tokens shingles are made of (for reading; hashing works on bytes directly)."""
    b = _text_bytes(text)
    if not b:
        return []
    return [b[s:e].decode("utf-8", "replace") for s, e in zip(*_token_bounds(np.frombuffer(b, dtype=np.uint8)))]


def _unique(x: np.ndarray) -> np.ndarray:
    """Sorted distinct values (np.unique does the same, several times slower here)."""
    if x.size == 0:
        return x
    x = np.sort(x)
    keep = np.empty(x.size, dtype=bool)
    keep[0] = True
    np.not_equal(x[1:], x[:-1], out=keep[1:])
    return x[keep]


def _shingles(wh: np.ndarray, n: int) -> np.ndarray:
    """32-bit hashes of the distinct word n-grams (fewer words: the whole text is one)."""
    if wh.size == 0:
        return np.empty(0, dtype=np.uint32)
    k = min(n, wh.size)
    m = wh.size - k + 1
    h = wh[:m].copy()
    with np.errstate(over="ignore"):
        for j in range(1, k):
            h = h * _ROLL + wh[j:j + m]
        h ^= h >> _U64(29)
    return _unique((h & _U64(0xFFFFFFFF)).astype(np.uint32))


def shingle_hashes(text: str, n: int) -> np.ndarray:
    """32-bit hashes of the distinct word n-grams of ``text``."""
    return _shingles(_word_hashes(_text_bytes(text))[1], n)


def exact_key(text: str) -> int:
    """Hash of the text with case, punctuation and spacing normalised away."""
    return xxhash.xxh3_64_intdigest(_word_hashes(_text_bytes(text))[1].tobytes())


@lru_cache(maxsize=8)
def permutations(num_perm: int, seed: int, scheme: str) -> np.ndarray:
    # (imported here: datasketch's package imports scipy, a second of start-up that a run
    # without dedup, or a process that only reads, should not pay)
    from datasketch import MinHash

    return MinHash(num_perm=num_perm, seed=seed, scheme=scheme).permutations


def _fmix32(h: np.ndarray) -> np.ndarray:
    h = h ^ (h >> np.uint32(16))
    h = h * np.uint32(0x85EBCA6B)
    h = h ^ (h >> np.uint32(13))
    h = h * np.uint32(0xC2B2AE35)
    return h ^ (h >> np.uint32(16))


def sketch_many(texts: list[str], cfg: DedupConfig) -> list[tuple[np.ndarray, int, int]]:
    """(signature, distinct shingles, exact key) of many stories in a few numpy calls:
    one tokenisation pass over all their bytes, one permutation matrix, one reduceat.
    Equal, story by story, to ``signature(shingle_hashes(text))``."""
    if cfg.scheme != "affine32":
        return [(signature(shingle_hashes(t, cfg.shingle), cfg), int(shingle_hashes(t, cfg.shingle).size),
                 exact_key(t)) for t in texts]
    bufs = [_text_bytes(t) for t in texts]
    offsets = np.cumsum([0] + [len(b) + 1 for b in bufs])
    starts, wh = _word_hashes(b" ".join(bufs) + b" ")
    doc_of_word = np.searchsorted(offsets, starts, side="right") - 1
    cuts = np.searchsorted(doc_of_word, np.arange(len(texts) + 1))
    exact = [xxhash.xxh3_64_intdigest(wh[cuts[i]:cuts[i + 1]].tobytes()) for i in range(len(texts))]
    k = cfg.shingle
    counts = np.diff(cuts)
    # n-grams over the whole batch at once; a window that crosses two stories is dropped
    m = wh.size - k + 1
    if m > 0:
        h = wh[:m].copy()
        with np.errstate(over="ignore"):
            for j in range(1, k):
                h = h * _ROLL + wh[j:j + m]
            h ^= h >> _U64(29)
        doc = doc_of_word[:m]
        keep = doc == doc_of_word[k - 1:]
        keyed = _unique((doc[keep].astype(_U64) << _U64(32)) | (h[keep] & _U64(0xFFFFFFFF)))
        kdoc = (keyed >> _U64(32)).astype(np.int64)
        bounds_all = np.searchsorted(kdoc, np.arange(len(texts) + 1))
        flat = (keyed & _U64(0xFFFFFFFF)).astype(np.uint32)
    else:
        bounds_all = np.zeros(len(texts) + 1, dtype=np.int64)
        flat = np.empty(0, dtype=np.uint32)
    shingled = [flat[bounds_all[i]:bounds_all[i + 1]] for i in range(len(texts))]
    for i in np.flatnonzero((counts > 0) & (counts < k)):  # shorter than one n-gram: one shingle
        shingled[i] = _shingles(wh[cuts[i]:cuts[i + 1]], k)
    sizes = [int(x.size) for x in shingled]
    a, b = permutations(cfg.num_perm, cfg.seed, cfg.scheme)
    empty = np.full(cfg.num_perm, np.uint32(0xFFFFFFFF), dtype=np.uint32)
    full = [i for i, n in enumerate(sizes) if n]
    out = [(empty.copy(), 0, exact[i]) for i in range(len(texts))]
    if full:
        hv = _fmix32(np.concatenate([shingled[i] for i in full]))
        m = np.empty((len(a), hv.size), dtype=np.uint32)
        np.multiply(a[:, None], hv[None, :], out=m)  # uint32 wrap-around is the modulo 2^32
        np.add(m, b[:, None], out=m)
        bounds = np.cumsum([0] + [sizes[i] for i in full[:-1]])
        mins = np.minimum.reduceat(m, bounds, axis=1)
        for col, i in enumerate(full):
            out[i] = (np.ascontiguousarray(mins[:, col]), sizes[i], exact[i])
    return out


def signature(hashes: np.ndarray, cfg: DedupConfig) -> np.ndarray:
    """MinHash signature of 32-bit shingle hashes, scheme affine32, as datasketch computes it."""
    if cfg.scheme != "affine32":
        from datasketch import MinHash

        m = MinHash(num_perm=cfg.num_perm, seed=cfg.seed, scheme=cfg.scheme,
                    permutations=permutations(cfg.num_perm, cfg.seed, cfg.scheme),
                    hashfunc=lambda x: x)
        m.update_batch(hashes.tolist())
        return m.hashvalues
    a, b = permutations(cfg.num_perm, cfg.seed, cfg.scheme)
    if hashes.size == 0:
        return np.full(cfg.num_perm, np.uint32(0xFFFFFFFF), dtype=np.uint32)
    hv = _fmix32(hashes.astype(np.uint32))
    m = np.empty((len(a), len(hv)), dtype=np.uint32)
    np.multiply(a[:, None], hv[None, :], out=m)  # uint32 wrap-around is the modulo 2^32
    np.add(m, b[:, None], out=m)
    return m.min(axis=1)


@lru_cache(maxsize=8)
def _band_salt(bands: int) -> np.ndarray:
    return np.arange(1, bands + 1, dtype=_U64) * _U64(0xD6E8FEB86659FD93)


def band_keys(sig: np.ndarray, cfg: DedupConfig) -> list[int]:
    """One 64-bit key per LSH band (band_key_matrix of one signature)."""
    return band_key_matrix(sig[None, :], cfg)[0].tolist()


@dataclass(slots=True)
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
    # The story's paragraphs of at least DedupConfig.para_min_chars, in order: their keys
    # (paragraph_keys; uint64) and lengths (uint32), packed: 12 bytes a paragraph.
    paras: bytes = b""
    para_chars: bytes = b""

    def paragraphs(self) -> tuple[list[int], list[int]]:
        # (memoryview's cast: the packed arrays as lists without numpy's per-call cost)
        return memoryview(self.paras).cast("Q").tolist(), memoryview(self.para_chars).cast("I").tolist()

    def probes(self, n: int) -> list[int]:
        """The keys of its first ``n`` paragraphs: what a copy, cut or not, shares with it."""
        return first_keys(np.frombuffer(self.paras, dtype=np.uint64)[:n].tolist(), n)


def first_keys(keys, n: int) -> list[int]:
    """The distinct keys among the first ``n`` paragraphs' (Entry.probes), ascending."""
    return sorted(set(keys[:n]))


class Entries:
    """Dedup's stories as columns: the signatures in blocks of ENTRY_BLOCK rows (no copy
    of them all when the store grows), the numbers in flat arrays, all paragraphs of all
    stories in two, the keys and dates as lists (a date string shared by every story of
    its day): 809 bytes a story with its key and ten paragraphs by
    benchmarks/bench_dedup_memory.py, where a list of Entry objects took 1,228.
    ``entries[i]`` is story i as an Entry."""

    def __init__(self, num_perm: int) -> None:
        self.num_perm = num_perm
        self.keys: list[str] = []
        self.dates: list[str | None] = []
        self._date_of: dict[str, str] = {}
        self._blocks: list[np.ndarray] = []
        self._seq, self._size, self._length = array("q"), array("q"), array("q")
        self._exact, self._old = array("Q"), bytearray()
        self._para_at, self._para_keys, self._para_chars = array("q", [0]), array("Q"), array("I")

    def __len__(self) -> int:
        return len(self.keys)

    def append(self, e: Entry) -> int:
        """Store ``e``; return its position."""
        pos = len(self.keys)
        if pos % ENTRY_BLOCK == 0:
            self._blocks.append(np.empty((ENTRY_BLOCK, self.num_perm), dtype=np.uint32))
        self._blocks[-1][pos % ENTRY_BLOCK] = e.sig
        self.keys.append(e.key)
        self.dates.append(e.date if e.date is None else self._date_of.setdefault(e.date, e.date))
        self._seq.append(e.seq)
        self._size.append(e.size)
        self._length.append(e.length)
        self._exact.append(e.exact)
        self._old.append(e.old)
        self._para_keys.frombytes(e.paras)
        self._para_chars.frombytes(e.para_chars)
        self._para_at.append(len(self._para_keys))
        return pos

    def __getitem__(self, i: int) -> Entry:
        a, b = self._para_at[i], self._para_at[i + 1]
        return Entry(self.keys[i], self._seq[i], self._blocks[i // ENTRY_BLOCK][i % ENTRY_BLOCK], self._size[i],
                     self._length[i], self.dates[i], self._exact[i], bool(self._old[i]),
                     paras=self._para_keys[a:b].tobytes(), para_chars=self._para_chars[a:b].tobytes())

    def __iter__(self) -> Iterator[Entry]:
        return (self[i] for i in range(len(self)))

    def signatures(self, positions: list[int]) -> np.ndarray:
        """The signatures of these stories, one row each."""
        at = np.asarray(positions, dtype=np.int64)
        out = np.empty((len(at), self.num_perm), dtype=np.uint32)
        for block in np.unique(at // ENTRY_BLOCK):
            rows = at // ENTRY_BLOCK == block
            out[rows] = self._blocks[block][at[rows] % ENTRY_BLOCK]
        return out

    def column(self, name: str, positions: np.ndarray) -> np.ndarray:
        """One number of these stories: "size", "length" or "exact"."""
        kind = {"size": np.int64, "length": np.int64, "exact": np.uint64}[name]
        return np.frombuffer(getattr(self, "_" + name), dtype=kind)[positions]

    def probes(self, i: int, n: int) -> list[int]:
        """Entry.probes of story i, without making the Entry."""
        return first_keys(self._para_keys[self._para_at[i]:self._para_at[i + 1]], n)


ENTRY_BLOCK = 1 << 14  # signatures an Entries block holds (changes no output)


def estimate(a: Entry, b: Entry) -> tuple[float, float]:
    """(Jaccard, containment of the smaller story in the larger), from signatures and sizes."""
    j = float(np.count_nonzero(a.sig == b.sig)) / len(a.sig)
    small = min(a.size, b.size)
    if small == 0:
        return j, 0.0
    inter = j * (a.size + b.size) / (1.0 + j)
    return j, min(1.0, inter / small)


_PARA_WORDS = regex.compile(r"\w+")


def paragraph_keys(text: str, min_chars: int) -> tuple[bytes, bytes]:
    """(keys, characters) of the paragraphs of at least ``min_chars``, in order, packed as
    Entry keeps them; a key ignores case, punctuation and spacing, as the exact key does."""
    keys, chars = [], []
    for p in text.split("\n\n"):
        if len(p) >= min_chars:
            keys.append(xxhash.xxh3_64_intdigest(" ".join(_PARA_WORDS.findall(p.casefold())).encode()))
            chars.append(len(p))
    return np.array(keys, dtype=np.uint64).tobytes(), np.array(chars, dtype=np.uint32).tobytes()


def paragraph_containment(a: Entry, b: Entry) -> tuple[float, int, int]:
    """(share of the smaller story's paragraph characters found in the other in the same
    order, paragraphs so found, their characters): a truncated copy, or one whose cleaner kept other chrome
    or cut other lines, is made of the other's paragraphs however its whole text differs."""
    (ka, ca), (kb, cb) = a.paragraphs(), b.paragraphs()
    (small_keys, small_chars), big_keys = ((ka, ca), kb) if sum(ca) <= sum(cb) else ((kb, cb), ka)
    total = sum(small_chars)
    if not total:
        return 0.0, 0, 0
    where: dict[int, int] = {}
    for pos, k in enumerate(big_keys):
        where.setdefault(k, pos)
    shared = [(where[k], c) for k, c in zip(small_keys, small_chars) if k in where]
    # the heaviest chain of shared paragraphs in the same order in both (few: quadratic is fine)
    chains: list[tuple[int, int]] = []  # (characters, paragraphs) of the best chain ending here
    for i, (pos, c) in enumerate(shared):
        prev = max((chains[j] for j in range(i) if shared[j][0] < pos), default=(0, 0))
        chains.append((prev[0] + c, prev[1] + 1))
    chars, count = max(chains, default=(0, 0))
    return chars / total, count, chars


def paragraph_bound(a: Entry, b: Entry) -> tuple[float, int, int]:
    """Upper bounds of paragraph_containment's three figures — the smaller story's
    paragraphs found in the other in any order — in a few numpy calls: a pair that fails
    the paragraph test on these fails it on the ordered chain too, and most candidates a
    shared paragraph proposes (a quote, a notice) fail here."""
    (ka, ca), (kb, cb) = a.paragraphs(), b.paragraphs()
    (ks, cs), kbig = ((ka, ca), kb) if sum(ca) <= sum(cb) else ((kb, cb), ka)
    total = sum(cs)
    if not total:
        return 0.0, 0, 0
    big = set(kbig)
    found = [c for k, c in zip(ks, cs) if k in big]
    return sum(found) / total, len(found), sum(found)


def rank(e: Entry) -> tuple:
    """Representative order: published first, then the longest, earliest dated, first seen."""
    return (not e.old, -e.length, e.date or "9999-99-99", e.seq)


def best_match(e: Entry, pos: int, entries: Entries, cands: set[int], by_para: set[int],
               cfg: DedupConfig) -> tuple[tuple[float, int, str] | None, int, int]:
    """The candidate entry ``e`` (at ``pos``) is a copy of, if any: (score, position, kind)
    of the best verified one — ``cands`` proposed by LSH pass on Jaccard or containment,
    ``by_para`` (proposed only by a shared paragraph) must pass the paragraph test — with
    how many candidates were verified and how many failed the paragraph test."""
    def passes(share: float, shared: int, chars: int) -> bool:  # the paragraph test
        return share >= cfg.para_containment and shared >= cfg.para_min_shared and chars >= cfg.para_min_shared_chars

    best, verified, rejected = None, 0, 0
    for c in sorted(cands | by_para):
        if c == pos:
            continue
        other = entries[c]
        if other.key == e.key:
            continue
        verified += 1
        j, contain = estimate(e, other) if c not in by_para else (0.0, 0.0)
        if c not in by_para and (j >= cfg.jaccard or contain >= cfg.containment):
            score, kind = max(j, contain), "near" if j >= cfg.jaccard else "contained"
        else:
            if not passes(*paragraph_bound(e, other)):
                rejected += 1
                continue
            share, shared, chars = paragraph_containment(e, other)
            if not passes(share, shared, chars):
                rejected += 1
                continue
            score, kind = share, "paragraphs"
        if best is None or score > best[0]:
            best = (score, c, kind)
    return best, verified, rejected


# Dedup of a run without a persistent index, as stages with plain data between them
# (datatrove's model): signatures (made by the cleaning steps) → exact copies, by sorting
# the exact keys (Deduper._link_exact) → band keys and paragraph
# probes by ranges of stories, split by key hash (bucket_keys, a map step) → each hash
# partition's buckets and the candidate pairs they propose (bucket_pairs, a reduce step:
# a bucket lies in one partition whole) → each range of stories' pairs from every
# partition (range_pairs) → verified pairs (verify_pairs, by ranges of stories) →
# clusters (connected components over integer positions) → decisions
# (Deduper.resolve). Any executor can run the three steps. The pairs are those the
# one-pass Deduper (kept for runs with an index, whose old entries join as lookups name
# them) verifies, so the clusters are the same.

def band_key_matrix(sigs: np.ndarray, cfg: DedupConfig) -> np.ndarray:
    """One 64-bit key per LSH band for each signature (rows of ``sigs``): the band's rows
    packed into 64-bit words, mixed with the band number (4 rows of 32 bits are two
    words). An (n, bands) uint64 array. (Unsigned array arithmetic wraps silently: no
    errstate, which cost more than the arithmetic.)"""
    n = len(sigs)
    if sigs.dtype != np.uint32 or (cfg.rows * 4) % 8:
        rows = sigs[:, : cfg.bands * cfg.rows].astype(_U64).reshape(n, cfg.bands, cfg.rows)
    else:
        rows = np.ascontiguousarray(sigs[:, : cfg.bands * cfg.rows]).view(_U64).reshape(n, cfg.bands, -1)
    h = np.broadcast_to(_band_salt(cfg.bands), (n, cfg.bands)).copy()
    for r in range(rows.shape[2]):
        h = (h ^ rows[:, :, r]) * _U64(0x9E3779B97F4A7C15)
        h ^= h >> _U64(31)
    return h


@dataclass(frozen=True)
class KeyTable:
    """Which stories hold each key (a band key, a paragraph key), as two flat arrays sorted
    by key, the holders of a key in ascending order; keys only one story holds are left
    out (they propose nothing). 12 bytes a (key, story) — dicts of lists took 4 KB a story."""

    keys: np.ndarray  # uint64, sorted
    owners: np.ndarray  # int64 positions, ascending within a key

    @classmethod
    def of(cls, keys: np.ndarray, owners: np.ndarray) -> "KeyTable":
        order = np.argsort(keys, kind="stable")  # stable: owners stay ascending within a key
        keys, owners = keys[order], owners[order]
        same = keys[1:] == keys[:-1]
        shared = np.zeros(len(keys), dtype=bool)
        shared[1:] |= same
        shared[:-1] |= same
        return cls(keys[shared], owners[shared].astype(np.int64, copy=False))


def bucket_keys(item: tuple[list[int], range], entries: Entries, cfg: DedupConfig,
                parts: int) -> list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]:
    """The map step of the bucket shuffle: a range of stories' band keys and paragraph
    probes with their holders, split by key hash into ``parts`` partitions — (band keys,
    their stories, probe keys, their stories) for each partition of ``item``'s range of
    partitions (the rest are mapped in another wave: the keys of all of them at once
    would take 456 bytes a story)."""
    positions, wanted = item
    own = np.asarray(positions, dtype=np.int32)  # (int32 here: a quarter less to hold until the reduce)
    bands = band_key_matrix(entries.signatures(positions), cfg).ravel()
    band_owners = np.repeat(own, cfg.bands)
    probes = [entries.probes(p, cfg.para_probes) for p in positions]
    probe_keys = np.fromiter((k for ks in probes for k in ks), dtype=np.uint64, count=sum(map(len, probes)))
    probe_owners = np.repeat(own, [len(k) for k in probes])
    band_part, probe_part = bands % _U64(parts), probe_keys % _U64(parts)
    out = []
    for part in wanted:
        b, q = band_part == part, probe_part == part
        out.append((bands[b], band_owners[b], probe_keys[q], probe_owners[q]))
    return out


def _earlier_holders(table: KeyTable, limit: int | None) -> np.ndarray:
    """(story, earlier story) codes for every pair of holders of a key, the later first:
    for each holder, all holders before it — only where at most ``limit`` are (None: no
    limit). Encoded as story << 32 | earlier, sorted, each pair once."""
    keys, owners = table.keys, table.owners
    if not len(keys):
        return np.empty(0, dtype=np.int64)
    starts = np.flatnonzero(np.concatenate([[True], keys[1:] != keys[:-1]]))
    group = np.repeat(np.arange(len(starts), dtype=np.int64), np.diff(np.append(starts, len(keys))))
    # holders before each (key, story) in its key: the group's entries with a smaller story
    # (owners ascend within a key, so (key, story) codes ascend)
    code = group << 32 | owners
    before = np.searchsorted(code, code, "left") - starts[group]
    ok = before > 0 if limit is None else (before > 0) & (before <= limit)
    rows = np.flatnonzero(ok)
    counts = before[rows]
    which = np.repeat(rows, counts)  # the later story's row, once per earlier holder
    first = starts[group[which]]
    offset = np.arange(len(which)) - np.repeat(np.cumsum(counts) - counts, counts)
    return np.unique(owners[which] << 32 | owners[first + offset])


def bucket_pairs(pieces: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]],
                 cfg: DedupConfig) -> tuple[np.ndarray, np.ndarray]:
    """The reduce step of the bucket shuffle: one partition's pieces, from every range of
    stories, as buckets — and the candidate pairs they propose (codes of
    _earlier_holders): by a band, every earlier story in a bucket; by a paragraph, the
    earlier holders of a paragraph no more than para_max_docs stories held before."""
    cat = (lambda k, dt: np.concatenate([p[k] for p in pieces]) if pieces else np.empty(0, dtype=dt))
    bands = KeyTable.of(cat(0, np.uint64), cat(1, np.int32))
    paras = KeyTable.of(cat(2, np.uint64), cat(3, np.int32))
    return _earlier_holders(bands, None), _earlier_holders(paras, cfg.para_max_docs)


def range_pairs(reduced: list[tuple[np.ndarray, np.ndarray]], positions: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """The candidate pairs of a range of stories (ascending positions) from every
    partition's sorted codes: (band pairs, paragraph pairs), sorted, each once."""
    lo, hi = np.int64(positions[0]) << 32, np.int64(positions[-1] + 1) << 32

    def gather(k: int) -> np.ndarray:
        parts = [r[k][np.searchsorted(r[k], lo):np.searchsorted(r[k], hi)] for r in reduced]
        return np.unique(np.concatenate(parts))  # (BUCKET_PARTS >= 1: never no parts)

    return gather(0), gather(1)


def verify_pairs(item: tuple[list[int], np.ndarray, np.ndarray], entries: Entries,
                 cfg: DedupConfig) -> tuple[list[tuple[int, int, float, str]], int, int]:
    """Verified pairs of a range of stories, given with their candidate pairs (codes of
    _earlier_holders, sorted: range_pairs): (story, the earlier one it copies, score, kind)
    for each that has one, and the counts of candidates verified and rejected."""
    positions, band_pairs, para_pairs = item
    edges, verified, rejected = [], 0, 0
    low = np.int64(0xFFFFFFFF)

    def of(pairs, pos):
        lo, hi = np.searchsorted(pairs, [pos << 32, (pos + 1) << 32])
        return set((pairs[lo:hi] & low).tolist())

    for pos in positions:
        cands = of(band_pairs, pos)
        by_para = of(para_pairs, pos) - cands
        best, v, r = best_match(entries[pos], pos, entries, cands, by_para, cfg)
        verified, rejected = verified + v, rejected + r
        if best is not None:
            edges.append((pos, best[1], round(best[0], 4), best[2]))
    return edges, verified, rejected


VERIFY_CHUNK = 2048  # stories a verification step takes (changes no output)
BUCKET_PARTS = 16  # hash partitions of the band buckets and paragraph holders (changes no output)
BUCKET_WAVE = 4  # partitions mapped and reduced at a time (changes no output)


class Deduper:
    """Collect entries, verify LSH candidates, union verified pairs, pick representatives."""

    def __init__(self, cfg: DedupConfig, index=None):
        self.cfg = cfg
        self.index = index  # persistent store of earlier runs (newsclean.index), or None
        self.entries = Entries(cfg.num_perm)
        self._old: dict[str, int] = {}  # key → position of an entry pulled from the index
        self.buckets: dict[int, list[int]] = {}
        self.by_paragraph: dict[int, list[int]] = {}  # paragraph key → entries holding it
        self.exact: dict[int, int] = {}  # with an index: exact key → its first story
        self.parent = array("q")  # (8 bytes a story; a list of ints took 40)
        self.kinds: Counter[str] = Counter()
        self.histogram: Counter[int] = Counter()
        self.candidates = 0
        self.rejected = 0
        self.eligible = array("q")  # without an index: the stories with text, linked in resolve()

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
        pos = self.entries.append(e)
        self.parent.append(pos)
        return pos

    def _pull_old(self, keys, own: str) -> list[int]:
        """Bring entries of earlier runs that an LSH lookup named into this run (never the
        index's entry under this story's own key: a story is no copy of its earlier self)."""
        out = []
        for key in keys:
            if key == own:
                continue
            if key in self._old:
                out.append(self._old[key])
                continue
            old = self.index.get(key)
            if old is not None:
                out.append(self._adopt(old))
        return out

    def _adopt(self, old: Entry) -> int:
        old.old = True
        pos = self._add_entry(old)
        self._old[old.key] = pos
        return pos

    def add(self, key: str, text: str, date: str | None, sig: np.ndarray, size: int, exact: int | None = None,
            paras: tuple[bytes, bytes] | None = None) -> None:
        """One story, with its signature, distinct shingles, exact key and paragraph keys
        (the last two computed here when not given: the cleaning steps make them beside
        the signature, in parallel)."""
        exact = exact_key(text) if exact is None else exact
        e = None
        if self.index is not None:
            known = self._old.get(key)
            old = self.entries[known] if known is not None else self.index.get(key)
            if old is not None and old.exact == exact:
                # The index holds this story under this id, as it is: the same story seen
                # again (a re-run, a re-crawl), still the published one. It is matched as
                # it was the first time, so a re-run groups the corpus as the first run did.
                pos = known if known is not None else self._adopt(old)
                e = self.entries[pos]
        if e is None:
            paras, chars = paras or paragraph_keys(text, self.cfg.para_min_chars)
            e = Entry(key, len(self.entries), sig, size, len(text), date, exact, paras=paras, para_chars=chars)
            pos = self._add_entry(e)
        if not text.strip():
            return
        if self.index is None:
            self.eligible.append(pos)  # exact copies and candidates are found in stages, by resolve()
            return
        if e.exact in self.exact:
            if self.exact[e.exact] != pos:
                self._union(self.exact[e.exact], pos)
                self.kinds["exact"] += 1
            return
        self.exact[e.exact] = pos
        if size < self.cfg.min_shingles:
            return
        # With an index, one pass: the index's entries join as its lookups name them.
        keys = band_keys(sig, self.cfg)
        cands: set[int] = set()
        for k in keys:
            bucket = self.buckets.get(k)
            if bucket:
                cands.update(bucket)
        cands.update(self._pull_old(self.index.candidates(sig, keys, e.exact), key))
        # Stories proposed only by a shared paragraph must pass the paragraph test: a short
        # post is "contained" in another by the cookie notice both kept.
        by_para: set[int] = set()
        probes = e.probes(self.cfg.para_probes)
        for k in probes:
            holders = self.by_paragraph.get(k)
            if holders and len(holders) <= self.cfg.para_max_docs:
                by_para.update(holders)
        by_para.update(self._pull_old(self.index.sharing(probes), key))
        by_para -= cands
        best, verified, rejected = best_match(e, pos, self.entries, cands, by_para, self.cfg)
        self.candidates += verified
        self.rejected += rejected
        if best is not None:
            self._union(best[1], pos)
            self.kinds[best[2]] += 1
        for k in keys:
            self.buckets.setdefault(k, []).append(pos)
        for k in probes:
            self.by_paragraph.setdefault(k, []).append(pos)

    def _link_exact(self, stories: np.ndarray) -> np.ndarray:
        """The first stage: exact copies (the same exact key) joined to the first story
        with their key. Returns those first stories, ascending: the ones to verify."""
        keys = self.entries.column("exact", stories)
        order = np.argsort(keys, kind="stable")  # by key, then by arrival
        k = keys[order]
        first = np.concatenate([[True], k[1:] != k[:-1]])
        head = order[np.maximum.accumulate(np.where(first, np.arange(len(k)), 0))]
        for pos, to in zip(stories[order[~first]].tolist(), stories[head[~first]].tolist()):
            self._union(to, pos)
            self.kinds["exact"] += 1
        return np.sort(stories[order[first]])

    def link(self, executor=None) -> None:
        """The staged verification (a run without an index): exact copies; band keys and paragraph
        probes by ranges of stories, shuffled by key hash into BUCKET_PARTS partitions;
        each partition's buckets and the candidate pairs they propose; the pairs verified
        by ranges of stories; their union. The steps run on ``executor``
        (newsclean.executors) when it ships shared data once (Ray: the entries go to the
        object store a single time), here otherwise."""
        if not self.eligible:
            return
        eligible = self._link_exact(np.frombuffer(self.eligible, dtype=np.int64).copy())
        eligible = eligible[self.entries.column("size", eligible) >= self.cfg.min_shingles]
        chunks = [eligible[i:i + VERIFY_CHUNK].tolist() for i in range(0, len(eligible), VERIFY_CHUNK)]
        remote = executor is not None and getattr(executor, "ships_shared_once", False)

        def run(fn, items, *shared):
            return executor.imap(fn, items, *shared) if remote else (fn(it, *shared) for it in items)

        reduced: list[tuple[np.ndarray, np.ndarray]] = []
        for first in range(0, BUCKET_PARTS, BUCKET_WAVE):
            # A wave of partitions at a time: the map is computed again for each (band
            # keys come fast from the signatures), and only a wave's keys are held.
            wave = range(first, min(first + BUCKET_WAVE, BUCKET_PARTS))
            mapped = list(run(bucket_keys, ((chunk, wave) for chunk in chunks), self.entries, self.cfg,
                              BUCKET_PARTS))

            def partitions(mapped):
                # A partition's pieces are let go once its reduce has them.
                for k in range(len(wave)):
                    yield [m[k] for m in mapped]
                    for m in mapped:
                        m[k] = None

            reduced.extend(run(bucket_pairs, partitions(mapped), self.cfg))
            del mapped
        # Each range of stories gets its own pairs from every partition (a second
        # shuffle, by story): no array of all the corpus's pairs is built, and a Ray task
        # is sent its range's pairs, not all of them.
        ranges = ((chunk, *range_pairs(reduced, chunk)) for chunk in chunks)
        for edges, verified, rejected in run(verify_pairs, ranges, self.entries, self.cfg):
            self.candidates += verified
            self.rejected += rejected
            for pos, c, score, kind in edges:
                self._union(c, pos)
                self.kinds[kind] += 1
        self.eligible = array("q")

    def resolve(self, executor=None) -> dict[str, tuple[str, float]]:
        """key → (representative key, similarity) for every story that is a duplicate."""
        self.link(executor)
        # Clusters from their roots (a root is its cluster's first story), in numpy: a
        # dict of member lists for every story took 200 bytes a story at the run's peak.
        n = len(self.entries)
        roots = np.fromiter((self._find(i) for i in range(n)), dtype=np.int64, count=n)
        order = np.argsort(roots, kind="stable")  # by cluster, the first first; members ascending
        ranked = roots[order]
        starts = np.flatnonzero(np.concatenate([[True], ranked[1:] != ranked[:-1]])) if n else order
        sizes = np.diff(np.append(starts, n))
        self.histogram = Counter(dict(zip(*(x.tolist() for x in np.unique(sizes, return_counts=True)))))
        out = {}
        for start, size in zip(starts[sizes > 1].tolist(), sizes[sizes > 1].tolist()):
            members = [self.entries[i] for i in order[start:start + size].tolist()]
            r = min(members, key=rank)
            for e in members:
                if e is r or e.old:
                    continue
                if e.exact == r.exact:
                    sim = 1.0
                else:
                    j, contain = estimate(e, r)
                    sim = round(max(j, contain, paragraph_containment(e, r)[0]), 4)
                out[e.key] = (r.key, sim)
        return out

    def new_entries(self) -> list[Entry]:
        return [e for e in self.entries if not e.old]

    def stats(self) -> dict:
        return {"candidate_pairs": self.candidates, "rejected_pairs": self.rejected,
                "matched": dict(sorted(self.kinds.items())),
                "cluster_sizes": {str(k): v for k, v in sorted(self.histogram.items())}}
