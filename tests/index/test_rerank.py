"""The re-ranker's article-level features: what a candidate's article covers of the question."""

import numpy as np
import pytest

from index.ask.features import FEATURES, features
from index.ask.query import Query
from index.ask.retrieve import Candidate
from index.storage.lexical import LexicalModel
from index.text.names import cased_names
from index.text.tokens import tokenize

LEXICAL = LexicalModel({t: 2.0 for t in tokenize("Met police ports storm harbour Calloway")})


def _query(text: str) -> Query:
    return Query.build(text, np.zeros(4, dtype=np.float32), LEXICAL)


def _rows(
    query: Query, passages: list[tuple[str, str, str]], articles: dict[str, str] | None = None
) -> dict[str, list[float]]:
    """Feature columns by name for passages given as (article id, headline, text); ``articles``
    holds each article's whole text (default: the passage's)."""
    candidates = [Candidate(i, 0.5, 1.0, 0.5, i, i) for i in range(len(passages))]
    x = features(
        query,
        candidates,
        [text for _, _, text in passages],
        [title for _, title, _ in passages],
        [[text] for _, _, text in passages],
        [np.array([0.5]) for _ in passages],
        [article for article, _, _ in passages],
        [cased_names((articles or {}).get(article, text)) for article, _, text in passages],
    )
    return {name: x[:, i].tolist() for i, name in enumerate(FEATURES)}


def test_names_are_the_capitalised_words_inside_the_question() -> None:
    query = _query("What did the Met say about ports? Ask Captain Calloway.")
    assert query.names == frozenset(tokenize("Met Captain Calloway"))
    assert _query("what did the met say about ports?").names == frozenset()


def test_an_article_covers_what_its_candidates_cover_together() -> None:
    query = _query("What did the Met say about ports?")
    rows = _rows(
        query,
        [
            ("a", "Storm news", "The Met spoke on Monday."),
            ("a", "Storm news", "All ports closed."),
            ("b", "Other news", "Ports reopened."),
        ],
    )
    assert rows["coverage"][:2] == pytest.approx([0.5, 0.5])  # "met" and "port", half each
    assert rows["article_coverage"] == pytest.approx([1.0, 1.0, 0.5])
    assert rows["article_names"] == pytest.approx([1.0, 1.0, 0.0])  # "Met" is only in article a


def test_the_headline_counts_and_a_question_without_names_misses_none() -> None:
    rows = _rows(
        _query("what did the met say about ports?"),
        [("a", "Met warns ports", "It spoke on Monday.")],
    )
    assert rows["coverage"] == [0.0]
    assert rows["article_coverage"] == pytest.approx([1.0])
    assert rows["article_names"] == [1.0]


def test_names_are_matched_case_aware_the_verb_is_not_the_met() -> None:
    query = _query("What did the Met say about ports?")
    assert query.cased == frozenset({"met"})
    rows = _rows(
        query,
        [
            ("a", "Ports news", "Officials met to discuss ports."),
            ("b", "Police news", "Ports will be watched, the force said."),
            ("c", "Met Police on ports", "Ports will be watched."),
        ],
        articles={"b": "The Met said it was ready. Ports will be watched, the force said."},
    )
    assert rows["passage_cased_names"] == [0.0, 0.0, 1.0]  # c: in its headline
    assert rows["article_cased_names"] == [0.0, 1.0, 1.0]  # b: elsewhere in its article
    assert rows["article_names"][0] == 1.0  # the lower-cased feature cannot tell "met" apart


def test_a_question_without_names_is_missing_none() -> None:
    rows = _rows(_query("what did the met say about ports?"), [("a", "Ports", "Officials met.")])
    assert rows["passage_cased_names"] == [1.0]
    assert rows["article_cased_names"] == [1.0]


def test_a_first_quote_by_whom_the_question_asks_for_lowers_the_found_bar() -> None:
    from index.ask.rerank import Hit, Pick, Reranker
    from index.ask.trees import Trees

    empty = Trees.from_dict({"feature": [], "threshold": [], "left": [], "right": [],
                             "leaf": [], "root": []})  # fmt: skip
    reranker = Reranker(empty, empty, found_threshold=-1.0)
    hits = [Hit(-1.5, None, [], np.zeros(0))]  # type: ignore[arg-type]
    theirs = [Pick(0.0, None, [], 0, spoken=True)]  # type: ignore[arg-type]
    others = [Pick(0.0, None, [], 0, spoken=False)]  # type: ignore[arg-type]
    assert not reranker.found(hits, others, speaker_margin=1.0)
    assert not reranker.found(hits, theirs, speaker_margin=0.0)
    assert reranker.found(hits, theirs, speaker_margin=1.0)
    assert not reranker.found(hits, theirs, speaker_margin=0.4)
