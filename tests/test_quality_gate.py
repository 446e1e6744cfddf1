"""Floors on the shared evaluation sets (skipped where ../shared is absent): they fail
when a change makes the cleaner worse on real pages from sites the rules never saw."""
import subprocess
import sys


from .conftest import ROOT

NATURAL_F1_FLOOR = 0.93  # issue: text-only cleaning of naive scrapes
HTML_F1_FLOOR = 0.96  # trafilatura alone scores 0.948 (defaults) to 0.965 (favor_precision)


def score(shared, tmp_path, name, *extra):
    out = tmp_path / name
    res = subprocess.run([sys.executable, "-m", "newsclean.cli", "clean", str(shared / "eval" / f"{name}.jsonl"),
                          "-o", str(out), "-q", *extra], cwd=ROOT, capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    res = subprocess.run([sys.executable, str(shared / "tools" / "score_pages.py"),
                          str(shared / "eval" / f"{name}.gold.jsonl"), str(out), "--json"],
                         capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    import json

    return json.loads(res.stdout.splitlines()[0])


def test_text_pages_floor(shared, tmp_path):
    figures = score(shared, tmp_path, "pages")
    assert figures["lost"] == 0
    assert figures["natural_f1"] >= NATURAL_F1_FLOOR, figures


def test_html_pages_floor(shared, tmp_path):
    figures = score(shared, tmp_path, "html", "--html-field", "html", "--no-dedup")
    assert figures["lost"] == 0
    assert figures["natural_f1"] >= HTML_F1_FLOOR, figures
