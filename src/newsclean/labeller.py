"""The learned line labeller: per-line features of a page (its own, its neighbourhood's,
the page's, and what the rules of newsclean.clean decided), and a gradient-boosted model
that turns them into the probability that a line belongs to the page's body.

The model is LightGBM's, in its own text format (no pickle), trained by
``benchmarks/train_cleaner.py`` with folds grouped by site and shipped in the package
(``models/labeller.txt``, with the word odds its features read, ``models/words.txt``;
``Labeller.load()``). ``label`` runs after the rules
(newsclean.clean) and before the segmenter, which cuts what it keeps into stories; its
decoding step ``relabel``: the lines the model gives at least ``labeller_threshold`` are
body (of one story or another), the others not — unless the model keeps less than ``labeller_min_agreement`` of what the rules keep,
where the page is one the model does not know and the rules stand.
"""
from __future__ import annotations

import hashlib
import math
import re
from functools import lru_cache
from itertools import chain, repeat
from importlib import resources

import numpy as np
import regex

from .records import (BOILERPLATE, COMMENTS, DUPLICATE, FOOTER, METADATA, NAVIGATION, NEWSLETTER, REASONS, RELATED,
                      SIDEBAR, TEMPLATE, Labelling, normalize_ws)
from .extract import DOM_CONTEXTS
from .text import page_terms, subject_shares, url_subject

KINDS = ("prose", "headline", "meta", "chrome", "other")
# Window half-widths for the neighbourhood means: the lines just around, a paragraph's
# worth, a screen's worth.
WINDOWS = (1, 3, 10)
OWN = ("log_chars", "words", "stop", "sentence", "caps", "date", "meta", "teaser", "numbered", "prose",
       "headline", "chrome", "kept", "in_run", "pos", "to_first_kept", "to_last_kept", "bullet", "pipe",
       "colon_end", "digits", "upper", "link_words", "topic", "subject", "after_marker", "to_title")
WINDOWED = ("log_chars", "stop", "prose", "kept", "chrome", "meta", "headline", "topic", "subject")
PAGE = ("n_lines", "mean_log_chars", "kept_share", "prose_share")
LINE_FEATURES = (OWN + tuple(f"reason_{r}" for r in REASONS) + tuple(f"kind_{k}" for k in KINDS)
                 + tuple(f"{w}_mean{k}" for k in WINDOWS for w in WINDOWED) + PAGE)
# What the line's words say, by the odds learned from other sites' pages (WordOdds): the
# mean log-odds of its words, the share of words that mostly stand off a body (reply,
# subscribe, cookies, ...: in any language the pages were in), and the mean's neighbourhood.
ODDS_FEATURES = ("odds", "odds_chrome") + tuple(f"odds_mean{k}" for k in WINDOWS)
FEATURES = LINE_FEATURES + ODDS_FEATURES
# The HTML model's further features: what trafilatura, which saw the DOM, kept of each
# line of the page rendered (the line itself, or a share of its word 3-grams), around it,
# and of the page.
DOM_OWN = ("dom_line", "dom_grams")
DOM_FEATURES = DOM_OWN + tuple(f"{w}_mean{k}" for k in WINDOWS for w in DOM_OWN) + ("dom_share",)
# And where each line sits in the DOM (newsclean.extract.DOM_CONTEXTS), around it too.
DOM_WINDOWED = ("link", "heading", "paragraph", "nav", "footer", "aside", "furniture_attr", "article_attr")
CONTEXT_FEATURES = (tuple(f"in_{c}" for c in DOM_CONTEXTS)
                    + tuple(f"in_{c}_mean{k}" for k in WINDOWS for c in DOM_WINDOWED))
HTML_LINE_FEATURES = LINE_FEATURES + DOM_FEATURES + CONTEXT_FEATURES
HTML_FEATURES = HTML_LINE_FEATURES + ODDS_FEATURES  # the HTML model's word odds: of rendered lines
_WORD = regex.compile(r"\w+")
# A word whose log-odds are at most this is chrome's: e times likelier off a body than on one.
CHROME_ODDS = -1.0
# The words of the odds: runs of word characters with a letter in them (a number says
# nothing of where it stands: a price, a date, a count of comments or of paragraphs).
# The standard library's re: the same classes for str patterns, and twice as fast here.
_ODDS_WORD = re.compile(r"\w*[^\W\d]\w*")


