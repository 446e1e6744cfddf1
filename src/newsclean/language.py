"""Which language a text is in, by the stopwords it uses (jusText's stoplists).

Used by the cleaner (the page's language decides which stopwords make prose) and by the
segmenter (a story in another language than the one before it is another story).
"""
from __future__ import annotations

import re
from functools import lru_cache
from itertools import chain, repeat

import numpy as np

WORD_RE = re.compile(r"\w[\w'’.-]*")  # stdlib re: Unicode-aware \w, and fast

LANGUAGES = ("English", "German", "French", "Spanish", "Italian", "Portuguese", "Dutch", "Russian", "Polish",
             "Swedish", "Danish", "Norwegian_Bokmal", "Finnish", "Czech", "Turkish", "Indonesian", "Romanian",
             "Hungarian", "Ukrainian", "Greek", "Korean", "Vietnamese", "Catalan", "Croatian", "Arabic")

_CODES = dict(zip(LANGUAGES, ("en", "de", "fr", "es", "it", "pt", "nl", "ru", "pl", "sv", "da", "nb", "fi", "cs",
                              "tr", "id", "ro", "hu", "uk", "el", "ko", "vi", "ca", "hr", "ar")))


def language_code(name: str | None) -> str | None:
    """ISO 639-1 code of one of LANGUAGES (None for a name it does not know)."""
    return _CODES.get(name) if name else None


@lru_cache(maxsize=1)
def _stopword_langs() -> dict[str, tuple[int, ...]]:
    import justext

    table: dict[str, list[int]] = {}
    for li, lang in enumerate(LANGUAGES):
        for w in justext.get_stoplist(lang):
            table.setdefault(w.lower(), []).append(li)
    return {w: tuple(v) for w, v in table.items()}


def page_language(blocks, sample_words: int) -> str:
    """The language (of jusText's stoplists) whose stopwords the page uses most, judged on
    its longest blocks (``sample_words`` of them: Config.rules.language_sample): the prose
    tells, menus don't."""
    sample, seen = [], 0
    for b in sorted(blocks, key=lambda b: len(b.text), reverse=True):
        words = WORD_RE.findall(b.text.lower())
        sample.append(words)
        seen += len(words)
        if seen > sample_words:
            break
    return top_language(language_hits(chain.from_iterable(sample), lowered=True))


def language_hits(words, lowered: bool = False) -> list[int]:
    """Stopwords of each language (of LANGUAGES) among the words."""
    rows, members = _stopword_rows()
    row = np.fromiter(map(rows.get, words if lowered else map(str.lower, words), repeat(-1)), dtype=np.int64)
    return members[row[row >= 0]].sum(axis=0).tolist()


def language_table(texts: list[str]) -> np.ndarray:
    """language_hits of each text, as rows of one array: each word looked up once in a
    table of every stoplist's words, the counts summed in numpy."""
    rows, members = _stopword_rows()
    found = [WORD_RE.findall(t) for t in texts]
    row = np.fromiter(map(rows.get, map(str.lower, chain.from_iterable(found)), repeat(-1)), dtype=np.int64)
    text_of = np.repeat(np.arange(len(texts)), [len(f) for f in found])
    hit = row >= 0
    out = np.zeros((len(texts), len(LANGUAGES)), dtype=np.int64)
    which = text_of[hit]  # ascending: the texts' words in order
    if len(which):
        # each text's run of hits summed in one call (np.add.at, unbuffered, was the slowest part)
        starts = np.flatnonzero(np.concatenate([[True], which[1:] != which[:-1]]))
        out[which[starts]] = np.add.reduceat(members[row[hit]], starts, axis=0)
    return out


@lru_cache(maxsize=1)
def _stopword_rows() -> tuple[dict[str, int], np.ndarray]:
    """Every stopword's row, and which languages' stoplists (0/1 by LANGUAGES) hold it."""
    table = _stopword_langs()
    members = np.zeros((len(table), len(LANGUAGES)), dtype=np.int64)
    for r, langs in enumerate(table.values()):
        members[r, list(langs)] = 1
    return dict(zip(table, range(len(table)))), members


def top_language(hits: list[int]) -> str:
    return LANGUAGES[max(range(len(LANGUAGES)), key=lambda i: (hits[i], -i))]


def block_language(words: list[str]) -> str:
    return top_language(language_hits(words))


def foreign(hits: list[int], lang: str, min_hits: int) -> bool:
    """Stopword counts of a text in another language than ``lang``, plainly: its own
    language's stopwords outnumber ``lang``'s three to one (Spanish in a Portuguese page's
    quote does not count), and number ``min_hits`` (Config.rules.foreign_hits)."""
    best = max(hits)
    return best >= min_hits and top_language(hits) != lang and 3 * hits[LANGUAGES.index(lang)] < best


@lru_cache(maxsize=len(LANGUAGES))
def stopwords_of(lang: str) -> frozenset[str]:
    import justext

    return frozenset(w.lower() for w in justext.get_stoplist(lang))
