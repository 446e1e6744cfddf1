"""report.html: written beside report.json as part of the set, and a page a browser
renders — opened in a real headless Chromium, its screenshot must show the plots."""
import json
import os
import shutil
import subprocess
import sys

import pytest
from click.testing import CliRunner

from newsclean.cli import main
from newsclean.report import render_html

from .conftest import SEEDS


def browser() -> str:
    found = next((shutil.which(b) for b in ("chromium", "chromium-browser", "google-chrome") if shutil.which(b)), None)
    if found is None:
        if os.environ.get("NEWSCLEAN_CI"):  # CI installs it: there a missing browser is a failure, not a skip
            pytest.fail("chromium is not installed (.ci/run installs it with apt-get)")
        pytest.skip("chromium is not installed (apt-get install -y chromium); .ci/run installs it")
    return found


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    sys.path.insert(0, str(SEEDS.parent / "benchmarks"))
    from generate import generate

    tmp = tmp_path_factory.mktemp("report")
    corpus = tmp / "corpus.jsonl"
    corpus.write_text("".join(json.dumps(d) + "\n" for d in generate(150, seed=11)))
    out = tmp / "out"
    res = CliRunner().invoke(main, ["clean", str(corpus), str(SEEDS), "-o", str(out), "-q"])
    assert res.exit_code == 0, res.output
    return out


def test_report_html_is_part_of_the_set_and_says_what_the_json_says(run_dir):
    page = (run_dir / "report.html").read_text()
    report = json.loads((run_dir / "report.json").read_text())
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert "report.html" in manifest["files"]
    assert page.count("<svg") == 3  # reasons, sites, cluster sizes
    for reason in report["removed"]:
        assert f">{reason}<" in page
    assert f"<b>{report['counts']['duplicates']:,}</b>duplicates" in page
    assert report["sites"]["most_removed"] and report["sites"]["most_removed"][0]["site"] in page
    assert page.count('class="example"') == 3 and "<del>" in page


def test_removed_lines_of_an_example_are_marked_with_their_reason():
    report = {"counts": dict.fromkeys(("documents", "stories", "clean", "duplicates", "rejects"), 1)}
    ex = {"doc_id": "p1", "path": "in/p1.txt", "stories": 1,
          "lines": [{"text": "Share <this>", "reason": "share", "story": None},
                    {"text": "The body.", "reason": None, "story": 0}]}
    page = render_html(report, [ex])
    assert '<td class="why">share</td><td><del>Share &lt;this&gt;</del></td>' in page
    assert '<tr class="kept"><td class="why"></td><td>The body.</td></tr>' in page


def test_report_renders_in_headless_chromium(run_dir, tmp_path):
    import numpy as np
    from PIL import Image

    shot = tmp_path / "shot.png"
    cmd = [browser(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--window-size=1200,2400",
           f"--screenshot={shot}", (run_dir / "report.html").as_uri()]
    subprocess.run(cmd, check=True, timeout=180, capture_output=True)
    img = Image.open(shot).convert("RGB")
    assert img.size == (1200, 2400)
    px = np.asarray(img).reshape(-1, 3).astype(int)
    inked = float((px != 255).any(axis=1).mean())
    assert inked > 0.03, f"the page is blank ({inked:.1%} of pixels not white)"
    bars = {"reasons": (0xC0, 0x50, 0x4D), "sites": (0x4F, 0x81, 0xBD), "clusters": (0x9B, 0xBB, 0x59)}
    for name, color in bars.items():  # each plot drew its bars
        near = (np.abs(px - np.array(color)) <= 30).all(axis=1).sum()
        assert near > 500, f"no {name} bars in the screenshot"


def test_only_the_pages_the_report_may_show_carry_their_text_back_from_a_step():
    from newsclean import Config, DedupConfig
    from newsclean.extract import to_page
    from newsclean.records import Extracted
    from newsclean.report import EXAMPLES
    from newsclean.steps import Cut, process_pages

    sys.path.insert(0, str(SEEDS.parent / "benchmarks"))
    from generate import generate

    docs = generate(12, seed=5)
    pages = [to_page(Extracted(d["id"], d["text"], {"path": "t"}, d.get("url"))) for d in docs]
    cuts = [c for c in process_pages(pages, Config(templates=False, dedup=DedupConfig(enabled=False)))
            if isinstance(c, Cut)]
    removed = [c for c in cuts if c.orphans or any(s.removed for s in c.stories)]
    assert len(removed) > EXAMPLES
    assert [c.page_id for c in cuts if c.text] == [c.page_id for c in removed[:EXAMPLES]]
    assert all(c.chars == len(d["text"]) for c, d in zip(cuts, docs))
