"""One index generation on disk: SQLite metadata, FAISS vectors, a BM25 index and a manifest.

Layout of the data directory::

    CURRENT            name of the published generation (replaced atomically)
    gen-000007/        a generation: manifest.json, news.sqlite, vectors.faiss, bm25/
    .gen-000008.tmp/   a draft being written; never read, removed if left behind
    .lock              held by the one writer

A writer killed at any moment leaves the published generation as it was; what it left behind (a
draft, ``CURRENT.tmp``, a generation renamed but never made current) is removed by the next
writer. A write that fails (disk full, read-only) raises ``IndexWriteError`` and cleans up.

A write copies the published generation into a draft, changes it, then publishes it with a rename
of the directory and an atomic replace of CURRENT: readers see the old generation or the new one,
never half of one. No pickle anywhere: SQLite, FAISS's own format, numpy arrays and JSON.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import functools
import json
import os
import re
import shutil
import sqlite3
import threading
import weakref
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from ..errors import (
    IndexBusyError,
    IndexCorruptError,
    IndexMismatchError,
    IndexWriteError,
)
from . import vectors as vector_index
from .catalog import SCHEMA, Catalog
from .facets import Facets
from .lexical import LexicalModel
from .milvus import MilvusDraft, MilvusStore, MilvusVectors, Remote

__all__ = ["SCHEMA_VERSION", "Draft", "Snapshot", "Store", "generation_dirs", "write_error"]

SCHEMA_VERSION = 1
_GEN = re.compile(r"gen-(\d{6})")
_COUNTS = ("generation", "articles", "passages", "dimension")
HELP_REBUILD = "run `newsbot reindex` to rebuild it from the stored articles"
HELP_REINGEST = "the stored articles cannot be read: ingest them again into a new --data directory"
# OS and SQLite failures that mean "this disk cannot take the write", not a bug.
_WRITE_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM, errno.EIO}
_SQLITE_WRITE = ("disk is full", "readonly", "read-only", "disk i/o error", "unable to open")


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def generation_dirs(root: Path) -> list[Path]:
    """The ``gen-NNNNNN`` directories of ``root``, oldest first."""
    if not root.is_dir():
        return []
    return sorted(p for p in root.iterdir() if p.is_dir() and _GEN.fullmatch(p.name))


def write_error(root: Path, exc: BaseException) -> IndexWriteError | None:
    """``exc`` as a clear ``IndexWriteError`` when the disk refused a write, else None."""
    if isinstance(exc, OSError) and exc.errno in _WRITE_ERRNOS:
        why = exc.strerror or str(exc)
    elif isinstance(exc, sqlite3.OperationalError) and any(
        m in str(exc).lower() for m in _SQLITE_WRITE
    ):
        why = str(exc)
    else:
        return None
    return IndexWriteError(
        f"could not write the index in {root} ({why}); the published index is untouched: "
        "free some disk space or make the directory writable, then run the command again"
    )


def _write_bytes(path: Path, data: bytes) -> None:
    """Write a file of a draft and flush it to disk."""
    with open(path, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


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
    _readers: dict[int, sqlite3.Connection] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        # A connection is in a reference cycle of its own (its statement cache): close them
        # all when the snapshot is freed, rather than when the collector next runs.
        weakref.finalize(self, _close_all, self._readers)

    @property
    def generation(self) -> int:
        return int(self.manifest["generation"])

    @functools.cached_property
    def lexical(self) -> LexicalModel:
        """The weights of the terms of this generation's passages."""
        return LexicalModel.from_bm25(self.bm25)

    @functools.cached_property
    def facets(self) -> Facets:
        """Each passage's source and day, read on the first filtered question."""
        with contextlib.closing(self.connect()) as con:
            return Facets.build(Catalog(con).passage_facets())

    def connect(self) -> sqlite3.Connection:
        return connect(self.path / "news.sqlite", readonly=True)

    def reader(self) -> sqlite3.Connection:
        """This thread's read-only connection, opened on first use and closed with the snapshot:
        its page cache stays warm (a connection per question re-read every page it touched).
        Kept by thread id, so that the snapshot's finaliser can close every thread's (it could
        not reach into a ``threading.local``); a thread that reuses a finished one's id reuses
        its connection. (The bot's threads are pooled: a generation holds a handful.)"""
        thread = threading.get_ident()
        con = self._readers.get(thread)
        if con is None:
            con = self._readers[thread] = self.connect()
        return con


