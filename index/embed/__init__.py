"""Embedders: the protocol, the loader, and the transformer on its runtimes (torch, ONNX, OpenVINO)."""

from __future__ import annotations

from .bundled import DEFAULT_MODEL
from .loader import DEFAULT_ENCODER, ENCODERS, default_cache, load_embedder, vector_family
from .passages import ToEmbed, embed_passages, embedded_text
from .protocol import Embedder, HashEmbedder, ReleasingEmbedder, SpanEmbedder

__all__ = [
    "DEFAULT_ENCODER",
    "DEFAULT_MODEL",
    "ENCODERS",
    "Embedder",
    "HashEmbedder",
    "ReleasingEmbedder",
    "SpanEmbedder",
    "ToEmbed",
    "default_cache",
    "embed_passages",
    "embedded_text",
    "load_embedder",
    "vector_family",
]
