"""Text helpers the cleaner and the segmenter share: words as written, the dateline
that opens a wire story, and what a page's URL says it is about."""
from __future__ import annotations

import re
import unicodedata
from urllib.parse import urlsplit

from .language import WORD_RE

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
    return {(w if w.isascii() else _strip_accents(w))[:5] for w in {w.casefold() for w in words}}


def _strip_accents(w: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", w) if not unicodedata.combining(c))


def url_subject(url: str | None) -> set[str]:
    """What the page's URL says it is about, as stems of its slug's words."""
    return stems(slug_words(url))


def subject_said(subject: set[str], texts) -> float:
    """The share of the subject's stems that the texts mention."""
    if not subject:
        return 0.0
    return len(subject & stems(w for t in texts for w in WORD_RE.findall(t))) / len(subject)