def _close_all(connections: dict[int, sqlite3.Connection]) -> None:
    for con in connections.values():
        con.close()


class Draft:
    """A generation being written in a hidden directory; ``Store.publish`` makes it current."""

    def __init__(self, path: Path, generation: int, vectors: Any) -> None:
        self.path = path
        self.generation = generation
        self.db = connect(path / "news.sqlite", readonly=False)
        self.db.executescript(SCHEMA)
        Catalog(self.db).upgrade()
        self.vectors = vectors

    def close(self) -> None:
        self.db.close()


class Store:
    """The data directory: finds, loads, drafts and publishes generations."""

    def __init__(self, root: Path, *, salvage: bool = False, remote: Remote | None = None) -> None:
        """``salvage``: load a generation whose vectors, BM25 or manifest are damaged as one
        with no passages (its articles intact), for ``reindex`` to rebuild. ``remote``: the
        Milvus collection new generations keep their vectors in (``NEWSBOT_STORE``)."""
        self.root = root
        self.salvage = salvage
        self.remote = remote

    @functools.cached_property
    def milvus(self) -> MilvusStore:
        if self.remote is None:
            raise IndexMismatchError(
                f"the vectors of {self.root} are in Milvus: set NEWSBOT_STORE to its address"
            )
        return MilvusStore(self.remote)

    # -- reading -----------------------------------------------------------------------------
    def current_name(self) -> str | None:
        try:
            name = (self.root / "CURRENT").read_text(errors="replace").strip()
        except FileNotFoundError:
            # Every generation directory is complete (renamed into place after its files were
            # written), so without CURRENT the newest one is the index; the next write restores it.
            gens = generation_dirs(self.root)
            return gens[-1].name if gens else None
        if not _GEN.fullmatch(name) or not (self.root / name).is_dir():
            gens = generation_dirs(self.root)
            if self.salvage and gens:
                return gens[-1].name
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
            raise IndexMismatchError(
                f"{gen_dir}/manifest.json is not a newsbot manifest: point --data (or "
                "NEWSBOT_DATA_DIR) at a newsbot index, or at a new directory to start one"
            )
        if manifest.get("schema") != SCHEMA_VERSION:
            raise IndexMismatchError(
                f"{self.root} uses index schema {manifest.get('schema')}, this newsbot reads "
                f"{SCHEMA_VERSION}: ingest your articles into a new --data directory"
            )
        if not all(isinstance(manifest.get(key), int) for key in _COUNTS):
            raise IndexCorruptError(f"{gen_dir}/manifest.json is incomplete; {HELP_REBUILD}")
        return manifest

    def load(self) -> Snapshot | None:
        """The published generation, or None for a new, empty directory."""
        name = self.current_name()
        if name is None:
            return None
        path = self.root / name
        manifest: dict[str, Any] | None = None
        try:
            manifest = self.read_manifest(path)
        except IndexCorruptError:
            if not self.salvage:
                raise
        articles = self._check_sqlite(path)
        if manifest is not None:
            try:
                return self._searchable(path, manifest)
            except IndexCorruptError:
                if not self.salvage:
                    raise
        # Salvage: the articles are intact; reindex rebuilds passages, vectors and BM25.
        salvaged: dict[str, Any] = {
            "format": "newsbot-index",
            "schema": SCHEMA_VERSION,
            "model": None,
            "dimension": 0,
            **(manifest or {}),
            "generation": int(name[4:]),
            "articles": articles,
            "passages": 0,
        }
        vectors = vector_index.empty(int(salvaged["dimension"]) or 1)
        return Snapshot(path, salvaged, vectors, None, np.zeros(0, np.int64))

    def _check_sqlite(self, path: Path) -> int:
        """The number of stored articles; raises when the SQLite file cannot be read."""
        if not (path / "news.sqlite").is_file():
            raise IndexCorruptError(f"{path}/news.sqlite is missing; {HELP_REINGEST}")
        try:
            with contextlib.closing(connect(path / "news.sqlite", readonly=True)) as con:
                con.execute("SELECT count(*) FROM passages").fetchone()
                return int(con.execute("SELECT count(*) FROM articles").fetchone()[0])
        except sqlite3.DatabaseError as exc:
            raise IndexCorruptError(
                f"{path}/news.sqlite is damaged ({exc}); {HELP_REINGEST}"
            ) from exc

    def _searchable(self, path: Path, manifest: dict[str, Any]) -> Snapshot:
        """The generation's vectors and BM25, checked against its manifest."""
        vectors: Any
        if _collection(manifest):
            vectors = self._remote_vectors(manifest)
        else:
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
            except (OSError, ValueError, KeyError, EOFError) as exc:
                raise IndexCorruptError(
                    f"{path}/bm25 is missing or damaged; {HELP_REBUILD}"
                ) from exc
            if len(bm25_ids) != manifest["passages"]:
                raise IndexCorruptError(f"{path}/bm25 does not match its manifest; {HELP_REBUILD}")
        return Snapshot(path, manifest, vectors, bm25, bm25_ids)

    def _remote_vectors(self, manifest: dict[str, Any]) -> MilvusVectors:
        collection = str(_collection(manifest))
        self.milvus.check(collection)
        return MilvusVectors(
            self.milvus.remote,
            collection,
            int(manifest["generation"]),
            int(manifest["dimension"]),
            int(manifest["passages"]),
            manifest["vectors"].get("removed", []),
        )

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
                for leftover in self.leftovers():
                    _remove(leftover)
                if self.remote is not None:
                    self._tidy_remote()
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def leftovers(self) -> list[Path]:
        """What interrupted writers left: drafts, ``CURRENT.tmp``, generations never published."""
        found = sorted(self.root.glob(".gen-*.tmp"))
        if (self.root / "CURRENT.tmp").exists():
            found.append(self.root / "CURRENT.tmp")
        try:
            current = self.current_name()
        except IndexCorruptError:
            return found  # which generations are unpublished is unknown: keep them all
        if current is not None:
            found += [g for g in generation_dirs(self.root) if g.name > current]
        return found

    def _tidy_remote(self) -> None:
        """Undo what a killed writer left in Milvus: rows of a generation never published, a
        half-filled collection; finish a published one's deletes and alias."""
        manifest = self._current_manifest()
        if manifest is None or not _collection(manifest):
            self.milvus.drop_unused(self._collections_in_use())
            return
        collection = _collection(manifest)
        if self.milvus.exists(collection):  # else lost: the re-index the doctor asks for makes one
            self.milvus.forget_unpublished(collection, int(manifest["generation"]))
            self.milvus.delete(collection, manifest["vectors"].get("removed", []))
            self.milvus.point_alias(collection)
        self.milvus.drop_unused(self._collections_in_use())

    def _current_manifest(self) -> dict[str, Any] | None:
        try:
            name = self.current_name()
            return self.read_manifest(self.root / name) if name else None
        except (IndexCorruptError, IndexMismatchError):
            return None

    def _collections_in_use(self) -> list[str]:
        """The Milvus collections the generations on disk read (the current and the previous)."""
        names = []
        for gen in generation_dirs(self.root):
            with contextlib.suppress(OSError, ValueError):
                names.append(_collection(json.loads((gen / "manifest.json").read_text())))
        return [n for n in names if n]

    def begin(
        self, snapshot: Snapshot | None, dimension: int, *, copy_vectors: bool = True
    ) -> Draft:
        """A draft holding a copy of ``snapshot`` (or an empty index); call under ``writer()``.
        With ``NEWSBOT_STORE`` set, its vectors go to Milvus: added to the live collection,
        or (``copy_vectors`` false: a re-index, a migration) to a new one."""
        generation = (snapshot.generation if snapshot else 0) + 1
        remote_now = snapshot is not None and isinstance(snapshot.vectors, MilvusVectors)
        if copy_vectors and snapshot is not None and snapshot.manifest["passages"]:
            if self.remote is not None and not remote_now:
                raise IndexMismatchError(
                    f"the vectors of {self.root} are stored beside it, not in Milvus: run "
                    "`newsbot migrate --to NEWSBOT_STORE` once to copy them there"
                )
            if self.remote is None and remote_now:
                _ = self.milvus  # raises: the index is in Milvus, the setting is missing
        path = self.root / f".gen-{generation:06d}.tmp"
        shutil.rmtree(path, ignore_errors=True)
        path.mkdir(parents=True)
        try:
            if snapshot is not None:
                with (
                    contextlib.closing(snapshot.connect()) as src,
                    contextlib.closing(connect(path / "news.sqlite", readonly=False)) as dst,
                ):
                    src.backup(dst)
            vectors: Any
            if self.remote is not None:
                live = (
                    snapshot.vectors.collection
                    if snapshot and copy_vectors and remote_now
                    else None
                )
                vectors = self.milvus.draft(live, generation, dimension)
            elif snapshot is not None and copy_vectors:
                vectors = faiss.clone_index(snapshot.vectors)
            else:
                vectors = vector_index.empty(dimension)
            return Draft(path, generation, vectors)
        except BaseException:
            shutil.rmtree(path, ignore_errors=True)
            raise

    def publish(
        self, draft: Draft, manifest: dict[str, Any], bm25: Any, bm25_ids: np.ndarray
    ) -> Path:
        """Write the draft's files, then make it the current generation atomically."""
        remote = isinstance(draft.vectors, MilvusDraft)
        if remote:  # rows tagged with the draft's generation: no reader sees them yet
            added = [int(i) for _, ids in draft.vectors.added for i in ids]
            draft.vectors.insert(Catalog(draft.db).facets_of(added))
            described = {
                "type": "milvus",
                "collection": draft.vectors.collection,
                "removed": draft.vectors.removed,
            }
        draft.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        draft.close()
        if not remote:
            draft.vectors = vector_index.fit(draft.vectors)
            described = vector_index.describe(draft.vectors)
            _write_bytes(
                draft.path / "vectors.faiss", faiss.serialize_index(draft.vectors).tobytes()
            )
        if bm25 is not None:
            bm25.save(str(draft.path / "bm25"), show_progress=False)
            np.save(draft.path / "bm25" / "ids.npy", bm25_ids, allow_pickle=False)
        manifest = {
            "format": "newsbot-index",
            "schema": SCHEMA_VERSION,
            "generation": draft.generation,
            "updated_at": _now(),
            **manifest,
            "vectors": described,
        }
        _write_bytes(draft.path / "manifest.json", (json.dumps(manifest, indent=2) + "\n").encode())
        for file in draft.path.rglob("*"):
            if file.is_file():
                with open(file, "rb") as fh:
                    os.fsync(fh.fileno())
        name = f"gen-{draft.generation:06d}"
        final = self.root / name
        shutil.rmtree(final, ignore_errors=True)
        os.rename(draft.path, final)
        tmp = self.root / "CURRENT.tmp"
        try:
            _write_bytes(tmp, (name + "\n").encode())
            os.replace(tmp, self.root / "CURRENT")
        except BaseException:
            _remove(tmp)
            shutil.rmtree(final, ignore_errors=True)  # never published
            raise
        _fsync_dir(self.root)
        self._remove_old(draft.generation)
        if remote:
            self.milvus.published(draft.vectors, self._collections_in_use())
        return final

    def discard(self, draft: Draft) -> None:
        draft.close()
        shutil.rmtree(draft.path, ignore_errors=True)

    def _remove_old(self, current: int) -> None:
        """Remove generations before the previous one (a reader may still be on that one)."""
        for old in generation_dirs(self.root):
            if int(old.name[4:]) < current - 1:
                shutil.rmtree(old, ignore_errors=True)

    def size_bytes(self, snapshot: Snapshot) -> int:
        return sum(f.stat().st_size for f in snapshot.path.rglob("*") if f.is_file())


def _collection(manifest: dict[str, Any]) -> str | None:
    """The Milvus collection a generation's vectors are in (None: in its own directory)."""
    vectors = manifest.get("vectors")
    return vectors.get("collection") if isinstance(vectors, dict) else None


def _remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def require_writable(root: Path) -> None:
    """Fail early with a clear message when the data directory cannot be written."""
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise IndexWriteError(
            f"cannot create the data directory {root} ({exc.strerror}): choose another --data "
            "directory or create it with write permission"
        ) from exc
    if not os.access(root, os.W_OK):
        raise IndexWriteError(
            f"the data directory {root} is read-only; the published index is untouched: make "
            "it writable (or choose another --data directory) and run the command again"
        )
