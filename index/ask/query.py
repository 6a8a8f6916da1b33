"""A question prepared once for every stage: its vector, terms, weights, names, answer type."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from ..storage.lexical import LexicalModel
from ..text.answertype import expected_type
from ..text.asked import asked_speaker
from ..text.names import cased_names
from ..text.tokens import tokenize

__all__ = ["Query"]

# A capitalised word that does not start the question or one of its sentences: a name, mostly.
_NAME = re.compile(r"(?<!^)(?<![.?!] )\b[A-Z][\w'-]*")


@dataclass(frozen=True)
class Query:
    """A question prepared once: its vector, terms, term weights, the terms of the names it
    mentions, its expected answer type, whose words it asks for ("what did the Met say ..."),
    and its names as written inside a sentence, lower-cased ("met")."""

    text: str
    vector: np.ndarray
    tokens: tuple[str, ...]
    weights: dict[str, float]
    names: frozenset[str]
    kind: str | None
    speaker: str | None = None
    cased: frozenset[str] = frozenset()

    @classmethod
    def build(cls, text: str, vector: np.ndarray, lexical: LexicalModel) -> Query:
        tokens = tuple(tokenize(text))
        names = frozenset(t for m in _NAME.finditer(text) for t in tokenize(m.group()))
        return cls(
            text,
            vector,
            tokens,
            lexical.weights(tokens),
            names & set(tokens),
            expected_type(text),
            asked_speaker(text),
            cased_names(text),
        )
