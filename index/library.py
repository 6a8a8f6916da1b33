"""NewsIndex: the facade that ties loading, cleaning, chunking, embedding, storing and search."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import sqlite3
import threading
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from . import chunk, clean, sentvec
from .chunk import paragraph_spans, passages, sentence_spans
from .embed import DEFAULT_MODEL, Embedder, SpanEmbedder, load_embedder, vector_family
from .errors import (
    ArticleNotFoundError,
    BadQuestionError,
    FeedError,
    IndexBusyError,
    IndexMismatchError,
)
from .feedstore import FEEDS_FILE, FeedRegistry
from .fetch import private_urls_allowed
from .loaders import LoadFailure, iter_articles, parse_date
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
from .polling import DEFAULT_INTERVAL, add_feed, poll
from .quote import attribute_speaker, quote_window
from .recency import prefer_recent
from .rerank import SENTENCE_FEATURES, Query, Reranker, features, sentence_features
from .search import Candidate, LexicalModel, build_bm25, retrieve
from .store import Draft, Snapshot, Store, require_writable, write_error

__all__ = ["NewsIndex", "Progress"]

Progress = Callable[[str, int, int], None]
MAX_QUESTION_CHARS = 1000
CHUNKING = {"max_tokens": 120, "min_tokens": 40}
EMBED_BATCH = 256


@dataclass(frozen=True)
class Tuning:
    """Retrieval and quoting knobs, measured in docs/quality.md."""

    candidates: int = 50  # from each retriever
    pool: int = 20  # fused candidates scored by the learned re-ranker
    rerank: int = 5  # best re-ranked passages whose sentences are scored
    lexical_weight: float = 0.35  # BM25 (scaled to the best hit) added to the dense cosine
    typed_answers: tuple[str, ...] = ("number",)  # question kinds whose answer must be typed
    type_bonus: float = 2.0  # log-odds added to sentences holding such an answer
    order_relevance: float = 0.5  # weight of the passage's log-odds in ordering the quotes
    # characters per quote, the highlighted sentence always kept whole; the first quote, the
    # likeliest answer, gets more room than the others
    first_quote_budget: int = 700
    quote_budget: int = 300
    found_threshold: float | None = None  # passage log-odds below which nothing is shown
    # (None: the threshold trained with the re-ranker, in index/reranker.json)
    prefer_recent: bool = False  # among quotes scoring within recent_margin, newer articles first
    recent_margin: float = 0.5


def _built_with(source: Embedder | dict[str, Any]) -> tuple[str, str | None]:
    """The model and kind of vectors of an index's manifest or of an embedder."""
    if isinstance(source, dict):
        return source["model"], vector_family(source.get("encoder", "torch"))
    return source.name, vector_family(getattr(source, "encoder", None))


def _embed_text(title: str, body: str) -> str:
    """What is embedded for a passage: its article's headline, then the passage."""
    return f"{title}\n{body}"


def _hash(text: str) -> str:
    return hashlib.blake2b(text.encode(), digest_size=12).hexdigest()


def _short_keys(text: str) -> set[str]:
    return {clean.paragraph_key(p) for p in clean.split_paragraphs(text) if len(p) <= 200}


def _info(row: sqlite3.Row) -> ArticleInfo:
    return ArticleInfo(
        row["id"],
        row["title"],
        row["source"],
        row["url"],
        parse_date(row["published"]),
        row["author"],
    )


def _article(row: sqlite3.Row) -> Article:
    info = _info(row)
    return Article(
        info.id, info.title, row["text"], info.source, info.url, info.published, info.author
    )


def _call(progress: Progress | None, stage: str, done: int, total: int) -> None:
    if progress is not None:
        progress(stage, done, total)


