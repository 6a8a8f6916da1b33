"""Sentence vectors stored with their passage, so answering a question embeds only the question.

Each passage's sentences are embedded at ingest, in the same forward pass as the passage (see
``TransformerEmbedder.embed_passages``), and kept in the ``sentence_vectors`` table as float16
(half the size; cosines move by < 1e-3) beside the sentence spans they belong to.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..text.chunk import Span

__all__ = ["Stored", "decode", "encode", "spans"]

Stored = tuple[bytes, bytes]  # (spans as int32 pairs, vectors as float16), as in the table


def encode(spans: Sequence[Span], vectors: np.ndarray) -> Stored:
    """The table's form of one passage's sentence spans (article offsets) and vectors."""
    return (
        np.asarray(spans, dtype=np.int32).reshape(-1, 2).tobytes(),
        np.asarray(vectors, dtype=np.float16).tobytes(),
    )


def spans(stored: Stored, start: int) -> list[Span]:
    """The sentence spans stored for a passage, as article offsets (the passage starts at
    ``start``): the passage's sentences as they were when it was embedded."""
    flat = (np.frombuffer(stored[0], dtype=np.int32) + start).tolist()
    return list(zip(flat[::2], flat[1::2], strict=True))


def decode(stored: Stored, spans: Sequence[Span], dimension: int) -> np.ndarray | None:
    """The vectors of ``spans``, or None when what is stored was made for other spans."""
    raw_spans, raw_vectors = stored
    if np.frombuffer(raw_spans, dtype=np.int32).tolist() != [x for s in spans for x in s]:
        return None
    vectors = np.frombuffer(raw_vectors, dtype=np.float16).reshape(-1, dimension)
    return vectors.astype(np.float32)
