#!/usr/bin/env python3
"""What a user would otherwise assemble: C4's line rules, then datasketch MinHash LSH.

Reads a JSONL corpus (field "text"), keeps the lines C4 keeps, drops a document whose
MinHash (128 permutations, word 5-grams, threshold 0.8) matches one seen before, and
writes the rest as JSONL — end to end, as a script, so that it can be timed exactly like
``newsclean clean`` (bench_pipeline.py does).

    python benchmarks/baseline_c4_lsh.py corpus.jsonl out.jsonl
"""
from __future__ import annotations

import gzip
import json
import sys


def c4_lines(text: str) -> str:
    """C4's line rules: keep lines ending in terminal punctuation, of 3+ words, without
    'javascript', 'lorem ipsum', curly braces or policy boilerplate."""
    keep = []
    for line in text.split("\n"):
        s = line.strip()
        low = s.lower()
        if (len(s.split()) >= 3 and s[-1:] in '.!?"”' and "javascript" not in low and "lorem ipsum" not in low
                and "{" not in s and "cookie policy" not in low and "terms of use" not in low):
            keep.append(s)
    return "\n".join(keep)


def shingles(text: str, n: int = 5) -> list[bytes]:
    w = text.lower().split()
    return [" ".join(w[i:i + n]).encode() for i in range(max(1, len(w) - n + 1))]


def main(src: str, dst: str) -> int:
    from datasketch import MinHash, MinHashLSH

    lsh = MinHashLSH(threshold=0.8, num_perm=128)
    kept = dups = 0
    opener = gzip.open if src.endswith(".gz") else open
    with opener(src, "rt", encoding="utf-8") as fin, open(dst, "w", encoding="utf-8") as fout:
        for i, line in enumerate(fin):
            doc = json.loads(line)
            body = c4_lines(doc.get("text", ""))
            m = MinHash(num_perm=128, scheme="affine32")
            m.update_batch(shingles(body))
            if lsh.query(m):
                dups += 1
                continue
            lsh.insert(i, m, check_duplication=False)
            fout.write(json.dumps({"id": doc.get("id", i), "text": body}) + "\n")
            kept += 1
    print(f"kept {kept}, duplicates {dups}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
