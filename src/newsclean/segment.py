"""Stage 4, segment: passages a page prints twice, and stories appended after its own.

Labels in-page duplicates, assigns each block to a story, and cuts the Page into Stories.
"""
from __future__ import annotations

from .config import Config
from .records import APPENDED, Page, Story, normalize_ws


def segment(page: Page, config: Config) -> None:
    """Fill ``page.story`` and label in-page duplicates (filled in by the segmenter)."""


def stories(page: Page, config: Config) -> list[Story]:
    """Cut a labelled page into Stories; every block lands in exactly one story's
    kept spans or removed list."""
    n_stories = max(page.story, default=0) + 1
    if config.appended != "split":
        for i, s in enumerate(page.story):
            if s > 0:
                if config.appended == "drop":
                    page.remove(i, APPENDED)
                page.story[i] = 0
        n_stories = 1
    out = []
    for k in range(n_stories):
        kept, removed = [], []
        for i, b in enumerate(page.blocks):
            if page.story[i] != k:
                continue
            if page.labels[i] is None:
                kept.append(i)
            else:
                entry = {"start": b.start, "end": b.end, "reason": page.labels[i]}
                if page.notes[i]:
                    entry.update(page.notes[i])
                removed.append(entry)
        title, date = (page.title, page.date) if k == 0 else page.story_meta.get(k, (None, None))
        out.append(Story(
            doc_id=page.doc_id, index=k,
            text="\n\n".join(normalize_ws(page.blocks[i].text) for i in kept),
            spans=[(page.blocks[i].start, page.blocks[i].end) for i in kept],
            removed=removed, title=title, date=date, url=page.url, source=page.source,
        ))
    return out
