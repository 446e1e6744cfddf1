import numpy as np
from datasketch import MinHash

from newsclean import DedupConfig
from newsclean.dedup import Deduper, estimate, Entry, exact_key, shingle_hashes, signature, band_keys

CFG = DedupConfig()
STORY = ("The regional water board approved a plan on Monday to rebuild the old reservoir dam, which engineers "
         "say has been leaking for more than a decade. The work will take three years and cost about 40 million "
         "euros, the board said in a statement. Farmers downstream welcomed the decision but asked for a say in "
         "how water will be released during the construction. The dam was built in 1958 and last repaired in 1990. "
         "Environmental groups said they would study the plan before deciding whether to challenge it in court.")
OTHER = ("A new ferry line will connect the two islands from next spring, the transport ministry said, cutting "
         "the crossing time to forty minutes and replacing the ageing boats that have served the route since the "
         "1980s. Tickets will cost the same as today, and residents will get a discount card for daily trips.")


def test_vectorised_signature_equals_datasketch():
    h = shingle_hashes(STORY, 5)
    ours = signature(h, CFG)
    ref = MinHash(num_perm=CFG.num_perm, seed=CFG.seed, scheme="affine32", hashfunc=lambda x: x)
    ref.update_batch(h.tolist())
    assert ours.dtype == ref.hashvalues.dtype
    assert np.array_equal(ours, ref.hashvalues)


def test_shingles_ignore_case_and_punctuation():
    assert np.array_equal(shingle_hashes("The Dam, rebuilt!", 2), shingle_hashes("the dam rebuilt", 2))
    assert exact_key("The Dam, rebuilt!") == exact_key("the   dam rebuilt")


def test_band_keys_are_deterministic_and_per_band():
    sig = signature(shingle_hashes(STORY, 5), CFG)
    keys = band_keys(sig, CFG)
    assert len(keys) == CFG.bands and keys == band_keys(sig.copy(), CFG)
    assert len(set(keys)) == CFG.bands


def entry(key, text, seq):
    h = shingle_hashes(text, CFG.shingle)
    return key, text, None, signature(h, CFG), int(h.size)


def test_containment_of_a_truncated_copy():
    full, cut = entry("f", STORY, 0), entry("c", STORY[: int(len(STORY) * 0.65)], 1)
    ef = Entry("f", 0, full[3], full[4], len(STORY), None, 0)
    ec = Entry("c", 1, cut[3], cut[4], len(cut[1]), None, 1)
    j, contain = estimate(ef, ec)
    assert j < 0.8 and contain >= 0.9


def test_truncated_copy_points_to_the_full_story_whatever_the_order():
    d = Deduper(CFG)
    d.add(*entry("cut#0", STORY[: int(len(STORY) * 0.7)], 0))
    d.add(*entry("other#0", OTHER, 1))
    d.add(*entry("full#0", STORY, 2))
    d.add(*entry("edited#0", STORY.replace("Monday", "Sunday").replace("1958", "1957"), 3))  # same length: first seen wins
    out = d.resolve()
    assert out["cut#0"][0] == "full#0" and out["edited#0"][0] == "full#0"
    assert "full#0" not in out and "other#0" not in out
    assert 0.5 <= out["cut#0"][1] <= 1.0
    assert d.histogram == {3: 1, 1: 1}


def test_shared_boilerplate_alone_does_not_join_stories():
    tail = " Sign up for our newsletter to get the day's top stories delivered to your inbox every morning."
    d = Deduper(CFG)
    d.add(*entry("a#0", STORY + tail, 0))
    d.add(*entry("b#0", OTHER + tail, 1))
    assert d.resolve() == {}


def test_exact_copy_and_representative_rules():
    d = Deduper(CFG)
    d.add("x#0", STORY, "2020-01-02", *entry("", STORY, 0)[3:])
    d.add("y#0", STORY, "2020-01-01", *entry("", STORY, 0)[3:])
    # same length: the earlier date wins
    assert d.resolve() == {"x#0": ("y#0", 1.0)}
    assert d.stats()["matched"] == {"exact": 1}


def test_batched_sketches_equal_one_by_one_and_datasketch():
    from newsclean.dedup import sketch_many

    texts = [STORY, OTHER, "", "two words", STORY[:300], "“Curly” quotes — and dashes… naïve café"]
    for text, (sig, size, exact) in zip(texts, sketch_many(texts, CFG)):
        h = shingle_hashes(text, CFG.shingle)
        assert np.array_equal(sig, signature(h, CFG)) and size == h.size and exact == exact_key(text)
        if h.size:
            ref = MinHash(num_perm=CFG.num_perm, seed=CFG.seed, scheme="affine32", hashfunc=lambda x: x)
            ref.update_batch(h.tolist())
            assert np.array_equal(sig, ref.hashvalues)


def test_typographic_punctuation_does_not_make_words():
    from newsclean.dedup import words

    assert words("“Quoted” — text… naïve\u00a0café «x»") == ["quoted", "text", "naïve", "café", "x"]


