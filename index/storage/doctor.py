"""Check an index directory: its manifest, files and counts, and what interrupted writers left.

``check_index`` never raises for a damaged index and never changes it: it lists each problem with
the command that fixes it (``newsbot doctor`` prints them, one a line).
"""

from __future__ import annotations

import contextlib
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from ..embed import vector_family
from ..errors import IndexCorruptError, IndexMismatchError, NewsIndexError
from .milvus import MilvusStore, MilvusVectors, Remote
from .store import Store, connect, generation_dirs

__all__ = ["IndexProblem", "check_index"]

REINDEX = "run `newsbot reindex` to rebuild the index from the stored articles"
LEFTOVER = "harmless: the next ingest, remove or reindex deletes it (or delete it yourself)"


@dataclass(frozen=True)
class IndexProblem:
    """One thing wrong with an index, and what to run about it."""

    problem: str
    fix: str

    def __str__(self) -> str:
        return f"{self.problem}: {self.fix}"


def check_index(
    path: str | Path,
    *,
    model: str | None = None,
    encoder: str | None = None,
    remote: Remote | None = None,
) -> list[IndexProblem]:
    """Every problem of the index in ``path`` (empty when it is sound).

    ``model`` and ``encoder`` are the configured ones (None: whatever the index was built with);
    ``remote`` the configured Milvus server, checked when the index keeps its vectors there.
    """
    store = Store(Path(path))
    if not generation_dirs(store.root):
        return [IndexProblem(f"{store.root} holds no index", "run `newsbot ingest PATH...`")]
    problems = [IndexProblem(f"{p.name} was left by an interrupted write", LEFTOVER)
                for p in store.leftovers()]  # fmt: skip
    if not (store.root / "CURRENT").exists():
        problems.append(IndexProblem("CURRENT is missing (the newest generation is used)", REINDEX))
    try:
        name = store.current_name()
    except IndexCorruptError:
        return [*problems, IndexProblem("CURRENT does not name a generation", REINDEX)]
    assert name is not None
    gen = store.root / name
    manifest: dict[str, Any] = {}
    try:
        manifest = store.read_manifest(gen)
    except IndexCorruptError:
        what = "missing" if not (gen / "manifest.json").exists() else "damaged or incomplete"
        problems.append(IndexProblem(f"{gen.name}/manifest.json is {what}", REINDEX))
    except IndexMismatchError as exc:  # not a newsbot index, or another schema: stop here
        problem, _, fix = str(exc).partition(": ")
        return [*problems, IndexProblem(problem, fix)]
    ids, found = _sqlite(store, gen)
    problems += found
    if ids is None:
        return problems
    problems += _model(manifest, model, encoder)
    problems += _counts(gen, manifest, ids, remote)
    return problems


def _sqlite(store: Store, gen: Path) -> tuple[np.ndarray | None, list[IndexProblem]]:
    """The passage ids in the SQLite file, or None with the problem when it cannot be read."""
    db = gen / "news.sqlite"
    what = f"{gen.name}/news.sqlite is missing"
    if db.is_file():
        try:
            with contextlib.closing(connect(db, readonly=True)) as con:
                verdict = con.execute("PRAGMA quick_check").fetchone()[0]
                if verdict == "ok":
                    rows = con.execute("SELECT id FROM passages ORDER BY id").fetchall()
                    return np.array([r[0] for r in rows], dtype=np.int64), []
                what = f"{gen.name}/news.sqlite is damaged ({verdict})"
        except sqlite3.DatabaseError as exc:
            what = f"{gen.name}/news.sqlite is damaged ({exc})"
    fix = "the stored articles cannot be read: ingest them again into a new --data directory"
    previous = [g for g in generation_dirs(store.root) if g.name < gen.name]
    if previous and _readable(previous[-1] / "news.sqlite"):
        fix += f", or go back to the previous generation: write {previous[-1].name} into CURRENT"
    return None, [IndexProblem(what, fix)]


def _readable(db: Path) -> bool:
    try:
        with contextlib.closing(connect(db, readonly=True)) as con:
            return bool(con.execute("PRAGMA quick_check").fetchone()[0] == "ok")
    except sqlite3.DatabaseError:
        return False


