"""Answering: ``pipeline.ask`` takes a question through each stage once, in order;
``statements`` lists who said what."""

from __future__ import annotations

from .pipeline import MAX_QUESTION_CHARS, Tuning, ask
from .rerank import Reranker
from .statements import known_speakers, statements_by

__all__ = ["MAX_QUESTION_CHARS", "Reranker", "Tuning", "ask", "known_speakers", "statements_by"]
