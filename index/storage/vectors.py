"""The FAISS index of passage vectors, its type chosen by size.

Below ``FLAT_LIMIT`` passages the search is exact (``IndexFlatIP`` under ``IndexIDMap2``). From
there on it is an inverted file of 8-bit scalar-quantised vectors (``IndexIVFScalarQuantizer``,
inner product): a quarter of the memory, and only ``nprobe`` of its ``nlist`` clusters are scanned
per question. Its direct map (a hash table) keeps ``reconstruct`` and ``remove_ids`` working, so
the store can update it in place like the flat one. Recall@10 against exact search is measured
by ``bench/query.py``.
"""

from __future__ import annotations

import contextlib
import math
import os
from collections.abc import Iterator, Sequence
from datetime import date
from typing import Any

import faiss
import numpy as np

__all__ = [
    "FLAT_LIMIT",
    "Filters",
    "describe",
    "empty",
    "fit",
    "nlist_for",
    "nprobe_for",
    "search",
    "stored",
]

FLAT_LIMIT = 50_000
TRAIN_PER_LIST = 64  # training vectors per cluster (k-means on a sample)
EXACT_FILTERED = 20_000  # a filter allowing at most this many passages is searched exactly
Filters = tuple[str | None, date | None, date | None]  # a question's source, since, until


# A question searches with one thread (the bot answers several at once, in threads); OpenMP's
# team for a single query costs more than it saves, above all on a busy machine. Building an
# index uses every core.
faiss.omp_set_num_threads(1)


@contextlib.contextmanager
def _all_cores() -> Iterator[None]:
    faiss.omp_set_num_threads(os.cpu_count() or 1)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(1)


def nlist_for(n: int) -> int:
    """Clusters for ``n`` vectors: the power of two nearest 2·√n, within 256..4096."""
    return int(min(4096, max(256, 2 ** round(math.log2(2 * math.sqrt(max(n, 1)))))))


def nprobe_for(nlist: int) -> int:
    return max(16, nlist // 16)


def empty(dimension: int) -> Any:
    """A new, exact index."""
    return faiss.IndexIDMap2(faiss.IndexFlatIP(dimension))


def _ivf(index: Any) -> Any | None:
    try:
        return faiss.extract_index_ivf(index)
    except RuntimeError:
        return None


def describe(index: Any) -> dict[str, Any]:
    """The index type and its settings, for the manifest."""
    ivf = _ivf(index)
    if ivf is None:
        return {"type": "flat"}
    return {"type": "ivf-sq8", "nlist": int(ivf.nlist), "nprobe": int(ivf.nprobe)}


def _contents(index: Any) -> tuple[np.ndarray, np.ndarray]:
    """Every (id, vector) in ``index`` (quantised vectors come back decoded)."""
    ivf = _ivf(index)
    if ivf is None:
        ids = faiss.vector_to_array(index.id_map).astype(np.int64)
        return ids, index.index.reconstruct_n(0, index.ntotal)
    lists = ivf.invlists
    ids = np.concatenate(
        [np.zeros(0, np.int64)]
        + [
            faiss.rev_swig_ptr(lists.get_ids(i), lists.list_size(i)).copy()
            for i in range(ivf.nlist)
            if lists.list_size(i)
        ]
    )
    return ids, ivf.reconstruct_batch(ids) if len(ids) else np.zeros((0, ivf.d), np.float32)


def _build_ivf(dimension: int, ids: np.ndarray, vectors: np.ndarray) -> Any:
    nlist = nlist_for(len(ids))
    quantizer = faiss.IndexFlatIP(dimension)
    ivf = faiss.IndexIVFScalarQuantizer(
        quantizer, dimension, nlist, faiss.ScalarQuantizer.QT_8bit, faiss.METRIC_INNER_PRODUCT
    )
    rng = np.random.default_rng(0)
    sample = rng.choice(len(ids), min(len(ids), nlist * TRAIN_PER_LIST), replace=False)
    with _all_cores():
        ivf.train(np.ascontiguousarray(vectors[np.sort(sample)]))
        ivf.set_direct_map_type(faiss.DirectMap.Hashtable)  # type: ignore[attr-defined]
        ivf.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32), ids)
    ivf.nprobe = nprobe_for(nlist)
    return ivf


def fit(index: Any) -> Any:
    """``index``, or the same vectors in the type its size calls for.

    Flat below ``FLAT_LIMIT``; IVF from there. An IVF index is rebuilt (re-clustered) once the
    corpus has grown so much that it would have 4 times the clusters, and turns flat again below
    half the limit.
    """
    n = index.ntotal
    ivf = _ivf(index)
    if ivf is None:
        if n < FLAT_LIMIT:
            return index
    elif n >= FLAT_LIMIT // 2 and nlist_for(n) < 4 * ivf.nlist:
        return index
    ids, vectors = _contents(index)
    if n < FLAT_LIMIT:
        flat = empty(index.d)
        flat.add_with_ids(vectors, ids)
        return flat
    return _build_ivf(index.d, ids, vectors)


def search(
    index: Any,
    query: np.ndarray,
    n: int,
    allowed: np.ndarray | None,
    filters: Filters = (None, None, None),
) -> tuple[np.ndarray, np.ndarray]:
    """Scores and ids of the ``n`` nearest vectors (only ``allowed`` ids, when given).

    A filter that allows few passages is searched exactly on their vectors, so a narrow filter
    never comes back short because its passages sit in clusters that were not scanned. Vectors
    in Milvus are filtered there, by ``filters`` rather than by a list of allowed ids.
    """
    if not isinstance(index, faiss.Index):
        return index.search(query, n, *filters)
    query = query.reshape(1, -1).astype(np.float32)
    n = min(n, index.ntotal)
    ivf = _ivf(index)
    if allowed is None:
        scores, ids = index.search(query, n)
        return scores[0], ids[0]
    if ivf is not None and len(allowed) <= EXACT_FILTERED:
        sims = ivf.reconstruct_batch(allowed) @ query[0] if len(allowed) else np.zeros(0)
        top = np.argsort(-sims, kind="stable")[:n]
        return sims[top].astype(np.float32), allowed[top]
    selector = faiss.IDSelectorBatch(allowed)
    params: Any
    if ivf is not None:
        params = faiss.SearchParametersIVF(sel=selector, nprobe=ivf.nprobe)  # type: ignore[call-arg]
    else:
        params = faiss.SearchParameters(sel=selector)  # type: ignore[call-arg]
    scores, ids = index.search(query, n, params=params)
    return scores[0], ids[0]


def stored(index: Any, ids: Sequence[int]) -> dict[int, np.ndarray]:
    """The vectors of those of ``ids`` that ``index`` holds (FAISS, or Milvus's ``by_id``)."""
    if not isinstance(index, faiss.Index):
        return dict(index.by_id(ids))
    keys = np.asarray(ids, dtype=np.int64)
    try:  # one call for the lot, as a question's lexical-only hits always have vectors
        return dict(zip(keys.tolist(), np.asarray(index.reconstruct_batch(keys)), strict=True))
    except RuntimeError:
        pass
    out: dict[int, np.ndarray] = {}
    for pid in ids:
        with contextlib.suppress(RuntimeError):  # a passage left without a vector
            out[int(pid)] = np.asarray(index.reconstruct(int(pid)))
    return out
