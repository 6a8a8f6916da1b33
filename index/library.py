"""NewsIndex: the facade that opens an index directory, delegates, and swaps generations."""

from __future__ import annotations

import difflib
import functools
import threading
import time
import weakref
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from pathlib import Path

from . import ask as answering
from .ask import Reranker, Tuning, known_speakers, statements_by
from .embed import DEFAULT_MODEL, Embedder, load_embedder
from .errors import (
    ArticleNotFoundError,
    FeedError,
    IndexMismatchError,
    NewsIndexError,
    UnknownSourceError,
)
from .feeds import DEFAULT_INTERVAL, FEEDS_FILE, FeedRegistry, add_feed, poll
from .ingest import Progress, Writer, built_with, notify
from .load import LoadFailure, iter_articles, private_urls_allowed
from .models import (
    Answer,
    Article,
    ArticleInfo,
    FeedInfo,
    FeedPollResult,
    IndexStats,
    IngestReport,
    Quote,
    SourceInfo,
)
from .storage import Catalog, Snapshot, Store
from .storage.milvus import remote_from
from .text.links import without_links

__all__ = ["INGEST_BATCH", "INGEST_BATCH_CHARS", "NewsIndex", "Progress"]

# An ingest writes (and publishes) this many articles, or this much text, at a time, so that
# memory stays bounded whatever the size of the input.
INGEST_BATCH = 1000
INGEST_BATCH_CHARS = 64 * 1024 * 1024
# How often a reader looks whether another process (a CLI ingest, a second bot sharing the
# store) has published a newer generation: a read of CURRENT, ~20 µs.
RECHECK_SECONDS = 1.0


