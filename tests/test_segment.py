from newsclean import Config, clean_text
from newsclean.config import Segmenting

from .conftest import SEEDS

HARBOUR = [
    "The city council on Tuesday approved a long-delayed expansion of the harbour, ending a dispute between shipping companies and residents.",
    "The harbour plan allows the port authority to dredge the northern basin and build two new berths for container ships.",
    "Residents of the waterfront had argued that harbour traffic would bring noise, and the council added limits on night work at the port.",
    "Construction at the harbour is expected to begin in the autumn, once the port authority has its permits.",
]
VOLCANO = [
    "REYKJAVIK: A volcano on the peninsula erupted overnight, sending lava fountains into the sky above the lava field.",
    "Geologists said the eruption fissure was about two kilometres long and that magma had been rising for weeks.",
    "Nearby residents were evacuated as a precaution while scientists measured gas emissions from the volcano's vents.",
    "The volcanic eruption is the fourth on the peninsula since magma began to move beneath the crust.",
]


def clean_text_rules(text, **kw):
    """The rules alone (labeller off): their segmenter, with its cues (a comments button,
    a table's headline and the URL, another language), which the learned boundaries of the
    default path weigh as features instead of obeying."""
    return clean_text(text, config=Config(labeller=False), **kw)


def page(*parts):
    return "\n\n".join(parts)


def two_stories():
    return page("Menu", "Harbour expansion approved", "Published March 3, 2021", *HARBOUR,
                "Share", "Volcano erupts on peninsula", "Updated 4 March 2021", "Follow", *VOLCANO,
                "© 2021 Herald. All rights reserved.")


def test_appended_story_is_split_with_its_own_title_and_date():
    recs = clean_text(two_stories())
    assert [r["story"] for r in recs] == [0, 1]
    assert recs[0]["title"] == "Harbour expansion approved" and recs[0]["date"] == "2021-03-03"
    assert recs[1]["title"] == "Volcano erupts on peninsula" and recs[1]["date"] == "2021-03-04"
    assert "volcano" not in recs[0]["text"].lower() and "harbour" not in recs[1]["text"].lower()
    assert recs[1]["id"].endswith("#1") and recs[1]["spans"][0][0] > recs[0]["spans"][-1][1]


def test_appended_drop_and_keep():
    dropped = clean_text(two_stories(), config=Config(appended="drop"))
    assert len(dropped) == 1 and "volcano" not in dropped[0]["text"].lower()
    assert {"appended-story"} <= {r["reason"] for r in dropped[0]["removed"]}
    kept = clean_text(two_stories(), config=Config(appended="keep"))
    assert len(kept) == 1 and "volcano" in kept[0]["text"].lower()


def test_a_long_article_with_subheads_is_not_split():
    text = page("Harbour expansion approved", "Published March 3, 2021", *HARBOUR[:2], "The vote",
                *HARBOUR[2:], "What comes next", *[p.replace("harbour", "port") for p in HARBOUR])
    recs = clean_text(text)
    assert len(recs) == 1


def test_block_printed_twice_keeps_first_copy():
    text = page("Harbour expansion approved", "Published March 3, 2021", *HARBOUR, "Thumbnail", *HARBOUR[:3])
    [rec] = clean_text(text)
    assert rec["text"].split("\n\n") == HARBOUR
    dups = [r for r in rec["removed"] if r["reason"] == "duplicate"]
    assert len(dups) == 3 and all(len(d["of"]) == 2 for d in dups)


def test_seed_with_appended_story_and_seed_with_repeated_block():
    recs = clean_text((SEEDS / "000_a6daadb69c98c73a.txt").read_text(encoding="utf-8"))
    assert [r["story"] for r in recs] == [0, 1]
    assert recs[1]["title"].startswith("Pakistan PM calls for faster CPEC") and recs[1]["date"] == "2026-02-27"
    assert "CPEC" not in recs[0]["text"] and recs[1]["text"].startswith("• Shehbaz Sharif")
    [rec] = clean_text((SEEDS / "002_1ecaa7de4ac13566.txt").read_text(encoding="utf-8"))
    paras = rec["text"].split("\n\n")
    assert len(paras) == len(set(paras)) == 10