class WordOdds:
    """Each word's log-odds of standing in a page's body rather than off it, learned from
    pages with gold (benchmarks/train_cleaner.py) and shipped as text (``models/words.txt``:
    word TAB log-odds, sorted). Counted by page, not by line: a word counts once for a page
    whose body holds it and once for a page whose chrome does, so a menu repeated on every
    line of a page, or a page crawled again, weighs as one page. The odds are smoothed
    towards the prior by ``alpha`` pages' worth, and a word on fewer than ``min_pages``
    pages has none (0): what one site says is not learned."""

    def __init__(self, odds: dict[str, float]):
        self.odds = odds

    @staticmethod
    def words(text: str) -> list[str]:
        return _ODDS_WORD.findall(text.casefold())

    @staticmethod
    def count(texts: list[str], labels) -> tuple[set[str], set[str]]:
        """The words of a page's body lines (label 1) and of its other lines (label 0);
        unlabelled lines (-1) say nothing."""
        body, other = set(), set()
        for t, y in zip(texts, labels):
            if y >= 0:
                (body if y == 1 else other).update(WordOdds.words(t))
        return body, other

    @classmethod
    def learn(cls, body: dict[str, int], other: dict[str, int], alpha: float, min_pages: int) -> "WordOdds":
        """From the number of pages each word stood in a body (``body``) and off one
        (``other``)."""
        b_all, o_all = sum(body.values()), sum(other.values())
        if not b_all or not o_all:
            return cls({})
        pb, po = b_all / (b_all + o_all), o_all / (b_all + o_all)
        prior = math.log(b_all / o_all)
        odds = {}
        for w in sorted(body.keys() | other.keys()):
            b, o = body.get(w, 0), other.get(w, 0)
            if b + o >= min_pages:
                odds[w] = round(math.log((b + alpha * pb) / (o + alpha * po)) - prior, 4)
        return cls(odds)

    @classmethod
    def parse(cls, text: str) -> "WordOdds":
        odds = {}
        for n, line in enumerate(text.splitlines(), 1):
            word, sep, value = line.partition("\t")
            if not sep:
                raise ValueError(f"word odds, line {n}: expected 'word<TAB>log-odds', got {line[:40]!r}")
            odds[word] = float(value)
        return cls(odds)

    def dump(self) -> str:
        return "".join(f"{w}\t{v}\n" for w, v in sorted(self.odds.items()))

    def features(self, texts: list[str]) -> np.ndarray:
        """One row of ODDS_FEATURES per line: the page's words looked up in one pass, summed
        per line by bincount."""
        n = len(texts)
        per_line = [_ODDS_WORD.findall(t.casefold()) for t in texts]
        counts = np.fromiter(map(len, per_line), dtype=np.int64, count=n)
        line = np.repeat(np.arange(n), counts)
        odds = np.fromiter(map(self.odds.get, chain.from_iterable(per_line), repeat(0.0)), dtype=np.float64,
                           count=int(counts.sum()))
        own = np.zeros((n, 2))
        some = counts > 0
        own[some, 0] = np.bincount(line, weights=odds, minlength=n)[some] / counts[some]
        own[some, 1] = np.bincount(line, weights=odds <= CHROME_ODDS, minlength=n)[some] / counts[some]
        return np.hstack([own, *(_window_means(own[:, :1], k) for k in WINDOWS)]).astype(np.float32)


@lru_cache(maxsize=1)
def _char_classes() -> np.ndarray:
    """Flags of every code point of the Basic Multilingual Plane: 1 a letter (str.isalpha,
    \\p{L}), 2 a decimal digit (\\p{Nd}), 4 upper case (\\p{Uppercase})."""
    chars = [chr(c) for c in range(0x10000)]
    return (np.fromiter(map(str.isalpha, chars), dtype=np.uint8, count=0x10000)
            | np.fromiter(map(str.isdecimal, chars), dtype=np.uint8, count=0x10000) << 1
            | np.fromiter(map(str.isupper, chars), dtype=np.uint8, count=0x10000) << 2)


_NOT_LETTER = regex.compile(r"[^\p{L}]+")
_NOT_DIGIT = regex.compile(r"[^\p{Nd}]+")
_NOT_UPPER = regex.compile(r"[^\p{Uppercase}]+")


