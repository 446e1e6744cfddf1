#!/usr/bin/env python3
"""Generate a larger scraped corpus (JSONL) for benchmarks.

Bodies come from real stories: the gold bodies of ../shared/eval when it is there, else
the seed pages. Each generated page wraps a body in a site template (navigation, share
bar, byline, captions, a sidebar of other headlines with teasers, a footer), and a share
of them are syndicated copies (exact, truncated, lightly edited), pages with a block
printed twice, or pages with another story appended.

    python benchmarks/generate.py --docs 100000 -o /tmp/corpus.jsonl
"""
from __future__ import annotations

import argparse
import json
import random
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"

NAV = ["Home", "World", "Politics", "Business", "Tech", "Science", "Health", "Sport", "Opinion", "Video",
       "Culture", "Travel", "Weather", "Markets", "Local", "Podcasts", "Newsletters", "Search", "Menu"]
SHARE = ["Share", "Tweet", "Email", "Print", "Share this article", "Follow us", "Copy link", "WhatsApp"]
FOOT = ["About us", "Contact", "Careers", "Advertise", "Privacy Policy", "Terms of Service", "Cookie settings"]
WORDS = ("council minister market storm court election company police team study city river school "
         "budget vote report talks deal plan fire bridge train health energy water").split()


def load_bodies(limit: int | None = None) -> list[str]:
    gold = SHARED / "eval" / "pages.gold.jsonl"
    bodies = []
    if gold.is_file():
        with open(gold, encoding="utf-8") as f:
            for line in f:
                g = json.loads(line)
                if g["kind"] == "natural":
                    bodies.append(g["stories"][0])
    else:
        for p in sorted((ROOT / "seeds").glob("*.txt")):
            paras = [x.strip() for x in p.read_text(encoding="utf-8").split("\n") if len(x.strip()) > 80]
            bodies.append("\n\n".join(paras))
    return bodies[:limit] if limit else bodies


def headline(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(5, 10))).capitalize()


def site_template(rng: random.Random, k: int) -> dict:
    return {
        "host": f"news{k}.example",
        "nav": rng.sample(NAV, rng.randint(6, 14)),
        "share": rng.sample(SHARE, rng.randint(2, 5)),
        "foot": rng.sample(FOOT, rng.randint(3, 6)) + [f"© 2024 News {k} Media. All rights reserved."],
        "promo": f"Sign up for the News {k} daily briefing and get the top stories in your inbox.",
    }


def render(rng: random.Random, site: dict, title: str, body: str, appended: str | None = None) -> str:
    paras = [p for p in re.split(r"\n+", body) if p.strip()]
    lines = list(site["nav"]) + [title, f"By Staff Reporter | Updated {rng.randint(1, 28)} May 2024"]
    lines += site["share"]
    lines.append(f"{headline(rng)}. (Photo: Reuters/File)")
    lines += paras
    if appended:
        lines += ["", headline(rng), f"Published {rng.randint(1, 28)} June 2024"]
        lines += [p for p in re.split(r"\n+", appended) if p.strip()]
    lines.append("Most popular")
    for _ in range(rng.randint(3, 6)):
        lines += [headline(rng), f"{rng.randint(1, 28)} May 2024",
                  " ".join(rng.choice(WORDS) for _ in range(18)).capitalize() + "..."]
    lines += [site["promo"]] + site["foot"]
    return "\n".join(lines)


def edit(rng: random.Random, body: str) -> str:
    words = body.split(" ")
    for _ in range(max(1, len(words) // 60)):
        words[rng.randrange(len(words))] = rng.choice(WORDS)
    return " ".join(words)


def new_story(rng: random.Random, paragraphs: list[str]) -> str:
    """An unseen story: paragraphs drawn from many real bodies (a corpus of n documents
    needs far more stories than the evaluation set holds)."""
    return "\n\n".join(rng.sample(paragraphs, k=min(len(paragraphs), rng.randint(6, 14))))


RECENT = 100_000


def generate(n_docs: int, seed: int = 7, syndicated: float = 0.3):
    """Scraped pages: each either a new story or (with probability ``syndicated``) a copy
    of one published before — exact, truncated or lightly edited — on another site."""
    rng = random.Random(seed)
    paragraphs = [p for b in load_bodies() for p in re.split(r"\n+", b) if len(p) > 80]
    sites = [site_template(rng, k) for k in range(max(20, n_docs // 200))]
    published: list[str] = []
    for i in range(n_docs):
        site = rng.choice(sites)
        if published and rng.random() < syndicated:
            # (copies come from the last RECENT stories: a million-page corpus is generated
            # in bounded memory, and a smaller one as before)
            b = rng.randrange(max(0, len(published) - RECENT), len(published))
            body = published[b]
        else:
            body = new_story(rng, paragraphs)
            b = len(published)
            published.append(body)
            if len(published) > RECENT:
                published[len(published) - RECENT - 1] = ""
        kind = rng.random()
        if kind < 0.15:
            body = body[: int(len(body) * rng.uniform(0.6, 0.9))]
        elif kind < 0.25:
            body = edit(rng, body)
        appended = new_story(rng, paragraphs) if rng.random() < 0.1 else None
        if rng.random() < 0.1:
            paras = body.split("\n\n")
            k = len(paras) // 2
            body = "\n\n".join(paras + paras[k:k + 3])
        text = render(rng, site, f"Story {b}: {headline(rng)}", body, appended)
        yield {"id": f"g{i:07d}", "url": f"https://{site['host']}/story/{i}", "text": text}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=int, default=10000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("-o", "--output", required=True)
    a = ap.parse_args()
    with open(a.output, "w", encoding="utf-8") as f:
        for rec in generate(a.docs, a.seed):
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
