"""Stage 2, extract: a Document → a Page of blocks with offsets into the page text.

Plain text is used as decoded, so spans point into the source. HTML is parsed once and
read two ways: rendered as a naive scraper renders it (one DOM block a line: the text the
cleaner knows, and the one spans point into), and through trafilatura (its own dedup and
comments off), whose choice of the article rides along as evidence for the HTML labeller
(``Page.dom_text``). With ``Config(html_labeller=False)`` the page text is trafilatura's.
"""
from __future__ import annotations

import logging
import re
from functools import lru_cache

from .config import Config
from .records import Block, Document, Extracted, Page

# Elements a browser lays out as blocks of their own (a naive scraper's line breaks), and
# elements whose text a reader never sees.
_BLOCK_TAGS = frozenset(("address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt", "figcaption",
                         "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li",
                         "main", "nav", "ol", "p", "pre", "section", "table", "td", "th", "title", "tr", "ul"))
_UNSEEN_TAGS = frozenset(("head", "noscript", "option", "script", "select", "style", "template"))
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)


def split_blocks(text: str) -> list[Block]:
    """Every non-blank line is one block: a naive scraper renders one DOM block a line."""
    blocks = []
    pos = 0
    for line in text.split("\n"):
        stripped = line.strip()
        if stripped:
            start = pos + len(line) - len(line.lstrip())
            blocks.append(Block(start, start + len(stripped), stripped))
        pos += len(line) + 1
    return blocks


@lru_cache(maxsize=1)
def trafilatura_version() -> str:
    import trafilatura

    return trafilatura.__version__


# What a line sits in, as shares of its characters (newsclean.labeller's DOM context
# features): inside a link, a heading, a list item, a paragraph, a table cell, a caption,
# a quote; in a navigation, header, footer, aside or form element; in an element whose
# class or id names page furniture, or the article.
DOM_CONTEXTS = ("link", "heading", "list", "paragraph", "cell", "caption", "quote", "nav", "header", "footer",
                "aside", "form", "furniture_attr", "article_attr")
_TAG_CONTEXT = {"a": "link", "h1": "heading", "h2": "heading", "h3": "heading", "h4": "heading", "h5": "heading",
                "h6": "heading", "li": "list", "dd": "list", "dt": "list", "p": "paragraph", "td": "cell", "th": "cell",
                "figcaption": "caption", "figure": "caption", "blockquote": "quote", "nav": "nav", "header": "header",
                "footer": "footer", "aside": "aside", "form": "form", "button": "form", "label": "form"}
# General web-page vocabulary of class and id names (English is the language of markup).
_FURNITURE_ATTR = re.compile(r"nav|menu|foot|sidebar|share|social|comment|related|recommend|promo|advert|\bads?\b"
                             r"|newsletter|subscri|cookie|breadcrumb|caption|credit|author|byline|widget|banner"
                             r"|teaser|popular|trending|tags?\b|meta\b|login|signup|modal|popup", re.I)
_ARTICLE_ATTR = re.compile(r"article|content|story|post|entry|body|text|main", re.I)


@lru_cache(maxsize=4096)
def _bit_list(bits: int) -> tuple[int, ...]:
    return tuple(b for b in range(len(DOM_CONTEXTS)) if bits >> b & 1)


@lru_cache(maxsize=65536)
def _attr_bits(attrs: str) -> int:
    """Context bits of a class and id string (pages repeat their class names)."""
    return ((1 << DOM_CONTEXTS.index("furniture_attr") if _FURNITURE_ATTR.search(attrs) else 0)
            | (1 << DOM_CONTEXTS.index("article_attr") if _ARTICLE_ATTR.search(attrs) else 0))


_TAG_BITS = {tag: 1 << DOM_CONTEXTS.index(context) for tag, context in _TAG_CONTEXT.items()}
_BREAK = ("\n", 0)
_NO_SPACE = str.maketrans("", "", " \t\r\f\v\xa0")  # a line's characters are counted without its spaces


def render_text(tree) -> tuple[str, list[tuple[float, ...]]]:
    """The text of a parsed page as a naive scraper renders it — every block element
    starts a line, white space within a line is one space, unseen and hidden elements
    (scripts, styles, select options, ``hidden``, ``display: none``) give nothing — and
    for each line the share of its characters in each of DOM_CONTEXTS. On the shared
    sets' HTML the lines are those of their scraped text (line sets 0.99 alike)."""
    pieces: list[tuple[str, int]] = []  # (text, context bits); _BREAK where a block starts or ends
    emit = pieces.append
    stack = [(tree, False, 0)]
    push, pop = stack.append, stack.pop
    while stack:  # depth first, in document order
        el, closing, outer = pop()
        tag = el.tag
        if closing:
            if tag in _BLOCK_TAGS:
                emit(_BREAK)
        elif tag.__class__ is str and tag not in _UNSEEN_TAGS:  # not a comment, not unseen
            bits = outer | _TAG_BITS.get(tag, 0)
            keys = el.keys()
            if keys:  # most elements have no attributes: no lookups for them
                if "hidden" in keys or ("style" in keys and _HIDDEN_STYLE.search(el.get("style"))):
                    tail = el.tail
                    if tail:
                        emit((tail, outer))
                    continue
                if "class" in keys or "id" in keys:
                    bits |= _attr_bits(f"{el.get('class') or ''} {el.get('id') or ''}")
            block = tag in _BLOCK_TAGS
            if block:
                emit(_BREAK)
            text = el.text
            if text:
                emit((text, bits))
            if len(el):
                push((el, True, outer))
                stack.extend([(child, False, bits) for child in reversed(el)])
                continue
            if block:
                emit(_BREAK)
        tail = el.tail
        if tail:
            emit((tail, outer))
    lines: list[str] = []
    shares: list[tuple[float, ...]] = []
    parts: list[str] = []
    chars: dict[int, int] = {}  # context bits → characters of the line under them

    def flush():
        if not parts:
            return
        line = " ".join("".join(parts).split())
        if line:
            total = sum(chars.values())
            counts = [0] * len(DOM_CONTEXTS)
            for bits, n in chars.items():
                for b in _bit_list(bits):
                    counts[b] += n
            lines.append(line)
            shares.append(tuple(c / total for c in counts) if total else tuple(counts))
        parts.clear()
        chars.clear()

    for text, bits in pieces:
        if "\n" not in text:  # most pieces: a run of text inside one line
            parts.append(text)
            chars[bits] = chars.get(bits, 0) + len(text.translate(_NO_SPACE))
            continue
        for j, part in enumerate(text.split("\n")):
            if j:
                flush()
            if part:
                parts.append(part)
                chars[bits] = chars.get(bits, 0) + len(part.translate(_NO_SPACE))
    flush()
    return "\n".join(lines), shares