def char_counts(texts: list[str]) -> np.ndarray:
    """(letters, decimal digits, upper-case letters) of each text, counted over the code
    points of all of them at once: a table lookup in numpy, not a loop over characters."""
    out = np.zeros((len(texts), 3), dtype=np.int64)
    if not texts:
        return out
    cps = np.frombuffer("".join(texts).encode("utf-32-le"), dtype=np.uint32)
    if cps.size and int(cps.max()) >= 0x10000:  # beyond the table (emoji, rare ideographs): by regex
        for i, t in enumerate(texts):
            out[i] = (len(_NOT_LETTER.sub("", t)), len(_NOT_DIGIT.sub("", t)), len(_NOT_UPPER.sub("", t)))
        return out
    flags = _char_classes()[cps]
    starts = np.zeros(len(texts), dtype=np.int64)
    np.cumsum([len(t) for t in texts[:-1]], out=starts[1:])
    for k in range(3):
        out[:, k] = np.add.reduceat((flags >> k) & 1, starts)
    return out


def _window_means(x: np.ndarray, k: int) -> np.ndarray:
    """Mean of each column over lines i-k..i+k (clipped at the page's ends)."""
    n = x.shape[0]
    c = np.vstack([np.zeros((1, x.shape[1])), np.cumsum(x, axis=0)])
    lo = np.clip(np.arange(n) - k, 0, n)
    hi = np.clip(np.arange(n) + k + 1, 0, n)
    return (c[hi] - c[lo]) / (hi - lo)[:, None]


def topic_similarity(page: Labelling) -> np.ndarray:
    """Each line's cosine with the vocabulary of what the rules kept (the line itself left
    out): a story's paragraphs talk about its subject; a comment thread, a product blurb or
    another story's teaser, however prose-like, mostly do not."""
    ids, line_of, vocab = page_terms(tuple(b.text for b in page.blocks), page.lang)
    n, v = len(page.blocks), max(len(vocab), 1)
    out = np.zeros(n, dtype=np.float32)
    if not ids.size:
        return out
    # (line, word) pairs and their counts, in one pass of numpy (every sum below is of
    # whole numbers: exact, whatever the order)
    pairs, counts = np.unique(line_of * v + ids, return_counts=True)
    line, word, c = pairs // v, pairs % v, counts.astype(np.float64)
    kept = np.array([lab is None for lab in page.labels], dtype=np.float64)
    total = np.bincount(word, weights=c * kept[line], minlength=v)
    dot = np.bincount(line, weights=c * total[word], minlength=n)  # each line · all kept text
    cc = np.bincount(line, weights=c * c, minlength=n)
    num = dot - kept * cc  # · the kept text without the line itself
    rest = float(total @ total) - kept * (2.0 * dot - cc)
    ok = (cc > 0) & (rest > 1e-9)
    out[ok] = num[ok] / np.sqrt(cc[ok] * rest[ok])
    return out