class NewsIndex:
    """A searchable collection of news articles in one data directory. Thread-safe."""

    def __init__(self, store: Store, embedder: Embedder, snapshot: Snapshot | None) -> None:
        self._store = store
        self._embedder = embedder
        self._snapshot = snapshot
        self._checked = time.monotonic()
        self._following = threading.Lock()
        self._writer = Writer(store, embedder, self._swap)
        self._feeds = FeedRegistry(store.root / FEEDS_FILE)
        self.tuning = Tuning()
        self._source_names: tuple[weakref.ref[Snapshot], list[str]] | None = None
        if snapshot is not None:
            _ = snapshot.lexical  # the term weights, now rather than on the first question

    @classmethod
    def open(
        cls,
        path: str | Path,
        *,
        embedder: Embedder | None = None,
        model: str | None = None,
        encoder: str | None = None,
        rebuild: bool = False,
        store: str | None = None,
        store_token: str | None = None,
    ) -> NewsIndex:
        """Open (or create) the index in ``path``. The model and encoder (``openvino``, ``torch``,
        ``onnx``, ``onnx-int8``) default to the ones it was built with; ONNX exports are kept in
        ``path``.

        Raises ``IndexMismatchError`` when ``model``/``encoder``/``embedder`` would make other
        vectors than the index's, unless ``rebuild`` is set: then ``reindex()`` re-embeds
        everything. (``torch``, ``onnx`` and ``openvino`` make fp32 vectors; ``onnx-int8`` differs.)
        ``rebuild`` also opens an index whose vectors, BM25 or manifest are damaged, as one with
        no passages, so that ``reindex()`` rebuilds them from the stored articles.

        ``store``: the Milvus server new generations keep their vectors in
        (``milvus://HOST:PORT[/NAME]``, ``NEWSBOT_STORE``; ``store_token`` its credentials);
        None keeps them in ``path``.
        """
        remote = remote_from(store, store_token) if store else None
        directory = Store(Path(path), salvage=rebuild, remote=remote)
        snapshot = directory.load()
        manifest = snapshot.manifest if snapshot else {}
        if embedder is None:
            embedder = load_embedder(
                model or manifest.get("model") or DEFAULT_MODEL,
                encoder or manifest.get("encoder", "torch" if snapshot else None),
                cache=Path(path),
            )
        stale = bool(manifest.get("passages")) and built_with(manifest) != built_with(embedder)
        if stale and not rebuild:
            model_was, family_was = built_with(manifest)
            encoder_was = manifest.get("encoder", "torch")
            raise IndexMismatchError(
                f"{path} was built with the model {model_was!r} on the {encoder_was} encoder "
                f"({family_was} vectors), not {embedder.name!r} on "
                f"{getattr(embedder, 'encoder', None)}: run `newsbot reindex` to rebuild it, "
                f"or set EMBEDDING_MODEL={model_was} and NEWSBOT_ENCODER={encoder_was}"
            )
        return cls(directory, embedder, snapshot)

    @property
    def path(self) -> Path:
        return self._store.root

    @property
    def model(self) -> str:
        return self._embedder.name

    @functools.cached_property
    def _reranker(self) -> Reranker:
        """The learned models, loaded on first use (so bench/train_reranker.py can replace them)."""
        return Reranker.load()

    def _swap(self, snapshot: Snapshot | None) -> None:
        """Make a newly published generation the one questions are answered from."""
        if snapshot is not None:
            _ = snapshot.lexical
        self._snapshot = snapshot

    def _current(self) -> Snapshot | None:
        """The generation to answer from: the newest published, also by another process that
        shares the store (looked for at most once every ``RECHECK_SECONDS``)."""
        now = time.monotonic()
        if now - self._checked >= RECHECK_SECONDS and self._following.acquire(blocking=False):
            try:
                self._checked = now
                self._follow()
            finally:
                self._following.release()
        return self._snapshot

    def _follow(self) -> None:
        if self._writer.busy:
            return  # this process's own write swaps in what it publishes
        try:
            name = self._store.current_name()
            if name is not None and (self._snapshot is None or self._snapshot.path.name != name):
                self._swap(self._store.load())
        except NewsIndexError:
            pass  # being replaced or damaged: keep answering from the generation in hand

    def _catalog(self) -> Catalog | None:
        """This thread's catalog of the current generation (None for an empty directory)."""
        snapshot = self._current()
        return Catalog(snapshot.reader(), snapshot) if snapshot is not None else None

    # -- reading -----------------------------------------------------------------------------
    def stats(self) -> IndexStats:
        snapshot = self._current()
        if snapshot is None:
            return IndexStats(0, 0, 0, self.model, self._embedder.dimension, 0, 0, None)
        m = snapshot.manifest
        return IndexStats(
            m["articles"],
            m["passages"],
            Catalog(snapshot.reader(), snapshot).source_count(),
            m["model"],
            m["dimension"],
            self._store.size_bytes(snapshot),
            m["generation"],
            m.get("updated_at"),
        )

    def articles(self, source: str | None = None, limit: int | None = None) -> list[ArticleInfo]:
        """Articles, newest first (undated last). ``source`` is matched without regard to case;
        an unknown one raises ``UnknownSourceError``."""
        if source is not None:
            source = self.resolve_source(source)
        catalog = self._catalog()
        return catalog.articles(source, limit) if catalog else []

    def latest(self, source: str | None = None, limit: int = 10) -> list[ArticleInfo]:
        """The newest articles: by published date, else the day they were added; newest first."""
        catalog = self._catalog()
        return catalog.latest(source, limit) if catalog else []

    def sources(self) -> list[SourceInfo]:
        catalog = self._catalog()
        return [SourceInfo(*row) for row in catalog.sources()] if catalog else []

    def resolve_source(self, name: str) -> str:
        """The source ``name`` as the index spells it, matched without regard to case or spacing.

        Raises ``UnknownSourceError``, naming the closest known sources, when there is none.
        """
        known = self._known_sources()
        wanted = _source_key(name)
        found = next((k for k in known if _source_key(k) == wanted), None)
        if found is None:
            raise UnknownSourceError(_unknown_source(name, known))
        return found

    def _known_sources(self) -> list[str]:
        """The names of the sources of the published generation, read once per generation (held
        weakly, so that a replaced generation is freed at once)."""
        snapshot = self._current()
        if snapshot is None:
            return []
        cached = self._source_names
        if cached is not None and cached[0]() is snapshot:
            return cached[1]
        names = [row[0] for row in Catalog(snapshot.reader(), snapshot).sources()]
        self._source_names = (weakref.ref(snapshot), names)
        return names

    def article(self, article_id: str) -> Article:
        catalog = self._catalog()
        found = catalog.article(article_id) if catalog else None
        if found is None:
            raise ArticleNotFoundError(f"no article with id {article_id!r}")
        return found

    # -- asking ------------------------------------------------------------------------------
    def warm(self) -> None:
        """Load the model and the learned re-rankers now rather than on the first question."""
        self._embedder.embed_queries(["warm up"])
        _ = self._reranker

    def ask(
        self,
        question: str,
        k: int = 3,
        source: str | None = None,
        since: date | None = None,
        until: date | None = None,
    ) -> Answer:
        """Quotes that answer ``question``, best first; ``found`` is False when none is relevant
        (the stages: index/ask/pipeline.py). Links in the question are not searched. ``source``
        is matched without regard to case; an unknown one raises ``UnknownSourceError``."""
        if source is not None:
            source = self.resolve_source(source)
        answer = answering.ask(
            self._current(), self._embedder, self._reranker, self.tuning,
            without_links(question), k, source, since, until,
        )  # fmt: skip
        return replace(answer, question=" ".join(str(question).split()))  # links shown as asked

    def quotes(
        self,
        person: str,
        *,
        topic: str | None = None,
        source: str | None = None,
        since: date | None = None,
        until: date | None = None,
    ) -> list[Quote]:
        """Every sentence ``person`` (a person or an organisation, by any name the articles give
        them) is quoted saying, newest first, or best first for ``topic``: one-sentence quotes
        with their speaker (index/ask/statements.py)."""
        if source is not None:
            source = self.resolve_source(source)
        snapshot = self._current()
        if snapshot is None:
            return []
        return statements_by(
            snapshot, self._embedder, person, topic=topic, source=source, since=since, until=until
        )

    def speakers(self, typed: str = "", limit: int = 25) -> list[tuple[str, int]]:
        """Who speaks in the index and how many sentences each, the most quoted first; with
        ``typed``, only the names it starts ("rowl" finds Mark Rowley)."""
        catalog = self._catalog()
        return known_speakers(catalog, typed, limit) if catalog else []

    # -- writing (index/ingest/writer.py) ----------------------------------------------------
    def ingest(
        self,
        inputs: Iterable[str | Path],
        *,
        source: str | None = None,
        progress: Progress | None = None,
        allow_private: bool | None = None,
    ) -> IngestReport:
        """Add or update articles from files, folders, JSON lines and URLs; bad inputs are reported.

        Articles are written a batch at a time (``INGEST_BATCH`` articles or
        ``INGEST_BATCH_CHARS`` characters), each batch published, so memory stays bounded; the
        report counts the whole call. ``allow_private`` lets URLs reach private and loopback
        addresses (None: read ``NEWSBOT_ALLOW_PRIVATE_URLS`` from the environment).
        """
        notes: list[tuple[str, str]] = []
        items = iter_articles(
            inputs,
            source=source,
            allow_private=allow_private,
            note=lambda where, what: notes.append((where, what)),
        )
        total = IngestReport()
        for batch in _batches(items, progress):
            done = self._writer.ingest(batch.articles, progress=progress, failed=batch.failed)
            total = _added_up(total, done)
        return replace(total, notes=tuple(notes))

    def ingest_articles(
        self,
        articles: Iterable[Article],
        *,
        progress: Progress | None = None,
        failed: Sequence[tuple[str, str]] = (),
    ) -> IngestReport:
        """Add or update already loaded (uncleaned) articles."""
        return self._writer.ingest(list(articles), progress=progress, failed=failed)

    def remove(self, article_id: str) -> ArticleInfo:
        """Remove one article and its passages."""
        return self._writer.remove(article_id)

    def reindex(self, *, progress: Progress | None = None) -> IngestReport:
        """Re-clean, re-chunk and re-embed every stored article into a new generation; questions
        are answered from the published one meanwhile."""
        return self._writer.reindex(progress=progress)

    def migrate(
        self, to: str, *, token: str | None = None, progress: Progress | None = None
    ) -> int:
        """Copy the index's vectors to the Milvus server ``to`` (``milvus://HOST:PORT[/NAME]``)
        as a new generation, nothing re-embedded; later writes go there. The passages copied."""
        store = Store(self.path, remote=remote_from(to, token))
        copied = Writer(store, self._embedder, self._swap).migrate(progress=progress)
        self._store, self._writer = store, Writer(store, self._embedder, self._swap)
        return copied

    # -- feeds (index/feeds/; docs/feeds.md) -------------------------------------------------
    def add_feed(
        self,
        url: str,
        *,
        source: str | None = None,
        channel_id: int | None = None,
        allow_private: bool | None = None,
    ) -> FeedInfo:
        """Follow the RSS or Atom feed at ``url``, fetched once now to check it.

        ``source`` names its articles' source (default: the feed's title); ``channel_id`` is
        kept for the bot to announce new articles. Adding a followed feed again changes those.
        Raises ``FetchRefused``/``FetchError`` (a ``LoadError``) or ``FeedError``.
        """
        return add_feed(
            self._feeds,
            url,
            source=source,
            channel_id=channel_id,
            allow_private=_private_ok(allow_private),
        )

    def feeds(self) -> list[FeedInfo]:
        """The followed feeds and their polling state, in the order they were added."""
        return self._feeds.all()

    def remove_feed(self, url: str) -> FeedInfo:
        """Stop following ``url``; the articles it brought stay in the index."""
        info = self._feeds.remove(url.strip())
        if info is None:
            raise FeedError(f"no feed {url.strip()!r} is followed")
        return info

    def poll_feeds(
        self,
        *,
        now: datetime | None = None,
        interval: timedelta = DEFAULT_INTERVAL,
        only_due: bool = False,
        allow_private: bool | None = None,
        progress: Progress | None = None,
    ) -> list[FeedPollResult]:
        """Poll every feed once (``only_due``: those whose ``interval`` or backoff has passed).

        New entries of all feeds are ingested together, in one publish. A failing feed is
        recorded and backs off; the others carry on. Raises ``IndexBusyError`` when another
        poll is running or the index is being written.
        """
        return poll(
            self._feeds,
            ingest=lambda articles: self.ingest_articles(articles, progress=progress),
            known=self._known,
            allow_private=_private_ok(allow_private),
            now=now,
            interval=interval,
            only_due=only_due,
            progress=progress,
        )

    def _known(self, ids: Iterable[str]) -> set[str]:
        """Which of ``ids`` the published index holds."""
        wanted = list(dict.fromkeys(ids))
        catalog = self._catalog()
        return catalog.known(wanted) if catalog and wanted else set()


