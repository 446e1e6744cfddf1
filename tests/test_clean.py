"""Quality gate for the cleaner, trafilatura style: pages the project wrote (several
languages and layouts) and the seeds, with the lines a careful reader keeps and drops.
A regression in any rule shows up here as a named line, not as a drifting score."""
import json
from pathlib import Path

import pytest

from newsclean import Config
from newsclean.config import Rules
from newsclean.clean import best_run, clean, features, wrapped_groups
from newsclean.extract import extract, split_blocks
from newsclean.lexicon import chrome_reason, parse_date
from newsclean.records import Document

from .conftest import SEEDS

FIXTURES = Path(__file__).parent / "fixtures"
EXPECTED = json.loads((FIXTURES / "pages_expected.json").read_text(encoding="utf-8"))


def labelled(path: Path):
    page = extract(Document(path.stem, path.read_text(encoding="utf-8"), "text", {"path": str(path)}), Config())
    return clean(page, Config())


def line_label(page, prefix):
    hits = [page.labels[i] for i, b in enumerate(page.blocks) if b.text.startswith(prefix)]
    assert hits, f"no line starts with {prefix!r}"
    return hits[0]


@pytest.mark.parametrize("case", EXPECTED, ids=[c["file"] for c in EXPECTED])
def test_fixture_page(case):
    page = labelled(FIXTURES / "pages" / case["file"])
    kept_wrongly = [p for p in case["drop"] if line_label(page, p) is None]
    dropped_wrongly = [(p, line_label(page, p)) for p in case["keep"] if line_label(page, p) is not None]
    assert not dropped_wrongly, f"body lines removed: {dropped_wrongly}"
    assert not kept_wrongly, f"chrome lines kept: {kept_wrongly}"
    wrong_reason = {p: line_label(page, p) for p, why in case["drop"].items() if why and line_label(page, p) != why}
    assert not wrong_reason, f"removed for the wrong reason: {wrong_reason}"
    assert page.title == case["title"]
    assert page.date == case["date"]


SEED_CASES = {
    "001_9847c2be05ddfa94": {
        "title": "US envoy Khalilzad kicks off 2-week-long peace mission with Islamabad visit", "date": "2019-06-02",
        "drop": {"Published June 2, 2019": "metadata", "Opinion": None, "Editorial": None, "Digital growth": None,
                 "Updated 25 Apr, 2024": None, "Democratising digital development": None,
                 "THE Supreme Court recently": None, "Farmers’ anxiety": None},
        "keep": ["US Special Representative for Afghanistan Reconciliation Zalmay Khalilzad arrived",
                 "During a visit to the foreign ministry", "Afghan President Ashraf Ghani had proposed"]},
    "003_831cf4d67e7a3a9a": {
        "drop": {"Pakistani ambassador returns to Islamabad": "related"},
        "keep": ["ISLAMABAD – US Special Representative", "Afghanistan is seeing a spike in violence"]},
    "004_6241aa8584c6075f": {
        "title": "US seeks Pakistan's help for intra-Afghan dialogue", "date": "2020-05-10",
        "drop": {"Anadolu Agency May 10, 2020": "metadata", "US envoy for peace in Afghanistan": "caption",
                 "Khalilzad meets Gen Qamar amid deadlock": "related", "COMMENTS": "comments",
                 "Replying to X": "comments", "Comments are moderated": "comments",
                 "For more information, please see our Comments FAQ": "comments"},
        "keep": ["KARACHI: The US has asked Pakistan", "The US-Taliban peace deal included",
                 "Khalilzad had also raised the issue"]},
}


@pytest.mark.parametrize("stem", sorted(SEED_CASES))
def test_seed_lines(stem):
    case = SEED_CASES[stem]
    page = labelled(SEEDS / f"{stem}.txt")
    for prefix, why in case["drop"].items():
        got = line_label(page, prefix)
        assert got is not None and (why is None or got == why), (prefix, got)
    for prefix in case["keep"]:
        assert line_label(page, prefix) is None, prefix
    if "title" in case:
        assert page.title == case["title"] and page.date == case["date"]


def test_seed_captions_and_chrome():
    """Captions, share buttons and navigation of every seed leave with their reason."""
    expect = {("000_a6daadb69c98c73a", "The US special representative for Afghanistan reconciliation, Zalmay Khalilzad, left"): "caption",
              ("000_a6daadb69c98c73a", "Short Url"): "share", ("000_a6daadb69c98c73a", "Follow"): "share",
              ("000_a6daadb69c98c73a", "Updated 01 July 2020"): "metadata",
              ("001_9847c2be05ddfa94", "US Special Representative for Afghanistan Reconciliation Zalmay Khalilzad arrives"): "caption",
              ("002_1ecaa7de4ac13566", "Skip to main content"): "navigation",
              ("002_1ecaa7de4ac13566", "Latest news"): "navigation",
              ("002_1ecaa7de4ac13566", "Thumbnail"): "navigation",
              ("002_1ecaa7de4ac13566", "Share this post"): "share"}
    for (stem, prefix), why in expect.items():
        assert line_label(labelled(SEEDS / f"{stem}.txt"), prefix) == why, (stem, prefix)


