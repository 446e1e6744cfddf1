"""One frozen dataclass holds every knob; its hash goes into each record's provenance."""
from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field, fields

import orjson

SCHEMA_VERSION = 2  # 2: records carry lang and meta
APPENDED_MODES = ("split", "drop", "keep")


@dataclass(frozen=True)
class DedupConfig:
    """Corpus near-duplicate detection (see newsclean.dedup)."""

    enabled: bool = True
    num_perm: int = 128
    # bands * rows <= num_perm; 32 bands of 4 rows put the LSH S-curve's midpoint near
    # Jaccard 0.42, so truncated and lightly edited copies become candidates; every
    # candidate is then verified, which is what keeps precision.
    bands: int = 32
    rows: int = 4
    scheme: str = "affine32"  # datasketch 2.0 changed the default: pinned here
    seed: int = 1
    shingle: int = 5  # word n-grams
    jaccard: float = 0.6  # verified estimated Jaccard that makes two stories one
    containment: float = 0.8  # share of the shorter story's shingles found in the longer
    min_shingles: int = 8  # shorter stories are only deduplicated exactly
    # Paragraphs: two stories are one when the smaller's paragraphs of para_min_chars or
    # more (a subhead or a "Read more" line is no evidence) are, by characters, at least
    # para_containment in the other in the same order, and number para_min_shared (one
    # shared quote or wire paragraph is no copy). Paragraphs also propose candidates LSH
    # misses (a truncated copy has a low Jaccard); one held by more than para_max_docs
    # stories is boilerplate, not evidence.
    para_min_chars: int = 80
    para_containment: float = 0.6
    para_min_shared: int = 2
    # …and para_min_shared_chars characters: a site's cookie notice and imprint, kept
    # under two short posts, are two paragraphs too (eval-snippets' blogs).
    para_min_shared_chars: int = 400
    para_max_docs: int = 50
    # Candidates by paragraph look at a story's first para_probes paragraphs only (a
    # truncated or syndicated copy shares the lead): memory grows with stories, not with
    # every paragraph of the corpus.
    para_probes: int = 6

    def __post_init__(self) -> None:
        if self.bands * self.rows > self.num_perm:
            raise ValueError(f"bands*rows ({self.bands}*{self.rows}) exceeds num_perm {self.num_perm}")
        if self.scheme not in ("affine32", "affine64", "legacy"):
            raise ValueError(f"unknown MinHash scheme {self.scheme!r}")
        for name in ("jaccard", "containment"):
            v = getattr(self, name)
            if not 0.0 < v <= 1.0:
                raise ValueError(f"{name} must be in (0, 1], got {v}")
        if self.shingle < 1:
            raise ValueError("shingle must be >= 1")


@dataclass(frozen=True)
class Rules:
    """The cleaner's rules (newsclean.clean, .passages, .language): what makes a line
    prose or a headline, what each kind of line adds to the body run, and when a passage
    is a copy. Set by reading the seeds and eval/ pages; since the learned labeller
    decides the page's own story, these mostly shape its features and the runs."""

    # Prose: a sentence or more of running text in the page's language (jusText's
    # stoplists: a fifth of the words stopwords), or a long line whatever its ending.
    prose_min_words: int = 10
    prose_min_stop: float = 0.2
    prose_long_words: int = 25
    # A headline: a few words, no sentence ending.
    headline_min_words: int = 3
    headline_max_words: int = 25
    # What a block adds to the body run (Kadane over these scores). Prose adds its length,
    # fully where it reads like the page's language (dense_stop) and 0.6 below; prose
    # standing alone between non-prose lines (a teaser) a third of it less a cost. A
    # comments heading costs a wall no body crosses, another section marker (related,
    # newsletter, footer) nearly as much.
    dense_stop: float = 0.28
    light_prose_weight: float = 0.6
    isolated_weight: float = 0.35
    isolated_cost: float = 30.0
    sentence_weight: float = 0.3  # a sentence too short to be prose
    numbered_weight: float = 0.2  # an item of a numbered list: the body's, more often than not
    comments_wall: float = 300.0
    marker_cost: float = 200.0
    chrome_cost: float = 60.0  # a lexicon line or a site template line
    meta_cost: float = 30.0
    teaser_cost: float = 20.0
    short_cost: float = 12.0  # any other line of up to 6 words
    other_cost: float = 25.0
    # A body above the comments, or cut at a comments heading inside the run, needs a
    # paragraph or two: below this score the comments are the densest prose.
    body_min_score: float = 150.0
    # Three headline-like lines in a row inside the body are a list of other stories.
    list_min: int = 3
    # Lines of the page's own (a table, a list) between its headline and another story's:
    # fewer are a byline and a share bar.
    own_content: int = 8
    # A later run is a candidate story when it holds this many paragraphs of running
    # prose and characters, or this many characters of prose in another language (more
    # than a quoted line or a motto).
    later_min_paragraphs: int = 3
    later_min_chars: int = 500
    foreign_story_chars: int = 300
    # Passages printed twice (newsclean.passages): shorter lines (a subhead, "Meal 1")
    # legitimately recur; a cut copy keeps at least prefix_share of its original;
    # near copies share near_jaccard of their word bigrams and their first or last
    # end_words words.
    repeat_min_chars: int = 40
    repeat_prefix_share: float = 0.5
    repeat_near_jaccard: float = 0.7
    repeat_end_words: int = 4
    # The page's language from its first language_sample words; a text is in another
    # language when that language's stopwords number foreign_hits and thrice its own.
    language_sample: int = 600
    foreign_hits: int = 5

    def __hash__(self) -> int:
        # The cleaner's per-line cache is keyed by the rules: hashed once, not per line.
        h = self.__dict__.get("_hash")
        if h is None:
            h = hash(tuple(getattr(self, f.name) for f in fields(self)))
            object.__setattr__(self, "_hash", h)
        return h


