from newsclean.config import Rules
from newsclean.extract import split_blocks
from newsclean.language import LANGUAGES, block_language, foreign, language_hits, page_language

ENGLISH = "The council said that it would not approve the plan for the harbour until the port had been surveyed."
GERMAN = "Der Stadtrat hat gesagt, dass er den Plan für den Hafen nicht billigen werde, bis der Hafen vermessen ist."
SPANISH = "El consejo dijo que no aprobaría el plan del puerto hasta que se hubiera estudiado."
RULES = Rules()
PORTUGUESE = "O conselho disse que não aprovaria o plano do porto até que ele fosse estudado pelos técnicos."


def test_page_language_is_told_by_the_longest_blocks():
    assert page_language(split_blocks("\n".join(["Home", "Nachrichten", ENGLISH, ENGLISH + " " + ENGLISH])), RULES.language_sample) == "English"
    assert page_language(split_blocks("\n".join(["Home", "News", GERMAN, GERMAN])), RULES.language_sample) == "German"


def test_language_hits_count_every_occurrence():
    hits = language_hits(["the", "The", "the", "harbour"])
    assert hits[LANGUAGES.index("English")] == 3


def test_foreign_needs_a_plain_majority_of_another_languages_stopwords():
    words = GERMAN.split()
    assert block_language(words) == "German"
    assert foreign(language_hits(words), "English", RULES.foreign_hits)
    assert not foreign(language_hits(ENGLISH.split()), "English", RULES.foreign_hits)
    # Spanish and Portuguese share many stopwords: a Spanish line on a Portuguese page is
    # not plainly foreign, and too few words tell nothing.
    assert not foreign(language_hits(SPANISH.split()), "Portuguese", RULES.foreign_hits)
    assert not foreign(language_hits(["der", "die"]), "English", RULES.foreign_hits)


def test_language_table_counts_as_language_hits_does_text_by_text():
    from newsclean.language import language_table
    from newsclean.text import block_words

    texts = [ENGLISH, SPANISH, "Der Hafen und die Stadt", "", "THE The the ΤΟ το", "no stopwords zzz"]
    table = language_table(texts)
    assert table.shape == (len(texts), len(LANGUAGES))
    assert [row.tolist() for row in table] == [language_hits(block_words(t)) for t in texts]
