"""Choosing an embedder: a model name or path on an encoder, built on first use."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from ..errors import NewsIndexError
from ..text.chunk import Span
from .bundled import DEFAULT_ALIASES, DEFAULT_MODEL
from .transformer import TransformerEmbedder, torch_embedder

__all__ = ["DEFAULT_ENCODER", "ENCODERS", "default_cache", "load_embedder", "vector_family"]

ENCODERS = ("openvino", "torch", "onnx", "onnx-int8")
DEFAULT_ENCODER = "openvino"


def vector_family(encoder: str | None) -> str | None:
    """Encoders whose vectors match: torch, onnx and openvino agree (mean cosine 0.99999 with
    OpenVINO's bfloat16), int8 does not (0.994)."""
    return "fp32" if encoder in ("torch", "onnx", "openvino") else encoder


def default_cache() -> Path:
    """Where exported models go when no data directory is given: ``$XDG_CACHE_HOME/newsbot``."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "newsbot"


class _Lazy:
    """Builds the real embedder on first use, so opening an index loads no model."""

    def __init__(self, name: str, encoder: str, build: Callable[[], TransformerEmbedder]) -> None:
        self.name = name
        self.encoder = encoder
        self._build = build
        self._real: TransformerEmbedder | None = None

    def _get(self) -> TransformerEmbedder:
        if self._real is None:
            self._real = self._build()
        return self._real

    @property
    def dimension(self) -> int:
        return self._get().dimension

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        return self._get().embed_documents(texts)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._get().embed_queries(texts)

    def embed_passages(
        self, texts: Sequence[str], spans: Sequence[Sequence[Span]]
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        return self._get().embed_passages(texts, spans)

    def release_documents(self) -> None:
        if self._real is not None:
            self._real.release_documents()


def load_embedder(
    model: str | None = None, encoder: str | None = None, cache: Path | None = None
) -> _Lazy:
    """The embedder for a model name or path (``None``: the bundled default) on ``encoder``.

    ``encoder`` is ``openvino`` (OpenVINO: bfloat16 on CPUs with bfloat16 units, else fp32),
    ``torch`` (PyTorch fp32), ``onnx`` (ONNX Runtime fp32) or ``onnx-int8`` (ONNX Runtime with int8
    weights); ONNX exports are made once and kept under ``cache``.
    """
    name = DEFAULT_MODEL if model in (None, *DEFAULT_ALIASES) else str(model)
    encoder = encoder or DEFAULT_ENCODER
    if encoder not in ENCODERS:
        raise NewsIndexError(f"unknown encoder {encoder!r}: choose one of {', '.join(ENCODERS)}")
    if encoder == "torch":
        return _Lazy(name, encoder, lambda: torch_embedder(name))
    from .runtimes import onnx_embedder

    where = cache or default_cache()
    return _Lazy(name, encoder, lambda: onnx_embedder(name, encoder, where))