def _private_ok(allow_private: bool | None) -> bool:
    return private_urls_allowed() if allow_private is None else allow_private


@dataclass
class _Batch:
    """Loaded articles and failed inputs, written together."""

    articles: list[Article] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    chars: int = 0

    @property
    def full(self) -> bool:
        return len(self.articles) >= INGEST_BATCH or self.chars >= INGEST_BATCH_CHARS


def _batches(items: Iterable[Article | LoadFailure], progress: Progress | None) -> Iterator[_Batch]:
    """``items`` in bounded batches; at least one, so that an ingest of nothing still reports
    its failures (and checks that the index can be written)."""
    batch, seen = _Batch(), 0
    for item in items:
        if isinstance(item, LoadFailure):
            batch.failed.append((item.input, item.reason))
        else:
            batch.articles.append(item)
            batch.chars += len(item.text) + len(item.title)
        seen += 1
        notify(progress, "load", seen, 0)
        if batch.full:
            yield batch
            batch = _Batch()
    if batch.articles or batch.failed or not seen:
        yield batch


def _added_up(a: IngestReport, b: IngestReport) -> IngestReport:
    return IngestReport(
        a.added + b.added, a.updated + b.updated, a.unchanged + b.unchanged, a.failed + b.failed
    )


def _source_key(name: str) -> str:
    return " ".join(name.split()).casefold()


def _unknown_source(name: str, known: Sequence[str]) -> str:
    """Why ``name`` is no source: the closest known names, else a few of those there are."""
    if not known:
        return f"no source named {name!r}: the index has no articles yet"
    by_key = {_source_key(k): k for k in known}
    close = difflib.get_close_matches(_source_key(name), by_key, n=3, cutoff=0.6)
    if close:
        names = " or ".join(repr(by_key[c]) for c in close)
        return f"no source named {name!r}; did you mean {names}?"
    some = ", ".join(repr(k) for k in known[:5])
    if len(known) > 5:
        return f"no source named {name!r}; the index has {len(known)}, among them {some}"
    return f"no source named {name!r}; the index has only {some}"
