"""Quotes are windows of the article's sentences: across passage edges, never shown twice."""

from __future__ import annotations

from index.ask.quotes import window
from index.text.chunk import sentences_in

TEXT = "One is here. Two is there.\n\nThree is near. Four is far.\n\nFive is last."


def _spans() -> list[tuple[int, int]]:
    return sentences_in(TEXT, 0, len(TEXT))


def test_a_quote_may_use_sentences_of_the_neighbouring_passages() -> None:
    every = _spans()
    passage = every[2:4]  # "Three ... Four ..." alone, best sentence "Three"
    sents, best = window(TEXT, passage, 0, budget=100) or ([], -1)
    assert sents[best] == every[2]
    assert every[1] in sents and every[4] in sents
    assert all(TEXT[a:b] for a, b in sents)


def test_sentences_already_shown_are_left_out_and_a_shown_best_is_skipped() -> None:
    every = _spans()
    shown = [(every[0][0], every[1][1])]  # "One ... Two ..." already quoted
    sents, best = window(TEXT, every[2:4], 1, budget=100, taken=shown) or ([], -1)
    assert sents[best] == every[3]
    assert every[0] not in sents and every[1] not in sents and sents[0] == every[2]
    assert window(TEXT, every[0:2], 1, budget=100, taken=shown) is None
