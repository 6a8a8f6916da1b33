"""The write path: one writer at a time plans what a batch changes, cleans, chunks, embeds, and
publishes a new generation; removing an article and re-indexing publish the same way."""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from ..embed import (
    Embedder,
    ReleasingEmbedder,
    ToEmbed,
    embed_passages,
    embedded_text,
    vector_family,
)
from ..errors import ArticleNotFoundError, IndexBusyError
from ..models import Article, ArticleInfo, IngestReport
from ..storage import sentvec
from ..storage.catalog import Catalog, content_hash
from ..storage.lexical import build_bm25
from ..storage.store import Draft, Snapshot, Store, require_writable, write_error
from ..storage.vectors import stored as stored_vectors
from ..text import clean, titles
from ..text.chunk import passages
from ..text.names import cased_names
from ..text.speakers import statements

__all__ = ["CHUNKING", "Progress", "Writer", "built_with", "notify"]

Progress = Callable[[str, int, int], None]
CHUNKING = {"max_tokens": 120, "min_tokens": 40}
EMBED_BATCH = 256
# A passage's vector and its stored sentence vectors (None when the embedder has none).
_Vectors = tuple[np.ndarray, sentvec.Stored | None]


def built_with(source: Embedder | dict[str, Any]) -> tuple[str, str | None]:
    """The model and kind of vectors of an index's manifest or of an embedder."""
    if isinstance(source, dict):
        return source["model"], vector_family(source.get("encoder", "torch"))
    return source.name, vector_family(getattr(source, "encoder", None))


def notify(progress: Progress | None, stage: str, done: int, total: int) -> None:
    if progress is not None:
        progress(stage, done, total)


@dataclass(frozen=True)
class _Change:
    """A loaded article, cleaned (headline and text), with what it was cleaned from."""

    article: Article
    raw: str
    raw_title: str
    digest: str


@dataclass
class _Plan:
    """What an ingest will change."""

    changes: list[_Change] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    hashes: set[str] = field(default_factory=set)
    added: int = 0
    updated: int = 0
    unchanged: int = 0


