"""The ONNX exports of the bundled model: fused for onnxruntime, and giving the vectors torch gives
on every runtime."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import onnx
import pytest

from index.embed import load_embedder
from index.embed.runtimes import export_dir

TEXTS = [
    "The harbour master said the port would reopen on Monday.",
    "Rail strike: services cut as drivers walk out over pay",
    "Oxygen makes up almost half of the Earth's crust by mass, mostly as oxides.",
    "He said the council had not been told.",
]


@pytest.fixture(scope="module")
def torch_vectors() -> np.ndarray:
    return np.asarray(load_embedder(encoder="torch").embed_documents(TEXTS))


def test_openvino_agrees_with_torch(tmp_path: Path, torch_vectors: np.ndarray) -> None:
    vectors = np.asarray(load_embedder(encoder="openvino", cache=tmp_path).embed_documents(TEXTS))
    assert (vectors * torch_vectors).sum(axis=1).min() >= 0.999


def test_openvino_answers_threads_at_once(tmp_path: Path) -> None:
    """Questions are embedded by several threads at once: each gets its own texts' vectors."""
    embedder = load_embedder(encoder="openvino", cache=tmp_path)
    expected = np.vstack([embedder.embed_queries([t]) for t in TEXTS])
    got: dict[int, list[np.ndarray]] = {i: [] for i in range(8)}

    def ask(i: int) -> None:
        for _ in range(20):
            got[i].append(np.asarray(embedder.embed_queries([TEXTS[i % len(TEXTS)]]))[0])

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for i, vectors in got.items():
        assert len(vectors) == 20
        assert all(np.allclose(v, expected[i % len(TEXTS)], atol=1e-5) for v in vectors)


@pytest.mark.parametrize(("encoder", "closest"), [("onnx", 0.9999), ("onnx-int8", 0.98)])
def test_an_onnx_export_is_fused_and_agrees_with_torch(
    tmp_path: Path, torch_vectors: np.ndarray, encoder: str, closest: float
) -> None:
    vectors = np.asarray(load_embedder(encoder=encoder, cache=tmp_path).embed_documents(TEXTS))
    cosines = (vectors * torch_vectors).sum(axis=1)
    assert cosines.min() >= closest
    graph = onnx.load(str(export_dir(tmp_path, "all-MiniLM-L6-v2", encoder) / "model.onnx")).graph
    kinds = {node.op_type for node in graph.node}
    attention = "QAttention" if encoder == "onnx-int8" else "Attention"
    assert attention in kinds  # one fused operator per layer, not MatMul/Softmax chains
    assert "Softmax" not in kinds


def test_texts_of_different_lengths_in_one_batch_get_their_own_vectors(tmp_path: Path) -> None:
    """Padding a short text to a long one's width (the fused attention's mask) changes nothing."""
    embedder = load_embedder(encoder="onnx", cache=tmp_path)
    together = np.asarray(embedder.embed_documents(TEXTS))
    alone = np.vstack([embedder.embed_documents([t]) for t in TEXTS])
    assert np.allclose(together, alone, atol=1e-4)


def test_releasing_the_documents_runtime_keeps_questions_and_vectors_the_same(
    tmp_path: Path,
) -> None:
    embedder = load_embedder(encoder="openvino", cache=tmp_path)
    question = np.asarray(embedder.embed_queries(["ports"]))
    before = np.asarray(embedder.embed_documents(TEXTS * 20))
    embedder.release_documents()
    assert np.allclose(np.asarray(embedder.embed_queries(["ports"])), question)
    assert np.allclose(np.asarray(embedder.embed_documents(TEXTS * 20)), before, atol=1e-5)