def page_features(page: Labelling, feats: list) -> np.ndarray:
    """One row of LINE_FEATURES per block of a page, as the rules and the segmenter labelled
    it; ``feats`` are the blocks' own features (newsclean.clean.Feat)."""
    n = len(page.blocks)
    topic = topic_similarity(page)
    subject = url_subject(page.url)
    title = normalize_ws(page.title).casefold() if page.title else None
    title_at = next((i for i, b in enumerate(page.blocks) if normalize_ws(b.text).casefold() == title), None)
    # a comments, related, newsletter or footer heading above: the section below is that
    start = next((i for i, lab in enumerate(page.labels) if lab is None), n)
    marker_at = next((i for i, f in enumerate(feats) if i > start and f.n_words <= 5
                      and f.chrome in (COMMENTS, RELATED, NEWSLETTER, FOOTER)), n)
    kept_idx = [i for i, lab in enumerate(page.labels) if lab is None]
    first = kept_idx[0] if kept_idx else n
    last = kept_idx[-1] if kept_idx else -1
    in_run = np.zeros(n, dtype=bool)
    for cue, s, e in page.runs:
        in_run[(s if cue is None else cue):e] = True
    chars = char_counts([b.text for b in page.blocks]).tolist()
    topic_l = topic.tolist()
    said = subject_shares(subject, [b.text for b in page.blocks]).tolist() if len(subject) >= 2 else [-1.0] * n
    size, span = max(n, 1), max(n - 1, 1)
    # rows built as tuples and made an array once (row by row assignment was a third of it)
    own = np.array([
        (math.log1p(f.n_chars), min(f.n_words, 200), f.stop, f.sentence, f.caps, f.date is not None,
         f.meta, f.teaser, f.numbered, f.prose, f.headline, f.chrome is not None,
         page.labels[i] is None, in_run[i], i / span, (i - first) / size, (last - i) / size,
         t[:1] in "•·*▪►-–", "|" in t, t.endswith(":"),
         digits / max(len(t), 1), upper / max(letters, 1), f.n_words <= 6 and f.caps >= 0.6,
         topic_l[i], said[i], i > marker_at, (i - title_at) / size if title_at is not None else -2.0)
        for i, (t, f, (letters, digits, upper)) in enumerate(zip((b.text for b in page.blocks), feats, chars))
    ], dtype=np.float32).reshape(n, len(OWN))
    reason_pos = {r: j for j, r in enumerate(REASONS)}
    reasons = np.zeros((n, len(REASONS)), dtype=np.float32)
    removed = [i for i, lab in enumerate(page.labels) if lab is not None]
    reasons[removed, [reason_pos.get(page.labels[i], reason_pos["boilerplate"]) for i in removed]] = 1
    kinds = np.zeros((n, len(KINDS)), dtype=np.float32)
    if page.kinds:
        kind_pos = {k: j for j, k in enumerate(KINDS)}
        kinds[np.arange(n), [kind_pos.get(k, kind_pos["other"]) for k in page.kinds]] = 1
    cols = [OWN.index(w) for w in WINDOWED]
    windows = [_window_means(own[:, cols], k) for k in WINDOWS]
    stats = np.array([math.log1p(n), float(own[:, 0].mean()) if n else 0.0,
                      len(kept_idx) / max(n, 1), float(own[:, OWN.index("prose")].mean()) if n else 0.0],
                     dtype=np.float32)
    return np.hstack([own, reasons, kinds, *windows, np.tile(stats, (n, 1))]).astype(np.float32)


def with_odds(rows: np.ndarray, blocks: list, words: WordOdds) -> np.ndarray:
    """A line model's rows (LINE_FEATURES, HTML_LINE_FEATURES) and what the word odds
    ``words`` make of each block: the rows of FEATURES, HTML_FEATURES."""
    return np.hstack([rows, words.features([b.text for b in blocks])])


def text_features(page: Labelling, feats: list, words: WordOdds) -> np.ndarray:
    """One row of the text model's FEATURES per block."""
    return with_odds(page_features(page, feats), page.blocks, words)


def dom_features(blocks: list, dom_text: str, contexts: list | None) -> np.ndarray:
    """One row of DOM_FEATURES + CONTEXT_FEATURES per block: whether trafilatura's text
    holds the line (1 as one of its lines, 0.5 inside one of its lines: trafilatura joins
    and splits inline runs otherwise than a naive rendering does), the share of the line's
    word 3-grams (of its words, for a line of fewer than three) found in it, their
    neighbourhood means, the share of the page's lines it holds; and ``contexts``, the
    line's place in the DOM (newsclean.extract.render_text), with neighbourhood means."""
    n = len(blocks)
    lines = {normalize_ws(t).casefold() for t in dom_text.split("\n")}
    joined = normalize_ws(dom_text).casefold()
    words = _WORD.findall(joined)
    grams = set(zip(words, words[1:], words[2:]))
    vocab = set(words)
    own = np.zeros((n, len(DOM_OWN)), dtype=np.float32)
    for i, b in enumerate(blocks):
        k = normalize_ws(b.text).casefold()
        own[i, 0] = 1.0 if k in lines else 0.5 if len(k) >= 15 and k in joined else 0.0
        w = _WORD.findall(k)
        if len(w) >= 3:
            own[i, 1] = sum(g in grams for g in zip(w, w[1:], w[2:])) / (len(w) - 2)
        elif w:
            own[i, 1] = sum(x in vocab for x in w) / len(w)
    share = float(own[:, 0].mean()) if n else 0.0
    ctx = np.zeros((n, len(DOM_CONTEXTS)), dtype=np.float32)
    if contexts and len(contexts) == n:  # one per line of the rendering, which the blocks are
        ctx[:] = contexts
    cols = ctx[:, [DOM_CONTEXTS.index(c) for c in DOM_WINDOWED]]
    return np.hstack([own, *(_window_means(own, k) for k in WINDOWS), np.full((n, 1), share),
                      ctx, *(_window_means(cols, k) for k in WINDOWS)]).astype(np.float32)