class Writer:
    """Writes the index in ``store``: one write at a time, in this process and across processes.
    ``published`` is called with each generation it makes current."""

    def __init__(
        self, store: Store, embedder: Embedder, published: Callable[[Snapshot | None], None]
    ) -> None:
        self._store = store
        self._embedder = embedder
        self._published = published
        self._lock = threading.Lock()

    @property
    def busy(self) -> bool:
        """Whether a write is under way in this process."""
        return self._lock.locked()

    @contextlib.contextmanager
    def writing(self) -> Iterator[None]:
        """Hold the write lock; disk failures become a clear ``IndexWriteError``."""
        if not self._lock.acquire(blocking=False):
            raise IndexBusyError(
                "an ingest or reindex is already running; try again when it finishes"
            )
        try:
            require_writable(self._store.root)
            with self._store.writer():
                yield
        except (OSError, sqlite3.OperationalError) as exc:
            error = write_error(self._store.root, exc)
            if error is None:
                raise
            raise error from exc
        finally:
            if isinstance(self._embedder, ReleasingEmbedder):  # ~200 MB until the next write
                self._embedder.release_documents()
            self._lock.release()

    @contextlib.contextmanager
    def _draft(self, snapshot: Snapshot | None, *, copy_vectors: bool = True) -> Iterator[Draft]:
        """A draft of the next generation, discarded unless it is published."""
        draft = self._store.begin(snapshot, self._embedder.dimension, copy_vectors=copy_vectors)
        try:
            yield draft
        except BaseException:
            self._store.discard(draft)
            raise

    # -- ingest --------------------------------------------------------------------------------
    def ingest(
        self,
        articles: Sequence[Article],
        *,
        progress: Progress | None = None,
        failed: Sequence[tuple[str, str]] = (),
    ) -> IngestReport:
        """Add or update already loaded (uncleaned) articles."""
        batch = list({a.id: a for a in articles}.values())
        with self.writing():
            snapshot = self._store.load()
            plan = self._plan(snapshot, batch)
            failed = [*failed, *plan.failed]
            if not plan.changes:
                return IngestReport(0, 0, plan.unchanged, tuple(failed))
            with self._draft(snapshot) as draft:
                self._apply(draft, plan, progress)
                self.publish(draft, progress)
        return IngestReport(plan.added, plan.updated, plan.unchanged, tuple(failed))

    def _plan(self, snapshot: Snapshot | None, batch: list[Article]) -> _Plan:
        """Decide, against the published index, what each loaded article changes."""
        plan = _Plan()
        by_source: dict[str, list[Article]] = defaultdict(list)
        for a in batch:
            by_source[a.source].append(a)
        with (
            contextlib.closing(snapshot.connect()) if snapshot else contextlib.nullcontext() as con
        ):
            catalog = Catalog(con) if con is not None else None
            for src, group in by_source.items():
                stored = {a.id: catalog.stored_text(a.id) if catalog else None for a in group}
                new = [a for a in group if stored[a.id] is None]
                boiler = _boilerplate(catalog, src, [a.text for a in new])
                furniture = _title_furniture(catalog, src, [a.title for a in new])
                for a in group:
                    old = stored[a.id]
                    if old is not None and old == (a.title, a.text):
                        plan.unchanged += 1
                        continue
                    title = titles.clean_title(a.title, furniture)
                    cleaned = clean.clean_text(a.text, boiler)
                    if not cleaned.strip():
                        plan.failed.append(
                            (a.id, "no article text left after removing page furniture")
                        )
                        continue
                    digest = content_hash(title + "\n" + cleaned)
                    if digest in plan.hashes or (catalog and catalog.has_duplicate(digest, a.id)):
                        plan.unchanged += 1  # the same text under another id is stored once
                        continue
                    plan.hashes.add(digest)
                    cleaned_article = replace(a, title=title, text=cleaned)
                    plan.changes.append(_Change(cleaned_article, a.text, a.title, digest))
                    plan.added += old is None
                    plan.updated += old is not None
        return plan

    def _apply(self, draft: Draft, plan: _Plan, progress: Progress | None) -> None:
        catalog = Catalog(draft.db)
        with catalog.transaction():
            for change in plan.changes:
                article = change.article
                _delete(draft, article.id)
                catalog.add_article(article, change.raw, change.digest, change.raw_title)
                _find(catalog, article.id, article.text)
                catalog.count_paragraphs(article.source, _short_keys(change.raw), +1)
                catalog.count_titles(article.source, titles.affixes(change.raw_title), +1)
        self._embed_new(draft, [c.article for c in plan.changes], {}, progress)

    def _embed_new(
        self,
        draft: Draft,
        articles: list[Article],
        reuse: dict[str, _Vectors],
        progress: Progress | None,
    ) -> None:
        """Chunk ``articles``, store their passages and add their vectors (reusing known ones)."""
        rows: list[tuple[str, int, int, str, ToEmbed]] = []
        for a in articles:
            for p in passages(a.text, **CHUNKING):
                text = embedded_text(a.title, a.text[p.start : p.end])
                spans = tuple((s - p.start, e - p.start) for s, e in p.sentences)
                rows.append(
                    (a.id, p.start, p.end, content_hash(text), (text, spans, len(a.title) + 1))
                )
        todo = sorted(
            {r[3]: r[4] for r in rows if r[3] not in reuse}.items(), key=lambda kv: len(kv[1][0])
        )
        vectors = dict(reuse)
        for i in range(0, len(todo), EMBED_BATCH):
            batch = todo[i : i + EMBED_BATCH]
            embedded = embed_passages(self._embedder, [p for _, p in batch])
            for (digest, (_, spans, _)), (vector, parts) in zip(batch, embedded, strict=True):
                vectors[digest] = (vector, None if parts is None else sentvec.encode(spans, parts))
            notify(progress, "embed", min(i + EMBED_BATCH, len(todo)), len(todo))
        catalog = Catalog(draft.db)
        with catalog.transaction():
            ids = [
                catalog.add_passage(article_id, start, end, digest, vectors[digest][1])
                for article_id, start, end, digest, _ in rows
            ]
        if rows:
            matrix = np.stack([vectors[r[3]][0] for r in rows]).astype(np.float32)
            draft.vectors.add_with_ids(matrix, np.array(ids, dtype=np.int64))

    def publish(self, draft: Draft, progress: Progress | None = None) -> None:
        """Build the draft's BM25 and manifest and make it the published generation."""
        catalog = Catalog(draft.db)
        rows = catalog.embedded_passages()
        notify(progress, "bm25", 0, len(rows))
        bm25 = build_bm25([text for _, text in rows]) if rows else None
        notify(progress, "bm25", len(rows), len(rows))
        manifest = {
            "model": self._embedder.name,
            "encoder": getattr(self._embedder, "encoder", None),
            "dimension": self._embedder.dimension,
            "chunking": CHUNKING,
            "articles": catalog.article_count(),
            "passages": len(rows),
        }
        notify(progress, "publish", 0, 1)
        self._store.publish(
            draft, manifest, bm25, np.array([pid for pid, _ in rows], dtype=np.int64)
        )
        self._published(self._store.load())
        notify(progress, "publish", 1, 1)

    # -- remove and reindex ---------------------------------------------------------------------
    def remove(self, article_id: str) -> ArticleInfo:
        """Remove one article and its passages."""
        with self.writing():
            snapshot = self._store.load()
            info = None
            if snapshot is not None:
                with contextlib.closing(snapshot.connect()) as con:
                    info = Catalog(con).info(article_id)
            if snapshot is None or info is None:
                raise ArticleNotFoundError(f"no article with id {article_id!r}")
            with self._draft(snapshot) as draft:
                _delete(draft, article_id)
                self.publish(draft)
        return info

    def reindex(self, *, progress: Progress | None = None) -> IngestReport:
        """Re-clean, re-chunk and re-embed every stored article into a new generation.

        Vectors of passages whose text is unchanged are reused when the model is the same.
        Questions keep being answered from the published generation until the new one is live.
        """
        with self.writing():
            snapshot = self._store.load()
            if snapshot is None:
                return IngestReport()
            same_model = built_with(snapshot.manifest) == built_with(self._embedder)
            with self._draft(snapshot, copy_vectors=False) as draft:
                articles, reuse = _reclean(draft, snapshot if same_model else None, progress)
                self._embed_new(draft, articles, reuse, progress)
                self.publish(draft, progress)
        return IngestReport(updated=len(articles))

    def migrate(self, *, progress: Progress | None = None) -> int:
        """Copy the published generation's vectors into the store's Milvus collection, as a new
        generation with the same articles and passages (nothing re-embedded); the number of
        passages copied."""
        with self.writing():
            snapshot = self._store.load()
            if snapshot is None:
                return 0
            with self._draft(snapshot, copy_vectors=False) as draft:
                ids = [pid for pid, _ in Catalog(draft.db).passage_hashes()]
                for i in range(0, len(ids), EMBED_BATCH * 8):
                    found = stored_vectors(snapshot.vectors, ids[i : i + EMBED_BATCH * 8])
                    if found:
                        draft.vectors.add_with_ids(
                            np.stack(list(found.values())), np.array(list(found), np.int64)
                        )
                    notify(progress, "copy", min(i + EMBED_BATCH * 8, len(ids)), len(ids))
                self.publish(draft, progress)
            return len(ids)


