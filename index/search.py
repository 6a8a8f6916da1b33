"""Hybrid retrieval: dense (FAISS) and lexical (BM25) candidates, fused into one ranking."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import Any

import numpy as np

from .vectors import search as search_vectors

__all__ = ["Candidate", "LexicalModel", "build_bm25", "retrieve", "tokenize"]

_WORD = re.compile(r"\w\w+|\d")
# Question words and fillers that carry no topic; BM25's English list plus the ones questions add.
_STOPWORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for
    from further had has have having he her here hers herself him himself his how i if in
    into is it its itself just me more most my myself no nor not now of off on once only or
    other our ours ourselves out over own same she should so some such than that the their
    theirs them themselves then there these they this those through to too under until up
    very was we were what when where which while who whom why will with would you your yours
    yourself yourselves also say said says tell told many much""".split()
)


@lru_cache(maxsize=1)
def _stemmer() -> Any:
    import Stemmer

    return Stemmer.Stemmer("english")


@lru_cache(maxsize=16384)
def tokenize(text: str) -> tuple[str, ...]:
    """Lower-cased, stop-word-free, Snowball-stemmed words (cached: passages recur)."""
    words = [w for w in _WORD.findall(text.lower()) if w not in _STOPWORDS]
    return tuple(_stemmer().stemWords(words)) if words else ()


def build_bm25(texts: Sequence[str]) -> Any:
    """A bm25s index over ``texts`` (documents are identified by position)."""
    import bm25s

    retriever = bm25s.BM25()
    retriever.index([list(tokenize(t)) or [""] for t in texts], show_progress=False)
    return retriever


@dataclass
class LexicalModel:
    """Inverse document frequencies from the BM25 index, for weighting query terms."""

    idf: dict[str, float]

    @classmethod
    def from_bm25(cls, bm25: Any) -> LexicalModel:
        if bm25 is None:
            return cls({})
        df = np.diff(bm25.scores["indptr"])
        n = int(bm25.scores["num_docs"])
        return cls(
            {
                tok: math.log(1 + (n - df[i] + 0.5) / (df[i] + 0.5))
                for tok, i in bm25.vocab_dict.items()
                if tok and i < len(df)
            }
        )

    def weights(self, tokens: Iterable[str]) -> dict[str, float]:
        """Query terms and their weights (unknown terms count as rare)."""
        return {t: self.idf.get(t, self._rarest) for t in dict.fromkeys(tokens)}

    @cached_property
    def _rarest(self) -> float:
        """The highest weight of a known term (once: a scan of the whole vocabulary)."""
        return max(self.idf.values(), default=1.0)

    @staticmethod
    def coverage(weights: dict[str, float], tokens: set[str]) -> float:
        """Share of the query's term weight present in ``tokens``: 0..1."""
        total = sum(weights.values())
        return sum(w for t, w in weights.items() if t in tokens) / total if total else 0.0


@dataclass
class Candidate:
    """A passage found by either retriever, with both raw scores."""

    passage_id: int
    dense: float
    lexical: float
    score: float = 0.0
    dense_rank: int = 999  # 0-based rank in each retriever's list; 999 when absent from it
    lexical_rank: int = 999


def _dense(vectors: Any, query: np.ndarray, n: int, allowed: np.ndarray | None) -> dict[int, float]:
    if vectors.ntotal == 0:
        return {}
    scores, ids = search_vectors(vectors, query, n, allowed)
    return {int(i): float(s) for s, i in zip(scores, ids, strict=True) if i >= 0}


def _lexical(
    bm25: Any, bm25_ids: np.ndarray, tokens: list[str], n: int, allowed: np.ndarray | None
) -> dict[int, float]:
    """The ``n`` best BM25 hits, scored as ``bm25.retrieve`` scores them (the same float32 sums,
    term by term), but adding only the documents that hold a query term and without its
    thread pool: a tenth of the time on a large corpus."""
    vocab = bm25.vocab_dict if bm25 is not None else {}
    known = [vocab[t] for t in tokens if t in vocab]
    if not known:
        return {}
    scores = bm25.scores
    data, indices, indptr = scores["data"], scores["indices"], scores["indptr"]
    total = np.zeros(int(scores["num_docs"]), dtype=data.dtype)
    for term in known:  # a document occurs once per term: plain fancy-index adds are exact
        lo, hi = int(indptr[term]), int(indptr[term + 1])
        total[indices[lo:hi]] += data[lo:hi]
    if bm25.nonoccurrence_array is not None:
        total += bm25.nonoccurrence_array[known].sum()
    if allowed is not None:
        total *= np.isin(bm25_ids, allowed)
    docs = np.flatnonzero(total > 0)
    if len(docs) > n:
        docs = docs[np.argpartition(-total[docs], n - 1)[:n]]
    docs = docs[np.lexsort((-docs, -total[docs]))]  # ties: the later document first, as bm25s
    return {int(bm25_ids[d]): float(total[d]) for d in docs}


def retrieve(
    snapshot: Any,
    query: np.ndarray,
    tokens: list[str],
    *,
    n: int = 50,
    allowed: np.ndarray | None = None,
    lexical_weight: float = 0.35,
) -> list[Candidate]:
    """Candidates from both retrievers, best first by ``dense + lexical_weight * bm25 / max bm25``."""
    dense = _dense(snapshot.vectors, query, n, allowed)
    lexical = _lexical(snapshot.bm25, snapshot.bm25_ids, tokens, n, allowed)
    top_lexical = max(lexical.values(), default=0.0) or 1.0
    missing = [pid for pid in lexical if pid not in dense]
    if missing:  # dense scores for lexical-only hits, from their stored vectors (8-bit in IVF)
        vecs = snapshot.vectors.reconstruct_batch(np.array(missing, dtype=np.int64))
        dense.update(zip(missing, (vecs @ query).tolist(), strict=True))
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
    return out