def test_chinese_and_japanese_are_shingled_by_character():
    from newsclean.dedup import sketch_many, words

    assert words("Kindle書籍を読む、Kindle for PC。한국어 문장") == [
        "kindle", "書", "籍", "を", "読", "む", "kindle", "for", "pc", "한국어", "문장"]
    # A copy with one sentence changed is still a near-duplicate: a paragraph is not one
    # "word" whose every edit makes all its shingles new.
    base = ["先日、不正に改造したスマホを販売したとして男性が逮捕されました。", "報道によると、販売されたのは機能制限を解除した端末です。",
            "もちろん、メーカーはこの改造を認めていません。", "ではなぜ、改造した端末を販売すると商標権の侵害になるのでしょうか。"]
    edited = base[:2] + ["もちろん、メーカーはこうした改造を一切認めていません。"] + base[3:]
    (sa, na, _), (sb, nb, _) = sketch_many(["\n\n".join(base), "\n\n".join(edited)], CFG)
    j, _ = estimate(Entry("a", 0, sa, na, 0, None, 0), Entry("b", 1, sb, nb, 0, None, 1))
    assert j >= CFG.jaccard


PARAS = [f"Paragraph {k} of the reservoir story: the water board said on Monday that the dam, built in 19{50 + k}, "
         f"will be rebuilt over {k + 2} years, and that farmers downstream will be heard on releases." for k in range(8)]
CHROME = [f"Menu item {k}: Sports, Weather, Traffic, Opinion, Local, Business and the rest of the site's sections"
          for k in range(12)]


def story_entry(key, paras):
    text = "\n\n".join(paras)
    h = shingle_hashes(text, CFG.shingle)
    return key, text, None, signature(h, CFG), int(h.size)


def test_a_truncated_copy_inside_other_chrome_is_found_by_its_paragraphs():
    d = Deduper(CFG)
    d.add(*story_entry("full#0", PARAS))
    # the story's first paragraphs, among lines the other copy's cleaner let through
    copy = CHROME[:2] + PARAS[:5] + CHROME[2:4]
    e = d.entries[0]
    d.add(*story_entry("copy#0", copy))
    j, contain = estimate(e, d.entries[1])
    assert j < CFG.jaccard and contain < CFG.containment  # MinHash alone would not join them
    assert d.resolve()["copy#0"][0] == "full#0" and d.kinds["paragraphs"] == 1


def test_a_borrowed_paragraph_or_paragraphs_out_of_order_do_not_make_a_copy():
    d = Deduper(CFG)
    d.add(*story_entry("full#0", PARAS))
    d.add(*story_entry("borrower#0", CHROME[:5] + [PARAS[3]]))  # one wire paragraph: no copy
    d.add(*story_entry("shuffled#0", [PARAS[6], PARAS[1], PARAS[4]] + CHROME[5:8]))
    assert d.resolve() == {}


def test_two_short_posts_that_kept_the_same_cookie_notice_are_not_one_story():
    notice = ["Privacy and cookies: this site uses cookies. By continuing to use this website, you agree to their use.",
              "To find out more, including how to control cookies, see here: our cookie policy and the imprint page."]
    d = Deduper(CFG)
    d.add(*story_entry("a#0", ["Who slips next on the ice? I bet it is you, said M, and then slipped himself."] + notice))
    d.add(*story_entry("b#0", ["I know I am drunk and should not say this, he said. Then do not say it."] + notice))
    assert d.resolve() == {}


def _corpus_stories(n=400, seed=21):
    import sys

    from newsclean import Config
    from newsclean.dedup import sketch_many
    from newsclean.extract import extract
    from newsclean.records import Document
    from newsclean.steps import process_page
    from tests.conftest import ROOT
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from generate import generate

    cfg = Config(templates=False)
    out = []
    for d in generate(n, seed=seed):
        cut = process_page(extract(Document(d["id"], d["text"], "text", {"path": "g"}, url=d["url"]), cfg), cfg,
                           sign=False)
        out += [(s.id, s.text, s.date) for s in cut.stories if s.text]
    sigs = sketch_many([t for _, t, _ in out], cfg.dedup)
    return [(k, t, d, *sig) for (k, t, d), sig in zip(out, sigs)], cfg.dedup


def test_staged_dedup_makes_the_clusters_the_one_pass_makes(tmp_path):
    """Without an index, dedup runs as stages (buckets → verified pairs by ranges →
    components); with one (here empty), in one pass. Same clusters, same decisions."""
    from newsclean.index import open_index

    stories, cfg = _corpus_stories()
    staged = Deduper(cfg)
    index = open_index(str(tmp_path / "i.sqlite"), cfg)
    one_pass = Deduper(cfg, index)
    for key, text, date, sig, size, exact in stories:
        staged.add(key, text, date, sig, size, exact)
        one_pass.add(key, text, date, sig, size, exact)
    a, b = staged.resolve(), one_pass.resolve()
    index.close()
    assert a and a == b
    assert staged.stats() == one_pass.stats()


