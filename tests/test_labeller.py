"""The line labeller: its features, and the training code kept alive on the project's own
fixtures (CI does not retrain the shipped model; this trains a tiny one)."""
import json
import sys

import numpy as np
import pytest

from newsclean.extract import split_blocks
from newsclean.labeller import FEATURES, LINE_FEATURES, Labeller, WordOdds, page_features, text_features
from newsclean.records import Labelling, Page

from .conftest import ROOT

FIXTURES = ROOT / "tests" / "fixtures"


def fixture_pages():
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import train_cleaner

    from newsclean import Config, DedupConfig

    config = Config(templates=False, dedup=DedupConfig(enabled=False))
    out = []
    for exp in json.loads((FIXTURES / "pages_expected.json").read_text()):
        text = (FIXTURES / "pages" / exp["file"]).read_text()
        gold = {"with": exp["keep"], "without": list(exp["drop"])}
        page, x, y = train_cleaner.prepare({"id": exp["file"], "text": text, "url": None}, gold, "snippets", config)
        out.append((page, x, y))
    return train_cleaner, out


def test_features_one_row_per_line_and_named():
    from newsclean.clean import block_features
    from newsclean.pipeline import label_page
    from newsclean import Config

    text = (FIXTURES / "pages" / "harbour_en.txt").read_text()
    page = label_page(Page("h", text, {"path": "p"}, None, None, split_blocks(text)), Config(labeller=False))
    x = page_features(page, block_features(page.blocks, Config().rules)[1])
    assert x.shape == (len(page.blocks), len(LINE_FEATURES)) and np.isfinite(x).all()
    kept = FEATURES.index("kept")
    assert x[:, kept].tolist() == [float(lab is None) for lab in page.labels]
    full = text_features(page, block_features(page.blocks, Config().rules)[1], Labeller.load().words)
    assert full.shape == (len(page.blocks), len(FEATURES)) and (full[:, :len(LINE_FEATURES)] == x).all()


def test_a_tiny_model_trained_on_the_fixtures_tells_body_from_chrome():
    pytest.importorskip("lightgbm")
    train_cleaner, pages = fixture_pages()
    y = np.concatenate([p[2] for p in pages])
    assert (y == 1).sum() >= 10 and (y == 0).sum() >= 10  # the fixtures label both kinds
    # word odds learned with no fixture page left out: a tiny model only, not a fair estimate
    body, other = {}, {}
    for page, _, labels in pages:
        b, o = WordOdds.count([blk.text for blk in page.blocks], labels)
        for w in b:
            body[w] = body.get(w, 0) + 1
        for w in o:
            other[w] = other.get(w, 0) + 1
    words = WordOdds.learn(body, other, alpha=2.0, min_pages=2)
    assert words.odds and WordOdds.parse(words.dump()).odds == words.odds
    x = np.vstack([train_cleaner.with_odds((None, None, p[0], p[1]), words) for p in pages])
    model = train_cleaner.train(x, y, rounds=30, min_data_in_leaf=3)
    labeller = Labeller(model.model_to_string(), words=words)  # the shipped format: LightGBM's text
    p = labeller.probabilities(x)
    assert p[y == 1].mean() > p[y == 0].mean() + 0.3
    assert len(labeller.hash) == 16


def test_a_bag_of_models_gives_the_mean_of_their_probabilities_and_checks_each():
    import lightgbm

    from newsclean.labeller import BAG_SEPARATOR
    from newsclean.segment import BOUNDARY_FEATURES

    rng = np.random.default_rng(0)
    x = rng.normal(size=(400, len(BOUNDARY_FEATURES)))
    y = (x[:, 0] + 0.5 * rng.normal(size=400) > 0).astype(int)
    params = {"objective": "binary", "verbose": -1, "bagging_fraction": 0.5, "bagging_freq": 1, "num_threads": 1}
    texts = [lightgbm.train({**params, "seed": seed}, lightgbm.Dataset(x, y), 20).model_to_string() for seed in (1, 2)]
    one, two = (Labeller(t, BOUNDARY_FEATURES) for t in texts)
    bag = Labeller(BAG_SEPARATOR.join(texts), BOUNDARY_FEATURES)
    assert not np.allclose(one.probabilities(x), two.probabilities(x))  # the seeds made two models
    assert np.allclose(bag.probabilities(x), (one.probabilities(x) + two.probabilities(x)) / 2)
    assert len({one.hash, two.hash, bag.hash}) == 3
    narrow = lightgbm.train(params, lightgbm.Dataset(x[:, :5], y), 5).model_to_string()
    with pytest.raises(ValueError, match="retrain"):
        Labeller(texts[0] + BAG_SEPARATOR + narrow, BOUNDARY_FEATURES)