class NewsIndex:
    """A searchable collection of news articles in one data directory. Thread-safe."""

    def __init__(self, store: Store, embedder: Embedder, snapshot: Snapshot | None) -> None:
        self._store = store
        self._embedder = embedder
        self._snapshot = snapshot
        self._lexical = LexicalModel.from_bm25(snapshot.bm25 if snapshot else None)
        self._write_lock = threading.Lock()
        self.tuning = Tuning()
        self._feeds = FeedRegistry(store.root / FEEDS_FILE)

    @functools.cached_property
    def _reranker(self) -> Reranker:
        """The learned models, loaded on first use (so bench/train_reranker.py can replace them)."""
        return Reranker.load()

    # -- opening -----------------------------------------------------------------------------
    @classmethod
    def open(
        cls,
        path: str | Path,
        *,
        embedder: Embedder | None = None,
        model: str | None = None,
        encoder: str | None = None,
        rebuild: bool = False,
    ) -> NewsIndex:
        """Open (or create) the index in ``path``. The model and encoder (``openvino``, ``torch``,
        ``onnx``, ``onnx-int8``) default to the ones it was built with; ONNX exports are kept in
        ``path``.

        Raises ``IndexMismatchError`` when ``model``/``encoder``/``embedder`` would make other
        vectors than the index's, unless ``rebuild`` is set: then ``reindex()`` re-embeds
        everything. (``torch``, ``onnx`` and ``openvino`` make fp32 vectors; ``onnx-int8`` differs.)
        ``rebuild`` also opens an index whose vectors, BM25 or manifest are damaged, as one with
        no passages, so that ``reindex()`` rebuilds them from the stored articles.
        """
        store = Store(Path(path), salvage=rebuild)
        snapshot = store.load()
        manifest = snapshot.manifest if snapshot else {}
        if embedder is None:
            embedder = load_embedder(
                model or manifest.get("model") or DEFAULT_MODEL,
                encoder or manifest.get("encoder", "torch" if snapshot else None),
                cache=Path(path),
            )
        stale = bool(manifest.get("passages")) and _built_with(manifest) != _built_with(embedder)
        if stale and not rebuild:
            model_was, family_was = _built_with(manifest)
            encoder_was = manifest.get("encoder", "torch")
            raise IndexMismatchError(
                f"{path} was built with the model {model_was!r} on the {encoder_was} encoder "
                f"({family_was} vectors), not {embedder.name!r} on "
                f"{getattr(embedder, 'encoder', None)}: run `newsbot reindex` to rebuild it, "
                f"or set EMBEDDING_MODEL={model_was} and NEWSBOT_ENCODER={encoder_was}"
            )
        return cls(store, embedder, snapshot)

    @property
    def path(self) -> Path:
        return self._store.root

    @property
    def model(self) -> str:
        return self._embedder.name

    # -- reading -----------------------------------------------------------------------------
    def _read(self) -> tuple[Snapshot | None, sqlite3.Connection | None]:
        """The current generation and this thread's connection to it: one generation for the
        whole call, even if a write publishes meanwhile."""
        snapshot = self._snapshot
        return (snapshot, snapshot.reader()) if snapshot is not None else (None, None)

    def stats(self) -> IndexStats:
        snap, con = self._read()
        if snap is None or con is None:
            return IndexStats(0, 0, 0, self.model, self._embedder.dimension, 0, 0, None)
        m = snap.manifest
        sources = con.execute("SELECT count(DISTINCT source) FROM articles").fetchone()[0]
        return IndexStats(
            m["articles"],
            m["passages"],
            sources,
            m["model"],
            m["dimension"],
            self._store.size_bytes(snap),
            m["generation"],
            m.get("updated_at"),
        )

    def articles(self, source: str | None = None, limit: int | None = None) -> list[ArticleInfo]:
        """Articles, newest first (undated last)."""
        _, con = self._read()
        if con is None:
            return []
        sql = "SELECT * FROM articles" + (" WHERE source = ?" if source else "")
        sql += " ORDER BY published IS NULL, published DESC, title"
        sql += f" LIMIT {int(limit)}" if limit else ""
        return [_info(r) for r in con.execute(sql, (source,) if source else ())]

    def latest(self, source: str | None = None, limit: int = 10) -> list[ArticleInfo]:
        """The newest articles: by published date, else the day they were added; newest first."""
        _, con = self._read()
        if con is None:
            return []
        rows = con.execute(
            "SELECT * FROM articles"
            + (" WHERE source = ?" if source else "")
            + " ORDER BY coalesce(published, substr(added_at, 1, 10)) DESC, added_at DESC, "
            "title LIMIT ?",
            (source, int(limit)) if source else (int(limit),),
        )
        return [_info(r) for r in rows]

    def sources(self) -> list[SourceInfo]:
        _, con = self._read()
        if con is None:
            return []
        rows = con.execute(
            "SELECT source, count(*) n, max(published) newest FROM articles "
            "GROUP BY source ORDER BY n DESC, source"
        )
        return [SourceInfo(r["source"], r["n"], parse_date(r["newest"])) for r in rows]

    def article(self, article_id: str) -> Article:
        _, con = self._read()
        row = (
            con.execute("SELECT * FROM articles WHERE id = ?", (article_id,)).fetchone()
            if con
            else None
        )
        if row is None:
            raise ArticleNotFoundError(f"no article with id {article_id!r}")
        return _article(row)

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
        """Quotes that answer ``question``, best first; ``found`` is False when none is relevant."""
        question = " ".join(str(question).split())
        if not question:
            raise BadQuestionError("the question is empty: ask something about the news")
        if len(question) > MAX_QUESTION_CHARS:
            raise BadQuestionError(
                f"the question is too long (over {MAX_QUESTION_CHARS} characters)"
            )
        k = max(1, min(int(k), 10))
        snap, con = self._read()
        if snap is None or con is None or not snap.manifest["passages"]:
            return Answer(question)
        allowed = self._allowed(con, source, since, until)
        if allowed is not None and not len(allowed):
            return Answer(question)
        vector = self._embedder.embed_queries([question])[0]
        query = Query.build(question, vector, self._lexical)
        hits = self._ranked(con, *self._candidates(snap, con, query, allowed), query)
        quotes = self._quotes(hits[: self.tuning.rerank], query, k)
        if self.tuning.prefer_recent:
            quotes = prefer_recent(quotes, self.tuning.recent_margin)
        threshold = self.tuning.found_threshold
        if threshold is None:
            threshold = self._reranker.found_threshold
        found = bool(quotes) and hits[0].relevance >= threshold
        return Answer(question, tuple(quotes) if found else (), found)

    @staticmethod
    def _allowed(
        con: sqlite3.Connection, source: str | None, since: date | None, until: date | None
    ) -> np.ndarray | None:
        where, args = [], []
        if source:
            where.append("a.source = ?")
            args.append(source)
        if since:
            where.append("a.published >= ?")
            args.append(since.isoformat())
        if until:
            where.append("a.published <= ?")
            args.append(until.isoformat())
        if not where:
            return None
        rows = con.execute(
            "SELECT p.id FROM passages p JOIN articles a ON a.id = p.article_id WHERE "
            + " AND ".join(where),
            args,
        ).fetchall()
        return np.array([r[0] for r in rows], dtype=np.int64)

    def _candidates(
        self, snap: Snapshot, con: sqlite3.Connection, query: Query, allowed: np.ndarray | None
    ) -> tuple[list[Candidate], list[sqlite3.Row]]:
        """The fused candidate pool and, for each, its passage row joined with its article."""
        t = self.tuning
        candidates = retrieve(
            snap,
            query.vector,
            list(query.tokens),
            n=t.candidates,
            allowed=allowed,
            lexical_weight=t.lexical_weight,
        )[: t.pool]
        ids = [c.passage_id for c in candidates]
        by_id = {
            r["pid"]: r
            for r in con.execute(
                "SELECT p.id pid, p.start, p.end, a.id, a.title, a.source, a.url, a.published,"
                " a.author, a.text FROM passages p "
                f"JOIN articles a ON a.id = p.article_id WHERE p.id IN ({','.join('?' * len(ids))})",
                ids,
            )
        }
        return candidates, [by_id[i] for i in ids]

    def _ranked(
        self,
        con: sqlite3.Connection,
        candidates: list[Candidate],
        rows: list[sqlite3.Row],
        query: Query,
    ) -> list[_Hit]:
        """Candidates re-ranked by the learned model, best first."""
        if not candidates:
            return []
        x, spans, sims = self.passage_features(con, candidates, rows, query)
        scores = self._reranker.passage.score(x)
        hits = [
            _Hit(float(score), r, sents, sim)
            for score, r, sents, sim in zip(scores, rows, spans, sims, strict=True)
        ]
        hits.sort(key=lambda h: h.relevance, reverse=True)
        return hits

    def passage_features(
        self,
        con: sqlite3.Connection,
        candidates: list[Candidate],
        rows: list[sqlite3.Row],
        query: Query,
    ) -> tuple[np.ndarray, list[list[tuple[int, int]]], list[np.ndarray]]:
        """The re-ranker's features of each candidate, its sentences and their cosines.

        (Public for ``bench/train_reranker.py``, which must see what ``ask`` sees.)"""
        stored = sentvec.lookup(con, [r["pid"] for r in rows])
        spans = [_passage_sentences(r, stored.get(r["pid"])) for r in rows]
        sims = [
            self._sentence_vectors(r, s, stored) @ query.vector
            for r, s in zip(rows, spans, strict=True)
        ]
        x = features(
            query,
            candidates,
            [r["text"][r["start"] : r["end"]] for r in rows],
            [r["title"] for r in rows],
            [[r["text"][a:b] for a, b in s] for r, s in zip(rows, spans, strict=True)],
            sims,
            [r["id"] for r in rows],
        )
        return x, spans, sims

    @staticmethod
    def sentence_matrix(hits: Sequence[_Hit], query: Query) -> tuple[np.ndarray, list[str]]:
        """The sentence model's features of every sentence of ``hits``, and the sentences."""
        texts = [h.row["text"][a:b] for h in hits for a, b in h.sentences]
        relevance = [h.relevance for h in hits for _ in h.sentences]
        positions = [i for h in hits for i in range(len(h.sentences))]
        sims = np.concatenate([h.sims for h in hits])
        return sentence_features(query, relevance, sims, texts, positions), texts

    def _quotes(self, hits: Sequence[_Hit], query: Query, k: int) -> list[Quote]:
        """The best sentence of each hit, grown into a quote from the article's sentences around it;
        no sentence is shown twice, and syndicated copies of a quote shown are dropped."""
        if not hits:
            return []
        t = self.tuning
        spans = [h.sentences for h in hits]
        x, _ = self.sentence_matrix(hits, query)
        sentence_scores = self._reranker.sentence.score(x)
        if query.kind in t.typed_answers:  # a sentence without the kind of answer asked for
            typed = x[:, SENTENCE_FEATURES.index(query.kind)]
            sentence_scores = sentence_scores + t.type_bonus * typed
        scored = []
        offset = 0
        for hit, sents in zip(hits, spans, strict=True):
            best = int(np.argmax(sentence_scores[offset : offset + len(sents)]))
            score = float(sentence_scores[offset + best]) + t.order_relevance * hit.relevance
            scored.append((score, hit.row, sents, best))
            offset += len(sents)
        scored.sort(key=lambda s: s[0], reverse=True)
        quotes: list[Quote] = []
        shown: list[tuple[str, int, int]] = []
        seen: set[str] = set()  # the sentences shown, to drop syndicated copies of a story
        for score, row, sents, best in scored:
            taken = [(s, e) for a, s, e in shown if a == row["id"]]
            budget = t.quote_budget if quotes else t.first_quote_budget
            around = _around(row["text"], sents, best, budget, taken)
            if around is None:
                continue
            sents, best = around
            first, last = quote_window(sents, best, budget)
            start, end = sents[first][0], sents[last][1]
            text = row["text"][start:end]
            keys = {clean.paragraph_key(row["text"][a:b]) for a, b in sents[first : last + 1]}
            hs, he = sents[best]
            if clean.paragraph_key(row["text"][hs:he]) in seen or len(keys & seen) * 2 > len(keys):
                continue
            shown.append((row["id"], start, end))
            seen |= keys
            quotes.append(
                Quote(
                    text=text,
                    highlight=(hs - start, he - start),
                    score=round(score, 4),
                    article=_info(row),
                    speaker=attribute_speaker(row["text"], start, end),
                    start=start,
                )
            )
            if len(quotes) == k:
                break
        return quotes

    # -- sentence vectors (stored at ingest; see index/sentvec.py) ----------------------------
    def _embed_passages(self, items: Sequence[_Passage]) -> list[_Vectors]:
        """Vectors of passages and, when the embedder can, of their sentences."""
        texts = [text for text, _, _ in items]
        if not isinstance(self._embedder, SpanEmbedder):
            return [(v, None) for v in self._embedder.embed_documents(texts)]
        shifted = [[(a + at, b + at) for a, b in spans] for _, spans, at in items]
        vectors, parts = self._embedder.embed_passages(texts, shifted)
        return [
            (v, sentvec.encode(spans, p))
            for v, (_, spans, _), p in zip(vectors, items, parts, strict=True)
        ]

    def _sentence_vectors(
        self, row: sqlite3.Row, sents: list[chunk.Span], stored: dict[int, sentvec.Stored]
    ) -> np.ndarray:
        """Vectors of a passage's sentences: the stored ones, else (an older index) embedded now."""
        relative = [(a - row["start"], b - row["start"]) for a, b in sents]
        if row["pid"] in stored:
            found = sentvec.decode(stored[row["pid"]], relative, self._embedder.dimension)
            if found is not None:
                return found
        text = _embed_text(row["title"], row["text"][row["start"] : row["end"]])
        ((_, encoded),) = self._embed_passages([(text, tuple(relative), len(row["title"]) + 1)])
        if encoded is None:
            return self._embedder.embed_documents([row["text"][a:b] for a, b in sents])
        decoded = sentvec.decode(encoded, relative, self._embedder.dimension)
        assert decoded is not None
        return decoded

    # -- writing -----------------------------------------------------------------------------
    @contextlib.contextmanager
    def _writing(self) -> Iterator[None]:
        if not self._write_lock.acquire(blocking=False):
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
            self._write_lock.release()

    def ingest(
        self,
        inputs: Iterable[str | Path],
        *,
        source: str | None = None,
        progress: Progress | None = None,
        allow_private: bool | None = None,
    ) -> IngestReport:
        """Add or update articles from files, folders, JSON lines and URLs; bad inputs are reported.

        ``allow_private`` lets URLs reach private and loopback addresses (None: read
        ``NEWSBOT_ALLOW_PRIVATE_URLS`` from the environment).
        """
        loaded: list[Article] = []
        failed: list[tuple[str, str]] = []
        for item in iter_articles(inputs, source=source, allow_private=allow_private):
            if isinstance(item, LoadFailure):
                failed.append((item.input, item.reason))
            else:
                loaded.append(item)
            _call(progress, "load", len(loaded) + len(failed), 0)
        return self.ingest_articles(loaded, progress=progress, failed=failed)

    def ingest_articles(
        self,
        articles: Iterable[Article],
        *,
        progress: Progress | None = None,
        failed: Sequence[tuple[str, str]] = (),
    ) -> IngestReport:
        """Add or update already loaded (uncleaned) articles."""
        batch = list({a.id: a for a in articles}.values())
        with self._writing():
            snapshot = self._store.load()
            plan = self._plan(snapshot, batch)
            failed = [*failed, *plan.failed]
            if not plan.changes:
                return IngestReport(0, 0, plan.unchanged, tuple(failed))
            draft = self._store.begin(snapshot, self._embedder.dimension)
            try:
                self._apply(draft, plan, progress)
                self._publish(draft, progress)
            except BaseException:
                self._store.discard(draft)
                raise
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
            for src, group in by_source.items():
                stored = {a.id: _stored(con, a.id) for a in group}
                boiler = _boilerplate(con, src, [a.text for a in group if stored[a.id] is None])
                for a in group:
                    old = stored[a.id]
                    if old is not None and (old["title"], old["raw"]) == (a.title, a.text):
                        plan.unchanged += 1
                        continue
                    cleaned = clean.clean_text(a.text, boiler)
                    if not cleaned.strip():
                        plan.failed.append(
                            (a.id, "no article text left after removing page furniture")
                        )
                        continue
                    chash = _hash(a.title + "\n" + cleaned)
                    if chash in plan.hashes or _duplicate_of(con, chash, a.id):
                        plan.unchanged += 1  # the same text under another id is stored once
                        continue
                    plan.hashes.add(chash)
                    plan.changes.append((replace(a, text=cleaned), a.text, chash))
                    plan.added += old is None
                    plan.updated += old is not None
        return plan

    def _apply(self, draft: Draft, plan: _Plan, progress: Progress | None) -> None:
        db = draft.db
        db.execute("BEGIN")
        for article, raw, chash in plan.changes:
            self._delete(draft, article.id)
            db.execute(
                "INSERT INTO articles VALUES (?,?,?,?,?,?,?,?,?,datetime('now'))",
                (
                    article.id,
                    article.title,
                    article.source,
                    article.url,
                    article.published.isoformat() if article.published else None,
                    article.author,
                    article.text,
                    raw,
                    chash,
                ),
            )
            _count_paragraphs(db, article.source, raw, +1)
        db.execute("COMMIT")
        self._embed_new(draft, [a for a, _, _ in plan.changes], {}, progress)

    def _embed_new(
        self,
        draft: Draft,
        articles: list[Article],
        reuse: dict[str, _Vectors],
        progress: Progress | None,
    ) -> None:
        """Chunk ``articles``, store their passages and add their vectors (reusing known ones)."""
        rows: list[tuple[str, int, int, str, _Passage]] = []
        for a in articles:
            for p in passages(a.text, **CHUNKING):
                text = _embed_text(a.title, a.text[p.start : p.end])
                spans = tuple((s - p.start, e - p.start) for s, e in p.sentences)
                rows.append((a.id, p.start, p.end, _hash(text), (text, spans, len(a.title) + 1)))
        todo = sorted(
            {r[3]: r[4] for r in rows if r[3] not in reuse}.items(), key=lambda kv: len(kv[1][0])
        )
        vectors = dict(reuse)
        for i in range(0, len(todo), EMBED_BATCH):
            batch = todo[i : i + EMBED_BATCH]
            embedded = self._embed_passages([p for _, p in batch])
            vectors.update(zip([h for h, _ in batch], embedded, strict=True))
            _call(progress, "embed", min(i + EMBED_BATCH, len(todo)), len(todo))
        db = draft.db
        db.execute("BEGIN")
        ids = []
        for article_id, start, end, thash, _ in rows:
            cur = db.execute(
                "INSERT INTO passages (article_id, start, end, text_hash) VALUES (?,?,?,?)",
                (article_id, start, end, thash),
            )
            ids.append(cur.lastrowid)
            stored = vectors[thash][1]
            if stored is not None:
                db.execute("INSERT INTO sentence_vectors VALUES (?,?,?)", (cur.lastrowid, *stored))
        db.execute("COMMIT")
        if rows:
            matrix = np.stack([vectors[r[3]][0] for r in rows]).astype(np.float32)
            draft.vectors.add_with_ids(matrix, np.array(ids, dtype=np.int64))

    def _delete(self, draft: Draft, article_id: str) -> bool:
        db = draft.db
        old = db.execute("SELECT source, raw FROM articles WHERE id = ?", (article_id,)).fetchone()
        if old is None:
            return False
        ids = [
            r[0] for r in db.execute("SELECT id FROM passages WHERE article_id = ?", (article_id,))
        ]
        if ids:
            draft.vectors.remove_ids(np.array(ids, dtype=np.int64))
        db.execute("DELETE FROM passages WHERE article_id = ?", (article_id,))
        db.execute("DELETE FROM articles WHERE id = ?", (article_id,))
        _count_paragraphs(db, old["source"], old["raw"], -1)
        return True

    def _publish(self, draft: Draft, progress: Progress | None) -> None:
        rows = draft.db.execute(
            "SELECT p.id, a.title, substr(a.text, p.start + 1, p.end - p.start) body "
            "FROM passages p JOIN articles a ON a.id = p.article_id ORDER BY p.id"
        ).fetchall()
        _call(progress, "bm25", 0, len(rows))
        bm25 = build_bm25([f"{r['title']}\n{r['body']}" for r in rows]) if rows else None
        _call(progress, "bm25", len(rows), len(rows))
        n_articles = draft.db.execute("SELECT count(*) FROM articles").fetchone()[0]
        manifest = {
            "model": self._embedder.name,
            "encoder": getattr(self._embedder, "encoder", None),
            "dimension": self._embedder.dimension,
            "chunking": CHUNKING,
            "articles": n_articles,
            "passages": len(rows),
        }
        _call(progress, "publish", 0, 1)
        self._store.publish(
            draft, manifest, bm25, np.array([r["id"] for r in rows], dtype=np.int64)
        )
        snapshot = self._store.load()
        self._lexical = LexicalModel.from_bm25(snapshot.bm25 if snapshot else None)
        self._snapshot = snapshot
        _call(progress, "publish", 1, 1)

    def remove(self, article_id: str) -> ArticleInfo:
        """Remove one article and its passages."""
        with self._writing():
            snapshot = self._store.load()
            info = None
            if snapshot is not None:
                with contextlib.closing(snapshot.connect()) as con:
                    row = con.execute(
                        "SELECT * FROM articles WHERE id = ?", (article_id,)
                    ).fetchone()
                    info = _info(row) if row else None
            if snapshot is None or info is None:
                raise ArticleNotFoundError(f"no article with id {article_id!r}")
            draft = self._store.begin(snapshot, self._embedder.dimension)
            try:
                self._delete(draft, article_id)
                self._publish(draft, None)
            except BaseException:
                self._store.discard(draft)
                raise
        return info

    def reindex(self, *, progress: Progress | None = None) -> IngestReport:
        """Re-clean, re-chunk and re-embed every stored article into a new generation.

        Vectors of passages whose text is unchanged are reused when the model is the same.
        Questions keep being answered from the published generation until the new one is live.
        """
        with self._writing():
            snapshot = self._store.load()
            if snapshot is None:
                return IngestReport()
            same_model = _built_with(snapshot.manifest) == _built_with(self._embedder)
            draft = self._store.begin(snapshot, self._embedder.dimension, copy_vectors=False)
            try:
                articles, reuse = self._reclean(draft, snapshot if same_model else None, progress)
                self._embed_new(draft, articles, reuse, progress)
                self._publish(draft, progress)
            except BaseException:
                self._store.discard(draft)
                raise
        return IngestReport(updated=len(articles))

    def _reclean(
        self, draft: Draft, old: Snapshot | None, progress: Progress | None
    ) -> tuple[list[Article], dict[str, _Vectors]]:
        db = draft.db
        reuse: dict[str, _Vectors] = {}
        if old is not None:
            sentences = dict(sentvec.lookup_all(db))
            for pid, thash in db.execute("SELECT id, text_hash FROM passages"):
                with contextlib.suppress(RuntimeError):
                    reuse[thash] = (old.vectors.reconstruct(int(pid)), sentences.get(pid))
        db.execute("BEGIN")
        db.execute("DELETE FROM passages")
        db.execute("DELETE FROM paragraph_counts")
        rows = db.execute("SELECT * FROM articles").fetchall()
        for row in rows:
            _count_paragraphs(db, row["source"], row["raw"], +1)
        articles = []
        for i, row in enumerate(rows, 1):
            boiler = _boilerplate(db, row["source"], [])
            text = clean.clean_text(row["raw"], boiler) or row["text"]
            db.execute(
                "UPDATE articles SET text = ?, content_hash = ? WHERE id = ?",
                (text, _hash(row["title"] + "\n" + text), row["id"]),
            )
            articles.append(replace(_article(row), text=text))
            _call(progress, "clean", i, len(rows))
        db.execute("COMMIT")
        return articles, reuse

    # -- feeds (index/polling.py; docs/feeds.md) ---------------------------------------------
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
        _, con = self._read()
        if con is None or not wanted:
            return set()
        found: set[str] = set()
        for i in range(0, len(wanted), 500):
            chunk = wanted[i : i + 500]
            found.update(
                r[0]
                for r in con.execute(
                    f"SELECT id FROM articles WHERE id IN ({','.join('?' * len(chunk))})",
                    chunk,
                )
            )
        return found


