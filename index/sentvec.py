"""Sentence vectors stored with their passage, so answering a question embeds only the question.

Each passage's sentences are embedded at ingest, in the same forward pass as the passage (see
``TransformerEmbedder.embed_passages``), and kept in the ``sentence_vectors`` table as float16
(half the size; cosines move by < 1e-3) beside the sentence spans they belong to.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence

import numpy as np

__all__ = ["TABLE", "Stored", "decode", "encode", "lookup", "lookup_all", "spans"]

TABLE = """
CREATE TABLE IF NOT EXISTS sentence_vectors (
    passage_id INTEGER PRIMARY KEY REFERENCES passages(id) ON DELETE CASCADE,
    spans BLOB NOT NULL, vectors BLOB NOT NULL
);
"""

Span = tuple[int, int]
Stored = tuple[bytes, bytes]  # (spans as int32 pairs, vectors as float16), as in the table


def encode(spans: Sequence[Span], vectors: np.ndarray) -> Stored:
    """The table's form of one passage's sentence spans (article offsets) and vectors."""
    return (
        np.asarray(spans, dtype=np.int32).reshape(-1, 2).tobytes(),
        np.asarray(vectors, dtype=np.float16).tobytes(),
    )


def spans(stored: Stored, start: int) -> list[Span]:
    """The sentence spans stored for a passage, as article offsets (the passage starts at
    ``start``): the passage's sentences as they were when it was embedded."""
    flat = (np.frombuffer(stored[0], dtype=np.int32) + start).tolist()
    return list(zip(flat[::2], flat[1::2], strict=True))


def decode(stored: Stored, spans: Sequence[Span], dimension: int) -> np.ndarray | None:
    """The vectors of ``spans``, or None when what is stored was made for other spans."""
    raw_spans, raw_vectors = stored
    if np.frombuffer(raw_spans, dtype=np.int32).tolist() != [x for s in spans for x in s]:
        return None
    vectors = np.frombuffer(raw_vectors, dtype=np.float16).reshape(-1, dimension)
    return vectors.astype(np.float32)


def lookup(con: sqlite3.Connection, passage_ids: Sequence[int]) -> dict[int, Stored]:
    """What is stored for each of ``passage_ids`` (missing ones are left out)."""
    if not passage_ids:
        return {}
    try:
        rows = con.execute(
            "SELECT passage_id, spans, vectors FROM sentence_vectors WHERE passage_id IN "
            f"({','.join('?' * len(passage_ids))})",
            list(passage_ids),
        ).fetchall()
    except sqlite3.OperationalError:  # an index made before sentence vectors were stored
        return {}
    return {int(r[0]): (bytes(r[1]), bytes(r[2])) for r in rows}


def lookup_all(con: sqlite3.Connection) -> Iterator[tuple[int, Stored]]:
    """Everything stored, by passage id."""
    try:
        rows = con.execute("SELECT passage_id, spans, vectors FROM sentence_vectors").fetchall()
    except sqlite3.OperationalError:
        return
    for r in rows:
        yield int(r[0]), (bytes(r[1]), bytes(r[2]))