def test_staged_verification_by_ranges_is_the_same_at_any_chunk_size(monkeypatch):
    import newsclean.dedup as dd

    stories, cfg = _corpus_stories(300, seed=4)
    results = []
    for chunk in (7, 100000):
        monkeypatch.setattr(dd, "VERIFY_CHUNK", chunk)
        d = Deduper(cfg)
        for st in stories:
            d.add(*st)
        results.append((d.resolve(), d.stats()))
    assert results[0] == results[1] and results[0][0]


def test_band_key_matrix_is_band_keys_row_by_row():
    from newsclean.dedup import band_key_matrix

    cfg = DedupConfig()
    rng = np.random.RandomState(3)
    sigs = rng.randint(0, 2**32 - 1, size=(5, cfg.num_perm), dtype=np.uint64).astype(np.uint32)
    m = band_key_matrix(sigs, cfg)
    assert m.shape == (5, cfg.bands)
    assert [row.tolist() for row in m] == [band_keys(s, cfg) for s in sigs]


def test_bucket_shuffle_gives_the_same_pairs_at_any_number_of_partitions_and_waves(monkeypatch):
    import newsclean.dedup as dd

    stories, cfg = _corpus_stories(300, seed=5)
    results = []
    for parts, wave in ((1, 1), (5, 2), (64, 4), (16, 16)):
        monkeypatch.setattr(dd, "BUCKET_PARTS", parts)
        monkeypatch.setattr(dd, "BUCKET_WAVE", wave)
        d = Deduper(cfg)
        for st in stories:
            d.add(*st)
        results.append((d.resolve(), d.stats()))
    assert all(r == results[0] for r in results) and results[0][0]


def test_entries_give_back_what_was_stored_across_blocks(monkeypatch):
    import newsclean.dedup as dd

    monkeypatch.setattr(dd, "ENTRY_BLOCK", 3)
    rng = np.random.RandomState(2)
    stored = []
    entries = dd.Entries(CFG.num_perm)
    for i in range(8):
        paras = rng.randint(0, 2**62, size=i % 4, dtype=np.int64).astype(np.uint64)
        e = Entry(f"doc-{i}#0", 10 + i, rng.randint(0, 2**32 - 1, CFG.num_perm, dtype=np.int64).astype(np.uint32),
                  100 + i, 1000 + i, None if i % 3 else f"2025-01-0{i % 9 + 1}", 2**64 - 1 - i, old=i == 5,
                  paras=paras.tobytes(), para_chars=np.arange(i % 4, dtype=np.uint32).tobytes())
        assert entries.append(e) == i
        stored.append(e)
    assert len(entries) == 8
    for got, want in zip(entries, stored):
        assert np.array_equal(got.sig, want.sig)
        assert (got.key, got.seq, got.size, got.length, got.date, got.exact, got.old, got.paras, got.para_chars) == (
            want.key, want.seq, want.size, want.length, want.date, want.exact, want.old, want.paras, want.para_chars)
    at = np.array([7, 0, 4, 3])
    assert np.array_equal(entries.signatures(at), np.stack([stored[i].sig for i in at]))
    assert entries.column("exact", at).tolist() == [stored[i].exact for i in at]
    assert entries.probes(6, 1) == stored[6].probes(1) and entries.probes(7, 6) == stored[7].probes(6)


def test_earlier_holders_are_what_each_story_finds_before_it_in_a_key_table():
    from newsclean.dedup import KeyTable, _earlier_holders

    rng = np.random.RandomState(7)
    keys = rng.randint(0, 40, 600).astype(np.uint64)
    owners = np.sort(rng.randint(0, 120, 600)).astype(np.int64)  # in story order, as stories are added;
    # a story may hold a key twice
    table = KeyTable.of(keys, owners)
    for limit in (None, 3):
        pairs = _earlier_holders(table, limit)
        want = set()  # each story, against the holders before it of every key it holds
        for pos in range(120):
            for key in set(keys[owners == pos].tolist()):
                group = [int(o) for k, o in zip(table.keys, table.owners) if k == key and o < pos]
                if len(group) and (limit is None or len(group) <= limit):
                    want.update((pos, c) for c in group)
        assert {(int(p) >> 32, int(p) & 0xFFFFFFFF) for p in pairs} == want
        assert list(pairs) == sorted(set(pairs.tolist()))


def test_range_pairs_are_a_ranges_pairs_from_every_partition_each_once():
    from newsclean.dedup import range_pairs

    rng = np.random.RandomState(11)

    def codes(n):  # (story << 32 | earlier), sorted and unique, as bucket_pairs returns them
        story = rng.randint(1, 100, n).astype(np.int64)
        return np.unique(story << 32 | rng.randint(0, 100, n).astype(np.int64) % story)

    reduced = [(codes(300), codes(200)) for _ in range(4)]
    reduced[1] = (reduced[0][0][:50], reduced[1][1])  # a pair proposed in two partitions
    positions = [20, 23, 40]  # a range of eligible stories: 20 to 40, some between not eligible
    band, para = range_pairs(reduced, positions)
    for got, k in ((band, 0), (para, 1)):
        want = sorted({int(c) for r in reduced for c in r[k] if 20 <= int(c) >> 32 <= 40})
        assert got.tolist() == want