# What the model never overrides: a copy of a line kept above, a site's template, a
# date, byline or the headline lifted into the record (metadata). Inside the rules' body
# run, a link to another story (the rules saw what the line echoes, or a list of
# headlines) is overridden only when the model is sure (Config.labeller_sure).
_FIRM = (DUPLICATE, TEMPLATE, METADATA)


def relabel(page: Labelling, probs: np.ndarray, config) -> dict[int, str | None]:
    """The model's changes to the labels of the page's own story (story 0: the stories
    the segmenter split off are its and the rules' call), block → new label (None: kept)."""
    own = np.array([k == 0 for k in page.story], dtype=bool)
    sizes = np.array([len(b.text) for b in page.blocks], dtype=float)
    rules = np.array([lab is None for lab in page.labels], dtype=bool) & own
    in_run = np.zeros(len(page.blocks), dtype=bool)
    for cue, s, e in page.runs:
        in_run[(s if cue is None else cue):e] = True
    firm = np.array([lab in _FIRM or (lab == RELATED and in_run[i] and probs[i] < config.labeller_sure)
                     for i, lab in enumerate(page.labels)], dtype=bool)
    model = (probs >= config.labeller_threshold) & ~firm & own
    ruled = float((sizes * rules).sum())
    if ruled > 0 and float((sizes * (rules & model)).sum()) < config.labeller_min_agreement * ruled:
        return {}
    kept = np.flatnonzero(model)
    first, last = (int(kept[0]), int(kept[-1])) if kept.size else (len(own), -1)
    out: dict[int, str | None] = {}
    seen: dict[str, int] = {}  # a line kept once is not kept again (a block printed twice)
    for i in np.flatnonzero(own):
        i = int(i)
        if model[i]:
            norm = normalize_ws(page.blocks[i].text).casefold()
            if norm in seen:
                out[i] = DUPLICATE
                continue
            seen[norm] = i
            if not rules[i]:
                out[i] = None
        elif rules[i]:
            out[i] = NAVIGATION if i < first else SIDEBAR if i > last else BOILERPLATE
    return out


def label(segmented: Labelling, labeller: "Labeller", config, feats: list) -> Labelling:
    """The learned step of cleaning, after the rules: the model's verdict on every line
    (of story 0, where the page was split already). ``feats``: the blocks' own features
    (newsclean.clean.block_features, as the rules saw them)."""
    out = segmented.evolve()
    if not out.blocks:
        return out
    probs = labeller.probabilities(text_features(segmented, feats, labeller.words))
    changes = relabel(segmented, probs, config)
    first: dict[str, int] = {}
    if DUPLICATE in changes.values():
        for k, b in enumerate(out.blocks):
            first.setdefault(normalize_ws(b.text).casefold(), k)
    for i, reason in sorted(changes.items()):
        out.labels[i] = reason
        out.notes[i] = None
        if reason == DUPLICATE:  # name the span it repeats, as the rules' copies do
            j = first[normalize_ws(out.blocks[i].text).casefold()]
            out.notes[i] = {"of": [out.blocks[j].start, out.blocks[j].end]}
    out.probs = probs
    return out


