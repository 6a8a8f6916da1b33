"""Retrieve: dense (FAISS) and lexical (BM25) candidates, fused into one ranking, and the
passages naming a rare name of the question kept in the pool."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..storage.lexical import holding
from ..storage.lexical import search as search_lexical
from ..storage.store import Snapshot
from ..storage.vectors import Filters, stored
from ..storage.vectors import search as search_vectors

__all__ = ["Candidate", "retrieve"]


@dataclass
class Candidate:
    """A passage found by either retriever, with both raw scores."""

    passage_id: int
    dense: float
    lexical: float
    score: float = 0.0
    dense_rank: int = 999  # 0-based rank in each retriever's list; 999 when absent from it
    lexical_rank: int = 999


def _dense(
    vectors: Any, query: np.ndarray, n: int, allowed: np.ndarray | None, filters: Filters
) -> dict[int, float]:
    if vectors.ntotal == 0:
        return {}
    scores, ids = search_vectors(vectors, query, n, allowed, filters)
    return {int(i): float(s) for s, i in zip(scores, ids, strict=True) if i >= 0}


def _named(
    snapshot: Snapshot,
    tokens: Sequence[str],
    names: Sequence[str],
    allowed: np.ndarray | None,
    rare: int,
    hits: int,
) -> dict[int, float]:
    """For each name held by at most ``rare`` passages, its ``hits`` best passages by the whole
    question's BM25: a surname found in one article must reach the re-ranker even when the
    question's other words favour a dozen articles on the topic."""
    out: dict[int, float] = {}
    for name in names:
        ids = holding(snapshot.bm25, snapshot.bm25_ids, name, rare)
        if ids is None:
            continue
        if allowed is not None:
            ids = np.intersect1d(ids, allowed)
        out.update(search_lexical(snapshot.bm25, snapshot.bm25_ids, tokens, hits, ids))
    return out


def retrieve(
    snapshot: Snapshot,
    query: np.ndarray,
    tokens: Sequence[str],
    *,
    n: int = 50,
    pool: int = 20,
    allowed: np.ndarray | None = None,
    filters: Filters = (None, None, None),
    lexical_weight: float = 0.35,
    names: Sequence[str] = (),
    rare: int = 40,
    name_hits: int = 3,
) -> list[Candidate]:
    """The ``pool`` best candidates of both retrievers by ``dense + lexical_weight * bm25 / max
    bm25``, where the best passages naming a rare one of ``names`` (terms, as ``tokens``) take
    the last places (at most a quarter of them) if they rank lower. ``allowed`` holds the ids
    that ``filters`` (source, since, until) allow."""
    dense = _dense(snapshot.vectors, query, n, allowed, filters)
    lexical = search_lexical(snapshot.bm25, snapshot.bm25_ids, tokens, n, allowed)
    named = _named(snapshot, tokens, names, allowed, rare, name_hits)
    lexical.update({pid: score for pid, score in named.items() if pid not in lexical})
    top_lexical = max(lexical.values(), default=0.0) or 1.0
    missing = [pid for pid in lexical if pid not in dense]
    if missing:  # dense scores for lexical-only hits, from their stored vectors (8-bit in IVF)
        found = stored(snapshot.vectors, missing)  # all of them, but a passage Milvus dropped
        if found:
            vecs = np.stack(list(found.values()))
            dense.update(zip(found, (vecs @ query).tolist(), strict=True))
    dense_rank = {
        pid: i for i, pid in enumerate(sorted(dense, key=dense.__getitem__, reverse=True)[:n])
    }
    lexical_rank = {pid: i for i, pid in enumerate(lexical)}
    out = [
        Candidate(
            pid,
            d,
            lexical.get(pid, 0.0),
            d + lexical_weight * lexical.get(pid, 0.0) / top_lexical,
            dense_rank.get(pid, 999),
            lexical_rank.get(pid, 999),
        )
        for pid, d in dense.items()
    ]
    out.sort(key=lambda c: c.score, reverse=True)
    late = [c for c in out[pool:] if c.passage_id in named][: pool // 4]
    return out[: pool - len(late)] + late
