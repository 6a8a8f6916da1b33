"""One index generation on disk: SQLite metadata, FAISS vectors, a BM25 index and a manifest.

Layout of the data directory::

    CURRENT            name of the published generation (replaced atomically)
    gen-000007/        a generation: manifest.json, news.sqlite, vectors.faiss, bm25/
    .gen-000008.tmp/   a draft being written; never read, removed if left behind
    .lock              held by the one writer

A write copies the published generation into a draft, changes it, then publishes it with a rename
of the directory and an atomic replace of CURRENT: readers see the old generation or the new one,
never half of one. No pickle anywhere: SQLite, FAISS's own format, numpy arrays and JSON.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import shutil
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from . import sentvec
from . import vectors as vector_index
from .errors import IndexBusyError, IndexCorruptError, IndexMismatchError, NewsIndexError

__all__ = ["SCHEMA_VERSION", "Draft", "Snapshot", "Store"]

SCHEMA_VERSION = 1
_GEN = re.compile(r"gen-(\d{6})")
_SCHEMA = (
    """
CREATE TABLE IF NOT EXISTS articles (
    id TEXT PRIMARY KEY, title TEXT NOT NULL, source TEXT NOT NULL, url TEXT, published TEXT,
    author TEXT, text TEXT NOT NULL, raw TEXT NOT NULL, content_hash TEXT NOT NULL,
    added_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS articles_source ON articles(source);
CREATE INDEX IF NOT EXISTS articles_published ON articles(published);
CREATE INDEX IF NOT EXISTS articles_hash ON articles(content_hash);
CREATE TABLE IF NOT EXISTS passages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    article_id TEXT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    start INTEGER NOT NULL, end INTEGER NOT NULL, text_hash TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS passages_article ON passages(article_id);
CREATE TABLE IF NOT EXISTS paragraph_counts (
    source TEXT NOT NULL, key TEXT NOT NULL, n INTEGER NOT NULL, PRIMARY KEY (source, key)
);
"""
    + sentvec.TABLE
)
HELP_REBUILD = "run `newsbot reindex` to rebuild it from the stored articles"


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def connect(path: Path, *, readonly: bool) -> sqlite3.Connection:
    """A SQLite connection usable from any thread (callers serialise their own use)."""
    uri = f"file:{path}?mode=ro" if readonly else f"file:{path}"
    con = sqlite3.connect(uri, uri=True, check_same_thread=False, isolation_level=None)
    con.row_factory = sqlite3.Row
    con.execute("PRAGMA foreign_keys = ON")
    return con


@dataclass
class Snapshot:
    """A published generation loaded for reading. Immutable once built."""

    path: Path
    manifest: dict[str, Any]
    vectors: Any  # faiss.Index with passage ids
    bm25: Any  # bm25s.BM25 or None when empty
    bm25_ids: np.ndarray  # passage id of each BM25 document

    @property
    def generation(self) -> int:
        return int(self.manifest["generation"])

    def connect(self) -> sqlite3.Connection:
        return connect(self.path / "news.sqlite", readonly=True)


class Draft:
    """A generation being written in a hidden directory; ``Store.publish`` makes it current."""

    def __init__(self, path: Path, generation: int, vectors: Any) -> None:
        self.path = path
        self.generation = generation
        self.db = connect(path / "news.sqlite", readonly=False)
        self.db.executescript(_SCHEMA)
        self.vectors = vectors

    def close(self) -> None:
        self.db.close()


class Store:
    """The data directory: finds, loads, drafts and publishes generations."""

    def __init__(self, root: Path) -> None:
        self.root = root

    # -- reading -----------------------------------------------------------------------------
    def current_name(self) -> str | None:
        try:
            name = (self.root / "CURRENT").read_text().strip()
        except FileNotFoundError:
            return None
        if not _GEN.fullmatch(name):
            raise IndexCorruptError(
                f"{self.root}/CURRENT is damaged ({name[:40]!r}); {HELP_REBUILD}"
            )
        return name

    def read_manifest(self, gen_dir: Path) -> dict[str, Any]:
        try:
            manifest = json.loads((gen_dir / "manifest.json").read_text())
        except FileNotFoundError as exc:
            raise IndexCorruptError(f"{gen_dir} has no manifest.json; {HELP_REBUILD}") from exc
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise IndexCorruptError(f"{gen_dir}/manifest.json is damaged; {HELP_REBUILD}") from exc
        if not isinstance(manifest, dict) or manifest.get("format") != "newsbot-index":
            raise IndexMismatchError(f"{gen_dir} does not hold a newsbot index")
        if manifest.get("schema") != SCHEMA_VERSION:
            raise IndexMismatchError(
                f"{self.root} uses index schema {manifest.get('schema')}, this newsbot reads "
                f"{SCHEMA_VERSION}: ingest your articles into a new --data directory"
            )
        return manifest

    def load(self) -> Snapshot | None:
        """The published generation, or None for a new, empty directory."""
        name = self.current_name()
        if name is None:
            return None
        path = self.root / name
        manifest = self.read_manifest(path)
        try:
            vectors = faiss.read_index(str(path / "vectors.faiss"))
        except RuntimeError as exc:
            raise IndexCorruptError(
                f"{path}/vectors.faiss is missing or damaged; {HELP_REBUILD}"
            ) from exc
        if vectors.ntotal != manifest["passages"]:
            raise IndexCorruptError(
                f"{path}/vectors.faiss does not match its manifest; {HELP_REBUILD}"
            )
        bm25, bm25_ids = None, np.zeros(0, dtype=np.int64)
        if manifest["passages"]:
            import bm25s

            try:
                bm25 = bm25s.BM25.load(str(path / "bm25"), show_progress=False)
                bm25_ids = np.load(path / "bm25" / "ids.npy", allow_pickle=False)
            except (OSError, ValueError) as exc:
                raise IndexCorruptError(
                    f"{path}/bm25 is missing or damaged; {HELP_REBUILD}"
                ) from exc
        try:
            with contextlib.closing(connect(path / "news.sqlite", readonly=True)) as con:
                con.execute("SELECT count(*) FROM passages").fetchone()
        except sqlite3.DatabaseError as exc:
            raise IndexCorruptError(
                f"{path}/news.sqlite is damaged ({exc}); {HELP_REBUILD}"
            ) from exc
        return Snapshot(path, manifest, vectors, bm25, bm25_ids)

    # -- writing -----------------------------------------------------------------------------
    @contextlib.contextmanager
    def writer(self) -> Iterator[None]:
        """Hold the directory's write lock (one writer across processes)."""
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / ".lock", "a+") as fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError as exc:
                raise IndexBusyError(
                    f"another ingest or reindex is writing {self.root}; try again when it finishes"
                ) from exc
            try:
                self._remove_drafts()
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def _remove_drafts(self) -> None:
        for leftover in self.root.glob(".gen-*.tmp"):
            shutil.rmtree(leftover, ignore_errors=True)

    def begin(
        self, snapshot: Snapshot | None, dimension: int, *, copy_vectors: bool = True
    ) -> Draft:
        """A draft holding a copy of ``snapshot`` (or an empty index); call under ``writer()``."""
        generation = (snapshot.generation if snapshot else 0) + 1
        path = self.root / f".gen-{generation:06d}.tmp"
        shutil.rmtree(path, ignore_errors=True)
        path.mkdir(parents=True)
        if snapshot is not None:
            with (
                contextlib.closing(snapshot.connect()) as src,
                contextlib.closing(connect(path / "news.sqlite", readonly=False)) as dst,
            ):
                src.backup(dst)
        if snapshot is not None and copy_vectors:
            vectors = faiss.clone_index(snapshot.vectors)
        else:
            vectors = vector_index.empty(dimension)
        return Draft(path, generation, vectors)

    def publish(
        self, draft: Draft, manifest: dict[str, Any], bm25: Any, bm25_ids: np.ndarray
    ) -> Path:
        """Write the draft's files, then make it the current generation atomically."""
        draft.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        draft.close()
        draft.vectors = vector_index.fit(draft.vectors)
        faiss.write_index(draft.vectors, str(draft.path / "vectors.faiss"))
        if bm25 is not None:
            bm25.save(str(draft.path / "bm25"), show_progress=False)
            np.save(draft.path / "bm25" / "ids.npy", bm25_ids, allow_pickle=False)
        manifest = {
            "format": "newsbot-index",
            "schema": SCHEMA_VERSION,
            "generation": draft.generation,
            "updated_at": _now(),
            **manifest,
            "vectors": vector_index.describe(draft.vectors),
        }
        (draft.path / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
        for file in draft.path.rglob("*"):
            if file.is_file():
                with open(file, "rb") as fh:
                    os.fsync(fh.fileno())
        name = f"gen-{draft.generation:06d}"
        final = self.root / name
        shutil.rmtree(final, ignore_errors=True)
        os.rename(draft.path, final)
        tmp = self.root / "CURRENT.tmp"
        tmp.write_text(name + "\n")
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, self.root / "CURRENT")
        _fsync_dir(self.root)
        self._remove_old(keep=2)
        return final

    def discard(self, draft: Draft) -> None:
        draft.close()
        shutil.rmtree(draft.path, ignore_errors=True)

    def _remove_old(self, keep: int) -> None:
        """Keep the newest ``keep`` generations (a reader may still be on the previous one)."""
        gens = sorted(p for p in self.root.iterdir() if p.is_dir() and _GEN.fullmatch(p.name))
        for old in gens[:-keep]:
            shutil.rmtree(old, ignore_errors=True)

    def size_bytes(self, snapshot: Snapshot) -> int:
        return sum(f.stat().st_size for f in snapshot.path.rglob("*") if f.is_file())


def require_writable(root: Path) -> None:
    """Fail early with a clear message when the data directory cannot be written."""
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise NewsIndexError(f"cannot create the data directory {root}: {exc.strerror}") from exc
    if not os.access(root, os.W_OK):
        raise NewsIndexError(f"the data directory {root} is not writable")
