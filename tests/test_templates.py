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
    assert len(c.lines["s"]) <= 51
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
