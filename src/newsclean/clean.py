"""Stage 3, clean: label every block of a page as body, or removed with a reason.

Works from the text alone, in three steps:

1. Each block gets features of its own: length, word count, stopword density (jusText's
   stoplists; the page's language is the one whose stopwords it uses most), sentence
   ending, share of capitalised words, dates, and a UI lexicon in several languages.
2. The body is the densest run of prose: every block scores (prose gains its length,
   chrome and headline-like lines cost), and the best-scoring contiguous run wins
   (Kadane). Chrome gathers at head and tail; section markers such as a comments or
   "related" heading cost so much that the run rarely crosses them.
3. Inside the run, short blocks follow their neighbours (subheads stay), while lexicon
   chrome, captions, date and byline lines, and headlines of other stories dropped into
   the text leave with their reason. Outside it, everything leaves, named by the nearest
   marker above it (comments, related, newsletter…) or by what it looks like.

The headline (also where printed twice) and the date are lifted into the record.
"""
from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache
from itertools import chain
from typing import NamedTuple

import regex

from .config import Config, Rules
from .language import block_language, foreign, language_hits, page_language, stopwords_of
from .lexicon import AUTHOR_BIO_RE, COMMENTER_RE, META_PREFIX_RE, RELATIVE_TIME_RE, TIME_RE, chrome_reason, parse_date
from .passages import find_repeats
from .records import (BOILERPLATE, COMMENTS, DUPLICATE, FOOTER, METADATA, NAVIGATION, NEWSLETTER, RELATED,
                      SIDEBAR, TEMPLATE, Labelling, Page, normalize_ws)
from .text import DATELINE_RE, block_words, subject_said, url_subject

# Chinese and Japanese write no spaces: each ideograph or kana counts as half a word, and
# particles and sentence punctuation stand in for stopwords.
_CJK = regex.compile(r"[\p{Han}\p{Hiragana}\p{Katakana}]")
_CJK_HINT = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]")
_CJK_FUNCTION = regex.compile(r"[のはがをにでとたてしもな的了是在和有我这、。]")
_SENTENCE_END = regex.compile(r"""[.!?。！？…:;]["'”’»)\]]*\s*$|[.!?]\s*\[\d+\]$""")
_ELLIPSIS_END = regex.compile(r"(\.\.\.|…)\s*$")
_BULLET = regex.compile(r"^[•·*▪►◦‣–-]\s")
_NUMBERED = re.compile(r"\(?\d{1,2}[).:]\s+\S")
# "Say Cheese? Top 3 Cheese ShopsWondering where…": a teaser whose headline was glued to it.
_GLUED_HEADLINE = regex.compile(r"^(\p{Lu}\S*\s+){2,14}?\S*\p{Ll}{2}[?!]?\p{Lu}\p{Ll}+\s", regex.V1)
# "2 days ago at 07:52 am", "3 hours ago": when a comment was posted.
_COMMENT_TIME = regex.compile(r"^\W*(\d+|an?|one)\s+(minutes?|mins?|hours?|hrs?|days?|weeks?|months?|years?)\s+ago\b", regex.I)
_TWEET_SIGNATURE = re.compile(r"^[—–-]\s*.{1,60}\(@\w+\)")

# Markers after which the rest of the page is that kind of chrome.
SECTION_MARKERS = (COMMENTS, RELATED, NEWSLETTER, FOOTER)


class Feat(NamedTuple):
    """A block's own features (a named tuple: made for every line, and a frozen
    dataclass's __init__ costs six times as much)."""

    n_chars: int
    n_words: int
    stop: float  # stopword density
    sentence: bool  # ends like a sentence
    caps: float  # share of words that start with a capital
    date: str | None
    meta: bool  # a date, time or byline line
    chrome: str | None  # lexicon reason
    teaser: bool  # prose cut short with an ellipsis
    numbered: bool  # "3) …" or "12. …"
    prose: bool  # running text in the page's language (Config.rules.prose_*)
    headline: bool  # a few words, no sentence ending, not chrome or a date


def ends_sentence(text: str) -> bool:
    return _SENTENCE_END.search(text[-10:]) is not None