RESULTS = [
    "Harbour Rovers (3-0): Ann Lee 2 goals, 1 assist. Mia Park 1 goal. Zoe Hart 4 saves.",
    "Port Town (1-2): Eva Cole 1 goal. Ida Moss 6 saves.",
    "Northside (2-1): Una Fox 1 goal, 2 assists. Lea Gray 1 goal. Ada Wolfe 3 saves.",
    "Westfield (0-3): Amy Stone 9 saves.",
    "Bayview (2-0-1): Kim Ross 2 goals. Liv Shaw 1 assist. Jo Reed 5 saves.",
]


def test_story_after_a_results_list_is_split_at_its_headline():
    # The page's own story is a list of results, not prose; the appended story's headline
    # and date are where it begins, and the results stay with the page's story.
    text = page("Menu", "Girls soccer roundup: Rovers stay unbeaten", "Published March 3, 2021", *RESULTS,
                "Volcano erupts on peninsula", "Updated 4 March 2021", *VOLCANO, "© 2021 Herald.")
    recs = clean_text(text)
    assert [r["story"] for r in recs] == [0, 1]
    assert recs[0]["text"].split("\n\n") == RESULTS
    assert recs[1]["title"] == "Volcano erupts on peninsula" and recs[1]["text"].split("\n\n") == VOLCANO


def test_story_after_a_comments_button_is_split_but_a_comment_thread_is_not():
    head = ("Menu", "Harbour expansion approved", "Published March 3, 2021", *HARBOUR)
    volcano = [*VOLCANO, "Flights at the international airport continued as normal, the airport operator said on its website."]
    button = clean_text_rules(page(*head, "View Comments", "Print", "Email", "Volcano erupts on peninsula", *volcano))
    assert [r["story"] for r in button] == [0, 1] and button[1]["text"].split("\n\n") == volcano
    thread = [x for n, p in enumerate(volcano) for x in (f"reader{n}", "2 days ago at 07:5{n} am", p)]
    comments = clean_text_rules(page(*head, "[ 12 comments ]", "Top Rated Comments", *thread))
    assert len(comments) == 1 and comments[0]["text"].split("\n\n") == HARBOUR


TABLE = ["Pos.", "Team", "Points", *[x for n, team in enumerate(["Harbour Rovers", "Port Town", "Northside"], 1)
                                     for x in (str(n), team, str(40 - 7 * n))]]


def test_page_story_under_its_headline_is_kept_when_denser_prose_below_is_another_story():
    # The page's own story is a table (not prose), so the densest prose on the page is
    # the story appended below it; the URL and the dated headline say which is whose.
    text = page("Menu", "League table: Harbour Rovers lead", "Published March 3, 2021", *TABLE,
                "Volcano erupts on peninsula", "Updated 4 March 2021", *VOLCANO, "© 2021 Herald.")
    url = "https://herald.example/sport/league-table-harbour-rovers-lead/"
    recs = clean_text_rules(text, url=url)
    assert [r["story"] for r in recs] == [0, 1]
    assert recs[0]["title"] == "League table: Harbour Rovers lead" and recs[0]["text"].split("\n\n") == TABLE
    assert recs[1]["title"] == "Volcano erupts on peninsula" and recs[1]["text"].split("\n\n") == VOLCANO
    # Without a URL to say whose headline is whose, the densest prose stays the body.
    assert clean_text_rules(text)[0]["text"].split("\n\n") == VOLCANO


GERMAN = [
    "Der Stadtrat hat am Dienstag den Ausbau des Hafens beschlossen, nachdem der Streit mit den Anwohnern beigelegt war.",
    "Die Arbeiten sollen im Herbst beginnen, wenn die Hafenbehörde alle Genehmigungen für die neuen Liegeplätze hat.",
]


def test_story_in_another_language_after_the_body_is_split_but_a_quotation_is_not():
    head = ("Harbour expansion approved", "Published March 3, 2021", *HARBOUR)
    recs = clean_text_rules(page(*head, "Share", "Vulkan", *GERMAN, "© 2021 Herald."))
    assert [r["story"] for r in recs] == [0, 1] and recs[1]["text"].split("\n\n")[-2:] == GERMAN
    # One paragraph quoted in another language, the story going on after it, stays.
    quoted = clean_text_rules(page(*head[:4], "Share", GERMAN[0], "Share", *HARBOUR[2:], "© 2021 Herald."))
    assert len(quoted) == 1 and GERMAN[0] in quoted[0]["text"]


