"""Stage 4, segment: passages a page prints twice, and stories appended after its own.

1. Passage dedup: a kept paragraph that repeats an earlier one — exactly after
   typography folding (quotes, dashes, spaces, case), as a cut copy ("…", or a prefix),
   or nearly (Jaccard of word 3-grams, MinHash-style shingles) — leaves with reason
   ``duplicate`` and the span it repeats. The first occurrence stays.
2. Story boundaries: a headline that opens a new story (followed by a date or byline,
   printed twice, or over a dateline such as "ISLAMABAD:") where the text after it shares
   little vocabulary with the story so far. A long single article, whose sections keep
   talking about the same people and places, is not split.
"""
from __future__ import annotations

import unicodedata

import regex

from .clean import DATELINE_RE, _stoplist
from .config import Config
from .records import APPENDED, DUPLICATE, METADATA, RELATED, Page, Story, normalize_ws

_FOLD = str.maketrans({"“": '"', "”": '"', "„": '"', "«": '"', "»": '"', "‘": "'", "’": "'", "‚": "'",
                       "–": "-", "—": "-", "−": "-", "\u00a0": " ", "…": "..."})
_WORDS = regex.compile(r"\w+")
_ELLIPSIS = regex.compile(r"\s*(\.\.\.|…)\s*$")

MIN_DUP_CHARS = 40  # shorter lines (a subhead, "Meal 1") legitimately recur in a body
NEAR_JACCARD = 0.8
PREFIX_SHARE = 0.5  # a cut copy keeps at least half of the paragraph it repeats
TOPIC_OVERLAP = 0.15  # content words shared, over the smaller side: below it, a new story
MIN_STORY_PROSE = 2  # prose paragraphs a story needs before another may start


def fold(text: str) -> str:
    """Typography-insensitive form: NFKC, curly to straight quotes, dashes, case, spaces."""
    t = unicodedata.normalize("NFKC", text).translate(_FOLD).casefold()
    return " ".join(_WORDS.findall(t))


def shingles(words: list[str], n: int = 3) -> set[tuple[str, ...]]:
    if len(words) < n:
        return {tuple(words)}
    return {tuple(words[i:i + n]) for i in range(len(words) - n + 1)}


def dedup_passages(page: Page) -> None:
    """Label later copies of kept paragraphs as duplicates of the first."""
    seen: dict[str, int] = {}
    earlier: list[tuple[int, str, set]] = []  # (block, folded text, shingles) of long kept paragraphs
    for i, b in enumerate(page.blocks):
        if page.labels[i] is not None or len(b.text) < MIN_DUP_CHARS:
            continue
        cut = bool(_ELLIPSIS.search(b.text))
        key = fold(_ELLIPSIS.sub("", b.text))
        first = seen.get(key)
        if first is None:
            words = key.split()
            sh = shingles(words)
            for j, other, osh in earlier:
                if (cut or len(key) < len(other)) and other.startswith(key) and len(key) >= PREFIX_SHARE * len(other):
                    first = j
                    break
                if len(sh & osh) >= NEAR_JACCARD * len(sh | osh):
                    first = j
                    break
            if first is None:
                seen[key] = i
                earlier.append((i, key, sh))
                continue
        src = page.blocks[first]
        page.remove(i, DUPLICATE, of=[src.start, src.end])


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


def inrun_cues(page: Page, start: int, end: int) -> list[int]:
    """Headlines inside the first run that could open another story."""
    kinds, blocks = page.kinds, page.blocks
    cues = []
    for h in range(start, end):
        if kinds[h] != "headline" or page.labels[h] == DUPLICATE:
            continue
        nxt = [j for j in range(h + 1, min(h + 6, end))]
        dated = any(kinds[j] == "meta" for j in nxt[:4])
        twice = any(blocks[j].text == blocks[h].text for j in nxt)
        first = next((j for j in nxt if kinds[j] == "prose"), None)
        dateline = first is not None and DATELINE_RE.match(blocks[first].text) is not None
        if (dated or twice or dateline) and not (cues and h - cues[-1] <= 6):
            cues.append(h)  # a headline, its deck and its bullets open one story, not three
    return cues


def story_title_date(page: Page, h: int, end: int) -> tuple[str, str | None]:
    from .lexicon import parse_date

    date = None
    for j in range(h + 1, min(h + 6, end)):
        if page.kinds[j] == "meta":
            date = parse_date(page.blocks[j].text)
            if date:
                break
    return normalize_ws(page.blocks[h].text), date


def segment(page: Page, config: Config) -> None:
    """Label in-page duplicates and assign each block to a story (page.story)."""
    if not page.blocks:
        return
    if config.inpage_dedup:
        dedup_passages(page)
    if not page.runs:
        return
    _, s0, e0 = page.runs[0]
    # Boundaries: cues inside the first run, then the later runs the cleaner found.
    bounds = [(h, e0) for h in inrun_cues(page, s0, e0)] + [(cue, e) for cue, _, e in page.runs[1:]]
    story_start = s0
    k = 0
    for idx, (h, run_end) in enumerate(bounds):
        before = _kept_prose(page, story_start, h)
        if len(before) < MIN_STORY_PROSE:
            continue
        nxt_h = bounds[idx + 1][0] if idx + 1 < len(bounds) else run_end
        after = _kept_prose(page, h, min(nxt_h, run_end) if nxt_h > h else run_end)
        if len(after) < MIN_STORY_PROSE:
            continue
        if overlap(content_words(page, before), content_words(page, after)) >= TOPIC_OVERLAP:
            if h >= e0:  # a later run on the same subject: another page's teaser, not our body
                for i in range(h, run_end):
                    page.remove(i, RELATED)
            continue
        k += 1
        title, date = story_title_date(page, h, run_end)
        page.story_meta[k] = (title, date)
        for i in range(h, run_end):
            page.story[i] = k
        # Its headline (also where printed twice) and date line are the story's metadata.
        for i in range(h, min(h + 6, run_end)):
            if page.labels[i] is None and (normalize_ws(page.blocks[i].text) == title or page.kinds[i] == "meta"):
                page.remove(i, METADATA, what="title" if page.kinds[i] != "meta" else "date")
        story_start = h
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