def is_meta(text: str, words: list[str], date: str | None) -> bool:
    """Date, time, 'Published …', 'By …' and byline-with-date lines."""
    n = len(words)
    if RELATIVE_TIME_RE.match(text):
        return True
    if (n <= 14 or (date and n <= 24)) and META_PREFIX_RE.match(text):
        return True
    if date and n <= 10:
        return True
    if n <= 6 and TIME_RE.search(text) and not ends_sentence(text):
        return True
    return False


@lru_cache(maxsize=1 << 16)
def features(text: str, lang: str, rules: Rules) -> Feat:
    """A block's own features. Cached: menus, footers and share bars recur across a
    site's pages, so most chrome lines are computed once."""
    words = block_words(text)
    stoplist = stopwords_of(lang)
    n = len(words)
    stop = sum(map(stoplist.__contains__, map(str.lower, words))) / n if n else 0.0
    cjk = len(_CJK.findall(text)) if _CJK_HINT.search(text) else 0
    if cjk >= 8:
        n = max(n, cjk // 2)
        stop = min(1.0, 2.5 * len(_CJK_FUNCTION.findall(text)) / cjk)
    firsts = [w[0] for w in words if w[0].isalpha()]
    caps = sum(map(str.isupper, firsts)) / len(firsts) if firsts else 0.0
    date = parse_date(text) if n <= 24 else None  # a dated line is short; prose is not metadata
    meta = (is_meta(text, words, date) and not _TWEET_SIGNATURE.match(text)) or _author_bio(text, n)
    chrome = chrome_reason(text, n)
    sentence = ends_sentence(text)
    prose = (n >= rules.prose_min_words and stop >= rules.prose_min_stop
             and (sentence or n >= rules.prose_long_words) and not chrome)
    headline = (rules.headline_min_words <= n <= rules.headline_max_words and not sentence and not chrome
                and not meta)
    return Feat(len(text), n, stop, sentence, caps, date, meta, chrome,
                bool(_ELLIPSIS_END.search(text[-8:]) or _glued(text, n)), bool(_NUMBERED.match(text)), prose, headline)


def _author_bio(text: str, n: int) -> bool:
    return n <= 80 and (" is " in text or " was " in text or " has " in text or " joined " in text
                        or " covers " in text) and AUTHOR_BIO_RE.match(text) is not None


def _glued(text: str, n: int) -> bool:
    return n >= 6 and text[:1].isupper() and _GLUED_HEADLINE.match(text) is not None


# -- the body run ----------------------------------------------------------------------------
def block_score(f: Feat, template: bool, isolated: bool, r: Rules) -> float:
    """What a block adds to a run: prose its length, chrome a cost. Prose standing alone
    between non-prose lines (a teaser under a headline and a date) adds far less."""
    if template:
        return -r.chrome_cost
    if f.chrome in SECTION_MARKERS and f.n_words <= 5:  # a heading: the section below is chrome
        return -(r.comments_wall if f.chrome == COMMENTS else r.marker_cost)
    if f.chrome:
        return -r.chrome_cost
    if f.meta:
        return -r.meta_cost
    if f.teaser:
        return -r.teaser_cost
    if f.prose:
        weight = 1.0 if f.stop >= r.dense_stop else r.light_prose_weight
        return f.n_chars * weight * r.isolated_weight - r.isolated_cost if isolated else f.n_chars * weight
    if f.n_words >= 6 and f.sentence:
        return f.n_chars * r.sentence_weight
    if f.numbered and f.n_words >= 3:
        return f.n_chars * r.numbered_weight
    return -r.short_cost if f.n_words <= 6 else -r.other_cost


def _proseish(f: Feat) -> bool:
    return f.prose or (f.sentence and f.n_words >= 6 and not f.chrome and not f.meta)


def _isolated(i: int, feats: list[Feat]) -> bool:
    """Prose whose nearest neighbours (chrome lines aside) are not prose."""
    if not feats[i].prose:
        return False
    prev = next((j for j in range(i - 1, -1, -1) if not feats[j].chrome), None)
    nxt = next((j for j in range(i + 1, len(feats)) if not feats[j].chrome), None)
    return (prev is None or not _proseish(feats[prev])) and (nxt is None or not _proseish(feats[nxt]))


def comment_zone(blocks, feats: list[Feat]) -> int | None:
    """Where readers' comments begin: a comments heading followed within a few lines by a
    commenter's header ("jane says:", "2 days ago at 07:52", a name over a date), a reply
    button or the comment form ("Your email address will not be published"). A lone
    "View comments" button is not a comments section."""
    for i, f in enumerate(feats):
        if f.chrome == COMMENTS:
            for j in range(i, min(i + 7, len(feats))):
                t = blocks[j].text.strip().casefold()
                if COMMENTER_RE.search(t) or t in ("reply", "report", "like", "responder", "antworten", "répondre") \
                        or j > i and (feats[j].chrome == COMMENTS or _COMMENT_TIME.match(t)) \
                        or j > i + 1 and feats[j].meta and feats[j - 1].n_words <= 4 and not feats[j - 1].meta:
                    return i
    return None


def body_run(scores: list[float], feats: list[Feat], zone: int | None, min_score: float) -> tuple[int, int]:
    """The body run: the best-scoring run above the comments when there is one there,
    cut at a comments heading inside it when the part above holds a paragraph or two."""
    if zone is not None:
        start, end = best_run(scores[:zone])
        if end > start and sum(scores[start:end]) >= min_score:
            return start, end
    start, end = best_run(scores)
    for w in range(start + 1, end):
        if feats[w].chrome == COMMENTS and sum(scores[start:w]) >= min_score:
            return start, w
    return start, end


def best_run(scores: list[float]) -> tuple[int, int]:
    """[start, end) of the contiguous run with the largest total score (Kadane)."""
    best, best_se = float("-inf"), (0, 0)
    total, start = 0.0, 0
    for i, s in enumerate(scores):
        if total <= 0:
            total, start = s, i
        else:
            total += s
        if total > best:
            best, best_se = total, (start, i + 1)
    return best_se


# -- title and date ---------------------------------------------------------------------------
def own_story_above(blocks, feats: list[Feat], url: str | None, start: int, end: int,
                    own_content: int) -> tuple[int, int] | None:
    """When the densest prose is another page's story: the page's headline (it says what
    the URL says, and a date follows it) stands above a stretch of the page's own content
    that is not prose (a table, a list), and the prose below is announced by a headline
    of its own and never mentions the page's subject. Returns (page headline, that
    other story's headline)."""
    subject = url_subject(url)
    if len(subject) < 2:
        return None
    cue = story_cue(blocks, feats, 0, start)
    if cue is None or subject_said(subject, (blocks[i].text for i in range(start, end))) >= 1 / 3:
        return None
    for h in range(cue):
        if feats[h].n_words <= 16 and subject_said(subject, [blocks[h].text]) >= 2 / 3 \
                and any(feats[j].meta for j in range(h + 1, min(h + 5, cue))):
            own = sum(1 for j in range(h + 1, cue) if not feats[j].chrome and not feats[j].meta)
            return (h, cue) if own >= own_content else None
    return None


def find_title(page: Page, feats: list[Feat], norm: list[str], body_start: int, run_end: int) -> int | None:
    """The headline: a headline-like line above the body, preferring one printed twice,
    one followed closely by a date or byline, one of headline length, and one that says
    what the URL says. Inside the body run only a line that matches the URL qualifies:
    then the run began early, in a list of teasers. ``norm``: each block's text, spaces
    normalised and casefolded (what "the same line" means)."""
    counts = Counter(norm)
    subject = url_subject(page.url)
    if len(subject) < 3:
        subject = set()  # too few words to tell one headline from another
    best = {False: (None, None), True: (None, None)}  # above the body / inside the run
    for i in range(min(run_end, len(feats))):
        f = feats[i]
        if not f.headline or i in page.template or f.teaser:
            continue
        said = subject_said(subject, [norm[i]])
        inside = i > body_start
        if inside and said < 0.8:
            continue
        twice = counts[norm[i]] > 1
        dated = any(feats[j].meta for j in range(i + 1, min(i + 5, len(feats))))
        fits = (4 <= f.n_words <= 14) + 0.5 * (f.n_words <= 12)  # a deck runs longer than its headline
        key = (2 * twice + 2 * dated + fits + 3 * (said >= 0.5), i)
        if best[inside][1] is None or key > best[inside][1]:
            best[inside] = (i, key)
    (above, key_above), (within, key_within) = best[False], best[True]
    if within is not None and (key_above is None or key_within[0] > key_above[0] + 1):
        return within
    return above


# -- labelling ---------------------------------------------------------------------------------
def _overlap(a: list[str], b: list[str], stoplist: frozenset[str]) -> int:
    ca = {w.lower() for w in a if len(w) > 2} - stoplist
    cb = {w.lower() for w in b if len(w) > 2} - stoplist
    return len(ca & cb)


def block_features(blocks, rules: Rules) -> tuple[str, list[Feat], list[float]]:
    """The page's language, each block's features, and each block's share of the
    hard-wrapped paragraph it is part of (1.0 for a line that is a paragraph)."""
    lang = page_language(blocks, rules.language_sample)
    feats: list[Feat] = [None] * len(blocks)  # type: ignore[list-item]
    share = [1.0] * len(blocks)
    for group in wrapped_groups(blocks):
        if len(group) == 1:
            f = feats[group[0]] = features(blocks[group[0]].text, lang, rules)
            if not f.prose and f.n_words >= 12 and f.sentence and not f.chrome and not f.meta:
                # A paragraph in another language than the page's (a story appended from
                # another site, a quotation) is prose in its own language.
                own = block_language(block_words(blocks[group[0]].text))
                if own != lang:
                    feats[group[0]] = features(blocks[group[0]].text, own, rules)
            continue
        joined = " ".join(blocks[j].text for j in group)
        f = features(joined, lang, rules)
        for j in group:
            feats[j], share[j] = f, len(blocks[j].text) / len(joined)
    return lang, feats, share


def clean(page: Page, config: Config, block_feats=None) -> Labelling:
    """Every block of ``page`` labelled by the rules. ``block_feats``: block_features of its
    blocks, when the caller has them already."""
    blocks = page.blocks
    lab = Labelling.of(page)
    if not blocks:
        return lab
    rules = config.rules
    lang, feats, share = block_feats or block_features(blocks, rules)
    stoplist = stopwords_of(lang)
    repeats = find_repeats([b.text for b in blocks], [not f.chrome and not f.meta for f in feats],
                           rules) if config.inpage_dedup else {}
    # A copy adds nothing to the body run: the original is where the body is.
    scores = [0.0 if i in repeats else block_score(f, i in page.template, _isolated(i, feats), rules) * share[i]
              for i, f in enumerate(feats)]
    zone = comment_zone(blocks, feats)
    start, end = body_run(scores, feats, zone, rules.body_min_score)
    n = len(blocks)
    norms = [normalize_ws(b.text).casefold() for b in blocks]
    other_run = None  # (cue, start, end) of a denser story below the page's own
    anchored = own_story_above(blocks, feats, page.url, start, end, rules.own_content)
    if anchored is not None:  # the page's story is under its headline; the prose below is another's
        head, cue = anchored
        other_run, start, end = (cue, start, end), head, cue
    # Title and date: from the head of the page down to the first body block.
    first_prose = next((i for i in range(start, end) if feats[i].prose), start)
    ti = start if anchored is not None else find_title(page, feats, norms, first_prose, end)
    if ti is not None and ti > first_prose:
        start = ti  # the run opened on teasers above the story's own headline
        first_prose = next((i for i in range(start, end) if feats[i].prose), start)
    title_norm = None
    if ti is not None:
        if not lab.title:
            lab.title = normalize_ws(blocks[ti].text)
        title_norm = normalize_ws(blocks[ti].text).casefold()
    if not lab.date:
        lo = ti if ti is not None else 0
        for i in list(range(lo, first_prose + 1)) + list(range(0, lo)):
            if i < n and feats[i].meta and feats[i].date:
                lab.date = feats[i].date
                break

    runs: list[tuple[int | None, int, int]] = [(None, start, end)] + ([other_run] if other_run else [])
    runs += later_runs(scores, feats, blocks, runs[-1][2], zone if zone is not None else n, lang, rules)
    run_of = [-1] * n
    for k, (cue, s, e) in enumerate(runs):
        for i in range(s if cue is None else cue, e):
            run_of[i] = k
    lab.runs = runs
    lab.lang = lang
    lab.kinds = [("chrome" if f.chrome or i in page.template else "meta" if f.meta else "prose" if f.prose
                   else "headline" if f.headline else "other") for i, f in enumerate(feats)]

    listed: set[int] = set()
    for _, s, e in runs:
        listed |= headline_lists(blocks, feats, s, e, rules.list_min)
    marker = None
    for i, (b, f) in enumerate(zip(blocks, feats)):
        if i in page.template:
            lab.remove(i, TEMPLATE)
            continue
        if title_norm is not None and norms[i] == title_norm:
            lab.remove(i, METADATA, what="title")
            continue
        if f.chrome:
            if f.chrome in SECTION_MARKERS and i >= first_prose:
                marker = f.chrome
            lab.remove(i, f.chrome)
            continue
        if f.meta:
            lab.remove(i, METADATA)
            continue
        if i in repeats and lab.labels[repeats[i]] is None:
            src = blocks[repeats[i]]
            lab.remove(i, DUPLICATE, of=[src.start, src.end])
            continue
        if i < start:
            lab.remove(i, NAVIGATION if not f.prose else BOILERPLATE)
            continue
        k = run_of[i]
        if k < 0:
            # A lone headline right under a body is a link to another story; further
            # down, unmarked chrome is the page's sidebar.
            lab.remove(i, marker or (RELATED if run_of[i - 1] >= 0 and f.headline else SIDEBAR))
            continue
        if runs[k][0] is not None and i < runs[k][1]:
            continue  # the head of a later story (its headline, date): the segmenter's call
        run_start, run_end = runs[k][1], runs[k][2]
        # Inside a body run.
        if i in listed:
            lab.remove(i, RELATED)
            continue
        if f.teaser and (not f.prose or _glued(b.text, f.n_words)):
            lab.remove(i, SIDEBAR)
            continue
        if f.headline and 6 <= f.n_words <= 16 and not _BULLET.match(b.text) and _isolated_headline(i, feats, run_start, run_end):
            # A subhead announces what follows; a link to another story echoes what came before.
            nxt = next((j for j in range(i + 1, run_end) if not feats[j].meta and not feats[j].chrome), None)
            prv = next((j for j in range(i - 1, run_start - 1, -1) if not feats[j].meta and not feats[j].chrome), None)
            own = block_words(b.text)
            after = _overlap(own, block_words(blocks[nxt].text), stoplist) if nxt is not None else 0
            before = _overlap(own, block_words(blocks[prv].text), stoplist) if prv is not None else 0
            if after < 2 or after < before:
                lab.remove(i, RELATED)
                continue
    label_copies(lab, repeats)
    if all(lab is not None for lab in lab.labels):
        rescue(lab, feats)
    return lab


def story_cue(blocks, feats: list[Feat], lo: int, start: int) -> int | None:
    """The headline that opens a story starting at ``start``: a headline-like line a few
    lines above it followed by a date or byline, or printed twice, or whose first
    paragraph opens with a dateline ("ISLAMABAD:")."""
    first = next((j for j in range(start, min(start + 3, len(feats))) if feats[j].prose), start)
    dateline = DATELINE_RE.match(blocks[first].text) is not None
    for h in range(start - 1, max(lo, start - 7) - 1, -1):
        f = feats[h]
        if not f.headline or f.n_words < 4:
            continue
        between = range(h + 1, start)
        dated = any(feats[j].meta for j in between)
        twice = any(blocks[j].text == blocks[h].text for j in between)
        if dated or twice or dateline:
            return h
    return None


def _foreign_story(blocks, feats: list[Feat], start: int, end: int, lang: str, rules: Rules) -> bool:
    """Prose in another language than the page's, more than a quotation's worth."""
    idx = [j for j in range(start, end) if feats[j].prose]
    return (sum(len(blocks[j].text) for j in idx) >= rules.foreign_story_chars
            and foreign(language_hits(chain.from_iterable(block_words(blocks[j].text) for j in idx)), lang,
                        rules.foreign_hits))


def later_runs(scores: list[float], feats: list[Feat], blocks, after: int, limit: int,
               lang: str, rules: Rules) -> list[tuple[int, int, int]]:
    """Further body runs below the first that read like stories of their own (three
    paragraphs of running prose, or a stretch of prose in another language than the
    page's), each with the headline that announces it (a headline with a date, printed
    twice, or over a dateline), if any: candidates for appended stories. A section
    heading (comments, related…) on the way ends the search."""
    out = []
    lo = after
    while lo < limit and len(out) < 3:
        s, e = best_run(scores[lo:limit])
        s, e = s + lo, e + lo
        # (A comments button is no comments section: real comments end the search at limit.)
        if e <= s or any(feats[j].chrome in SECTION_MARKERS and feats[j].chrome != COMMENTS and feats[j].n_words <= 5
                         for j in range(lo, s)):
            break
        # Paragraphs that run on into prose: a teaser under each headline does not count.
        prose = [j for j in range(s, e) if feats[j].prose
                 and (_proseish(feats[j - 1]) or (j + 1 < len(feats) and _proseish(feats[j + 1])))]
        running = (len(prose) >= rules.later_min_paragraphs
                   and sum(len(blocks[j].text) for j in prose) >= rules.later_min_chars)
        if not running and not _foreign_story(blocks, feats, s, e, lang, rules):
            break
        cue = story_cue(blocks, feats, lo, s)
        out.append((s if cue is None else cue, s, e))  # cue == start: no headline announced it
        lo = e
    return out


def label_copies(page: Labelling, repeats: dict[int, int]) -> None:
    """The first kept occurrence of a passage stays; later kept copies leave as duplicates,
    naming the span they repeat. (A removed original, a teaser say, passes the role on.)"""
    first_kept: dict[int, int] = {}
    for i in sorted(set(repeats) | set(repeats.values())):
        if page.labels[i] is not None:
            continue
        group = repeats.get(i, i)
        if group in first_kept:
            src = page.blocks[first_kept[group]]
            page.remove(i, DUPLICATE, of=[src.start, src.end])
        else:
            first_kept[group] = i


def rescue(page: Labelling, feats: list[Feat]) -> None:
    """When every block was judged chrome, keep the longest stretch of blocks that only
    the page-level judgement removed: a thin page is better kept than lost."""
    soft = {NAVIGATION, BOILERPLATE, SIDEBAR, RELATED}
    best, best_len, cur, cur_len = [], 0, [], 0
    for i, lab in enumerate(page.labels):
        if lab in soft and not feats[i].chrome:
            cur.append(i)
            cur_len += len(page.blocks[i].text)
            if cur_len > best_len:
                best, best_len = list(cur), cur_len
        else:
            cur, cur_len = [], 0
    for i in best:
        page.labels[i] = None
        page.notes[i] = None


def wrapped_groups(blocks) -> list[list[int]]:
    """Blocks that are one paragraph hard-wrapped over several lines: a line that ends
    mid-sentence followed by one that starts in lower case."""
    groups: list[list[int]] = []
    for i, b in enumerate(blocks):
        if groups and i > 0 and b.text[:1].islower() and not ends_sentence(blocks[i - 1].text) \
                and len(blocks[i - 1].text) >= 30:
            groups[-1].append(i)
        else:
            groups.append([i])
    return groups


def headline_lists(blocks, feats: list[Feat], start: int, end: int, min_run: int) -> set[int]:
    """Runs of headline-like lines inside the body: other stories' headlines, listed."""
    out: set[int] = set()
    run: list[int] = []
    for i in range(start, end + 1):
        f = feats[i] if i < end else None
        if f is not None and f.headline and f.n_words >= 5 and not f.numbered \
                and not _BULLET.match(blocks[i].text):
            run.append(i)
            continue
        if f is not None and (f.meta or f.chrome) and run:
            continue  # a date under each headline does not break the list
        if len(run) >= min_run:
            out.update(run)
        run = []
    return out


def _isolated_headline(i: int, feats: list[Feat], start: int, end: int) -> bool:
    """A headline between prose (or closing the body) is a link to another story; a run of
    headline-like lines is a list, and belongs to whatever holds it."""
    prev = next((j for j in range(i - 1, start - 1, -1) if not feats[j].meta and not feats[j].chrome), None)
    nxt = next((j for j in range(i + 1, end) if not feats[j].meta and not feats[j].chrome), None)
    return prev is not None and feats[prev].prose and (nxt is None or feats[nxt].prose)