def test_prose_in_another_language_below_the_body_is_a_story_of_its_own():
    german = " ".join(GERMAN + ["Die Anwohner hatten sich lange gegen den Lärm gewehrt, der nach ihrer Ansicht mit dem "
                                "Verkehr der Containerschiffe in der Nacht zunehmen würde."])
    more = ["The mayor said that the harbour would remain open to the fishing fleet while the work on the berths "
            "was under way, and that the port authority would publish the schedule of the dredging in the spring.",
            "The shipping companies welcomed the decision, which they said had been delayed for far too long by "
            "the dispute, and they expect that the first of the new ships will be able to dock at the harbour next year."]
    head = ("Harbour expansion approved", "Published March 3, 2021", *HARBOUR, *more, "Share on Twitter",
            "Share on Facebook")
    recs = clean_text_rules(page(*head, "Hafen", "Ausbau beschlossen", "Kurz gesagt:", german, "© 2021 Herald."))
    assert [r["story"] for r in recs] == [0, 1] and recs[1]["text"].endswith(german)
    # A short line in another language under the body (a motto, a credit) is no story.
    short = clean_text_rules(page(*head, "Hafen", "Ausbau beschlossen", "Kurz gesagt:", GERMAN[0], "© 2021 Herald."))
    assert [r["story"] for r in short] == [0] and short[0]["text"].split("\n\n") == HARBOUR + more


def test_stages_return_new_labellings_and_leave_theirs_alone():
    from newsclean.clean import clean
    from newsclean.extract import extract
    from newsclean.records import Document
    from newsclean.segment import segment, stories

    config = Config(appended="drop")
    pg = extract(Document("p", two_stories(), "text", {"path": "p"}), config)
    cleaned = clean(pg, config)
    before = (list(cleaned.labels), list(cleaned.story))
    segmented = segment(cleaned, config)
    assert max(segmented.story) == 1  # the segmenter found the volcano story…
    assert (cleaned.labels, cleaned.story) == before  # …in its own copy of the labelling
    after_segment = (list(segmented.labels), list(segmented.story))
    (only,) = stories(segmented, config)
    assert {"appended-story"} <= {r["reason"] for r in only.removed}
    assert (segmented.labels, segmented.story) == after_segment  # dropping is the cut's, not the segmenter's


def _labelled(text, url=None):
    from newsclean.clean import block_features, clean
    from newsclean.extract import split_blocks
    from newsclean.labeller import Labeller, label
    from newsclean.records import Page

    config = Config()
    pg = Page("p", text, {"path": "p"}, url, None, split_blocks(text))
    feats = block_features(pg.blocks, config.rules)
    return label(clean(pg, config, feats), Labeller.load(), config, feats[1]), feats[1]


def test_boundary_candidates_are_kept_lines_with_a_story_either_side_one_named_row_each():
    import numpy as np

    from newsclean.segment import BOUNDARY_FEATURES, boundary_rows

    lab, feats = _labelled(two_stories())
    cands, rows = boundary_rows(lab, feats, Segmenting(min_story_prose=2))
    assert rows.shape == (len(cands), len(BOUNDARY_FEATURES)) and np.isfinite(rows).all()
    kept = [i for i, x in enumerate(lab.labels) if x is None]
    assert set(cands.tolist()) <= set(kept) and len(cands) >= 1
    prose = [i for i in kept if lab.kinds[i] == "prose"]
    assert all(sum(p < c for p in prose) >= 2 and sum(p >= c for p in prose) >= 2 for c in cands)
    # the vocabulary on either side shares least where the volcano story begins (its headline)
    cos = rows[:, BOUNDARY_FEATURES.index("cos_all")]
    assert lab.blocks[int(cands[int(np.argmin(cos))])].text == "Volcano erupts on peninsula"
    assert len(boundary_rows(lab, feats, Segmenting(min_story_prose=50))[0]) == 0  # no story that long on either side