def _private_ok(allow_private: bool | None) -> bool:
    return private_urls_allowed() if allow_private is None else allow_private


# A passage to embed: the text embedded (headline line, then the passage), its sentence spans
# relative to the passage, and where the passage starts in that text.
_Passage = tuple[str, tuple[chunk.Span, ...], int]
# A passage's vector and its stored sentence vectors (None when the embedder has none).
_Vectors = tuple[np.ndarray, sentvec.Stored | None]


@dataclass(frozen=True)
class _Hit:
    """A candidate passage (its row joined with its article), its learned relevance, and its
    sentences (article offsets) with their cosines to the question."""

    relevance: float
    row: sqlite3.Row
    sentences: list[tuple[int, int]]
    sims: np.ndarray


@dataclass
class _Plan:
    """What an ingest will change: (cleaned article, raw text, content hash) per change."""

    changes: list[tuple[Article, str, str]] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    hashes: set[str] = field(default_factory=set)
    added: int = 0
    updated: int = 0
    unchanged: int = 0


def _passage_sentences(row: sqlite3.Row, stored: sentvec.Stored | None) -> list[tuple[int, int]]:
    """A passage's sentences: those stored with its vectors, else (an older index) split now."""
    found = sentvec.spans(stored, row["start"]) if stored else []
    return found or _sentences_in(row["text"], row["start"], row["end"])


