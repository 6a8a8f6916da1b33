"""Passage vectors in Milvus (``NEWSBOT_STORE=milvus://host:19530/name``), in place of FAISS.

One collection holds the vectors of many generations. Each row has the passage id (the
catalog's, never reused), its vector, its article's id, source and day (filterable fields: a
question's source/since/until filter runs in Milvus) and ``gen``, the generation that added it:

- an ingest inserts its new passages with ``gen`` = the draft's generation before it publishes
  the catalog; a reader of generation G searches ``gen <= G``, so it never sees a draft's rows;
- the passages an ingest removes are deleted after it publishes, and listed in the manifest so
  that its readers skip them meanwhile and the next writer deletes them again if this one was
  killed in between;
- a re-index (or ``migrate``) fills a new collection ``<name>_gNNNNNN`` and, once published,
  points the alias ``<name>`` at it; readers still on the old generation search the old
  collection by its name until they move on, and the next writer drops it.

The catalog (articles, passages, statements, sentence vectors) and BM25 stay in the data
directory beside it: see docs/scaling.md for where each part lives and why.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, TypeVar
from urllib.parse import urlsplit

import numpy as np

from ..errors import IndexCorruptError, StoreUnavailableError
from .facets import UNDATED, ordinal
from .vectors import FLAT_LIMIT, nlist_for, nprobe_for

__all__ = ["MilvusDraft", "MilvusStore", "MilvusVectors", "Remote", "remote_from"]

log = logging.getLogger("newsbot.store")
_BATCH = 2000  # rows per insert or id query (well under gRPC's 64 MB message limit)
_TOP_K = 16384  # the most hits Milvus returns for one search
_MAX_VARCHAR = 65_535  # Milvus's longest string field (bytes), for article ids and source names
_clients: dict[tuple[str, str | None], Any] = {}
_clients_lock = threading.Lock()
_T = TypeVar("_T")


@dataclass(frozen=True)
class Remote:
    """Where the vectors live: the client URI, the token (never shown) and the collection name."""

    uri: str
    name: str
    token: str | None = field(default=None, repr=False)

    def __str__(self) -> str:
        return f"{self.uri} (collection {self.name})"


def remote_from(setting: str, token: str | None = None) -> Remote:
    """``milvus://host:port[/name]`` (``milvus+https://`` for TLS), ``http(s)://host:port[/name]``,
    or a Milvus Lite file ``path/to/file.db``; the collection name defaults to ``newsbot``."""
    if setting.endswith(".db") and "://" not in setting:
        return Remote(setting, "newsbot", token)
    parts = urlsplit(setting)
    scheme = {"milvus": "http", "milvus+https": "https"}.get(parts.scheme, parts.scheme)
    if scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(
            f"NEWSBOT_STORE={setting!r} is not a Milvus address: use milvus://HOST:PORT[/NAME] "
            "(milvus+https:// for TLS) or a Milvus Lite file ending in .db"
        )
    name = parts.path.strip("/") or "newsbot"
    if not name.replace("_", "").isalnum() or not name[0].isalpha():
        raise ValueError(
            f"NEWSBOT_STORE={setting!r}: the collection name {name!r} must be letters, digits "
            "and _, starting with a letter"
        )
    return Remote(f"{scheme}://{parts.hostname}:{parts.port or 19530}", name, token)


@contextlib.contextmanager
def _reaching(uri: str) -> Iterator[None]:
    """Milvus's and gRPC's own errors as ``StoreUnavailableError`` (a clear message, not a
    traceback); the token is never part of it."""
    from pymilvus.exceptions import MilvusException

    try:
        yield
    except (MilvusException, ConnectionError, TimeoutError) as exc:
        # The reader is told no address: a Discord member sees this message.
        log.warning("Milvus at %s did not answer: %s", uri, getattr(exc, "message", exc))
        raise StoreUnavailableError(
            "the vector store (Milvus) did not answer; nothing was changed: try again in a "
            "minute (the log names the server and its error; check NEWSBOT_STORE)"
        ) from exc


def _remote_call(method: Callable[..., _T]) -> Callable[..., _T]:
    @functools.wraps(method)
    def call(self: Any, *args: Any, **kwargs: Any) -> _T:
        with _reaching(self.remote.uri):
            return method(self, *args, **kwargs)

    return call


def _client(remote: Remote) -> Any:
    """One client per server and token in this process (gRPC channels are thread-safe)."""
    key = (remote.uri, remote.token)
    with _clients_lock, _reaching(remote.uri):
        if key not in _clients:
            from pymilvus import MilvusClient

            _clients[key] = MilvusClient(uri=remote.uri, token=remote.token or "", timeout=10)
        return _clients[key]


def _filter(generation: int, source: str | None, since: date | None, until: date | None) -> str:
    """The Milvus expression for one generation's rows under a question's filters (the same
    rules as ``Facets.where``: an undated article passes no since/until filter)."""
    terms = [f"gen <= {generation}"]
    if source:
        # not ASCII-escaped: Milvus Lite's parser reads \" and \\ in a string, not \u00fc
        terms.append(f"source == {json.dumps(source, ensure_ascii=False)}")
    if since:
        terms.append(f"day >= {since.toordinal()}")
    if until:
        terms.append(f"day <= {until.toordinal()} and day != {UNDATED}")
    return " and ".join(terms)


def _ids(ids: Iterable[int]) -> str:
    return "id in [" + ",".join(str(int(i)) for i in ids) + "]"


class MilvusVectors:
    """One generation's vectors in a collection, with the part of FAISS's interface the rest of
    the index uses (``ntotal``, ``d``, ``reconstruct_batch``) and a filtered ``search``.

    ``removed``: the passages this generation removed (its manifest's list). Their rows are
    deleted only after it is published (by the next writer, if its own was killed), so until
    then a search skips them: they are not in this generation's catalog."""

    def __init__(
        self,
        remote: Remote,
        collection: str,
        generation: int,
        dimension: int,
        n: int,
        removed: Iterable[int] = (),
    ):
        self.remote = remote
        self.collection = collection
        self.generation = generation
        self.d = dimension
        self.ntotal = n
        self.removed = frozenset(int(i) for i in removed)
        self._client = _client(remote)

    @_remote_call
    def search(
        self,
        query: np.ndarray,
        n: int,
        source: str | None = None,
        since: date | None = None,
        until: date | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Scores and ids of the ``n`` nearest passages of this generation under the filters."""
        n = max(1, min(n, self.ntotal))
        hits = self._loaded(
            lambda: self._client.search(
                self.collection,
                [np.asarray(query, dtype=np.float32).ravel().tolist()],
                anns_field="vector",
                limit=min(n + len(self.removed), _TOP_K),
                filter=_filter(self.generation, source, since, until),
                search_params={
                    "metric_type": "IP",
                    "params": {"nprobe": nprobe_for(nlist_for(self.ntotal))},
                },
            )
        )[0]
        hits = [h for h in hits if h["id"] not in self.removed][:n]
        return (
            np.array([h["distance"] for h in hits], dtype=np.float32),
            np.array([h["id"] for h in hits], dtype=np.int64),
        )

    @_remote_call
    def by_id(self, ids: Iterable[int]) -> dict[int, np.ndarray]:
        """The stored vectors of those of ``ids`` this collection holds."""
        ids = [int(i) for i in ids]
        out: dict[int, np.ndarray] = {}
        for i in range(0, len(ids), _BATCH):
            query = functools.partial(
                self._client.query,
                self.collection,
                filter=_ids(ids[i : i + _BATCH]),
                output_fields=["vector"],
            )
            rows = self._loaded(query)
            out.update((int(r["id"]), np.asarray(r["vector"], dtype=np.float32)) for r in rows)
        return out

    def _loaded(self, call: Callable[[], _T]) -> _T:
        """``call``, made once more after loading the collection if the server had released
        it: a restarted Milvus (Lite, or a cluster after a release) searches nothing until
        then, and the bot would fail every question until its next write."""
        from pymilvus.exceptions import MilvusException

        try:
            return call()
        except MilvusException:
            if not _load(self._client, self.collection):
                raise
            return call()

    @_remote_call
    def count(self) -> int:
        """Rows of this generation in the collection (for the doctor)."""
        rows = self._client.query(
            self.collection, filter=f"gen <= {self.generation}", output_fields=["count(*)"]
        )
        return int(rows[0]["count(*)"])


def _load(client: Any, collection: str) -> bool:
    """Load ``collection`` into the server's memory unless it is; whether it had to."""
    from pymilvus.client.types import LoadState

    if client.get_load_state(collection).get("state") == LoadState.Loaded:
        return False
    client.load_collection(collection)
    return True


class MilvusDraft:
    """The vectors of a generation being written: added rows go in at publish, tagged with the
    draft's generation; removed ones are deleted once it is published."""

    def __init__(self, store: MilvusStore, collection: str, generation: int, dimension: int):
        self.store = store
        self.collection = collection
        self.generation = generation
        self.d = dimension
        self.fresh = collection == store.collection_for(generation)
        self.added: list[tuple[np.ndarray, np.ndarray]] = []
        self.removed: list[int] = []

    def add_with_ids(self, vectors: np.ndarray, ids: np.ndarray) -> None:
        self.added.append((np.asarray(vectors, dtype=np.float32), np.asarray(ids, np.int64)))

    def remove_ids(self, ids: np.ndarray) -> None:
        self.removed += [int(i) for i in ids]

    @property
    def remote(self) -> Remote:
        return self.store.remote

    @property
    def ntotal(self) -> int:
        return sum(len(ids) for _, ids in self.added)

    @_remote_call
    def insert(self, facets: dict[int, tuple[str, str, str | None]]) -> None:
        """Insert the added rows with their article, source and day (``facets``: id → (article
        id, source, published)); creates the collection of a re-index."""
        client = self.store.client
        if self.fresh:
            self.store.create(self.collection, self.ntotal, self.d)
        for vectors, ids in self.added:
            for i in range(0, len(ids), _BATCH):
                rows = [
                    {
                        "id": int(pid),
                        "vector": vector.tolist(),
                        "article": facets[int(pid)][0],
                        "source": facets[int(pid)][1],
                        "day": ordinal(facets[int(pid)][2]),
                        "gen": self.generation,
                    }
                    for pid, vector in zip(
                        ids[i : i + _BATCH], vectors[i : i + _BATCH], strict=True
                    )
                ]
                client.insert(self.collection, rows)
        client.flush(self.collection)


class MilvusStore:
    """The collections of one index on a Milvus server: create, publish, clean up."""

    def __init__(self, remote: Remote) -> None:
        self.remote = remote
        self.client = _client(remote)

    def collection_for(self, generation: int) -> str:
        return f"{self.remote.name}_g{generation:06d}"

    @_remote_call
    def create(self, collection: str, passages: int, dimension: int) -> None:
        """A new collection sized like the local index would be: exact below ``FLAT_LIMIT``,
        IVF-SQ8 from there."""
        from pymilvus import DataType

        client = self.client
        if client.has_collection(collection):
            client.drop_collection(collection)  # a killed writer's, never published
        schema = client.create_schema(auto_id=False)
        schema.add_field("id", DataType.INT64, is_primary=True)
        schema.add_field("vector", DataType.FLOAT_VECTOR, dim=dimension)
        schema.add_field("article", DataType.VARCHAR, max_length=_MAX_VARCHAR)
        schema.add_field("source", DataType.VARCHAR, max_length=_MAX_VARCHAR)
        schema.add_field("day", DataType.INT32)
        schema.add_field("gen", DataType.INT32)
        index = client.prepare_index_params()
        if passages < FLAT_LIMIT:
            index.add_index("vector", index_type="FLAT", metric_type="IP")
        else:
            index.add_index(
                "vector", index_type="IVF_SQ8", metric_type="IP",
                params={"nlist": nlist_for(passages)},
            )  # fmt: skip
        client.create_collection(
            collection, schema=schema, index_params=index, consistency_level="Strong"
        )

    def draft(self, live: str | None, generation: int, dimension: int) -> MilvusDraft:
        """A draft adding to the ``live`` collection, or (None) filling a new one."""
        return MilvusDraft(self, live or self.collection_for(generation), generation, dimension)

    @_remote_call
    def published(self, draft: MilvusDraft, keep: Sequence[str]) -> None:
        """After the catalog is published: delete what the draft removed, point the alias at
        the draft's collection, and drop collections no generation in ``keep`` reads."""
        self.delete(draft.collection, draft.removed)
        self.point_alias(draft.collection)
        self.drop_unused(keep)

    @_remote_call
    def delete(self, collection: str, ids: Sequence[int]) -> None:
        for i in range(0, len(ids), _BATCH):
            self.client.delete(collection, filter=_ids(ids[i : i + _BATCH]))

    @_remote_call
    def point_alias(self, collection: str) -> None:
        """Point the alias ``<name>`` (what other tools read) at ``collection``."""
        if self.remote.name in self.client.list_aliases(collection).get("aliases", []):
            return
        if self.remote.name in self.client.list_aliases().get("aliases", []):
            self.client.alter_alias(collection, self.remote.name)
        else:
            self.client.create_alias(collection, self.remote.name)

    @_remote_call
    def drop_unused(self, keep: Sequence[str]) -> None:
        """Drop this index's collections that no kept generation reads (a killed re-index's
        half-filled one, the one before the previous generation)."""
        prefix = self.remote.name + "_g"
        for name in self.client.list_collections():
            if name.startswith(prefix) and name[len(prefix) :].isdigit() and name not in keep:
                self.client.drop_collection(name)

    @_remote_call
    def exists(self, collection: str) -> bool:
        return bool(self.client.has_collection(collection))

    @_remote_call
    def forget_unpublished(self, collection: str, current: int) -> None:
        """Delete the rows a killed writer inserted after generation ``current``."""
        if self.client.has_collection(collection):
            self.client.delete(collection, filter=f"gen > {current}")

    @_remote_call
    def check(self, collection: str) -> None:
        """Raise ``IndexCorruptError`` when the collection a generation reads is gone; load it
        when the server has not (after a restart)."""
        if not self.client.has_collection(collection):
            raise IndexCorruptError(
                f"the Milvus collection {collection} at {self.remote.uri} is missing; run "
                "`newsbot reindex` to rebuild it from the stored articles"
            )
        _load(self.client, collection)
