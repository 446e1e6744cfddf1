from newsclean.config import Rules
from newsclean.passages import find_repeats, fold

RULES = Rules()

P1 = "The council approved the harbour plan on Tuesday after a long debate, officials said."
P2 = "Residents had argued that the traffic would bring noise and pollution to the waterfront."


def test_fold_ignores_typography():
    assert fold("“Quoted” – text\u00a0here…") == fold('"quoted" - text here...')


def test_exact_and_typographic_copies():
    texts = [P1, P2, P1.replace("'", "’"), P2.upper()]
    assert find_repeats(texts, [True] * 4, RULES) == {2: 0, 3: 1}


def test_cut_copy_and_near_copy():
    cut = P1[:60] + "…"
    near = P2.replace("noise", "din")
    assert find_repeats([P1, P2, cut, near], [True] * 4, RULES) == {2: 0, 3: 1}


def test_short_lines_and_ineligible_blocks_are_ignored():
    assert find_repeats(["Meal 1", "Meal 1", P1, P1], [True, True, False, True], RULES) == {}


def test_every_later_copy_counts_even_a_refrain():
    q = "What inspired you to start writing about food for a living?"
    texts = [q, "Answer one is long enough to count here.", q, "Answer two, also long enough here.", q]
    assert find_repeats(texts, [True] * 5, RULES) == {2: 0, 4: 0}