@pytest.mark.parametrize("text,iso", [
    ("Published June 2, 2019", "2019-06-02"), ("Updated 01 July 2020", "2020-07-01"),
    ("Anadolu Agency May 10, 2020", "2020-05-10"), ("Veröffentlicht am 12. Mai 2022", "2022-05-12"),
    ("Publicado el 5 de febrero de 2023", "2023-02-05"), ("2021-11-03T10:00", "2021-11-03"),
    ("Nov. 18th 2019 8:54 am", "2019-11-18"), ("25 Apr, 2024", "2024-04-25"), ("no date here", None),
    ("Room 12/13/2020", None),
])
def test_parse_date(text, iso):
    assert parse_date(text) == iso


@pytest.mark.parametrize("line,reason", [
    ("Share this post", "share"), ("Follow us on Instagram", "share"), ("Teilen", "share"),
    ("COMMENTS", "comments"), ("Replying to X", "comments"), ("12 Comments", "comments"),
    ("Skip to main content", "navigation"), ("Back to top", "navigation"),
    ("Subscribe to our newsletter", "newsletter"), ("This website uses cookies to improve your experience.", "newsletter"),
    ("Related articles", "related"), ("READ MORE: Storm closes road", "related"), ("Leia também: obra atrasa", "related"),
    ("© 2020 Example Media. All rights reserved.", "footer"),
    ("The minister arrives in the capital. PHOTO: REUTERS/FILE", "caption"),
    ("A man walks past a shop in Hanoi on Tuesday. (AP Photo/Jane Roe)", "caption"),
    ("In this Dec. 12, 2006, file photo, astronauts work outside the station.", "caption"),
    ("The minister said the photo was fake and would be withdrawn.", None),
    ("Share prices fell sharply on Monday after the announcement.", None),
    ("The council will follow the recommendation of the committee.", None),
    ("Follow BBC News on Twitter", "share"), ("Get short URL", "share"), ("Follow the money on the coast", None),
    ("Previous Post", "navigation"), ("Also on example.com", "related"),
    ("6 thoughts on “Why harbours matter”", "comments"), ("One of the best harbours in the country", None),
])
def test_chrome_vocabulary(line, reason):
    assert chrome_reason(line, len(line.split())) == reason


def test_prose_and_headline_features():
    prose = features("The council voted on Tuesday to approve the budget for the schools of the district.", "English", Rules())
    head = features("Council approves budget for district schools", "English", Rules())
    assert prose.prose and not prose.headline
    assert head.headline and not head.prose


def test_best_run_is_the_densest_stretch():
    assert best_run([-10, -10, 50, -5, 40, -100, 30]) == (2, 5)
    assert best_run([-3, -1, -2]) == (1, 2)


def test_hard_wrapped_lines_group():
    blocks = split_blocks("When I first started growing vegetables I dug every bed\ntwice a year.\nNew paragraph here.")
    assert wrapped_groups(blocks) == [[0, 1], [2]]


HARBOUR_HTML = ("<html><head><title>Harbour vote</title></head><body><nav><a href='/'>Home</a> <a href='/news'>News"
                "</a></nav><article><h1>Council approves harbour plan</h1>"
                + "".join(f"<p>The council approved the harbour plan on {day} after a long debate about {topic}, "
                          f"officials said, and residents will be consulted again in {season}.</p>"
                          for day, topic, season in [("Monday", "noise", "spring"), ("Tuesday", "traffic", "summer"),
                                                     ("Wednesday", "dredging", "autumn"), ("Thursday", "costs", "winter"),
                                                     ("Friday", "jobs", "March"), ("Saturday", "berths", "April")])
                + "<p>Photo: Port Authority</p></article><footer>© 2021 Herald</footer></body></html>")


def test_html_path_reads_the_rendered_page_with_trafilaturas_choice():
    from newsclean.steps import label_page

    page = extract(Document("h", HARBOUR_HTML, "html", {"path": "h.html"}), Config())
    assert page.source["extractor"] == "trafilatura" and page.source["rendering"] == "lines"
    assert [b.text for b in page.blocks][:3] == ["Home News", "Council approves harbour plan",
                                                 "The council approved the harbour plan on Monday after a long "
                                                 "debate about noise, officials said, and residents will be "
                                                 "consulted again in spring."]
    assert page.dom_text and "The council approved" in page.dom_text and "Home" not in page.dom_text
    assert len(page.dom_contexts) == len(page.blocks)
    lab = label_page(page, Config())
    kept = [b.text for i, b in enumerate(page.blocks) if lab.labels[i] is None]
    assert len(kept) == 6 and all(t.startswith("The council approved") for t in kept)
    assert lab.labels[0] is not None and lab.labels[-1] is not None  # the navigation, the footer
    # html_labeller off: trafilatura's text as it extracted it, untouched
    alone = extract(Document("h", HARBOUR_HTML, "html", {"path": "h.html"}), Config(html_labeller=False))
    assert alone.text == page.dom_text and alone.dom_text is None
    assert label_page(alone, Config(html_labeller=False)).labels == [None] * len(alone.blocks)


