"""The vector index changes type with size and keeps working through the store's operations."""

from __future__ import annotations

from pathlib import Path

import faiss
import numpy as np
import pytest

from index.storage import vectors


def clustered(n: int, dim: int = 32, seed: int = 0) -> np.ndarray:
    """Unit vectors around 40 centres, like embeddings of a few topics."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(40, dim))
    x = centres[rng.integers(0, 40, n)] + 0.6 * rng.normal(size=(n, dim))
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


@pytest.fixture
def small_limit(monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setattr(vectors, "FLAT_LIMIT", 3000)
    monkeypatch.setattr(vectors, "nlist_for", lambda n: 16)
    monkeypatch.setattr(vectors, "nprobe_for", lambda nlist: 8)
    return 3000


def filled(n: int, first_id: int = 100) -> tuple[object, np.ndarray, np.ndarray]:
    x = clustered(n)
    ids = np.arange(first_id, first_id + n, dtype=np.int64)
    index = vectors.empty(x.shape[1])
    index.add_with_ids(x, ids)
    return index, ids, x


def test_small_indexes_stay_exact(small_limit: int) -> None:
    index, _, _ = filled(small_limit - 1)
    assert vectors.fit(index) is index
    assert vectors.describe(index) == {"type": "flat"}


def test_past_the_limit_it_becomes_ivf_with_the_same_ids_and_good_recall(small_limit: int) -> None:
    index, ids, x = filled(small_limit + 500)
    ivf = vectors.fit(index)
    assert vectors.describe(ivf) == {"type": "ivf-sq8", "nlist": 16, "nprobe": 8}
    assert ivf.ntotal == len(ids)
    # decoded 8-bit vectors are close to the originals, found by their own id
    assert np.allclose(ivf.reconstruct(int(ids[7])), x[7], atol=0.02)
    queries = clustered(50, seed=1)
    hits = 0
    for q in queries:
        _, exact = index.search(q[None], 10)
        _, approx = vectors.search(ivf, q, 10, None)
        hits += len(set(exact[0]) & set(approx))
    assert hits / (10 * len(queries)) >= 0.9


def test_ivf_survives_removal_clone_and_a_round_trip_to_disk(
    small_limit: int, tmp_path: Path
) -> None:
    index, ids, x = filled(small_limit + 500)
    ivf = vectors.fit(index)
    ivf.remove_ids(ids[:10])
    copy = faiss.clone_index(ivf)
    faiss.write_index(copy, str(tmp_path / "v.faiss"))
    back = faiss.read_index(str(tmp_path / "v.faiss"))
    assert back.ntotal == len(ids) - 10
    assert vectors.describe(back)["nprobe"] == 8
    _, found = vectors.search(back, x[20], 1, None)
    assert found[0] == ids[20]
    with pytest.raises(RuntimeError):
        back.reconstruct(int(ids[0]))


def test_a_narrow_filter_is_searched_exactly(small_limit: int) -> None:
    index, ids, x = filled(small_limit + 500)
    ivf = vectors.fit(index)
    allowed = ids[::400]
    scores, found = vectors.search(ivf, x[0], 5, allowed)
    assert set(found) <= set(allowed) and len(found) == 5
    assert list(scores) == sorted(scores, reverse=True)
    assert found[0] == ids[0]  # x[0] is allowed and is its own best match


def test_shrinking_far_below_the_limit_turns_exact_again(small_limit: int) -> None:
    index, ids, _ = filled(small_limit + 500)
    ivf = vectors.fit(index)
    ivf.remove_ids(ids[:small_limit])
    flat = vectors.fit(ivf)
    assert vectors.describe(flat) == {"type": "flat"}
    assert sorted(faiss.vector_to_array(flat.id_map)) == list(ids[small_limit:])