def test_word_odds_count_pages_smooth_towards_the_prior_and_forget_rare_words():
    # a word on many lines of one page counts once; unlabelled lines and numbers say nothing
    assert WordOdds.count(["Reply", "Reply 12", "The harbour", "Ferry"], [0, 0, 1, -1]) == ({"the", "harbour"}, {"reply"})
    odds = WordOdds.learn({"harbour": 4, "the": 6, "ferry": 1}, {"reply": 4, "the": 6}, alpha=2.0, min_pages=3)
    assert odds.odds["harbour"] > 0.5 and odds.odds["reply"] <= -1.0
    assert abs(odds.odds["the"]) < 0.2  # as common on and off a body: the prior's odds
    assert "ferry" not in odds.odds  # on one page: what one site says is not learned
    x = odds.features(["Reply reply", "The harbour opened", "", "2024"])
    assert x.shape == (4, 5)
    assert x[0, 0] == pytest.approx(odds.odds["reply"], abs=1e-6) and x[0, 1] == 1.0
    assert x[1, 0] > 0 and x[1, 1] == 0.0 and (x[2:, :2] == 0).all()
    assert x[1, 2] == pytest.approx((x[0, 0] + x[1, 0] + x[2, 0]) / 3, abs=1e-6)  # the mean of lines 0-2
    assert WordOdds.parse(odds.dump()).odds == odds.odds
    with pytest.raises(ValueError, match="line 1"):
        WordOdds.parse("no tab here\n")


def _page(labels, notes=None):
    from newsclean.records import Block

    blocks = [Block(i * 100, i * 100 + 80, f"line {i} " + "x" * 70) for i in range(len(labels))]
    return Labelling(Page("p", "", {"path": "p"}, None, None, blocks), labels=list(labels),
                     runs=[(None, 0, len(labels))])


def test_relabel_follows_the_model_inside_the_pages_own_story():
    from newsclean import Config
    from newsclean.labeller import relabel

    page = _page(["navigation", None, None, "duplicate", None, None, "sidebar"])
    probs = np.array([0.1, 0.2, 0.9, 0.9, 0.3, 0.8, 0.95])
    changes = relabel(page, probs, Config())
    # kept by the rules, dropped by the model: named by where they sit; a copy stays a copy
    assert changes == {1: "navigation", 4: "boilerplate", 6: None}


def test_relabel_leaves_a_page_the_model_does_not_know_to_the_rules():
    from newsclean import Config
    from newsclean.labeller import relabel

    page = _page([None, None, None, None, "sidebar"])
    probs = np.array([0.1, 0.1, 0.1, 0.6, 0.9])  # keeps a quarter of the rules' body
    assert relabel(page, probs, Config()) == {}
    assert relabel(page, probs, Config(labeller_min_agreement=0.2)) != {}


def test_relabel_leaves_later_stories_to_the_segmenter():
    from newsclean import Config
    from newsclean.labeller import relabel

    page = _page([None, None, None, None])
    page.story = [0, 0, 1, 1]  # the segmenter split a story off at line 2
    assert relabel(page, np.array([0.9, 0.9, 0.0, 0.0]), Config()) == {}


def test_the_shipped_model_loads_and_runs():
    from newsclean import Config, clean_text

    labeller = Labeller.load()
    assert labeller.boosters[0].num_trees() > 10 and len(labeller.hash) == 16
    text = (FIXTURES / "pages" / "harbour_en.txt").read_text()
    [rec, *_] = clean_text(text)
    assert rec["pipeline"]["labeller"] == labeller.hash
    assert clean_text(text, config=Config(labeller=False))[0]["pipeline"]["labeller"] is None


