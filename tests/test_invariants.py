"""Properties every output must hold, whatever the page: spans account for the source."""
from hypothesis import given, settings
from hypothesis import strategies as st

from newsclean import Config, clean_text
from newsclean.extract import extract
from newsclean.pipeline import process_page
from newsclean.records import Document, normalize_ws

WORDS = ["the", "minister", "said", "on", "Monday", "Share", "Follow", "Updated 01 July 2020",
         "COMMENTS", "Photo: Reuters", "talks", "peace", "Read more", "ISLAMABAD:", "“quoted”",
         "—", "2020", "Skip to main content", "a", "of", "and", "É"]
line = st.lists(st.sampled_from(WORDS), min_size=0, max_size=40).map(" ".join)
spacing = st.sampled_from(["\n", "\n\n", "\r\n", "\n \t\n", "\u00a0\n", "\n\u2003"])
page = st.lists(st.tuples(line, spacing), min_size=1, max_size=60).map(
    lambda parts: "".join(a + b for a, b in parts))


def coverage(text, config):
    """How often each character is covered by a kept or removed span of any story, or of
    the page's reject when no story is left."""
    cut = process_page(extract(Document("d", text, "text", {"path": "p"}), config), config)
    seen = [0] * len(text)
    for r in cut.stories:
        for s, e in r.spans:
            for i in range(s, e):
                seen[i] += 1
    for rm in [x for r in cut.stories for x in r.removed] + cut.orphans:
            for i in range(rm["start"], rm["end"]):
                seen[i] += 1
    return seen


@settings(max_examples=150, deadline=None)
@given(page, st.sampled_from(["split", "drop", "keep"]))
def test_spans_cover_every_non_blank_char_exactly_once(text, appended):
    seen = coverage(text, Config(appended=appended))
    for i, ch in enumerate(text):
        if not ch.isspace():
            assert seen[i] == 1, (i, ch)
        else:
            assert seen[i] <= 1


@settings(max_examples=150, deadline=None)
@given(page)
def test_kept_spans_are_the_text_paragraphs(text):
    for r in clean_text(text):
        paras = r["text"].split("\n\n")
        assert paras == [normalize_ws(text[s:e]) for s, e in r["spans"]]
        assert all(p for p in paras)


@settings(max_examples=60, deadline=None)
@given(page)
def test_clean_text_is_deterministic(text):
    assert clean_text(text) == clean_text(text)


def test_removed_reasons_come_from_the_vocabulary():
    from newsclean import REASONS

    text = "Skip to main content\n\nHeadline here\n\nShare this post\n\n" + "Body sentence goes on. " * 20
    for r in clean_text(text):
        for rm in r["removed"]:
            assert rm["reason"] in REASONS


@given(st.text())
@settings(max_examples=500)
def test_whitespace_normalisation_is_split_and_join(text):
    # normalize_ws takes a shortcut for lines already normalised; it must never differ.
    assert normalize_ws(text) == " ".join(text.split())
