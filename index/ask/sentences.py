"""A candidate passage's sentences and their cosines to the question."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..embed import Embedder, embed_passages, embedded_text
from ..storage import sentvec
from ..storage.catalog import Catalog, Passage
from ..text.chunk import Span, sentences_in

__all__ = ["Sentences", "passage_sentences"]


@dataclass(frozen=True)
class Sentences:
    """A passage's sentences (article offsets) and each one's cosine to the question."""

    spans: list[Span]
    sims: np.ndarray


def passage_sentences(
    catalog: Catalog, passages: Sequence[Passage], question: np.ndarray, embedder: Embedder
) -> list[Sentences]:
    """The sentences of each passage: those stored with its vectors, else (an index made before
    sentence vectors were stored) split and embedded now."""
    stored = catalog.sentence_vectors([p.id for p in passages])
    out = []
    for p in passages:
        kept = stored.get(p.id)
        spans = (sentvec.spans(kept, p.start) if kept else []) or sentences_in(
            p.article.text, p.start, p.end
        )
        out.append(Sentences(spans, _vectors(p, spans, kept, embedder) @ question))
    return out


def _vectors(
    p: Passage, spans: list[Span], kept: sentvec.Stored | None, embedder: Embedder
) -> np.ndarray:
    relative = [(a - p.start, b - p.start) for a, b in spans]
    if kept is not None:
        found = sentvec.decode(kept, relative, embedder.dimension)
        if found is not None:
            return found
    text = embedded_text(p.article.title, p.text)
    ((_, parts),) = embed_passages(embedder, [(text, tuple(relative), len(p.article.title) + 1)])
    if parts is None:
        return embedder.embed_documents([p.article.text[a:b] for a, b in spans])
    # rounded as stored (float16), so that an older index answers as a re-indexed one would
    return np.asarray(parts, dtype=np.float16).astype(np.float32)