def test_topic_similarity_tells_the_pages_subject_from_a_line_about_something_else():
    from newsclean.labeller import topic_similarity
    from newsclean.records import Block

    body = ["The harbour council approved the harbour dredging plan for the northern basin.",
            "Dredging of the basin will let container ships use the harbour berths.",
            "The council said the harbour berths and the basin dredging would cost millions."]
    off = "Great recipe, my kids loved these chocolate cookies with oat flakes!"
    texts = body + [off]
    blocks, pos = [], 0
    for t in texts:
        blocks.append(Block(pos, pos + len(t), t))
        pos += len(t) + 1
    lab = Labelling(Page("p", "\n".join(texts), {"path": "p"}, None, None, blocks), labels=[None] * 4)
    sim = topic_similarity(lab)
    assert min(sim[:3]) > 0.3 and sim[3] == 0.0


def test_choose_keeps_the_lines_the_model_is_sure_of_each_once_and_names_the_rest():
    from newsclean import Config
    from newsclean.labeller import choose

    rules = _page(["navigation", None, None, None, "caption", None])
    rules.notes[4] = {"of": [100, 180]}
    probs = np.array([0.05, 0.9, 0.1, 0.6, 0.02, 0.01])
    held = np.array([False, True, True, True, False, False])
    out = choose(rules, probs, held, Config(html_threshold=0.5))
    # below the threshold: the rules' reason (and its note) where they had one, else the region
    assert out.labels == ["navigation", None, "boilerplate", None, "caption", "sidebar"]
    assert out.notes[4] == {"of": [100, 180]} and out.story == [0] * 6 and out.probs is probs
    assert rules.labels == ["navigation", None, None, None, "caption", None]  # its input untouched
    assert choose(rules, probs, held, Config(html_threshold=0.0)).labels == [None] * 6


def test_choose_keeps_a_line_printed_twice_once_and_trafilaturas_lines_where_it_would_keep_none():
    from newsclean import Config
    from newsclean.labeller import choose

    from newsclean.records import Block

    text = "Menu\nThe harbour plan was approved.\nIt will cost millions.\nThe harbour plan was approved."
    twice = Labelling(Page("p", text, {"path": "p"}, None, None, split_blocks(text)), labels=[None] * 4)
    out = choose(twice, np.array([0.1, 0.9, 0.9, 0.9]), np.zeros(4, bool), Config())
    assert out.labels == ["navigation", None, None, "duplicate"]
    assert out.notes[3] == {"of": [5, 35]} and isinstance(twice.page.blocks[1], Block)
    rules = _page([None, None, None, None])
    held = np.array([False, True, True, False])
    assert choose(rules, np.full(4, 0.1), held, Config()).labels == ["navigation", None, None, "sidebar"]
    dated = _page([None, "metadata", None, None])  # a date line the rules named: out, however sure the model
    assert choose(dated, np.full(4, 0.9), held, Config()).labels == [None, "metadata", None, None]


def test_char_counts_match_the_unicode_classes_in_and_beyond_the_table():
    import regex

    from newsclean.labeller import char_counts

    texts = ["Hello World 2024", "ÉCOLE ß ǅ Ⅻ ²", "日本語テキスト１２３", "x", "emoji 😀 ABC 𝐀𝐁 9"]
    for batch in (texts, texts[:4]):  # with and without code points beyond the plane
        expected = [(len(regex.sub(r"[^\p{L}]+", "", t)), len(regex.sub(r"[^\p{Nd}]+", "", t)),
                     len(regex.sub(r"[^\p{Uppercase}]+", "", t))) for t in batch]
        assert [tuple(r) for r in char_counts(batch).tolist()] == expected


def test_content_terms_keep_content_words_in_order_of_first_appearance():
    from newsclean.text import content_terms

    ids, text_of, words = content_terms(["The harbour and the HARBOUR", "in 2024 the port", "Port harbour"],
                                        frozenset({"the", "and"}))
    # every distinct word of three letters or more, casefolded, in order of first appearance
    assert words == ("the", "harbour", "and", "2024", "port")
    assert [(words[i], t) for i, t in zip(ids.tolist(), text_of.tolist())] == [
        ("harbour", 0), ("harbour", 0), ("port", 1), ("port", 2), ("harbour", 2)]


def test_subject_shares_are_subject_said_line_by_line():
    from newsclean.text import subject_said, subject_shares, url_subject

    subject = url_subject("https://example.org/news/harbour-council-approves-dredging-plan")
    texts = ["The Harbour council met.", "Dredging approved: the plan", "nothing here", "Calendário harbours",
             "HARBOUR harbour harbour"]
    assert subject_shares(subject, texts).tolist() == [subject_said(subject, [t]) for t in texts]
    assert subject_shares(set(), texts).tolist() == [0.0] * len(texts)