def test_a_tiny_boundary_model_trained_on_fixture_pages_finds_the_seam():
    import sys

    import numpy as np

    from newsclean.labeller import Labeller
    from newsclean.segment import BOUNDARY_FEATURES, boundary_rows

    from .conftest import ROOT

    sys.path.insert(0, str(ROOT / "benchmarks"))
    import train_cleaner

    data = []
    for k in range(6):  # the two stories in turns, each page cut at its own seam
        a, b = (HARBOUR, VOLCANO) if k % 2 else (VOLCANO, HARBOUR)
        text = page("Menu", "Headline one", *a[k % 2:], "Share", "Headline two", *b[: 4 - k % 2], "© Herald")
        lab, feats = _labelled(text)
        cands, x = boundary_rows(lab, feats, Segmenting())
        gold = {"stories": ["\n".join(a[k % 2:]), "\n".join(b[: 4 - k % 2])], "kind": "append"}
        data.append((x, train_cleaner.boundary_labels(lab.blocks, gold, cands)))
    assert sum(int(y.sum()) for _, y in data) >= 6
    model = Labeller(train_cleaner.boundary_bag(data, rounds=30, seeds=(1, 2), min_data_in_leaf=3), BOUNDARY_FEATURES)
    assert len(model.boosters) == 2
    x, y = data[0]
    p = model.probabilities(x)
    assert y[int(np.argmax(p))] == 1


def test_the_shipped_boundary_model_loads_and_a_page_without_a_seam_stays_whole():
    from newsclean.labeller import Labeller

    model = Labeller.load("boundary")
    assert model.boosters[0].num_trees() > 10
    assert clean_text(two_stories())[0]["pipeline"]["boundary"] == model.hash
    from newsclean import Pipeline

    pipe = Pipeline(Config())
    assert pipe.report()["models"]["boundary"] == model.hash
    recs = clean_text(page("Harbour expansion approved", "Published March 3, 2021", *HARBOUR, "Share",
                           *[p.replace("harbour", "port") for p in HARBOUR], "© 2021 Herald."))
    assert len(recs) == 1


def test_word_weights_weigh_rare_words_most_and_say_nothing_in_a_language_without_a_list():
    import numpy as np

    from newsclean.text import word_weights

    w = word_weights(("year", "people", "volcano", "reykjanes", "xqzvbn"), "en", 7.0, 0.5)
    assert w[0] < w[2] < w[4] and w[1] < w[3]  # common words weigh little, names and unknown words most
    assert w[4] == 7.0 and (w >= 0.5).all()
    assert (word_weights(("year", "volcano"), None, 7.0, 0.5) == np.ones(2)).all()
    assert (word_weights(("common",), "en", 7.0, 6.9) == 6.9).all()  # the floor holds


def test_near_features_see_the_next_pages_headline_byline_and_date():
    import numpy as np

    from newsclean.segment import BOUNDARY_FEATURES, boundary_rows

    lab, feats = _labelled(two_stories())
    cands, rows = boundary_rows(lab, feats, Segmenting())
    col = {n: rows[:, BOUNDARY_FEATURES.index(n)] for n in BOUNDARY_FEATURES}
    assert ((0 <= col["ahead_pmin"]) & (col["ahead_pmin"] <= col["ahead_pmean"] + 1e-6)).all()
    assert ((0 <= col["ahead_removed"]) & (col["ahead_removed"] <= 1)).all()
    # the rare-word cosine across the volcano story's start is its least across any candidate
    # of the page
    k = int(np.argmin(col["wcos_all"]))
    assert lab.blocks[int(cands[k])].text == "Volcano erupts on peninsula"


