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
from .records import Block, Document, Page



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

    logging.getLogger("trafilatura").setLevel(logging.CRITICAL)
    try:
        doc = trafilatura.bare_extraction(
            html, url=url, include_comments=False, deduplicate=False, with_metadata=True,
            favor_precision=config.favor_precision, include_tables=True,
        )
    except (ValueError, TypeError, AssertionError):  # trafilatura's own failure modes
        doc = None
    if doc is None:
        return "", None, None, url
    d = doc.as_dict() if hasattr(doc, "as_dict") else dict(doc)
    date = d.get("date")
    return d.get("text") or "", d.get("title") or None, (date[:10] if date else None), d.get("url") or url


def extract(doc: Document, config: Config) -> Page:
    if doc.fmt == "html":
        text, title, date, url = html_to_text(doc.content, doc.url, config)
        source = dict(doc.source, extractor="trafilatura", extractor_version=trafilatura_version())
        page = Page(doc.doc_id, text, source, url, doc.site, split_blocks(text), title=title, date=date)
    else:
        page = Page(doc.doc_id, doc.content, doc.source, doc.url, doc.site, split_blocks(doc.content))
    return page