def test_the_rendering_breaks_lines_at_blocks_and_hides_what_a_reader_never_sees():
    from lxml import html as lxml_html

    from newsclean.extract import DOM_CONTEXTS, render_text

    tree = lxml_html.fromstring(
        "<html><body><div class='site-nav'><a href='/'>Home</a> | <a href='/w'>World</a></div>"
        "<p>One <b>bold</b>word<!-- a comment -->, and on<br>a new line.</p><script>var x = 1;</script>"
        "<p hidden>hidden</p><p style='display: none'>gone</p><select><option>October</option></select>"
        "<ul><li>first item</li><li>second</li></ul><h2>A subhead</h2></body></html>")
    text, contexts = render_text(tree)
    assert text.split("\n") == ["Home | World", "One boldword, and on", "a new line.", "first item", "second",
                                 "A subhead"]
    link, nav_attr = DOM_CONTEXTS.index("link"), DOM_CONTEXTS.index("furniture_attr")
    assert 0.5 < contexts[0][link] < 1 and contexts[0][nav_attr] == 1.0  # "|" is not in a link
    assert contexts[1][DOM_CONTEXTS.index("paragraph")] == 1.0 and contexts[1][link] == 0.0
    assert contexts[3][DOM_CONTEXTS.index("list")] == 1.0
    assert contexts[5][DOM_CONTEXTS.index("heading")] == 1.0


def test_html_metadata_is_trafilaturas_and_a_failure_there_keeps_the_text(monkeypatch):
    import trafilatura

    from newsclean import extract as ex

    html = ("<html><head><title>Harbour vote | Herald</title><meta property='og:title' content='Council approves "
            "harbour plan'><meta property='article:published_time' content='2021-05-04T10:00:00Z'></head><body>"
            "<article>" + "<p>The council approved the harbour plan after a long debate, officials said on Monday, "
            "and residents will be consulted again in spring.</p>" * 4 + "</article></body></html>")
    text, _, title, date, _ = ex.html_to_text(html, "https://example.org/harbour", Config())
    whole = trafilatura.bare_extraction(html, url="https://example.org/harbour", with_metadata=True,
                                        include_comments=False, deduplicate=False, include_tables=True).as_dict()
    assert (text, title, date) == (whole["text"], whole["title"], whole["date"][:10])

    def broken(tree, url):
        raise ValueError("no date here")

    monkeypatch.setattr(ex, "title_date_url", broken)
    out = ex.html_to_text(html, "https://example.org/harbour", Config())
    assert (out[0], out[2], out[3]) == (text, None, None)


def test_the_lexicon_reads_a_caption_a_share_bar_and_a_prefix_whatever_their_case():
    from newsclean.lexicon import chrome_reason

    assert chrome_reason("PHOTO: Jane Roe / Reuters", 5) == "caption"
    assert chrome_reason("(AP Photo/John Doe)", 3) == "caption"
    assert chrome_reason("SHARE ON FACEBOOK", 3) == "share"
    assert chrome_reason("Read More: the council's next move", 6) == "related"
    assert chrome_reason("The council met on Tuesday to discuss the harbour.", 9) is None


def test_an_html_page_without_a_date_in_its_markup_is_dated_by_its_date_line():
    from newsclean.steps import process_page

    html = ("<html><body><h1>Council approves harbour plan</h1><p>Published 3 May 2021</p>"
            + "".join(f"<p>The council approved the harbour plan on day {i} after a long debate, officials said, "
                      "and residents will be consulted again in spring.</p>" for i in range(6)) + "</body></html>")
    cut = process_page(extract(Document("h", html, "html", {"path": "h.html"}), Config()), Config(), sign=False)
    assert [(s.title, s.date) for s in cut.stories] == [("Council approves harbour plan", "2021-05-03")]
    assert all(not t.startswith("Published") for s in cut.stories for t in s.text.split("\n\n"))


def test_caption_patterns_searched_three_ways_find_what_one_forward_search_finds():
    import regex

    from newsclean import lexicon

    one = regex.compile("|".join(lexicon._CAPTION_END + lexicon._CAPTION_START + lexicon._CAPTION_ANYWHERE),
                        lexicon._LEXICON_FLAGS)
    lines = ["Protesters gather outside parliament. (Photo by Jane Roe/Getty Images)",
             "Photo: Jane Roe", "The minister speaks in Lagos - Reuters", "Firefighters at the scene. AP Photo/John Doe",
             "A view of the harbour (AP/ Jane Roe)", "In this file photo taken on May 3, the bridge is shown from the east",
             "3 of 12 Firefighters tackle the blaze", "Image caption The crowd outside", "Credit: Getty",
             "She said the photo was taken in 2019 and posted to her account.", "Follow the money / the story",
             "Files from the court were released on Tuesday, the clerk said.", "video stills of the crash",
             "(Reuters) The central bank raised rates", "He paid for the photograph: a record price", ""]
    for line in lines:
        assert lexicon.caption_pattern(line) == (one.search(line) is not None), line
    assert sum(map(lexicon.caption_pattern, lines)) >= 8
