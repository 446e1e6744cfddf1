"""Stage 2, extract: a Document → a Page of blocks with offsets into the page text.

Plain text is used as decoded, so spans point into the source. HTML goes through
trafilatura first (its own dedup and comments off); spans then point into the text it
extracted, and the cleaner still runs over that text, because trafilatura leaves
captions, related links and repeated blocks behind.
"""
from __future__ import annotations

import logging
from functools import lru_cache

from .config import Config
from .records import Block, Document, Extracted, Page



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


def html_to_text(html: str, url: str | None, config: Config) -> tuple[str, str | None, str | None, str | None]:
    """(text, title, date, url) by trafilatura; ("", …) when it finds no body."""
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
    if doc is None:
        return "", None, None, url
    text = (doc.as_dict() if hasattr(doc, "as_dict") else dict(doc)).get("text") or ""
    try:
        title, date, url = title_date_url(tree, url)
    except (ValueError, TypeError):  # what trafilatura's own metadata pass gives up on: the text stands
        title = date = None
    return text, title or None, (date[:10] if date else None), url or None


def title_date_url(tree, url: str | None) -> tuple[str | None, str | None, str | None]:
    """The title, date and URL trafilatura's metadata pass finds (its own functions, in its
    order, trimmed as it trims them) without the rest of that pass: author, categories,
    tags, licence and site name were a sixth of the HTML path's time and are not used."""
    from html import unescape

    from htmldate import find_date
    from trafilatura.metadata import examine_meta, extract_meta_json, extract_title, extract_url
    from trafilatura.settings import DEFAULT_CONFIG, set_date_params
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
    date = find_date(tree, url=page_url, **set_date_params(DEFAULT_CONFIG.getboolean("DEFAULT", "EXTENSIVE_DATE_SEARCH")))
    return trim(title), trim(date), trim(page_url) or url


def extract_text(doc: Document, config: Config) -> Extracted:
    """The page text a document's spans will point into: HTML through trafilatura, plain
    text as decoded."""
    if doc.fmt == "html":
        text, title, date, url = html_to_text(doc.content, doc.url, config)
        source = dict(doc.source, extractor="trafilatura", extractor_version=trafilatura_version())
        return Extracted(doc.doc_id, text, source, url, doc.site, title, date, doc.given, doc.meta)
    return Extracted(doc.doc_id, doc.content, doc.source, doc.url, doc.site, given=doc.given, meta=doc.meta)


def to_page(ex: Extracted) -> Page:
    return Page(ex.doc_id, ex.text, ex.source, ex.url, ex.site, split_blocks(ex.text), title=ex.title, date=ex.date,
                given=ex.given, meta=ex.meta)


def extract(doc: Document, config: Config) -> Page:
    return to_page(extract_text(doc, config))