def html_to_text(html: str, url: str | None, config: Config) -> tuple[str, tuple[str, list], str | None, str | None,
                                                                      str | None]:
    """(trafilatura's text, the naive rendering and its lines' contexts (render_text),
    title, date, url); "" for trafilatura's text where it finds no body (the rendering
    stands alone), and nothing at all for what does not parse."""
    import trafilatura
    from trafilatura.settings import DEFAULT_CONFIG
    from trafilatura.utils import load_html

    logging.getLogger("trafilatura").setLevel(logging.CRITICAL)
    try:
        tree = load_html(html, DEFAULT_CONFIG.getint("DEFAULT", "MAX_FILE_SIZE"))
        # trafilatura extracts from its own copy of the tree and leaves this one as parsed
        doc = tree if tree is None else trafilatura.bare_extraction(
            tree, url=url, include_comments=False, deduplicate=False, with_metadata=False,
            favor_precision=config.favor_precision, include_tables=True,
        )
    except (ValueError, TypeError, AssertionError):  # trafilatura's own failure modes
        doc = None
    if tree is None:
        return "", ("", []), None, None, url
    rendered = render_text(tree)
    if doc is None:
        return "", rendered, None, None, url
    text = (doc.as_dict() if hasattr(doc, "as_dict") else dict(doc)).get("text") or ""
    try:
        title, date, url = title_date_url(tree, url, config.html_date_in_text)
    except (ValueError, TypeError):  # what trafilatura's own metadata pass gives up on: the text stands
        title = date = None
    return text, rendered, title or None, (date[:10] if date else None), url or None


def title_date_url(tree, url: str | None, in_text: bool = True) -> tuple[str | None, str | None, str | None]:
    """The title, date and URL trafilatura's metadata pass finds (its own functions, in its
    order, trimmed as it trims them) without the rest of that pass: author, categories,
    tags, licence and site name were a sixth of the HTML path's time and are not used."""
    from html import unescape

    from htmldate import find_date
    from trafilatura.metadata import examine_meta, extract_meta_json, extract_title, extract_url
    from trafilatura.settings import set_date_params
    from trafilatura.utils import line_processing

    def trim(value):
        if not isinstance(value, str):
            return value
        return line_processing(unescape(value[:9999] + "…" if len(value) > 10000 else value))

    meta = examine_meta(tree)
    try:
        meta = extract_meta_json(tree, meta)
    except Exception:  # noqa: BLE001 — trafilatura guards its JSON-LD reader the same way
        pass
    title = meta.title or extract_title(tree)
    page_url = meta.url or extract_url(tree, url)
    date = find_date(tree, url=page_url, **set_date_params(in_text))
    return trim(title), trim(date), trim(page_url) or url


def extract_text(doc: Document, config: Config) -> Extracted:
    """The page text a document's spans will point into: HTML rendered (trafilatura's text
    beside it), or trafilatura's text with ``html_labeller`` off; plain text as decoded."""
    if doc.fmt == "html":
        chosen, (rendered, contexts), title, date, url = html_to_text(doc.content, doc.url, config)
        source = dict(doc.source, extractor="trafilatura", extractor_version=trafilatura_version())
        if not config.html_labeller:
            return Extracted(doc.doc_id, chosen, source, url, doc.site, title, date, doc.given, doc.meta)
        source["rendering"] = "lines"  # spans point into the page rendered, not into trafilatura's text
        return Extracted(doc.doc_id, rendered, source, url, doc.site, title, date, doc.given, doc.meta,
                         dom_text=chosen, dom_contexts=contexts)
    return Extracted(doc.doc_id, doc.content, doc.source, doc.url, doc.site, given=doc.given, meta=doc.meta)


def to_page(ex: Extracted) -> Page:
    return Page(ex.doc_id, ex.text, ex.source, ex.url, ex.site, split_blocks(ex.text), title=ex.title, date=ex.date,
                given=ex.given, meta=ex.meta, dom_text=ex.dom_text, dom_contexts=ex.dom_contexts)


def extract(doc: Document, config: Config) -> Page:
    return to_page(extract_text(doc, config))
