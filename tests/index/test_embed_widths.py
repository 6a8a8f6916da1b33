"""Batch widths: rounded up to the runtime's step, never past the model's limit; pooling ignores
the padding."""

from __future__ import annotations

import numpy as np
from tokenizers import Tokenizer

from index.embed.bundled import bundled_model_path
from index.embed.transformer import ModelSpec, TransformerEmbedder

SPEC = ModelSpec(dimension=4, max_tokens=40, pooling="mean")


def _embedder(width_step: int) -> tuple[TransformerEmbedder, list[tuple[int, int]]]:
    shapes: list[tuple[int, int]] = []

    def forward(ids: np.ndarray, mask: np.ndarray, types: np.ndarray) -> np.ndarray:
        shapes.append(ids.shape)
        # a token's vector depends on its id only, so padding must not change a text's mean
        return np.stack([ids % 7, ids % 5, ids % 3, np.ones_like(ids)], axis=-1).astype(np.float32)

    tokenizer = Tokenizer.from_file(str(bundled_model_path() / "tokenizer.json"))
    return TransformerEmbedder("m", "test", SPEC, tokenizer, forward, width_step=width_step), shapes


TEXTS = [
    "Port reopens",
    "The harbour master said the port would reopen on Monday after storms " * 3,
]


def test_widths_are_rounded_up_to_the_step_and_capped_at_the_model_limit() -> None:
    embedder, shapes = _embedder(16)
    embedder.embed_queries(TEXTS[:1])
    embedder.embed_queries(TEXTS[1:])
    assert [w for _, w in shapes] == [16, 40]  # 6 tokens -> 16; 40 (truncated) stays 40


def test_padding_to_the_step_changes_no_vector() -> None:
    stepped, _ = _embedder(16)
    plain, shapes = _embedder(1)
    assert np.allclose(stepped.embed_documents(TEXTS), plain.embed_documents(TEXTS))
    plain.embed_queries(TEXTS[:1])
    tokenizer = Tokenizer.from_file(str(bundled_model_path() / "tokenizer.json"))
    tokenizer.no_padding()
    own = len(tokenizer.encode(TEXTS[0]).ids)
    assert shapes[-1][1] == own < 16  # without a step, the width is the text's own
