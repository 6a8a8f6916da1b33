"""Rank: the learned re-rankers score passages and their sentences, and decide what is found.

The models are gradient-boosted trees trained on squad-dev by ``bench/train_reranker.py`` (with
cross-validation by article) and shipped as ``reranker.json``; the passage model's output is the
log-odds that the passage holds the answer, so it also decides whether anything is ``found``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..storage.catalog import Passage
from ..text.asked import names_match
from ..text.chunk import Span
from ..text.speakers import sentence_speaker
from .features import FEATURES, SENTENCE_FEATURES, features, sentence_features
from .query import Query
from .retrieve import Candidate
from .sentences import Sentences
from .trees import Trees

__all__ = [
    "WEIGHTS_FILE",
    "Hit",
    "Pick",
    "Reranker",
    "passage_features",
    "sentence_matrix",
]

WEIGHTS_FILE = Path(__file__).with_name("reranker.json")


@dataclass(frozen=True)
class Hit:
    """A candidate passage, its learned relevance (log-odds), and its sentences (article offsets)
    with their cosines to the question."""

    relevance: float
    passage: Passage
    sentences: list[Span]
    sims: np.ndarray


@dataclass(frozen=True)
class Pick:
    """A hit's best sentence (``sentences[best]``), the score that orders the quotes, and whether
    that sentence is spoken by whom the question asks for."""

    score: float
    passage: Passage
    sentences: list[Span]
    best: int
    spoken: bool = False


def passage_features(
    query: Query,
    candidates: Sequence[Candidate],
    passages: Sequence[Passage],
    sentences: Sequence[Sentences],
) -> np.ndarray:
    """The passage model's features of each candidate."""
    return features(
        query,
        candidates,
        [p.text for p in passages],
        [p.article.title for p in passages],
        [
            [p.article.text[a:b] for a, b in s.spans]
            for p, s in zip(passages, sentences, strict=True)
        ],
        [s.sims for s in sentences],
        [p.article.id for p in passages],
        [p.names for p in passages],
    )


def sentence_matrix(hits: Sequence[Hit], query: Query) -> tuple[np.ndarray, list[str]]:
    """The sentence model's features of every sentence of ``hits``, and the sentences."""
    texts = [h.passage.article.text[a:b] for h in hits for a, b in h.sentences]
    relevance = [h.relevance for h in hits for _ in h.sentences]
    positions = [i for h in hits for i in range(len(h.sentences))]
    sims = np.concatenate([h.sims for h in hits])
    return sentence_features(query, relevance, sims, texts, positions), texts


def _spoken_by(hits: Sequence[Hit], who: str) -> np.ndarray:
    """1 for each sentence of ``hits`` that ``who`` speaks, else 0."""
    return np.array(
        [
            float(names_match(who, sentence_speaker(h.passage.article.text, a, b) or ""))
            for h in hits
            for a, b in h.sentences
        ]
    )


def _trees(data: dict[str, Any], names: tuple[str, ...]) -> Trees:
    if tuple(data["features"]) != names:
        raise ValueError("the re-ranker was trained on other features; run bench/train_reranker.py")
    return Trees.from_dict(data["trees"])


@dataclass(frozen=True)
class Reranker:
    """Two models (boosted trees; scores are log-odds): passages (does it hold the answer?) and
    sentences (is this the answer?), and the passage score below which nothing is ``found``."""

    passage: Trees
    sentence: Trees
    found_threshold: float

    @classmethod
    def load(cls, path: Path = WEIGHTS_FILE) -> Reranker:
        data = json.loads(path.read_text())
        return cls(
            _trees(data["passage"], FEATURES),
            _trees(data["sentence"], SENTENCE_FEATURES),
            float(data["found_threshold"]),
        )

    def rank(
        self,
        query: Query,
        candidates: Sequence[Candidate],
        passages: Sequence[Passage],
        sentences: Sequence[Sentences],
    ) -> list[Hit]:
        """The candidates re-ranked by the passage model, best first."""
        if not candidates:
            return []
        scores = self.passage.score(passage_features(query, candidates, passages, sentences))
        hits = [
            Hit(float(score), p, s.spans, s.sims)
            for score, p, s in zip(scores, passages, sentences, strict=True)
        ]
        hits.sort(key=lambda h: h.relevance, reverse=True)
        return hits

    def pick(
        self,
        hits: Sequence[Hit],
        query: Query,
        *,
        typed_answers: Sequence[str],
        type_bonus: float,
        speaker_bonus: float,
        order_relevance: float,
    ) -> list[Pick]:
        """Each hit's best sentence by the sentence model, best first. For a question of a kind
        in ``typed_answers``, a sentence holding that kind of answer gets ``type_bonus`` more;
        for a question asking for someone's words, a sentence they speak gets ``speaker_bonus``
        more. The order also weighs the passage's relevance by ``order_relevance``."""
        if not hits:
            return []
        x, _ = sentence_matrix(hits, query)
        scores = self.sentence.score(x)
        if query.kind in typed_answers:
            scores = scores + type_bonus * x[:, SENTENCE_FEATURES.index(query.kind)]
        spoken = _spoken_by(hits, query.speaker) if query.speaker else np.zeros(len(scores))
        scores = scores + speaker_bonus * spoken
        picks = []
        offset = 0
        for hit in hits:
            n = len(hit.sentences)
            best = int(np.argmax(scores[offset : offset + n]))
            score = float(scores[offset + best]) + order_relevance * hit.relevance
            picks.append(Pick(score, hit.passage, hit.sentences, best, bool(spoken[offset + best])))
            offset += n
        picks.sort(key=lambda p: p.score, reverse=True)
        return picks

    def found(
        self,
        hits: Sequence[Hit],
        picks: Sequence[Pick] = (),
        threshold: float | None = None,
        speaker_margin: float = 0.0,
    ) -> bool:
        """Whether the best hit is relevant enough to show (``threshold`` None: the trained one).
        When the first pick is spoken by whom the question asks for, the bar is lower by
        ``speaker_margin``: who said it is evidence the relevance features do not see."""
        limit = self.found_threshold if threshold is None else threshold
        if picks and picks[0].spoken:
            limit -= speaker_margin
        return bool(hits) and hits[0].relevance >= limit
