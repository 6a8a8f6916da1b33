"""Case-aware names: capitalised inside a sentence, so "the Met" is a name and "met" is not."""

from index.text.names import cased_names, introduced_names


def test_a_capital_inside_a_sentence_makes_a_name() -> None:
    text = "Officials met on Monday. The Met said Mark Rowley's team and the FBI were ready."
    assert cased_names(text) == frozenset({"monday", "met", "mark", "rowley", "fbi"})


def test_a_capital_that_starts_a_sentence_line_or_quote_is_not_a_name() -> None:
    text = 'Ports closed.\nOfficials spoke. "Nothing" was said: Everyone left.'
    assert cased_names(text) == frozenset()


def test_a_short_form_in_brackets_is_a_name() -> None:
    text = "It was called by the Harbour Staff Union (DHSU) on Monday."
    assert "dhsu" in cased_names(text)


def test_single_letters_and_lower_case_words_are_not_names() -> None:
    assert cased_names("what did the met say, asked I and A?") == frozenset()


def test_every_capitalised_word_of_a_headline_may_be_a_name() -> None:
    assert cased_names("Met warns of attacks", headline=True) == frozenset({"met"})


def test_short_forms_an_article_introduces() -> None:
    text = (
        "The walkout, called by the Dockworkers' and Harbour Staff Union (DHSU), began. "
        "The Federal Reserve (the Fed) held rates. The U.S. Food and Drug Administration (FDA) "
        "agreed. Mr Smith (pictured) and Joe Biden (D) and Apple Inc (AAPL) did not."
    )
    assert introduced_names(text) == [
        ("DHSU", "Dockworkers' and Harbour Staff Union"),
        ("Fed", "Federal Reserve"),
        ("FDA", "U.S. Food and Drug Administration"),
    ]