@dataclass(frozen=True)
class Segmenting:
    """Where the segmenter (newsclean.segment) splits a page into stories. Measured on the
    changed pages of eval/: halves of one article share 0.24 of their content words
    (cosine; 0.14 at the 10th percentile), a story and an unrelated one appended to it
    0.03 (0.11). The more a place looks like a seam between two pages, the looser the test."""

    # (distinct content words each side at least, cosine below) by the seam's cue: a
    # headline with two of date/copy/dateline (strong), one of them (cue), a wide gap of
    # another page's chrome (wide), any other interruption (narrow).
    strong: tuple[int, float] = (25, 0.35)
    cue: tuple[int, float] = (25, 0.10)
    wide: tuple[int, float] = (30, 0.08)
    narrow: tuple[int, float] = (40, 0.06)
    wide_gap: int = 4  # lines between two paragraphs: another page's chrome, not a subhead
    min_story_prose: int = 2  # prose paragraphs before a boundary
    # …and after it, by cue: (strong, cue, wide, narrow)
    min_new_prose: tuple[int, int, int, int] = (2, 3, 4, 4)
    # A new story reads like one: prose is this share of the kept characters of its first
    # story_head lines.
    story_prose_share: float = 0.5
    story_head: int = 8
    # With the learned labeller, the boundaries are learned too (models/boundary.txt, over
    # segment.BOUNDARY_FEATURES; the tiers above are then the rules-alone segmenter's): a
    # page is cut where the model gives a candidate at least boundary_threshold (set out of
    # fold, folds by site, on the changed pages of eval/ and eval-wide/: at 0.4 eval-wide's
    # split is 457/513 at 457/479, at 0.35 461/485, at 0.3 465/490; eval 93-94 either way), into
    # at most max_stories stories (the model is trained and measured on the first cut of
    # a page; a second cut below it would be one it never saw).
    boundary_threshold: float = 0.35
    max_stories: int = 2
    # The boundary model's features (changing one means retraining it): the lines just
    # around a candidate, raw (kept or not), are the boundary_window lines after it and
    # before it — another page's headline, byline and date sit right there; a line of at
    # most short_line_words words is short (menus, breadcrumbs). The weighted cosines
    # weigh a word common_word_zipf less its Zipf frequency (wordfreq), at least
    # word_weight_floor: words every story uses tell two stories apart least. Out of
    # fold (quick decode, same model) the raw lines around took eval-wide's stories found
    # from 401 to 412 of 513, the weighted cosines to 439, each at fewer false cuts; the
    # whole path: 0.858 / 0.940 split recall / precision before, 0.895-0.903 / 0.946-0.951
    # after (two training runs; bagging seeds move it by about +-5 stories of 513).
    boundary_window: int = 5
    short_line_words: int = 4
    common_word_zipf: float = 7.0
    word_weight_floor: float = 0.5
    # Where the model cuts nowhere, a strong seam of the rules' segmenter (a headline with
    # two of: a date line, its own copy, a dateline) stands if the model gives it at least
    # strong_seam_min_p: the rules know where, the model must not rule it out. Out of fold
    # on eval-wide, ungated seams add 2 stories found and 11 false cuts; at 0.005, 2 and 4;
    # at 0.05, none of either. 0.005 keeps the story two seeds' pages carry on the same
    # subject as theirs (the model gives it 0.01).
    rules_strong_seams: bool = True
    strong_seam_min_p: float = 0.005

    def limits(self, tier: str) -> tuple[int, float]:
        return getattr(self, tier)

    def min_new(self, tier: str) -> int:
        return self.min_new_prose[("strong", "cue", "wide", "narrow").index(tier)]


