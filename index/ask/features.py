"""The re-rankers' features: cheap measures of each candidate passage and of each sentence."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import numpy as np

from ..storage.lexical import LexicalModel
from ..text.answertype import ANSWER_TYPES, has_type
from ..text.names import cased_names
from ..text.tokens import tokenize
from .query import Query
from .retrieve import Candidate

__all__ = ["FEATURES", "SENTENCE_FEATURES", "features", "sentence_features"]

FEATURES = (
    "dense",  # cosine of question and passage (with headline)
    "dense_gap",  # cosine minus the best candidate's cosine
    "bm25_rel",  # BM25 over the best BM25 score among candidates
    "bm25_log",  # log(1 + BM25)
    "coverage",  # idf-weighted share of question terms in the passage
    "title_coverage",  # idf-weighted share of question terms in the headline
    "bigrams",  # share of adjacent question-term pairs found adjacent in the passage
    "rarest",  # whether the question's rarest term is in the passage
    "answer_type",  # the passage holds a number/date/name when the question asks for one
    "dense_rank",  # 1 / (1 + rank) in the dense list
    "lexical_rank",  # 1 / (1 + rank) in the BM25 list
    "length",  # log of the passage's length in characters
    "sentence_dense",  # the best cosine of the question and one of the passage's sentences
    "sentence_gap",  # that minus the best sentence cosine among all candidates
    "sentence_coverage",  # the best idf-weighted share of question terms in one sentence
    "article_share",  # share of the candidates that come from the same article
    "article_gap",  # the best cosine among its article's candidates minus the best overall
    "context_coverage",  # idf-weighted share of question terms in the passage or its headline
    "article_coverage",  # the same share in its article's candidates and headline together
    "article_names",  # share of the question's capitalised words in those (1 when it has none)
    # case-aware: the share of the question's names (capitalised inside a sentence: "the Met")
    # that are capitalised in the passage or its headline, and anywhere in its article (1 when
    # the question has none); the verb "met" does not count
    "passage_cased_names",
    "article_cased_names",
)
SENTENCE_FEATURES = (
    "relevance",  # the passage's re-ranker log-odds
    "dense",  # cosine of question and sentence
    "dense_gap",  # cosine minus the best sentence's cosine among all candidates
    "coverage",  # idf-weighted share of question terms in the sentence
    "bigrams",  # share of adjacent question-term pairs found adjacent in the sentence
    "number",  # the question asks how many/much and the sentence holds a number
    "date",  # the question asks when and the sentence holds a date
    "person",  # the question asks who and the sentence holds a name
    "first",  # 1 / (1 + position of the sentence in its passage)
    "length",  # log of the sentence's length in characters
    "cased_names",  # share of the question's names capitalised in the sentence (1 when none)
)


def _bigrams(tokens: Sequence[str]) -> set[tuple[str, str]]:
    return set(itertools.pairwise(tokens))


def features(
    query: Query,
    candidates: Sequence[Candidate],
    bodies: Sequence[str],
    titles: Sequence[str],
    sentences: Sequence[Sequence[str]],
    sims: Sequence[np.ndarray],
    articles: Sequence[str],
    article_names: Sequence[frozenset[str]],
) -> np.ndarray:
    """One row of ``FEATURES`` per candidate: its passage text, headline, sentences (which tile
    the passage, less whitespace), their cosines to the question, and its article's id and
    names (``cased_names`` of its text)."""
    best_dense = max((c.dense for c in candidates), default=0.0)
    best_lexical = max((c.lexical for c in candidates), default=0.0) or 1.0
    best_sentence = max((float(np.max(s)) for s in sims), default=0.0)
    by_article: dict[str, list[float]] = {}
    for c, article in zip(candidates, articles, strict=True):
        by_article.setdefault(article, []).append(c.dense)
    q_bigrams = _bigrams(query.tokens)
    rarest = max(query.weights, key=query.weights.__getitem__) if query.weights else None
    sentence_tokens = [[tokenize(t) for t in sents] for sents in sentences]
    headlines = [set(tokenize(title)) for title in titles]
    in_article: dict[str, set[str]] = {}
    for article, tokens, headline in zip(articles, sentence_tokens, headlines, strict=True):
        in_article.setdefault(article, set(headline)).update(*tokens)
    rows = []
    for c, body, title, tokens, headline, sim, article, names_in_article in zip(
        candidates, bodies, titles, sentence_tokens, headlines, sims, articles, article_names,
        strict=True,
    ):  # fmt: skip
        title_names = cased_names(title, headline=True)
        body_tokens = tuple(itertools.chain.from_iterable(tokens))  # the sentences tile it
        terms = set(body_tokens)
        article_terms = in_article[article]
        top = float(np.max(sim))
        rows.append(
            [
                c.dense,
                c.dense - best_dense,
                c.lexical / best_lexical,
                math.log1p(c.lexical),
                LexicalModel.coverage(query.weights, terms),
                LexicalModel.coverage(query.weights, headline),
                len(q_bigrams & _bigrams(body_tokens)) / len(q_bigrams) if q_bigrams else 0.0,
                float(rarest in terms) if rarest else 0.0,
                float(has_type(query.kind, body)),
                1.0 / (1 + c.dense_rank),
                1.0 / (1 + c.lexical_rank),
                math.log1p(len(body)),
                top,
                top - best_sentence,
                max(LexicalModel.coverage(query.weights, set(t)) for t in tokens),
                len(by_article[article]) / len(candidates),
                max(by_article[article]) - best_dense,
                LexicalModel.coverage(query.weights, terms | headline),
                LexicalModel.coverage(query.weights, article_terms),
                len(query.names & article_terms) / len(query.names) if query.names else 1.0,
                _share(query.cased, cased_names(body) | title_names),
                _share(query.cased, names_in_article | title_names),
            ]
        )
    return np.array(rows, dtype=np.float32).reshape(len(rows), len(FEATURES))


def _share(wanted: frozenset[str], have: frozenset[str]) -> float:
    return len(wanted & have) / len(wanted) if wanted else 1.0


def sentence_features(
    query: Query,
    relevance: Sequence[float],
    sims: np.ndarray,
    texts: Sequence[str],
    positions: Sequence[int],
) -> np.ndarray:
    """One row of ``SENTENCE_FEATURES`` per candidate sentence (``relevance`` of its passage)."""
    q_bigrams = _bigrams(query.tokens)
    best = float(np.max(sims)) if len(sims) else 0.0
    rows = []
    for rel, sim, text, pos in zip(relevance, sims, texts, positions, strict=True):
        tokens = tokenize(text)
        rows.append(
            [
                rel,
                float(sim),
                float(sim) - best,
                LexicalModel.coverage(query.weights, set(tokens)),
                len(q_bigrams & _bigrams(tokens)) / len(q_bigrams) if q_bigrams else 0.0,
                *(float(query.kind == kind and has_type(kind, text)) for kind in ANSWER_TYPES),
                1.0 / (1 + pos),
                math.log1p(len(text)),
                _share(query.cased, cased_names(text)),
            ]
        )
    return np.array(rows, dtype=np.float32).reshape(len(rows), len(SENTENCE_FEATURES))