def test_a_strong_seam_stands_only_where_the_boundary_model_does_not_rule_it_out():
    import dataclasses

    import numpy as np

    from newsclean.clean import block_features, clean
    from newsclean.extract import split_blocks
    from newsclean.labeller import Labeller, label
    from newsclean.records import Page
    from newsclean.segment import STRONG, boundary_rows, split_learned

    class Unsure:
        """A boundary model that cuts nowhere by itself: P 0.01 at every candidate."""

        def probabilities(self, rows):
            return np.full(len(rows), 0.01)

    text = (SEEDS / "000_a6daadb69c98c73a.txt").read_text(encoding="utf-8")
    cfg = Config()
    page = Page("s", text, {"path": "seed"}, None, None, split_blocks(text))
    feats = block_features(page.blocks, cfg.rules)
    labelled = label(clean(page, cfg, feats), Labeller.load(), cfg, feats[1])
    cands, _ = boundary_rows(labelled, feats[1], cfg.segmenting)
    seam = int(cands[len(cands) // 2])  # a strong seam of the rules where the model has a candidate

    def stories(c):
        return sorted(set(split_learned(labelled, Unsure(), c, feats[1], {seam: STRONG}).story))

    assert stories(cfg) == [0, 1]  # P 0.01 there: at least strong_seam_min_p (0.005)
    gated = dataclasses.replace(cfg, segmenting=dataclasses.replace(cfg.segmenting, strong_seam_min_p=0.5))
    assert stories(gated) == [0]
    ungated = dataclasses.replace(cfg, segmenting=dataclasses.replace(cfg.segmenting, rules_strong_seams=False))
    assert stories(ungated) == [0]
    assert [r["story"] for r in clean_text(text, config=cfg)] == [0, 1]  # the shipped models split it too


def _dense_reference(line, word, weight, m):
    """The candidate vocabulary features the slow way: every kept line's term row, summed
    cumulatively, and each run a difference of two rows (what boundary_rows did before
    KeptTerms)."""
    import numpy as np

    counts = np.zeros((m + 1, len(weight)))
    np.add.at(counts, (line + 1, word), 1.0)
    cum, wcum = np.cumsum(counts, axis=0), np.cumsum(counts * weight, axis=0)

    def span(c, lo, hi):
        return c[np.clip(hi, 0, m)] - c[np.clip(lo, 0, m)]

    def cos(a, b):
        num, den = (a * b).sum(1), np.sqrt((a * a).sum(1) * (b * b).sum(1))
        return np.where(den > 0, num / np.maximum(den, 1e-12), 1.0)

    return cum, wcum, span, cos


def test_kept_terms_give_the_cosines_and_new_vocabulary_of_explicit_term_rows():
    import numpy as np

    from newsclean.segment import KeptTerms

    rng = np.random.default_rng(7)
    for m, v, occurrences in ((1, 1, 0), (6, 3, 20), (40, 25, 300), (90, 400, 900)):
        line = np.sort(rng.integers(0, m, occurrences))
        line[: min(3, occurrences)] = min(2, m - 1)  # a line said several times, and lines with no words
        word = rng.integers(0, v, occurrences)
        weight = rng.uniform(0.5, 7.0, v)
        terms = KeptTerms.of(line, word, weight, m)
        cum, wcum, span, cos = _dense_reference(line, word, weight, m)
        j = np.arange(0, m + 1)
        for lo, hi, lo2, hi2 in ((0, j, j, m), (j - 3, j, j, j + 3), (j - 10, j, 0, j - 10), (j + 3, m, j, j + 20)):
            want = {k: cos(span(c, lo, hi), span(c, lo2, hi2)) for k, c in ((0, cum), (1, wcum))}
            x, y = terms.run(lo, hi), terms.run(lo2, hi2)
            for c, g in ((0, terms.plain), (1, terms.weighted)):
                xx, yy = terms.dots(g, x, x), terms.dots(g, y, y)
                empty = (terms.dots(terms.plain, x, x) == 0) | (terms.dots(terms.plain, y, y) == 0)
                np.testing.assert_allclose(terms.cosine(g, x, y, xx, yy, empty), want[c], atol=1e-9)
        jj = np.arange(0, m)
        a10, before = span(cum, jj, jj + 10), cum[jj]
        want_new = ((a10 > 0) & (before == 0)).sum(1) / np.maximum((a10 > 0).sum(1), 1)
        np.testing.assert_allclose(terms.new_words(jj, 10), want_new, atol=1e-12)
        wa10 = span(wcum, jj, jj + 10)
        want_w = np.where((wa10 > 0) & (wcum[jj] == 0), wa10, 0.0).sum(1) / np.maximum(wa10.sum(1), 1e-9)
        np.testing.assert_allclose(terms.new_weight(jj, 10), want_w, atol=1e-9)