def _sentences_in(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """The article's sentences inside ``[start, end)`` (the whole range when none fits); only
    the paragraphs that overlap the range are split."""
    found = [
        s
        for a, b in paragraph_spans(text)
        if a < end and b > start
        for s in sentence_spans(text, a, b)
        if s[0] >= start and s[1] <= end
    ]
    return found or [(start, end)]


def _around(
    text: str,
    sents: list[tuple[int, int]],
    best: int,
    budget: int,
    taken: Sequence[tuple[int, int]],
) -> tuple[list[tuple[int, int]], int] | None:
    """The sentences a quote may use, and where its best one is among them: the article's
    sentences within ``budget`` characters of the passage's (a quote may run on into the
    neighbouring passages) that are not already ``taken`` by a quote shown, and touch the best
    one. None when the best sentence itself is already shown."""
    wider = _sentences_in(text, max(0, sents[0][0] - budget), sents[-1][1] + budget)
    if sents[best] not in wider:
        wider = sents
    best = wider.index(sents[best])

    def free(i: int) -> bool:
        return not any(wider[i][0] < e and s < wider[i][1] for s, e in taken)

    if not free(best):
        return None
    lo = hi = best
    while lo > 0 and free(lo - 1):
        lo -= 1
    while hi + 1 < len(wider) and free(hi + 1):
        hi += 1
    return wider[lo : hi + 1], best - lo


def _stored(con: sqlite3.Connection | None, article_id: str) -> sqlite3.Row | None:
    if con is None:
        return None
    row: sqlite3.Row | None = con.execute(
        "SELECT title, raw FROM articles WHERE id = ?", (article_id,)
    ).fetchone()
    return row


def _duplicate_of(con: sqlite3.Connection | None, content_hash: str, article_id: str) -> bool:
    if con is None:
        return False
    row = con.execute(
        "SELECT 1 FROM articles WHERE content_hash = ? AND id != ?", (content_hash, article_id)
    ).fetchone()
    return row is not None


def _count_paragraphs(db: sqlite3.Connection, source: str, raw: str, delta: int) -> None:
    for key in _short_keys(raw):
        db.execute(
            "INSERT INTO paragraph_counts VALUES (?,?,?) "
            "ON CONFLICT(source, key) DO UPDATE SET n = n + excluded.n",
            (source, key, delta),
        )


def _boilerplate(con: sqlite3.Connection | None, source: str, batch: list[str]) -> set[str]:
    """Keys of short paragraphs repeated across many articles of ``source`` (stored and new)."""
    counts: Counter[str] = Counter()
    stored = 0
    if con is not None:
        stored = con.execute(
            "SELECT count(*) FROM articles WHERE source = ?", (source,)
        ).fetchone()[0]
        counts.update(
            {
                r[0]: r[1]
                for r in con.execute(
                    "SELECT key, n FROM paragraph_counts WHERE source = ? AND n >= 2", (source,)
                )
            }
        )
    for text in batch:
        counts.update(_short_keys(text))
    need = max(3, 0.2 * (stored + len(batch)))
    return {key for key, n in counts.items() if n >= need}
