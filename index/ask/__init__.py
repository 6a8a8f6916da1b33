"""Answering: ``pipeline.ask`` takes a question through each stage once, in order."""

from __future__ import annotations

from .pipeline import MAX_QUESTION_CHARS, Tuning, ask
from .rerank import Reranker

__all__ = ["MAX_QUESTION_CHARS", "Reranker", "Tuning", "ask"]
