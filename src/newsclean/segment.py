"""Stage 4, segment: stories appended after the page's own.

With the learned labeller (the default), ``split_learned`` cuts the lines the labeller
kept where a boundary model (models/boundary.txt, over ``boundary_rows``: the vocabulary
on either side of each candidate, what lies between it and the kept line above, how much
each side keeps and says of the page's subject) is surest another story begins; a strong
seam of the rules stands where the model cuts nowhere.

The rules' segmenter (``segment``; the path of ``Config(labeller=False)``, and the source
of those strong seams): a boundary is where the body is interrupted (by a headline, a
date, a widget, another site's chrome) and the text after it shares little vocabulary
with the story so far. A headline followed by a date or byline, printed twice, or over a
dateline ("ISLAMABAD:") marks a likely place and allows a looser test; elsewhere the
vocabulary must differ more. A long single article, whose sections keep talking about the
same people and places, is not split. (Passages printed twice are found by the cleaner,
see newsclean.passages.)
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

from .language import LANGUAGES, foreign, language_code, language_table, top_language
from .config import Config, Segmenting
from .records import APPENDED, DUPLICATE, METADATA, RELATED, Labelling, Story, normalize_ws
from .text import DATELINE_RE, page_terms, subject_said, subject_shares, url_subject, word_weights

# How much a place looks like a seam between two pages (the limits of each tier are
# Config.segmenting's).
STRONG, CUE, WIDE, NARROW = "strong", "cue", "wide", "narrow"


def content_words(page: Labelling, idx, cache: dict) -> np.ndarray:
    """Term frequencies of the content words of blocks ``idx`` (no stopwords, digits or
    short words), indexed by the page's vocabulary: its blocks' words are found once
    (``cache``), each sum is one bincount."""
    if "ids" not in cache:
        cache["ids"], cache["of"], vocab = page_terms(tuple(b.text for b in page.blocks), page.lang)
        cache["size"] = len(vocab)
    chosen = np.zeros(len(page.blocks), dtype=bool)
    chosen[list(idx)] = True
    return np.bincount(cache["ids"][chosen[cache["of"]]], minlength=cache["size"])


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    """Cosine of term-frequency vectors: a story's own subject words recur, so two parts of
    one article agree on them; words two stories merely happen to share count little."""
    n = min(len(a), len(b))
    if not a.any() or not b.any():
        return 1.0
    num = int(a[:n] @ b[:n])  # integer sums: the same figure, to the bit, as counted word by word
    return num / math.sqrt(int(a @ a) * int(b @ b))


def _kept_prose(page: Labelling, lo: int, hi: int) -> list[int]:
    return [i for i in range(lo, hi) if page.labels[i] is None and page.kinds[i] == "prose"]


def _kept_text(page: Labelling, lo: int, hi: int) -> list[int]:
    """What a story kept, prose or not (a results list, a table): its vocabulary. (Not its
    subheads: a new story's kicker can sit just above the seam.)"""
    return [i for i in range(lo, hi) if page.labels[i] is None and (
        page.kinds[i] == "prose" or page.kinds[i] == "other" and len(page.blocks[i].text.split()) >= 5)]


def gap_boundaries(page: Labelling, start: int, end: int, sg: Segmenting) -> list[tuple[int, str]]:
    """Places in a run where another story could begin: between two kept paragraphs with
    something else in between (a headline, a date, a widget), each with its strength:
    CUE, a headline followed by a date or byline, printed twice, or over a dateline
    (STRONG when two of these);
    WIDE, a stretch of ``sg.wide_gap`` lines or more (another page's chrome); else NARROW."""
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
            if chrome or len(gap) >= sg.wide_gap:
                signs = int(dated) + int(twice) + int(dateline)
                tier = ((STRONG if signs >= 2 else CUE) if heads and signs
                        else WIDE if chrome and len(gap) >= sg.wide_gap else NARROW)
                out.append((_story_head(page, gap, heads) if tier in (STRONG, CUE) else prev_kept + 1, tier))
        if page.labels[i] is None:
            prev_kept = i
    return out


def strong_seam_possible(page: Labelling, config: Config) -> bool:
    """Whether the rules' segmenter could find a STRONG seam in the page's body run (only
    gap_boundaries names that tier): the whole segmenter runs only where it could."""
    if not page.blocks or not page.runs:
        return False
    _, s0, e0 = page.runs[0]
    return any(tier == STRONG for _, tier in gap_boundaries(page, s0, e0, config.segmenting))


def _story_head(page: Labelling, gap: range, heads: list[int]) -> int:
    """Where a new story's head begins in a gap: at the headline announcing it (the first
    one a date line or its own copy follows closely); what the old story kept above it
    (a table, a results list) stays with the old story."""
    kinds, blocks = page.kinds, page.blocks
    for h in heads:
        near = range(h + 1, min(h + 4, gap.stop))
        if any(kinds[j] == "meta" or blocks[j].text == blocks[h].text for j in near):
            return h
    return gap.start


def story_title_date(page: Labelling, lo: int, hi: int) -> tuple[str | None, str | None]:
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


_QA = re.compile(r"^\s*(Q|A|Q\.|A\.|Question|Answer|Frage|Antwort|P|R|В|О)\s*[:.–—-]\s", re.I)


def begin_story(page: Labelling, k: int, head: int, first: int, end: int) -> None:
    """Blocks ``head``..``end`` become story ``k``: its headline and date are read from
    the lines above its first paragraph (``first``), and those lines — the headline, also
    where printed twice, and the date line — are the story's metadata, not its text."""
    title, date = story_title_date(page, head, first)
    page.story_meta[k] = (title, date)
    for i in range(head, end):
        page.story[i] = k
    for i in range(head, first):
        if page.labels[i] is None and (normalize_ws(page.blocks[i].text) == title or page.kinds[i] == "meta"):
            page.remove(i, METADATA, what="title" if page.kinds[i] != "meta" else "date")


def _interview_goes_on(page: Labelling, start: int, end: int) -> bool:
    """An interview's next question is no new story."""
    first = next((i for i in range(start, end) if page.labels[i] is None), None)
    return first is not None and _QA.match(page.blocks[first].text) is not None


def story_like(page: Labelling, start: int, end: int, sg: Segmenting) -> bool:
    """From its first paragraph on, reads like an article: prose most of what is kept (not
    a footer's small print, a list of names or a list of headlines)."""
    kept = [i for i in range(start, end) if page.labels[i] is None]
    first = next((n for n, i in enumerate(kept) if page.kinds[i] == "prose"), len(kept))
    kept = kept[first:first + sg.story_head]
    chars = sum(len(page.blocks[i].text) for i in kept)
    prose = sum(len(page.blocks[i].text) for i in kept if page.kinds[i] == "prose")
    return prose >= sg.story_prose_share * chars


def topic_shift(page: Labelling, before: list[int], after: list[int], cue: str, sg: Segmenting,
                cache: dict) -> float | None:
    """How much the text after a boundary shares with the story before it, when little
    enough for a new story to begin there; None when it shares too much (or either side
    is too short to tell). Both the vocabulary and the names (people, places) must move on."""
    if len(before) < sg.min_story_prose or len(after) < sg.min_new(cue):
        return None
    wa, wb = content_words(page, before, cache), content_words(page, after, cache)
    min_words, limit = sg.limits(cue)
    if min(int(np.count_nonzero(wa)), int(np.count_nonzero(wb))) < min_words:
        return None
    sim = cosine(wa, wb)
    return sim if sim < limit else None


def off_subject(page: Labelling, idx: list[int]) -> bool:
    """The page's headline says what its URL says, and these blocks say none of it: they
    are about something else, however little text the page's own story has to compare."""
    subject = url_subject(page.url)
    if len(subject) < 2 or not page.title or subject_said(subject, [page.title]) < 2 / 3:
        return False
    return subject_said(subject, (page.blocks[i].text for i in idx)) == 0


def in_another_language(page: Labelling, before: list[int], start: int, end: int, cache: dict,
                        min_hits: int) -> bool:
    """All that is kept from here on is in another language than the story before it:
    another site's story (a quotation or a translated deck is a paragraph, not the rest)."""
    if not cache:  # each block's stopword counts, by language: counted once, summed in numpy
        cache["hits"] = np.zeros((len(page.blocks), len(LANGUAGES)), dtype=np.int64)
        cache["done"] = np.zeros(len(page.blocks), dtype=bool)
    table, done = cache["hits"], cache["done"]

    def hits(idx: list[int]) -> list[int]:
        todo = [i for i in idx if not done[i]]
        if todo:
            table[todo] = language_table([page.blocks[i].text for i in todo])
            done[todo] = True
        return table[idx].sum(axis=0).tolist()

    after = [i for i in range(start, end) if page.labels[i] is None]
    return foreign(hits(after), top_language(hits(before)), min_hits)


def plainly_other(page: Labelling, before: list[int], after: list[int], start: int, end: int, cue: str,
                  later_run: bool, langs: dict, config: Config) -> bool:
    """Another story, though the two sides are too short for their vocabularies to tell:
    a later run that never mentions what the page's URL and headline are about, or text
    in another language than the story before it."""
    sg = config.segmenting
    if later_run and len(after) >= sg.min_new(cue) and off_subject(page, after):
        return True
    return (bool(after) and len(before) >= sg.min_story_prose
            and in_another_language(page, before, start, end, langs, config.rules.foreign_hits))


def segment(cleaned: Labelling, config: Config) -> Labelling:
    """The cleaner's labelling with each block assigned to a story (``story``), the
    split-off stories' headlines and dates as their metadata."""
    page = cleaned.evolve()
    if not page.blocks or not page.runs:
        return page
    _, s0, e0 = page.runs[0]
    # (boundary, strong cue, end of the text the new story would take)
    sg = config.segmenting
    cands = [(b, cue, e0) for b, cue in gap_boundaries(page, s0, e0, sg)]
    runs = {cue for cue, _, _ in page.runs[1:]}
    cands += [(cue, CUE if cue < s else WIDE, e) for cue, s, e in page.runs[1:]]
    story_start, k = s0, 0
    terms: dict = {}  # the page's content words, found once (content_words)
    langs: dict[str, np.ndarray] = {}  # each block's stopword counts by language (in_another_language)
    taken: set[int] = set()
    while True:
        best = None
        for b, cue, end in cands:
            if b <= story_start or b in taken:
                continue
            if not story_like(page, b, end, sg) or _interview_goes_on(page, b, end):
                continue
            before, after = _kept_text(page, story_start, b), _kept_prose(page, b, end)
            score = topic_shift(page, before, after, cue, sg, terms)
            if score is None and plainly_other(page, before, after, b, end, cue, b in runs, langs, config):
                score = sg.limits(cue)[1]  # accepted, after any candidate the vocabulary itself tells apart
            if score is not None and (best is None or score < best[0]):
                best = (score, b, end, cue)
        if best is None:
            break
        _, b, end, cue = best
        taken.add(b)
        page.seams[b] = cue
        k += 1
        first = next(i for i in range(b, end) if page.labels[i] is None and page.kinds[i] == "prose")
        begin_story(page, k, b, first, end if end > e0 else max(end, e0))
        story_start = b
    # Later runs that were not split off are not the page's body either.
    for cue, s, e in page.runs[1:]:
        if page.story[s] == 0:
            for i in range(cue, e):
                if page.labels[i] is None:
                    page.remove(i, RELATED)
    return page


def stories(labelled: Labelling, config: Config) -> list[Story]:
    """Cut a labelled page into Stories; every block lands in exactly one story's
    kept spans or removed list."""
    page = labelled.evolve() if config.appended != "split" else labelled
    n_stories = max(page.story, default=0) + 1
    if config.appended != "split":
        for i, s in enumerate(page.story):
            if s > 0:
                if config.appended == "drop":
                    page.remove(i, APPENDED)
                page.story[i] = 0
        n_stories = 1
    given = page.page.given
    lang = given.get("lang") or language_code(page.lang)
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
        if k == 0:  # the page's own story: what the text gives, else what the input said
            title, date = page.title or given.get("title"), page.date or given.get("date")
        else:
            title, date = page.story_meta.get(k, (None, None))
        out.append(Story(
            doc_id=page.doc_id, index=k,
            text="\n\n".join(normalize_ws(page.blocks[i].text) for i in kept),
            spans=[(page.blocks[i].start, page.blocks[i].end) for i in kept],
            removed=removed, title=title, date=date, url=page.url, source=page.source,
            lang=lang, meta=page.page.meta,
        ))
    return out


# -- learned boundaries ------------------------------------------------------------------------
# The lines removed between two kept lines, by the reason the labeller gave them.
GAP_REASONS = ("navigation", "related", "footer", "comments", "share", "newsletter", "caption", "metadata",
               "sidebar", "boilerplate", "advert", "duplicate")
# Features of a candidate boundary (a kept line after which another story could begin):
# the vocabulary on either side (term-frequency cosines of everything before and after,
# and of the 3 and 10 kept lines around; each side's own coherence), what lies between it
# and the kept line above (how many lines, of what kind and reason, how sure the labeller
# was of them), how much is kept before and after, their stopword density, language,
# and how much of the URL's subject and the page's headline each side says.
BOUNDARY_FEATURES = (
    "cos_all", "cos3", "cos10", "cos_b10_aall", "coh_after", "coh_before", "cross_gain", "new_vocab10",
    "p_i", "gap_log", "gap_removed", "gap_head", "gap_meta", "gap_chrome", "gap_twice", "dateline", "gap_pmean",
    "gap_pmin", "kept_before_log", "kept_after_log", "chars_share_before", "chars_after_log", "lang_change",
    "stop_before", "stop_after", "subj_before", "subj_after", "subj_after10", "title_before", "title_after",
    "rules_run", "head_date_near", "i_words_log", "i_headline_above", "after_prose_share",
    "i_headline", "i_title_words", "prose_before_log", "prose_after_log",
) + tuple(f"gap_{r}" for r in GAP_REASONS) + (
    # the same cosines with words weighed by how rare they are (word_weights), and 20 lines a side
    "wcos_all", "wcos3", "wcos10", "wcos_b10_aall", "wcoh_after", "wcoh_before", "wcos20", "wnew_vocab10",
    "wcos_a3_after", "wcross_gain",
    # the raw lines just after and before the candidate (Segmenting.boundary_window)
    "ahead_pmean", "ahead_pmin", "ahead_removed", "ahead_meta", "ahead_head", "ahead_chrome", "ahead_twice",
    "behind_pmean", "behind_removed", "ahead_short", "i_holds_next",
)
_COLUMN = {name: k for k, name in enumerate(BOUNDARY_FEATURES)}


@dataclass(frozen=True)
class KeptTerms:
    """The content words of a page's kept lines, held so that any two runs of kept lines
    compare in constant time: a cosine needs only dot products, and the dot product of
    two runs' term rows is four entries of the Gram matrix of the cumulative rows
    (``<cum[b] - cum[a], cum[d] - cum[c]> = G[b,d] - G[b,c] - G[a,d] + G[a,c]``, with
    ``cum[k]`` the sum of the first k kept lines), which comes from the lines' sparse
    Gram matrix by two cumulative sums. Nothing of the size of lines × vocabulary is
    made. ``plain`` counts each word 1, ``weighted`` its weight (text.word_weights)."""

    m: int  # kept lines
    plain: np.ndarray  # (m + 1, m + 1) Gram matrices of the cumulative rows
    weighted: np.ndarray
    first_cum: np.ndarray  # (m + 1,) words first said by the first k kept lines
    prev: np.ndarray  # per (line, word) pair: the kept line that said the word last before it, -1 for none
    line_weight_cum: np.ndarray  # (m + 1,) the weighted words of the first k kept lines
    pairs: tuple[np.ndarray, np.ndarray, np.ndarray]  # (line, its word's first line, weighted count), by line

    @classmethod
    def of(cls, line: np.ndarray, word: np.ndarray, weight: np.ndarray, m: int) -> "KeptTerms":
        """From each occurrence's kept line (0..m-1) and word id (into ``weight``)."""
        from scipy.sparse import csr_matrix  # a dependency of LightGBM's; sparse products in C

        v = len(weight)
        pairs, count = np.unique(line.astype(np.int64) * v + word, return_counts=True)  # by line, then word
        pl, pw = pairs // v, pairs % v
        wc = count * weight[pw]
        indptr = np.searchsorted(pl, np.arange(m + 1))
        grams = []
        for values in (count.astype(np.float64), wc):
            x = csr_matrix((values, pw, indptr), shape=(m, v))
            g = np.zeros((m + 1, m + 1))
            g[1:, 1:] = (x @ x.T).toarray().cumsum(0).cumsum(1)
            grams.append(g)
        first = np.full(v, m, dtype=np.int64)
        if pairs.size:
            words, at = np.unique(pw, return_index=True)  # pairs run by line: the first is the first line
            first[words] = pl[at]
        order = np.lexsort((pl, pw))  # by word, then line: each pair's predecessor is its word's last line before
        prev = np.full(pairs.size, -1, dtype=np.int64)
        same = pw[order][1:] == pw[order][:-1]
        prev[order[1:][same]] = pl[order][:-1][same]
        first_cum = np.concatenate([[0], np.cumsum(np.bincount(first[first < m], minlength=m))])
        return cls(m, grams[0], grams[1], first_cum, prev, np.concatenate([[0.0], np.cumsum(
            np.bincount(pl, weights=wc, minlength=m))]), (pl, first[pw], wc))

    def run(self, lo, hi) -> tuple[np.ndarray, np.ndarray]:
        """Kept lines lo..hi-1 (arrays of bounds), clipped to the page: what dots reads."""
        return np.clip(lo, 0, self.m), np.clip(hi, 0, self.m)

    def dots(self, g: np.ndarray, x: tuple, y: tuple) -> np.ndarray:
        """<run x, run y> of runs made by ``run``."""
        (a, b), (c, d), w = x, y, self.m + 1
        flat = g.ravel()
        return flat[b * w + d] - flat[b * w + c] - flat[a * w + d] + flat[a * w + c]

    def cosine(self, g: np.ndarray, x: tuple, y: tuple, xx: np.ndarray, yy: np.ndarray,
               empty: np.ndarray) -> np.ndarray:
        """Cosine of two runs' term rows, given their squared norms; 1 where either run
        has no words (``empty``: nothing to tell them apart by)."""
        return np.where(empty, 1.0, self.dots(g, x, y) / np.sqrt(np.where(empty, 1.0, xx * yy)))

    def new_words(self, j: np.ndarray, w: int) -> np.ndarray:
        """The share of the distinct words of kept lines j..j+w-1 that no kept line before
        j said. A pair (line r, word) is a window's first sight of the word for the
        windows starting after the word's previous line and no more than w-1 lines above r."""
        pl, _, _ = self.pairs
        diff = np.zeros(self.m + 1)
        np.add.at(diff, np.maximum(self.prev + 1, pl - (w - 1)), 1.0)
        np.add.at(diff, pl + 1, -1.0)
        seen = np.cumsum(diff)[j]
        new = self.first_cum[np.minimum(j + w, self.m)] - self.first_cum[j]
        return new / np.maximum(seen, 1)

    def new_weight(self, j: np.ndarray, w: int) -> np.ndarray:
        """The share of the weighted words of kept lines j..j+w-1 that are words no kept
        line before j said: a pair (line r, word first said on line f) counts for the
        windows starting in max(r-w+1, 0)..f."""
        pl, first, wc = self.pairs
        lo = np.maximum(pl - (w - 1), 0)
        ok = lo <= first
        diff = np.zeros(self.m + 1)
        np.add.at(diff, lo[ok], wc[ok])
        np.add.at(diff, first[ok] + 1, -wc[ok])
        fresh = np.cumsum(diff)[j]
        total = self.line_weight_cum[np.minimum(j + w, self.m)] - self.line_weight_cum[j]
        return fresh / np.maximum(total, 1e-9)


def boundary_rows(page: Labelling, feats: list, sg: Segmenting,
                  start: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The candidate boundaries of a labelled page from block ``start`` on — every kept
    line with at least ``sg.min_story_prose`` kept prose lines above it (from ``start``)
    and below it: a story is more than a stray line — and one row of BOUNDARY_FEATURES for
    each. ``feats``: the blocks' own features (newsclean.clean.Feat)."""
    min_prose = sg.min_story_prose
    blocks, labels, kinds = page.blocks, page.labels, page.kinds
    n = len(blocks)
    probs = page.probs if page.probs is not None else np.ones(n)
    keep = np.flatnonzero(np.array([lab is None for lab in labels[start:]], dtype=bool)) + start
    m = len(keep)
    if m < 2:
        return np.zeros(0, dtype=np.int64), np.zeros((0, len(BOUNDARY_FEATURES)), dtype=np.float32)
    ids, of, vocab = page_terms(tuple(b.text for b in blocks), page.lang)
    row_of = np.full(n, -1)
    row_of[keep] = np.arange(m)
    sel = row_of[of] >= 0
    words, word = np.unique(ids[sel], return_inverse=True)
    weight = word_weights(list(map(vocab.__getitem__, words.tolist())), language_code(page.lang),
                          sg.common_word_zipf, sg.word_weight_floor) if len(words) else np.ones(1)
    terms = KeptTerms.of(row_of[of[sel]], word, weight, m)
    prose = np.concatenate([[0.0], np.cumsum([kinds[i] == "prose" for i in keep])])
    j = np.arange(1, m)  # the candidate is keep[j]
    j = j[(prose[j] >= min_prose) & (prose[m] - prose[j] >= min_prose)]
    if not len(j):
        return np.zeros(0, dtype=np.int64), np.zeros((0, len(BOUNDARY_FEATURES)), dtype=np.float32)

    sizes = np.array([len(blocks[i].text) for i in keep], dtype=np.float64)
    chars = np.concatenate([[0.0], np.cumsum(sizes)])
    langs = np.vstack([np.zeros((1, len(LANGUAGES))),
                       np.cumsum(language_table([blocks[i].text for i in keep]), axis=0)])
    lb, la = langs[j], langs[m] - langs[j]
    lang_change = (lb.argmax(1) != la.argmax(1)) & (la.max(1) >= 5) & (lb.max(1) >= 5)
    stop = np.concatenate([[0.0], np.cumsum([feats[i].stop for i in keep])])
    subject = url_subject(page.url)
    said = (subject_shares(subject, [blocks[i].text for i in keep]) if len(subject) >= 2
            else np.full(m, -1.0))
    said_cum = np.concatenate([[0.0], np.cumsum(said)])
    title = set(normalize_ws(page.title).casefold().split()) if page.title else set()
    norms = [normalize_ws(blocks[i].text).casefold() for i in range(n)]
    title_seen = [set()]  # the headline's words said by the first k kept lines
    for i in keep:
        title_seen.append(title_seen[-1] | (title & set(norms[i].split())) if title else title_seen[-1])
    title_ahead = [set()]  # … and by the last k
    for i in keep[::-1]:
        title_ahead.append(title_ahead[-1] | (title & set(norms[i].split())) if title else title_ahead[-1])
    later_runs = [(cue if cue is not None else s) for cue, s, _ in page.runs[1:]]
    cand, prev = keep[j], keep[j - 1]
    ahead = np.minimum(j + 10, m)
    out = np.zeros((len(j), len(BOUNDARY_FEATURES)), dtype=np.float64)

    def put(name, values):
        out[:, _COLUMN[name]] = values

    spans = {"before": (0, j), "after": (j, m), "b3": (j - 3, j), "a3": (j, j + 3), "b10": (j - 10, j),
            "a10": (j, j + 10), "b20": (j - 20, j), "a20": (j, j + 20), "past_a3": (j + 3, m),
            "past_a10": (j + 10, m), "before_b10": (0, j - 10)}
    spans = {k: terms.run(lo, hi) for k, (lo, hi) in spans.items()}
    sq = {(g, k): terms.dots(terms.weighted if g else terms.plain, r, r) for k, r in spans.items() for g in (0, 1)}

    def cos(weighted: int, x: str, y: str) -> np.ndarray:
        return terms.cosine(terms.weighted if weighted else terms.plain, spans[x], spans[y], sq[weighted, x],
                            sq[weighted, y], (sq[0, x] == 0) | (sq[0, y] == 0))

    for prefix, w in (("", 0), ("w", 1)):
        whole, coh_a, coh_b = cos(w, "before", "after"), cos(w, "a10", "past_a10"), cos(w, "b10", "before_b10")
        put(prefix + "cos_all", whole)
        put(prefix + "cos3", cos(w, "b3", "a3"))
        put(prefix + "cos10", cos(w, "b10", "a10"))
        put(prefix + "cos_b10_aall", cos(w, "b10", "after"))
        put(prefix + "coh_after", coh_a)
        put(prefix + "coh_before", coh_b)
        put(prefix + "cross_gain", np.minimum(coh_a, coh_b) - whole)
    put("new_vocab10", terms.new_words(j, 10))
    put("p_i", probs[cand])
    put("gap_pmean", 1.0)  # the labeller's mean and least probability of the lines between: none
    put("gap_pmin", 1.0)
    runs = np.array(sorted(later_runs), dtype=np.int64)
    # a later body run of the rules begins between the kept line above and the candidate
    put("rules_run", np.searchsorted(runs, cand, side="right") > np.searchsorted(runs, prev, side="right"))
    gap_cols = [_COLUMN[f"gap_{r}"] for r in GAP_REASONS]
    for q in np.flatnonzero(cand - prev > 1).tolist():  # only candidates with lines between
        i, p0 = int(cand[q]), int(prev[q])
        gap = range(p0 + 1, i)
        reasons = {labels[x] for x in gap}
        heads = [x for x in gap if kinds[x] == "headline"]
        seen = [norms[x] for x in gap]
        gp = probs[p0 + 1:i]
        row = out[q]
        row[_COLUMN["gap_log"]] = math.log1p(len(gap))
        row[_COLUMN["gap_removed"]] = sum(labels[x] is not None for x in gap) / len(gap)
        row[_COLUMN["gap_head"]] = len(heads)
        row[_COLUMN["gap_meta"]] = sum(kinds[x] == "meta" for x in gap)
        row[_COLUMN["gap_chrome"]] = sum(kinds[x] == "chrome" for x in gap)
        row[_COLUMN["gap_twice"]] = len(seen) != len(set(seen))
        row[_COLUMN["gap_pmean"]], row[_COLUMN["gap_pmin"]] = float(gp.mean()), float(gp.min())
        row[_COLUMN["head_date_near"]] = any(kinds[x] == "meta" for h in heads for x in range(h + 1, min(h + 4, i + 1)))
        row[_COLUMN["i_headline_above"]] = bool(heads and heads[-1] >= i - 3)
        row[gap_cols] = [r in reasons for r in GAP_REASONS]
    put("wcos20", cos(1, "b20", "a20"))
    put("wnew_vocab10", terms.new_weight(j, 10))
    put("wcos_a3_after", cos(1, "a3", "past_a3"))
    near(page, probs, cand, norms, sg, put)
    ci = cand.tolist()
    put("dateline", [DATELINE_RE.match(blocks[i].text) is not None for i in ci])
    put("i_words_log", [math.log1p(feats[i].n_words) for i in ci])
    put("i_headline", [kinds[i] == "headline" for i in ci])
    jf, mf = j.astype(np.float64), float(m)
    put("kept_before_log", np.log1p(jf))
    put("kept_after_log", np.log1p(mf - jf))
    put("chars_share_before", chars[j] / max(chars[m], 1.0))
    put("chars_after_log", np.log1p(chars[m] - chars[j]))
    put("lang_change", lang_change)
    put("stop_before", stop[j] / jf)
    put("stop_after", (stop[m] - stop[j]) / (mf - jf))
    put("subj_before", said_cum[j] / jf)
    put("subj_after", (said_cum[m] - said_cum[j]) / (mf - jf))
    put("subj_after10", (said_cum[ahead] - said_cum[j]) / (ahead - j))
    put("after_prose_share", (prose[ahead] - prose[j]) / (ahead - j))
    put("prose_before_log", np.log1p(prose[j]))
    put("prose_after_log", np.log1p(prose[m] - prose[j]))
    if title:
        put("title_before", [len(title_seen[jj]) / len(title) for jj in j.tolist()])
        put("title_after", [len(title_ahead[m - jj]) / len(title) for jj in j.tolist()])
        put("i_title_words", [len(title & set(norms[i].split())) / len(title) for i in ci])
    else:
        for name in ("title_before", "title_after", "i_title_words"):
            put(name, -1.0)
    return cand, out.astype(np.float32)


def near(page: Labelling, probs: np.ndarray, cand: np.ndarray, norms: list[str], sg: Segmenting, put) -> None:
    """The ahead_* and behind_* features: what the raw lines just after each candidate and
    just before it are (the labeller's P ``probs``, removed or not, the rules' kinds), and whether
    the candidate holds the next line's text (a breadcrumb run into the headline it ends
    with, the headline then printed alone)."""
    n, w = len(page.blocks), sg.boundary_window

    def sums(values):
        return np.concatenate([[0.0], np.cumsum(np.asarray(values, dtype=np.float64))])

    def window(c, lo, hi):
        lo, hi = np.clip(lo, 0, n), np.clip(hi, 0, n)
        return (c[hi] - c[lo]) / np.maximum(hi - lo, 1)

    kinds = page.kinds
    removed = sums([lab is not None for lab in page.labels])
    p = sums(probs)
    lo, hi = cand + 1, cand + 1 + w
    put("ahead_pmean", window(p, lo, hi))
    padded = np.concatenate([probs, np.ones(w)])
    put("ahead_pmin", np.lib.stride_tricks.sliding_window_view(padded, w)[np.minimum(cand + 1, n)].min(axis=1))
    put("ahead_removed", window(removed, lo, hi))
    for name, kind in (("ahead_meta", "meta"), ("ahead_head", "headline"), ("ahead_chrome", "chrome")):
        c = sums([k == kind for k in kinds])
        put(name, c[np.clip(hi, 0, n)] - c[np.clip(lo, 0, n)])
    put("ahead_short", window(sums([len(t.split()) <= sg.short_line_words for t in norms]), lo, hi))
    put("behind_pmean", window(p, cand - w, cand))
    put("behind_removed", window(removed, cand - w, cand))
    twice, holds = [], []
    for c in cand.tolist():
        here, seen, held = norms[c], False, False
        for t in norms[c + 1:c + 1 + w]:
            if t and t in here:
                seen, held = True, held or t != here
            elif t and here in t:
                seen = True
        twice.append(seen)
        holds.append(held)
    put("ahead_twice", twice)
    put("i_holds_next", holds)


def _seam_p(cands: np.ndarray, p: np.ndarray, b: int) -> float:
    """The model's P at a seam of the rules. Where the seam is no candidate of the
    model's: 0 if no candidate follows it either (no story of two prose lines below), else
    1 (too little prose above it for the model to judge: a list of results, say)."""
    at = np.flatnonzero(cands == b)
    if at.size:
        return float(p[at[0]])
    return 1.0 if (cands > b).any() else 0.0


def split_learned(labelled: Labelling, model, config: Config, feats: list,
                  seams: dict[int, str] | None = None) -> Labelling:
    """The labelled page cut where ``model`` (over boundary_rows) is surest another story
    begins, if at least ``config.segmenting.boundary_threshold``; then again in what
    follows, up to ``config.segmenting.max_stories`` stories. Where the model cuts nowhere,
    a STRONG seam of the rules' segmenter (``seams``: block → tier) stands. A new story
    takes the lines from just below the last kept line of the one before (from the seam's
    headline, for a seam); its headline (also where printed twice) and date line become
    its metadata."""
    page = labelled.evolve()
    sg = config.segmenting
    n = len(page.blocks)
    strong = [b for b, tier in sorted((seams or {}).items()) if tier == STRONG] if sg.rules_strong_seams else []
    start, k = 0, 0
    while k + 1 < sg.max_stories:
        cands, rows = boundary_rows(page, feats, sg, start)
        p = model.probabilities(rows) if len(cands) else np.zeros(0)
        best = float(p.max(initial=0.0))
        if best >= sg.boundary_threshold:
            b = int(cands[int(np.argmax(p))])
            head = max((i for i in range(start, b) if page.labels[i] is None), default=start) + 1
            page.cuts[k + 1] = f"the boundary model gives {best:.2f} at line {b}"
        elif k == 0 and strong and (at := _seam_p(cands, p, strong[0])) >= sg.strong_seam_min_p:
            b = head = strong[0]
            page.cuts[k + 1] = (f"a strong seam of the rules at line {b} (the boundary model gives it "
                                f"{at:.2f}; its best: {best:.2f})")
        else:
            break
        k += 1
        first = next((i for i in range(head, n) if page.labels[i] is None and page.kinds[i] == "prose"), b)
        begin_story(page, k, head, first, n)
        start = b
    return page
