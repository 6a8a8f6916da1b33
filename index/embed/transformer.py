"""The transformer encoder: tokenise, batch by length, run a runtime's forward pass, pool.

It tokenises with the model's own fast tokenizer, sorts texts by token count into batches of
similar length (little padding), runs the model (PyTorch here; ONNX Runtime or OpenVINO in
``runtimes.py``) and pools the token vectors. ``embed_passages`` pools each passage *and* each of
its sentences from the same forward pass, so sentence vectors cost nothing extra at ingest and
nothing at question time.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import NewsIndexError
from ..text.chunk import Span
from .bundled import load_sentence_transformer

__all__ = ["Forward", "ModelSpec", "TransformerEmbedder", "torch_embedder", "torch_forward"]

TOKEN_BUDGET = 8192  # padded tokens per forward pass
MAX_BATCH = 64


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
    ``release_documents``, when given, frees what ``forward`` holds until its next call.
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
        release_documents: Callable[[], None] | None = None,
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
        self._release_documents = release_documents

    def release_documents(self) -> None:
        """Free the documents' runtime, if it has one of its own, until the next write."""
        if self._release_documents is not None:
            self._release_documents()

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


def torch_forward(model: Any) -> Forward:
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


def torch_embedder(name: str) -> TransformerEmbedder:
    st = load_sentence_transformer(name)
    return TransformerEmbedder(
        name,
        "torch",
        ModelSpec.of(st),
        st.tokenizer.backend_tokenizer,
        torch_forward(st[0].auto_model),
    )
