"""Embedding passages: the text embedded for each, and its sentences' vectors in context."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..text.chunk import Span
from .protocol import Embedder, SpanEmbedder

__all__ = ["ToEmbed", "embed_passages", "embedded_text"]

# A passage to embed: the text embedded (headline line, then the passage), its sentence spans
# relative to the passage, and where the passage starts in that text.
ToEmbed = tuple[str, tuple[Span, ...], int]


def embedded_text(title: str, body: str) -> str:
    """What is embedded for a passage: its article's headline, then the passage."""
    return f"{title}\n{body}"


def embed_passages(
    embedder: Embedder, items: Sequence[ToEmbed]
) -> list[tuple[np.ndarray, np.ndarray | None]]:
    """Each passage's vector and, when the embedder can, its sentences' vectors."""
    texts = [text for text, _, _ in items]
    if not isinstance(embedder, SpanEmbedder):
        return [(v, None) for v in embedder.embed_documents(texts)]
    shifted = [[(a + at, b + at) for a, b in spans] for _, spans, at in items]
    vectors, parts = embedder.embed_passages(texts, shifted)
    return list(zip(vectors, parts, strict=True))
