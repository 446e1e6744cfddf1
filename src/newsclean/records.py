"""The data that flows between stages, and the output schema (v1).

read → Document | Reject;  extract → Page;  clean → label → segment each return a
Labelling of the Page's blocks, which stories() cuts into Stories;  dedup marks Stories as duplicates;  write turns Stories into records.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, NamedTuple

# Removal reasons, one vocabulary for every stage (documented in the README).
NAVIGATION = "navigation"
CAPTION = "caption"
SHARE = "share"
METADATA = "metadata"
SIDEBAR = "sidebar"
COMMENTS = "comments"
RELATED = "related"
TEMPLATE = "template"
DUPLICATE = "duplicate"
APPENDED = "appended-story"
NEWSLETTER = "newsletter"
FOOTER = "footer"
ADVERT = "advert"
BOILERPLATE = "boilerplate"  # chrome that fits no narrower reason
REASONS = (NAVIGATION, CAPTION, SHARE, METADATA, SIDEBAR, COMMENTS, RELATED, TEMPLATE,
           DUPLICATE, APPENDED, NEWSLETTER, FOOTER, ADVERT, BOILERPLATE)

def normalize_ws(s: str) -> str:
    """The documented whitespace normalisation: runs of white space (anything
    ``str.isspace`` calls space, NBSP and line breaks included) become one space; ends are
    stripped. A kept span of the source, so normalised, is exactly its paragraph of ``text``."""
    # Most lines are already so: the only white space ``isprintable`` lets through is the
    # ASCII space, so one check in C spares the split and join.
    if s.isprintable() and "  " not in s and s[:1] != " " and s[-1:] != " ":
        return s
    return " ".join(s.split())


ERROR = "error"  # a document the extractor or the cleaner failed on (a bug: the detail says what)


@dataclass
class Reject:
    """An input that could not be used; always written, never dropped silently."""

    path: str
    reason: str  # missing | unreadable | unsupported | binary | empty | bad-json | bad-record | no-text | no-body | error
    detail: str = ""
    line: int | None = None
    doc_id: str | None = None

    def to_dict(self) -> dict:
        return {"path": self.path, "line": self.line, "doc_id": self.doc_id,
                "reason": self.reason, "detail": self.detail}

    def message(self) -> str:
        where = self.path + (f":{self.line}" if self.line is not None else "")
        return f"{where}: {self.reason}" + (f" ({self.detail})" if self.detail else "")


@dataclass
class Document:
    """One input document as read: decoded, not yet interpreted."""

    doc_id: str
    content: str  # decoded text, or HTML when fmt == "html"
    fmt: str  # "text" | "html"
    source: dict  # path, sha256, format, line?, encoding
    url: str | None = None
    site: str | None = None  # template group: URL host, or the input directory
    given: dict = field(default_factory=dict)  # the input's own title, date, lang (when it has them)
    meta: dict | None = None  # input fields kept for the record (Config.keep_fields)


@dataclass
class Extracted:
    """A document's text after extraction, before it is cut into blocks. This is what
    passes between processes: a page's blocks are a function of its text, and a few
    strings pickle far faster than thousands of small objects."""

    doc_id: str
    text: str  # spans point into this text
    source: dict
    url: str | None = None
    site: str | None = None
    title: str | None = None  # found by the extractor (HTML), if any
    date: str | None = None
    given: dict = field(default_factory=dict)
    meta: dict | None = None
    dom_text: str | None = None  # HTML: what trafilatura extracted (Page.dom_text)
    dom_contexts: list | None = None  # HTML: each line's contexts in the DOM (Page.dom_contexts)


class Block(NamedTuple):
    """A non-blank line of the page text, [start, end) without surrounding white space.
    (A named tuple: pages hold thousands, and a tuple is made several times faster than
    a frozen dataclass.)"""

    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Page:
    """A document after extraction: the text spans point into, cut into blocks. What the
    stages after it read and never change (each returns its own Labelling)."""

    doc_id: str
    text: str
    source: dict
    url: str | None
    site: str | None
    blocks: list[Block]
    title: str | None = None  # found by the extractor (HTML), if any
    date: str | None = None
    template: frozenset[int] = frozenset()  # block indices that are site template lines
    given: dict = field(default_factory=dict)  # the input's own title, date, lang
    meta: dict | None = None
    # HTML read through the naive rendering: the text trafilatura extracted from the same
    # page, the HTML labeller's evidence of which lines a DOM extractor takes for the article,
    # and for each block what it sits in (newsclean.extract.DOM_CONTEXTS: shares of its
    # characters in links, headings, navigation…).
    dom_text: str | None = None
    dom_contexts: list | None = None


@dataclass
class Labelling:
    """What a cleaning stage decided about a page's blocks; clean makes the first,
    segment and the labeller each return a new one (``evolve``) and leave theirs alone.

    ``labels[i]`` is None while block i is kept, else its removal reason; ``notes[i]``
    carries extra facts for a removed block (the span a duplicate repeats, say);
    ``story[i]`` is the story the block belongs to (0 = the page's own). ``runs`` are the
    body runs the rules found, as (cue, start, end) — cue is the headline announcing a run
    after the first, or None — and ``kinds`` each block's kind ("prose", "headline",
    "meta", "chrome" or "other"): what the segmenter needs from the cleaner.
    """

    page: Page
    labels: list[str | None] = field(default_factory=list)
    notes: list[dict | None] = field(default_factory=list)
    story: list[int] = field(default_factory=list)
    story_meta: dict[int, tuple[str | None, str | None]] = field(default_factory=dict)  # k → (title, date)
    runs: list[tuple[int | None, int, int]] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)
    lang: str = "English"
    title: str | None = None
    date: str | None = None
    probs: Any = None  # the labeller's P(body) per block, when it ran (for explain)
    seams: dict[int, str] = field(default_factory=dict)  # block → cue tier, where the rules' segmenter split
    cuts: dict[int, str] = field(default_factory=dict)  # story k → why it was cut off (for explain)

    def __post_init__(self) -> None:
        n = len(self.page.blocks)
        if not self.labels:
            self.labels = [None] * n
        if not self.notes:
            self.notes = [None] * n
        if not self.story:
            self.story = [0] * n

    @classmethod
    def of(cls, page: Page) -> "Labelling":
        """Every block kept, in story 0; the page's own title and date."""
        return cls(page, title=page.title, date=page.date)

    def evolve(self) -> "Labelling":
        """A copy a later stage may change without touching this one."""
        return replace(self, labels=list(self.labels), notes=list(self.notes), story=list(self.story),
                       story_meta=dict(self.story_meta), runs=list(self.runs), kinds=list(self.kinds),
                       seams=dict(self.seams), cuts=dict(self.cuts))

    # The page's own facts, read through: stage code reads ``lab.blocks`` as it reads labels.
    @property
    def blocks(self) -> list[Block]:
        return self.page.blocks

    @property
    def doc_id(self) -> str:
        return self.page.doc_id

    @property
    def source(self) -> dict:
        return self.page.source

    @property
    def url(self) -> str | None:
        return self.page.url

    @property
    def site(self) -> str | None:
        return self.page.site

    @property
    def template(self) -> frozenset[int]:
        return self.page.template

    def remove(self, i: int, reason: str, **note: Any) -> None:
        """Label block i removed, unless it has a reason already (a removed block stays removed)."""
        if self.labels[i] is None:
            self.labels[i] = reason
            if note:
                self.notes[i] = note


@dataclass
class Story:
    """One story cut from a page: what the output record is made of."""

    doc_id: str
    index: int
    text: str
    spans: list[tuple[int, int]]
    removed: list[dict]
    title: str | None
    date: str | None
    url: str | None
    source: dict
    duplicate_of: str | None = None
    similarity: float | None = None
    lang: str | None = None  # ISO 639-1: the input's own, else the one the page's stopwords tell
    meta: dict | None = None

    @property
    def id(self) -> str:
        return f"{self.doc_id}#{self.index}"


def story_record(story: Story, pipeline: dict) -> dict:
    """Record schema v2 (v1 + ``lang`` and ``meta``); keys in this fixed order (orjson
    keeps insertion order)."""
    return {
        "id": story.id,
        "doc_id": story.doc_id,
        "story": story.index,
        "text": story.text,
        "title": story.title,
        "date": story.date,
        "lang": story.lang,
        "url": story.url,
        "source": story.source,
        "spans": [list(s) for s in story.spans],
        "removed": story.removed,
        "duplicate_of": story.duplicate_of,
        "similarity": story.similarity,
        "meta": story.meta,
        "pipeline": pipeline,
    }
