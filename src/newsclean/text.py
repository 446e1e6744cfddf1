"""Text helpers the cleaner and the segmenter share: words as written, the dateline
that opens a wire story, and what a page's URL says it is about."""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from itertools import chain, repeat
from urllib.parse import urlsplit

import numpy as np
import regex

from .language import WORD_RE, stopwords_of

# "ISLAMABAD:", "BERLIN --", "BUFFALO, N.Y. —": the dateline that opens a wire story.
DATELINE_RE = re.compile(r"^[A-Z][A-Z .'’-]{2,30}(,\s*[A-Z][\w .'’-]{1,25})?\s*(\([A-Za-z. ]{2,20}\)\s*)?(:|--|—|–)\s")


def block_words(text: str) -> list[str]:
    """Words as written (case kept: capitalisation is a feature)."""
    return WORD_RE.findall(text)


_SLUG_NOISE = {"html", "htm", "php", "aspx", "shtml", "index", "article", "articles", "story", "stories", "news"}


def slug_words(url: str | None) -> set[str]:
    """The words of a URL's most wordy path segment ("…/city-council-approves-harbour-plan/")."""
    if not url:
        return set()
    try:
        path = urlsplit(url).path
    except ValueError:  # a malformed URL says nothing about the page
        return set()
    segs = [re.split(r"[-_+.]+", seg.lower()) for seg in path.split("/")]
    best = max(segs, key=lambda ws: sum(1 for w in ws if w.isalpha() and len(w) > 2), default=[])
    return {w for w in best if w.isalpha() and len(w) > 2} - _SLUG_NOISE


def stems(words) -> set[str]:
    """Accent-free five-letter stems: "Calendário" says "calendario", "shutoffs" "shutoff"."""
    return {_stem(w) for w in set(words)}


def _stem(word: str) -> str:
    if word.isascii():  # casefold and lower agree on ASCII; no accents to strip
        return word[:5].lower()
    w = word.casefold()
    return (w if w.isascii() else _strip_accents(w))[:5]


def _strip_accents(w: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", w) if not unicodedata.combining(c))


def url_subject(url: str | None) -> set[str]:
    """What the page's URL says it is about, as stems of its slug's words."""
    return stems(slug_words(url))


def subject_shares(subject: set[str], texts: list[str]) -> np.ndarray:
    """subject_said of each text alone, for all of them at once: each distinct word is
    stemmed once, and the subject's stems a text names are counted in numpy."""
    out = np.zeros(len(texts), dtype=np.float64)
    if not subject or not texts:
        return out
    found = [WORD_RE.findall(t) for t in texts]
    flat = list(chain.from_iterable(found))
    index = {s: k for k, s in enumerate(sorted(subject))}
    which = {w: index.get(_stem(w), -1) for w in dict.fromkeys(flat)}
    sid = np.fromiter(map(which.__getitem__, flat), dtype=np.int64, count=len(flat))
    text_of = np.repeat(np.arange(len(texts), dtype=np.int64), [len(f) for f in found])
    named = sid >= 0
    pairs = np.unique(text_of[named] * len(index) + sid[named])
    return np.bincount(pairs // len(index), minlength=len(texts)) / len(subject)


def subject_said(subject: set[str], texts) -> float:
    """The share of the subject's stems that the texts mention."""
    if not subject:
        return 0.0
    return len(subject & stems(w for t in texts for w in WORD_RE.findall(t))) / len(subject)


# Content words: three letters or more, by the regex module's \w (letters, marks, digits:
# a word with combining accents stays one word).
CONTENT_WORDS = regex.compile(r"\w{3,}")


def content_terms(texts: list[str], stop: frozenset[str]) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """The content words of each text — casefolded, three letters or more, no stopwords
    or numbers — as (word ids, the text each is in, the vocabulary: the word of each id).
    Ids follow the order in which words first appear. Each text is searched in C and each distinct word
    judged once: per word, one dictionary lookup."""
    found = [CONTENT_WORDS.findall(t.casefold()) for t in texts]
    flat = list(chain.from_iterable(found))
    vocab = dict(zip(dict.fromkeys(flat), range(len(flat))))
    ids = np.fromiter(map(vocab.__getitem__, flat), dtype=np.int64, count=len(flat))
    text_of = np.repeat(np.arange(len(texts), dtype=np.int64), [len(f) for f in found])
    content = ~(np.fromiter(map(stop.__contains__, vocab), dtype=bool, count=len(vocab))
                | np.fromiter(map(str.isdigit, vocab), dtype=bool, count=len(vocab)))
    keep = content[ids] if len(flat) else np.zeros(0, dtype=bool)
    return ids[keep], text_of[keep], tuple(vocab)


@lru_cache(maxsize=4)
def page_terms(texts: tuple[str, ...], lang: str) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """content_terms of a page's blocks in its language, shared by the segmenter and the
    labeller (the same page's words, found once; read-only arrays)."""
    ids, text_of, vocab = content_terms(list(texts), stopwords_of(lang))
    ids.flags.writeable = text_of.flags.writeable = False
    return ids, text_of, vocab


@lru_cache(maxsize=None)
def _frequencies(code: str) -> dict[str, float]:
    import wordfreq  # its lists load on first use, one language at a time

    return wordfreq.get_frequency_dict(code, wordlist="small")


@lru_cache(maxsize=None)
def _frequency_codes() -> frozenset[str]:
    import wordfreq

    return frozenset(wordfreq.available_languages(wordlist="small"))


def word_weights(words: list[str] | tuple[str, ...], code: str | None, common_zipf: float, floor: float) -> np.ndarray:
    """How much each word tells one story from another: ``common_zipf`` less its Zipf
    frequency in the language (wordfreq's small lists: log10 of its count per billion
    words), at least ``floor``. Words every story uses ("year", "people", "says") weigh
    little, names and subject words much; a word the list lacks weighs most. All words
    weigh 1 in a language wordfreq has no list for."""
    if code not in _frequency_codes():
        return np.ones(len(words))
    freq = _frequencies(code)
    zipf = np.fromiter(map(freq.get, words, repeat(0.0)), dtype=np.float64, count=len(words))
    zipf = np.log10(np.maximum(zipf, 1e-9)) + 9.0  # 0 for a word the list lacks
    return np.maximum(common_zipf - zipf, floor)
