"""report.html: a run's report.json as a page to look at — counts, why lines were removed,
which sites lost most, how big duplicate clusters are, and a few pages with their removed
lines marked. Plots are matplotlib rendered to inline SVG: one static file, no server,
nothing fetched."""
from __future__ import annotations

import html
import io

EXAMPLES = 3  # pages shown with their removed lines marked (the run's first with removals)
SITES_SHOWN = 15  # sites in the "most removed" plot and table


def _svg(fig) -> str:
    import matplotlib

    buf = io.StringIO()
    # Text as text (not glyph outlines): a third of the size, and the page can be searched.
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "newsclean"}):
        fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})
    text = buf.getvalue()
    return text[text.index("<svg"):]  # inline: without the XML prologue


def _plot(size: tuple[float, float], title: str, xlabel: str, ylabel: str, draw) -> str:
    """One matplotlib figure, drawn by ``draw(ax)``, titled and labelled, as inline SVG."""
    import matplotlib

    matplotlib.use("Agg")  # no display: a file
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=size)
    try:
        draw(ax)
        ax.set_title(title, fontsize=11, loc="left")
        ax.set_xlabel(xlabel, fontsize=9)
        ax.set_ylabel(ylabel, fontsize=9)
        ax.spines[["top", "right"]].set_visible(False)
        return _svg(fig)
    finally:
        plt.close(fig)


def _nothing(ax, what: str) -> None:
    ax.text(0.5, 0.5, what, ha="center", va="center", transform=ax.transAxes)
    ax.set_yticks([])


def _barh(labels: list[str], values: list[float], title: str, xlabel: str, color: str) -> str:
    def draw(ax):
        if not labels:
            return _nothing(ax, "nothing to show")
        ax.barh(range(len(labels)), values, color=color)
        ax.set_yticks(range(len(labels)), labels=labels, fontsize=9)
        ax.invert_yaxis()
    return _plot((7.5, 0.32 * max(len(labels), 3) + 0.9), title, xlabel, "", draw)


def _bars(labels: list[str], values: list[int], title: str, xlabel: str, ylabel: str, color: str) -> str:
    def draw(ax):
        if not labels:
            return _nothing(ax, "no stories")
        ax.bar(range(len(labels)), values, color=color)
        ax.set_xticks(range(len(labels)), labels=labels, fontsize=9)
        ax.set_yscale("log")
    return _plot((7.5, 3.2), title, xlabel, ylabel, draw)


def _example(ex: dict) -> str:
    rows = []
    for line in ex["lines"]:
        text = html.escape(line["text"])
        if line["reason"] is None:
            story = f"s{line['story']}" if ex["stories"] > 1 else ""
            rows.append(f'<tr class="kept"><td class="why">{story}</td><td>{text}</td></tr>')
        else:
            rows.append(f'<tr class="removed"><td class="why">{html.escape(line["reason"])}</td>'
                        f"<td><del>{text}</del></td></tr>")
    return (f'<section class="example"><h3>{html.escape(ex["doc_id"])} <small>{html.escape(ex["path"])}</small>'
            f'</h3><table class="page">{"".join(rows)}</table></section>')


STYLE = """
body{font:15px/1.45 system-ui,sans-serif;margin:2em auto;max-width:60em;color:#222;padding:0 1em}
h1{font-size:1.6em;margin-bottom:.2em} h2{margin-top:1.6em;border-bottom:1px solid #ddd}
.counts{display:flex;gap:1em;flex-wrap:wrap}
.counts div{background:#f3f6fa;border-radius:6px;padding:.6em 1em;min-width:7em}
.counts b{display:block;font-size:1.5em}
table{border-collapse:collapse} td,th{padding:.2em .6em;text-align:left;vertical-align:top}
table.sites td:nth-child(n+2){text-align:right}
.page{font-size:13px;width:100%} .page td.why{color:#999;white-space:nowrap;width:9em}
.page tr.removed td{color:#b22} .page tr.kept td:last-child{color:#164}
del{text-decoration-color:#e99} small{color:#888;font-weight:normal}
"""


def render_html(report: dict, examples: list[dict]) -> str:
    """The page for one run's report (as written to report.json) and its example pages."""
    c = report["counts"]
    removed = sorted(report.get("removed", {}).items(), key=lambda kv: (-kv[1], kv[0]))
    sites = report.get("sites", {}).get("most_removed", [])
    clusters = sorted(((int(k), v) for k, v in report.get("dedup", {}).get("cluster_sizes", {}).items()))
    counts = "".join(f"<div><b>{v:,}</b>{k}</div>" for k, v in
                     (("documents", c["documents"]), ("stories", c["stories"]), ("clean", c["clean"]),
                      ("duplicates", c["duplicates"]), ("rejects", c["rejects"])))
    rejects = "".join(f"<tr><td>{html.escape(k)}</td><td>{v:,}</td></tr>" for k, v in report.get("rejects", {}).items())
    site_rows = "".join(f"<tr><td>{html.escape(s['site'])}</td><td>{s['pages']:,}</td><td>{s['chars']:,}</td>"
                        f"<td>{s['removed_share']:.1%}</td></tr>" for s in sites)
    parts = [
        "<!doctype html><html lang=en><head><meta charset=utf-8>",
        f"<title>newsclean run report</title><style>{STYLE}</style></head><body>",
        f"<h1>newsclean run report</h1><p>newsclean {html.escape(str(report.get('newsclean')))} · config "
        f"{html.escape(str(report.get('config_hash')))} · {report.get('seconds', {}).get('total', 0):.1f} s · "
        f"executor {html.escape(str(report.get('executor', 'local')))}</p>",
        f'<h2>Counts</h2><div class="counts">{counts}</div>',
        "<h2>Why lines were removed</h2>",
        _barh([k for k, _ in removed], [v for _, v in removed], "removed lines by reason", "lines", "#c0504d"),
        "<h2>Sites that lost most</h2>",
        _barh([s["site"] for s in sites], [s["removed_share"] for s in sites],
              "share of each site's characters removed", "share removed", "#4f81bd"),
        f'<table class="sites"><tr><th>site</th><th>pages</th><th>characters</th><th>removed</th></tr>{site_rows}'
        "</table>",
        "<h2>Duplicate clusters</h2>",
        _bars([str(k) for k, _ in clusters], [v for _, v in clusters], "clusters by size (a size-1 cluster is a "
              "story with no copy)", "stories in the cluster", "clusters", "#9bbb59"),
        f"<h2>Rejects</h2><table>{rejects or '<tr><td>none</td></tr>'}</table>",
        "<h2>Pages, with what was removed</h2>",
        "".join(_example(ex) for ex in examples) or "<p>no page had lines removed</p>",
        "</body></html>",
    ]
    return "\n".join(parts)