def _reclean(
    draft: Draft, old: Snapshot | None, progress: Progress | None
) -> tuple[list[Article], dict[str, _Vectors]]:
    """Clean every stored article again from its raw text, forgetting its passages; the vectors
    of ``old`` by the digest of their text, for reuse."""
    catalog = Catalog(draft.db)
    reuse: dict[str, _Vectors] = {}
    if old is not None:
        sentences = dict(catalog.all_sentence_vectors())
        hashes = catalog.passage_hashes()
        found = stored_vectors(old.vectors, [pid for pid, _ in hashes])
        for pid, digest in hashes:
            if pid in found:
                reuse[digest] = (found[pid], sentences.get(pid))
    articles = []
    with catalog.transaction():
        catalog.clear_derived()
        stored = catalog.raw_articles()
        for article, raw, raw_title in stored:
            catalog.count_paragraphs(article.source, _short_keys(raw), +1)
            catalog.count_titles(article.source, titles.affixes(raw_title), +1)
        furniture: dict[str, tuple[set[str], set[str]]] = {}  # the counts are settled: once
        for i, (article, raw, raw_title) in enumerate(stored, 1):
            if article.source not in furniture:
                furniture[article.source] = (
                    _boilerplate(catalog, article.source, []),
                    _title_furniture(catalog, article.source, []),
                )
            boiler, affixes = furniture[article.source]
            title = titles.clean_title(raw_title, affixes)
            text = clean.clean_text(raw, boiler) or article.text
            catalog.set_text(article.id, title, text, content_hash(title + "\n" + text))
            _find(catalog, article.id, text)
            articles.append(replace(article, title=title, text=text))
            notify(progress, "clean", i, len(stored))
    return articles, reuse


def _find(catalog: Catalog, article_id: str, text: str) -> None:
    """Store what the questions read from an article's text: its names and who said what."""
    catalog.set_findings(article_id, cased_names(text), statements(text))


def _delete(draft: Draft, article_id: str) -> bool:
    deleted = Catalog(draft.db).delete_article(article_id)
    if deleted is None:
        return False
    source, raw, raw_title, ids = deleted
    if ids:
        draft.vectors.remove_ids(np.array(ids, dtype=np.int64))
    Catalog(draft.db).count_paragraphs(source, _short_keys(raw), -1)
    Catalog(draft.db).count_titles(source, titles.affixes(raw_title), -1)
    return True


def _short_keys(text: str) -> set[str]:
    return {clean.paragraph_key(p) for p in clean.split_paragraphs(text) if len(p) <= 200}


def _title_furniture(catalog: Catalog | None, source: str, batch: list[str]) -> set[str]:
    """Headline affixes repeated across ``source``'s headlines (stored and new)."""
    counts: Counter[str] = Counter(catalog.title_counts(source) if catalog else {})
    for title in batch:
        counts.update(titles.affixes(title))
    return {affix for affix, n in counts.items() if n >= titles.MIN_REPEATS}


def _boilerplate(catalog: Catalog | None, source: str, batch: list[str]) -> set[str]:
    """Keys of short paragraphs repeated across many articles of ``source`` (stored and new)."""
    counts: Counter[str] = Counter()
    stored = 0
    if catalog is not None:
        stored = catalog.source_size(source)
        counts.update(catalog.paragraph_counts(source))
    for text in batch:
        counts.update(_short_keys(text))
    need = max(3, 0.2 * (stored + len(batch)))
    return {key for key, n in counts.items() if n >= need}