def _model(manifest: dict[str, Any], model: str | None, encoder: str | None) -> list[IndexProblem]:
    built = manifest.get("model")
    if built is None:
        return []
    problems = []
    if model and model not in (built, f"sentence-transformers/{built}"):
        problems.append(
            IndexProblem(
                f"the index was built with the model {built!r}, EMBEDDING_MODEL is {model!r}",
                f"run `newsbot reindex` to re-embed with {model!r}, or set EMBEDDING_MODEL={built}",
            )
        )
    built_encoder = manifest.get("encoder", "torch")
    if encoder and vector_family(encoder) != vector_family(built_encoder):
        problems.append(
            IndexProblem(
                f"the index was built on the {built_encoder} encoder, NEWSBOT_ENCODER is {encoder}",
                f"run `newsbot reindex`, or set NEWSBOT_ENCODER={built_encoder}",
            )
        )
    return problems


def _counts(
    gen: Path, manifest: dict[str, Any], ids: np.ndarray, remote: Remote | None
) -> list[IndexProblem]:
    """SQLite, FAISS (or Milvus), BM25 and the manifest must hold the same passages."""
    problems = []
    if manifest and manifest["passages"] != len(ids):
        problems.append(
            IndexProblem(
                f"the manifest counts {manifest['passages']} passages, news.sqlite {len(ids)}",
                REINDEX,
            )
        )
    vectors = manifest.get("vectors") if manifest else None
    if isinstance(vectors, dict) and vectors.get("collection"):
        problems += _remote(manifest, vectors["collection"], ids, remote)
    else:
        problems += _vectors(gen, ids)
    if len(ids):
        problems += _bm25(gen, ids)
    return problems


def _vectors(gen: Path, ids: np.ndarray) -> list[IndexProblem]:
    try:
        vectors = faiss.read_index(str(gen / "vectors.faiss"))
    except RuntimeError:
        what = "missing" if not (gen / "vectors.faiss").exists() else "damaged"
        return [IndexProblem(f"{gen.name}/vectors.faiss is {what}", REINDEX)]
    try:
        if vectors.ntotal == len(ids) and len(ids):
            vectors.reconstruct_batch(ids)  # raises when a passage has no vector
        if vectors.ntotal == len(ids):
            return []
    except RuntimeError:
        pass
    return [
        IndexProblem(
            f"vectors.faiss holds {vectors.ntotal} vectors that are not the {len(ids)} "
            "passages of news.sqlite",
            REINDEX,
        )
    ]


def _remote(
    manifest: dict[str, Any], collection: str, ids: np.ndarray, remote: Remote | None
) -> list[IndexProblem]:
    """The generation's rows in its Milvus collection: one per passage of news.sqlite."""
    if remote is None:
        return [
            IndexProblem(
                f"the vectors are in the Milvus collection {collection}",
                "set NEWSBOT_STORE to the Milvus server's address (milvus://HOST:PORT/NAME)",
            )
        ]
    removed = manifest["vectors"].get("removed", [])
    try:
        MilvusStore(remote).check(collection)
        vectors = MilvusVectors(remote, collection, manifest["generation"], 0, len(ids))
        rows = vectors.count()
        stale = len(vectors.by_id(removed)) if rows > len(ids) else 0
    except IndexCorruptError as exc:
        return [IndexProblem(*str(exc).split("; ", 1))]
    except NewsIndexError as exc:
        return [IndexProblem(str(exc), "check NEWSBOT_STORE and that Milvus is running")]
    if stale and rows - stale == len(ids):  # a writer killed before its deletes; not searched
        return [
            IndexProblem(
                f"the Milvus collection {collection} still holds {stale} vectors of passages "
                "removed by the last write",
                LEFTOVER,
            )
        ]
    if rows != len(ids):
        return [
            IndexProblem(
                f"the Milvus collection {collection} holds {rows} vectors of this generation, "
                f"not the {len(ids)} passages of news.sqlite",
                REINDEX,
            )
        ]
    return []


def _bm25(gen: Path, ids: np.ndarray) -> list[IndexProblem]:
    try:
        bm25_ids = np.load(gen / "bm25" / "ids.npy", allow_pickle=False)
        import bm25s

        bm25 = bm25s.BM25.load(str(gen / "bm25"), show_progress=False)
        documents = int(bm25.scores["num_docs"])
    except (OSError, ValueError, KeyError, EOFError):
        return [IndexProblem(f"{gen.name}/bm25 is missing or damaged", REINDEX)]
    if documents != len(ids) or not np.array_equal(np.sort(bm25_ids), ids):
        return [
            IndexProblem(
                f"bm25 holds {documents} documents that are not the {len(ids)} passages of "
                "news.sqlite",
                REINDEX,
            )
        ]
    return []