def choose(rules: Labelling, probs: np.ndarray, held: np.ndarray, config) -> Labelling:
    """The HTML path's decoding: the lines of the page rendered that the model (their
    features, trafilatura's choice and their place in the DOM: HTML_FEATURES) gives at
    least ``config.html_threshold`` are the article, each once, but for the title, date
    and byline lines the rules name metadata; the others are named by the rules' reason
    where the rules removed them too, else by where they sit. Where the
    model keeps nothing of a page trafilatura found an article in, the lines trafilatura
    holds (``held``) stand. One story: the page is one article."""
    out = Labelling.of(rules.page)
    out.title, out.date, out.probs = rules.title, rules.date, probs
    # a title, date or byline line the rules named stays out (out of fold +0.0021 on eval/,
    # +0.0001 on the other two: the model alone keeps a few "Published …" lines)
    keep = (probs >= config.html_threshold) & np.array([lab != METADATA for lab in rules.labels], dtype=bool)
    if not keep.any():
        keep = held
    kept = np.flatnonzero(keep)
    first, last = (int(kept[0]), int(kept[-1])) if kept.size else (len(keep), -1)
    seen: dict[str, int] = {}  # a line kept once is not kept again (a block printed twice)
    for i, b in enumerate(out.blocks):
        if keep[i]:
            j = seen.setdefault(normalize_ws(b.text).casefold(), i)
            if j != i:
                out.labels[i], out.notes[i] = DUPLICATE, {"of": [out.blocks[j].start, out.blocks[j].end]}
        elif rules.labels[i] is not None:
            out.labels[i], out.notes[i] = rules.labels[i], rules.notes[i]
        else:
            out.labels[i] = NAVIGATION if i < first else SIDEBAR if i > last else BOILERPLATE
    return out


# A model file may hold a bag of LightGBM models (one after the other, this line between
# them), trained alike but for their bagging seeds; the model's P is their mean. One seed
# moves eval-wide's split by about +-5 stories of 513, and averaging takes that noise out
# (benchmarks/train_cleaner.py: BOUNDARY_SEEDS, what a bag measured and why one ships).
BAG_SEPARATOR = "\n<newsclean: next model of the bag>\n"


class Labeller:
    """A trained model: ``probabilities(rows)`` → P(body) per line. The text and HTML
    models come with the word odds their ODDS_FEATURES are of (``words``); the boundary
    model reads none. ``model_text``: LightGBM's text format, or several of them joined
    by BAG_SEPARATOR (P is then their mean)."""

    def __init__(self, model_text: str, features: tuple[str, ...] = FEATURES, words: WordOdds | str | None = None):
        import lightgbm

        if isinstance(words, str):
            words = WordOdds.parse(words)
        if (words is not None) != (features in (FEATURES, HTML_FEATURES)):
            raise ValueError("the line labellers read word odds (WordOdds), the boundary model none")
        self.boosters = [lightgbm.Booster(model_str=part) for part in model_text.split(BAG_SEPARATOR)]
        self.words = words
        digest = hashlib.sha256(model_text.encode())
        if words is not None:
            digest.update(words.dump().encode())
        self.hash = digest.hexdigest()[:16]
        wrong = [len(b.feature_name()) for b in self.boosters if len(b.feature_name()) != len(features)]
        if wrong:
            raise ValueError(f"the labeller model has {wrong[0]} features, this newsclean computes "
                             f"{len(features)}: retrain it (benchmarks/train_cleaner.py)")

    # Every kind stays loaded: a worker forked from a parent that parsed a model must not
    # parse one again (LightGBM parses with OpenMP threads, and an OpenMP runtime forked
    # after use deadlocks; with two of the three kinds cached, -j 2 hung).
    @classmethod
    @lru_cache(maxsize=None)
    def load(cls, kind: str = "text") -> "Labeller":
        """A model shipped in the package: for scraped text (``"text"``), for HTML read
        through its rendering and trafilatura (``"html"``, over HTML_FEATURES), or for
        the boundaries between stories (``"boundary"``, over segment.BOUNDARY_FEATURES)."""
        from .segment import BOUNDARY_FEATURES

        name, features, odds = {"text": ("labeller.txt", FEATURES, "words.txt"),
                                "html": ("labeller-html.txt", HTML_FEATURES, "words-html.txt"),
                                "boundary": ("boundary.txt", BOUNDARY_FEATURES, None)}[kind]
        models = resources.files("newsclean").joinpath("models")
        words = models.joinpath(odds).read_text(encoding="utf-8") if odds else None
        return cls(models.joinpath(name).read_text(), features, words)

    def probabilities(self, rows: np.ndarray) -> np.ndarray:
        if rows.shape[0] == 0:
            return np.zeros(0)
        if len(self.boosters) == 1:
            return self.boosters[0].predict(rows, num_threads=1)
        return np.mean([b.predict(rows, num_threads=1) for b in self.boosters], axis=0)