@dataclass(frozen=True)
class Config:
    """Everything that changes what newsclean writes. Same Config + input → same bytes."""

    text_field: str = "text"
    id_field: str = "id"
    url_field: str = "url"
    html_field: str | None = None
    # Input fields copied into each record's ``meta`` (("*",): all but the text and HTML).
    keep_fields: tuple[str, ...] = ()
    # A file that is UTF-8 but for a few bad bytes stays UTF-8 (those bytes replaced); it is
    # read as cp1252 only when more than this share of its non-ASCII bytes are invalid UTF-8.
    utf8_max_invalid: float = 0.5
    appended: str = "split"  # split | drop | keep
    templates: bool = True  # CCNet-style site template lines
    # A line on this many distinct pages of a site is its template (a page crawled again
    # counts once); a prose line must be on template_min_share of the site's pages too
    # (see newsclean.templates).
    template_min_docs: int = 2
    template_min_share: float = 0.5
    # No template takes a page's body: when the template lines would leave less than this
    # share of a page's prose characters, its prose lines stay (see newsclean.templates).
    template_min_body_left: float = 0.1
    inpage_dedup: bool = True
    # The learned line labeller (newsclean.labeller) decides the page's own story on the
    # text path. 0.5: the model's own decision boundary. 0.3: below that share of the
    # rules' body kept by the model, the page is one it does not know (out of fold this
    # spares eval/ the model's few collapses and costs eval-wide/ and eval-snippets/ little).
    labeller: bool = True
    labeller_threshold: float = 0.5
    labeller_min_agreement: float = 0.3
    # A link to another story that the rules found inside the body run stays removed
    # unless the model gives it this much: the rules saw what it echoes, the model did not
    # (a link to a story on the same subject reads to it like the body: at 0.85 one such
    # link of the seeds stayed; 0.9 costs eval-wide 0.002 out of fold, 0.95 0.004).
    labeller_sure: float = 0.9
    # The HTML path reads the page two ways: trafilatura with its defaults and comments off
    # (favor_precision scored higher on eval/, where it was picked, and lower on eval-wide/
    # and eval-snippets/), and the page rendered as a naive scraper renders it. The
    # rendering's lines go through the rules, and a model of its own
    # (models/labeller-html.txt) weighs their features with what trafilatura kept of each
    # line and where the line sits in the DOM; the lines it gives at least html_threshold
    # are the article. Out of fold (folds by site) 0.5 and 0.55 beat trafilatura alone by
    # more than 0.005 on all three sets, 0.45 not on eval/ (+0.0049); 0.5 is the model's
    # own even odds. html_labeller=False: trafilatura's text as it extracted it.
    favor_precision: bool = False
    # htmldate's extensive search (dates in the page's text, not only in its markup and
    # URL) cost 26 ms a page — half of trafilatura's own extraction — and gave the same
    # date as the markup alone on 134 of 150 eval-wide pages; the rules read a date line
    # in the rendered page's head themselves where the markup has none.
    html_date_in_text: bool = False
    html_labeller: bool = True
    html_threshold: float = 0.5
    rules: Rules = field(default_factory=Rules)
    segmenting: Segmenting = field(default_factory=Segmenting)
    dedup: DedupConfig = field(default_factory=DedupConfig)

    def __post_init__(self) -> None:
        if self.appended not in APPENDED_MODES:
            raise ValueError(f"appended must be one of {APPENDED_MODES}, got {self.appended!r}")
        if self.template_min_docs < 2:
            raise ValueError("template_min_docs must be >= 2: a line seen once is no template")

    def to_dict(self) -> dict:
        return asdict(self)

    def hash(self) -> str:
        blob = orjson.dumps(self.to_dict(), option=orjson.OPT_SORT_KEYS)
        return hashlib.sha256(blob).hexdigest()[:16]
