from newsclean import Config, Pipeline
from newsclean.extract import split_blocks
from newsclean.read import read_inputs
from newsclean.templates import TemplateCounter, line_hash


def observe(counter, site, text):
    counter.observe(site, {line_hash(b.text) for b in split_blocks(text)})


PROSE = "The committee said the new rules would take effect next spring, after a public consultation."


def test_recurring_short_lines_are_template_and_prose_needs_a_majority():
    c = TemplateCounter(min_docs=3, min_share=0.5)
    for i in range(10):
        observe(c, "a.example", f"Menu\nStory number {i} body text here.\n" + (PROSE if i < 3 else "other"))
    blocks = split_blocks(f"Menu\nStory number 4 body text here.\n{PROSE}")
    assert c.template_blocks("a.example", blocks) == frozenset({0})  # prose in 3 of 10: not template
    assert c.template_blocks("b.example", blocks) == frozenset()  # other sites never mix
    assert c.template_blocks(None, blocks) == frozenset()


def test_a_line_seen_twice_is_not_template():
    c = TemplateCounter(min_docs=3)
    observe(c, "s", "Footer line\nA")
    observe(c, "s", "Footer line\nB")
    assert c.template_blocks("s", split_blocks("Footer line")) == frozenset()


def test_lossy_counting_keeps_recurring_lines_under_the_cap():
    c = TemplateCounter(min_docs=3, cap=50)
    for i in range(200):
        observe(c, "s", f"Site footer\nunique line {i}")
    assert len(c.lines["s"]) <= 51  # (the lines waiting to be merged included)
    assert c.template_blocks("s", split_blocks("Site footer")) == frozenset({0})


def test_pipeline_removes_a_sites_chrome_with_reason_template(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    for i in range(4):
        (site / f"p{i}.txt").write_text(
            f"Weekly Gazette Online Edition\nOur Town Crier Daily\nStory {i} about the harbour vote\n"
            + " ".join([f"Paragraph {i}: the council met on Tuesday and discussed the harbour plan at length."] * 3)
            + "\nGazette tip line: call us any time\n")
    pipe = Pipeline(Config(), jobs=1)
    recs = [r for k, r in pipe.run(read_inputs([str(site)], Config())) if k == "clean"]
    assert len(recs) == 4
    for r in recs:
        reasons = {x["reason"] for x in r["removed"]}
        assert "template" in reasons
        assert "Gazette" not in r["text"]


BODY = ("The harbour board voted on Tuesday to close the old ferry pier for repairs next spring.\n"
        "Engineers found that the pilings had rotted far faster than the survey of 2019 expected.\n"
        "Ferries will dock at the container terminal while the work goes on, the board said.\n")


def _page(i, body=BODY):
    return f"Home\nNews\nSport\nHarbour Times\n{body}Share this\nContact us\nCopyright Harbour Times\n"


def _outcomes(pipe, docs):
    return [(k, r.get("doc_id"), r.get("reason")) for k, r in pipe.run(docs)]


def test_a_page_crawled_three_times_keeps_its_body(tmp_path):
    p = tmp_path / "crawl.jsonl"
    others = [{"id": f"o{i}", "url": f"https://harbour.example/o{i}",
               "text": _page(i, f"Story {i}: the council met and argued about parking in the old town centre again.\n")}
              for i in range(3)]
    recrawls = [{"id": f"r{i}", "url": "https://harbour.example/pier", "text": _page(0)} for i in range(3)]
    import json
    p.write_text("".join(json.dumps(r) + "\n" for r in others + recrawls))
    pipe = Pipeline(Config(), jobs=1)
    out = _outcomes(pipe, read_inputs([str(p)], Config()))
    assert [k for k, *_ in out if _[0].startswith("r")] == ["clean", "duplicate", "duplicate"]
    assert not [o for o in out if o[0] == "reject"]
    assert pipe.report()["templates"] == {"sites": 1, "pages": 4, "copies_not_counted": 2}


def test_three_copies_in_a_folder_keep_their_body(tmp_path):
    for i in range(3):
        (tmp_path / f"copy{i}.txt").write_text(_page(0))
    recs = [(k, r) for k, r in Pipeline(Config(), jobs=1).run(read_inputs([str(tmp_path)], Config()))]
    assert [k for k, _ in recs] == ["clean", "duplicate", "duplicate"]
    assert "pilings had rotted" in recs[0][1]["text"]


def test_copies_count_once():
    c = TemplateCounter(min_docs=3)
    hashes = [line_hash(b.text) for b in split_blocks(_page(0))]
    from newsclean.templates import page_keys
    assert c.observe("s", set(hashes), page_keys("https://s/x", hashes))
    assert not c.observe("s", set(hashes), page_keys("https://s/y", hashes))  # same text, other URL
    other = [line_hash(b.text) for b in split_blocks(_page(1, "Other text.\n"))]
    assert not c.observe("s", set(other), page_keys("https://s/x", other))  # same URL, other text
    assert c.docs["s"] == 1 and c.copies == 2


def test_no_template_takes_a_pages_body():
    # The same story under three URLs, each copy with a different teaser: every body line
    # recurs on three pages of the site, but it is the page's own story, not chrome.
    c = TemplateCounter(min_docs=3, min_share=0.5)
    for i in range(3):
        observe(c, "s", _page(0) + f"Teaser {i}\n")
    blocks = split_blocks(_page(0))
    got = c.template_blocks("s", blocks)
    assert {blocks[i].text for i in got} == {"Home", "News", "Sport", "Harbour Times", "Share this",
                                             "Contact us", "Copyright Harbour Times"}
