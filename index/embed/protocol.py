"""What an embedder is, and a deterministic fake of one for fast tests."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import numpy as np

from ..text.chunk import Span

__all__ = ["Embedder", "HashEmbedder", "ReleasingEmbedder", "SpanEmbedder"]


class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors of ``dimension`` floats."""

    @property
    def name(self) -> str: ...

    @property
    def dimension(self) -> int: ...

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray: ...

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray: ...


@runtime_checkable
class SpanEmbedder(Protocol):
    """An embedder that also gives a vector to each sentence span of a passage, in context."""

    @property
    def encoder(self) -> str: ...

    def embed_passages(
        self, texts: Sequence[str], spans: Sequence[Sequence[Span]]
    ) -> tuple[np.ndarray, list[np.ndarray]]: ...


@runtime_checkable
class ReleasingEmbedder(Protocol):
    """An embedder whose documents' runtime can be freed between writes (it is built again on
    the next): a long-running process then holds only what questions need."""

    def release_documents(self) -> None: ...


_WORD = re.compile(r"\w+")


class HashEmbedder:
    """A deterministic bag-of-words embedder for fast unit tests (no model, no randomness)."""

    encoder = "hash"

    def __init__(self, dimension: int = 256) -> None:
        self.name = f"hash-{dimension}"
        self.dimension = dimension

    def _one(self, text: str) -> np.ndarray:
        vec = np.zeros(self.dimension, dtype=np.float32)
        for word in _WORD.findall(text.lower()):
            digest = hashlib.blake2b(word.encode(), digest_size=4).digest()
            vec[int.from_bytes(digest, "little") % self.dimension] += 1.0
        norm = float(np.linalg.norm(vec))
        return vec / norm if norm else vec

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        return (
            np.stack([self._one(t) for t in texts])
            if texts
            else np.zeros((0, self.dimension), np.float32)
        )

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self.embed_documents(texts)

    def embed_passages(
        self, texts: Sequence[str], spans: Sequence[Sequence[Span]]
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """Each text's vector and each span's own vector (no context, unlike the real model)."""
        parts = [
            self.embed_documents([t[a:b] for a, b in s]) for t, s in zip(texts, spans, strict=True)
        ]
        return self.embed_documents(texts), parts
