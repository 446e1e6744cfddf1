"""Stage 4, segment: stories appended after the page's own.

A boundary is where the body is interrupted (by a headline, a date, a widget, another
site's chrome) and the text after it shares little vocabulary with the story so far. A
headline followed by a date or byline, printed twice, or over a dateline ("ISLAMABAD:")
marks a likely place and allows a looser test; elsewhere the vocabulary must differ more.
A long single article, whose sections keep talking about the same people and places, is
not split. (Passages printed twice are found by the cleaner, see newsclean.passages.)
"""
from __future__ import annotations

import regex

from .clean import DATELINE_RE, _stoplist
from .config import Config
from .records import APPENDED, DUPLICATE, METADATA, RELATED, Page, Story, normalize_ws

_WORDS = regex.compile(r"\w+")

# Content words shared, over the smaller side. Halves of one article share 0.24 (median,
# 0.14 at the 10th percentile); a story and an unrelated one appended to it 0.03 (0.11).
TOPIC_OVERLAP = 0.15  # where a headline with a date, a repeat or a dateline marks the place
TOPIC_OVERLAP_NO_CUE = 0.08  # anywhere else prose is interrupted
MIN_STORY_PROSE = 2  # prose paragraphs each side of a boundary
MIN_STORY_WORDS = 25  # distinct content words each side
MIN_STORY_WORDS_NO_CUE = 40  # …where nothing but the vocabulary marks the place


def content_words(page: Page, idx) -> set[str]:
    stop = _stoplist(page.lang)
    out = set()
    for i in idx:
        for w in _WORDS.findall(page.blocks[i].text.casefold()):
            if len(w) > 2 and w not in stop and not w.isdigit():
                out.add(w)
    return out


def overlap(a: set[str], b: set[str]) -> float:
    if not a or not b:
        return 1.0
    return len(a & b) / min(len(a), len(b))


def _kept_prose(page: Page, lo: int, hi: int) -> list[int]:
    return [i for i in range(lo, hi) if page.labels[i] is None and page.kinds[i] == "prose"]


def gap_boundaries(page: Page, start: int, end: int) -> list[tuple[int, bool]]:
    """Places in a run where another story could begin: between two kept paragraphs with
    something else in between (a headline, a date, a widget). ``True`` marks a strong cue:
    a headline followed by a date or byline, printed twice, or over a dateline."""
    kinds, blocks = page.kinds, page.blocks
    out = []
    prev_kept = None
    for i in range(start, end):
        if page.labels[i] is not None and page.labels[i] != METADATA or kinds[i] != "prose":
            continue
        if page.labels[i] is None and prev_kept is not None and i - prev_kept > 1:
            gap = range(prev_kept + 1, i)
            heads = [j for j in gap if kinds[j] == "headline" and page.labels[j] != DUPLICATE]
            dated = any(kinds[j] == "meta" for j in gap)
            twice = any(blocks[a].text == blocks[b].text for a in gap for b in gap if a < b)
            dateline = DATELINE_RE.match(blocks[i].text) is not None
            # A subhead alone is an article's own section break; another page's story
            # arrives with some chrome of its own (a widget, a caption, a date).
            chrome = sum(1 for j in gap if page.labels[j] is not None or kinds[j] in ("chrome", "meta"))
            if chrome or len(gap) >= 2:
                out.append((prev_kept + 1, bool(heads) and (dated or twice or dateline)))
        if page.labels[i] is None:
            prev_kept = i
    return out


def story_title_date(page: Page, lo: int, hi: int) -> tuple[str | None, str | None]:
    """A split-off story's headline and date, from the lines before its first paragraph."""
    from .lexicon import parse_date

    title = date = None
    for j in range(lo, hi):
        if page.kinds[j] == "headline" and page.labels[j] != DUPLICATE and title is None:
            title = normalize_ws(page.blocks[j].text)
        elif page.kinds[j] == "meta" and date is None:
            date = parse_date(page.blocks[j].text)
        elif page.kinds[j] == "prose" and page.labels[j] is None:
            break
    return title, date


def segment(page: Page, config: Config) -> None:
    """Label in-page duplicates and assign each block to a story (page.story)."""
    if not page.blocks:
        return
    if not page.runs:
        return
    _, s0, e0 = page.runs[0]
    # (boundary, strong cue, end of the text the new story would take)
    cands = [(b, cue, e0) for b, cue in gap_boundaries(page, s0, e0)]
    cands += [(cue, True, e) for cue, _, e in page.runs[1:]]
    story_start, k = s0, 0
    taken: set[int] = set()
    while True:
        best = None
        for b, cue, end in cands:
            if b <= story_start or b in taken:
                continue
            before = _kept_prose(page, story_start, b)
            after = _kept_prose(page, b, end)
            if len(before) < MIN_STORY_PROSE or len(after) < MIN_STORY_PROSE:
                continue
            wa, wb = content_words(page, before), content_words(page, after)
            if min(len(wa), len(wb)) < (MIN_STORY_WORDS if cue else MIN_STORY_WORDS_NO_CUE):
                continue
            o = overlap(wa, wb)
            if o < (TOPIC_OVERLAP if cue else TOPIC_OVERLAP_NO_CUE) and (best is None or o < best[0]):
                best = (o, b, end)
        if best is None:
            break
        _, b, end = best
        taken.add(b)
        k += 1
        first = next(i for i in range(b, end) if page.labels[i] is None and page.kinds[i] == "prose")
        title, date = story_title_date(page, b, first)
        page.story_meta[k] = (title, date)
        for i in range(b, end if end > e0 else max(end, e0)):
            page.story[i] = k
        # Its headline (also where printed twice) and date line are the story's metadata.
        for i in range(b, first):
            if page.labels[i] is None and (normalize_ws(page.blocks[i].text) == title or page.kinds[i] == "meta"):
                page.remove(i, METADATA, what="title" if page.kinds[i] != "meta" else "date")
        story_start = b
    # Later runs that were not split off are not the page's body either.
    for cue, s, e in page.runs[1:]:
        if page.story[s] == 0:
            for i in range(cue, e):
                if page.labels[i] is None:
                    page.remove(i, RELATED)


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
