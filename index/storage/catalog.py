"""The catalog: every SQL statement about articles, passages and their sentence vectors.

One generation's ``news.sqlite`` holds the articles (cleaned headline and text, and the raw ones
they were cleaned from), their passages (character spans of the cleaned text), each passage's
sentence vectors, and per source the counts of short paragraphs and of headline affixes that
tell page furniture from news.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date

from ..models import Article, ArticleInfo
from ..text.names import cased_names
from .sentvec import Stored

__all__ = ["SCHEMA", "Catalog", "Passage", "content_hash"]

SCHEMA = """
CREATE TABLE IF NOT EXISTS articles (
    id TEXT PRIMARY KEY, title TEXT NOT NULL, source TEXT NOT NULL, url TEXT, published TEXT,
    author TEXT, text TEXT NOT NULL, raw TEXT NOT NULL, content_hash TEXT NOT NULL,
    added_at TEXT NOT NULL, raw_title TEXT
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
CREATE TABLE IF NOT EXISTS title_counts (
    source TEXT NOT NULL, affix TEXT NOT NULL, n INTEGER NOT NULL, PRIMARY KEY (source, affix)
);
CREATE TABLE IF NOT EXISTS statements (
    article_id TEXT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    start INTEGER NOT NULL, end INTEGER NOT NULL, speaker TEXT NOT NULL, aka TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS statements_speaker ON statements(speaker);
CREATE INDEX IF NOT EXISTS statements_article ON statements(article_id);
CREATE TABLE IF NOT EXISTS sentence_vectors (
    passage_id INTEGER PRIMARY KEY REFERENCES passages(id) ON DELETE CASCADE,
    spans BLOB NOT NULL, vectors BLOB NOT NULL
);
"""
_INFO = "id, title, source, url, published, author"
_IN_BATCH = 500  # ids per IN (...) list, well under SQLite's variable limit


def content_hash(text: str) -> str:
    """The digest stored for an article's or a passage's text, to notice unchanged ones."""
    return hashlib.blake2b(text.encode(), digest_size=12).hexdigest()


@dataclass(frozen=True)
class Passage:
    """A stored passage: ``article.text[start:end]``, and the names its article writes."""

    id: int
    start: int
    end: int
    article: Article
    names: frozenset[str] = frozenset()

    @property
    def text(self) -> str:
        return self.article.text[self.start : self.end]


def _day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value[:10]) if value else None
    except ValueError:
        return None


def _info(row: sqlite3.Row) -> ArticleInfo:
    return ArticleInfo(
        row["id"], row["title"], row["source"], row["url"], _day(row["published"]), row["author"]
    )


def _article(row: sqlite3.Row) -> Article:
    return Article(
        row["id"],
        row["title"],
        row["text"],
        row["source"],
        row["url"],
        _day(row["published"]),
        row["author"],
    )


def _raw_title(row: sqlite3.Row) -> str:
    """The headline as loaded (generations before headlines were cleaned kept only that one)."""
    raw = row["raw_title"] if "raw_title" in row.keys() else None  # noqa: SIM118 (values)
    return str(raw if raw is not None else row["title"])


def _names(row: sqlite3.Row) -> frozenset[str]:
    """The names stored at ingest, or found now in a generation made before they were stored."""
    stored = row["names"]
    return frozenset(stored.split()) if stored is not None else cased_names(row["text"])


def _marks(n: int) -> str:
    return ",".join("?" * n)


class Catalog:
    """The articles and passages of one generation, through one SQLite connection."""

    def __init__(self, con: sqlite3.Connection, owner: object = None) -> None:
        self.con = con
        # what the connection belongs to (a generation), kept alive while the catalog is in use:
        # a generation freed mid-query closes its connections
        self._owner = owner

    @functools.cached_property
    def _names(self) -> str:
        """The articles' names column, or NULL in a generation made before it was added."""
        columns = {r[1] for r in self.con.execute("PRAGMA table_info(articles)")}
        return "a.names" if "names" in columns else "NULL"

    # -- reading -------------------------------------------------------------------------------
    def source_count(self) -> int:
        return int(self.con.execute("SELECT count(DISTINCT source) FROM articles").fetchone()[0])

    def article_count(self) -> int:
        return int(self.con.execute("SELECT count(*) FROM articles").fetchone()[0])

    def article(self, article_id: str) -> Article | None:
        row = self.con.execute("SELECT * FROM articles WHERE id = ?", (article_id,)).fetchone()
        return _article(row) if row else None

    def info(self, article_id: str) -> ArticleInfo | None:
        row = self.con.execute(
            f"SELECT {_INFO} FROM articles WHERE id = ?", (article_id,)
        ).fetchone()
        return _info(row) if row else None

    def articles(self, source: str | None, limit: int | None) -> list[ArticleInfo]:
        """Newest first (undated last)."""
        sql = f"SELECT {_INFO} FROM articles" + (" WHERE source = ?" if source else "")
        sql += " ORDER BY published IS NULL, published DESC, title"
        sql += f" LIMIT {int(limit)}" if limit else ""
        return [_info(r) for r in self.con.execute(sql, (source,) if source else ())]

    def latest(self, source: str | None, limit: int) -> list[ArticleInfo]:
        """By published date, else the day they were added; newest first."""
        rows = self.con.execute(
            f"SELECT {_INFO} FROM articles"
            + (" WHERE source = ?" if source else "")
            + " ORDER BY coalesce(published, substr(added_at, 1, 10)) DESC, added_at DESC, "
            "title LIMIT ?",
            (source, int(limit)) if source else (int(limit),),
        )
        return [_info(r) for r in rows]

    def sources(self) -> list[tuple[str, int, date | None]]:
        """Each source, its number of articles and its newest date; the largest first."""
        rows = self.con.execute(
            "SELECT source, count(*) n, max(published) newest FROM articles "
            "GROUP BY source ORDER BY n DESC, source"
        )
        return [(r["source"], r["n"], _day(r["newest"])) for r in rows]

    def known(self, ids: Sequence[str]) -> set[str]:
        """Which of ``ids`` are stored."""
        found: set[str] = set()
        for i in range(0, len(ids), _IN_BATCH):
            batch = list(ids[i : i + _IN_BATCH])
            sql = f"SELECT id FROM articles WHERE id IN ({_marks(len(batch))})"
            found.update(r[0] for r in self.con.execute(sql, batch))
        return found

    def passage_facets(self) -> list[tuple[int, str, str | None]]:
        """(passage id, source, published) of every passage, ordered by id."""
        cursor = self.con.cursor()
        cursor.row_factory = None  # plain tuples: a Row per passage doubles the time
        return cursor.execute(
            "SELECT p.id, a.source, a.published FROM passages p "
            "JOIN articles a ON a.id = p.article_id ORDER BY p.id"
        ).fetchall()

    def facets_of(self, ids: Sequence[int]) -> dict[int, tuple[str, str, str | None]]:
        """Passage id → (article id, source, published) for ``ids``."""
        out: dict[int, tuple[str, str, str | None]] = {}
        for i in range(0, len(ids), _IN_BATCH):
            batch = ids[i : i + _IN_BATCH]
            rows = self.con.execute(
                "SELECT p.id, a.id, a.source, a.published FROM passages p JOIN articles a "
                f"ON a.id = p.article_id WHERE p.id IN ({_marks(len(batch))})",
                batch,
            )
            out.update((row[0], (row[1], row[2], row[3])) for row in rows)
        return out

    def passages(self, ids: Sequence[int]) -> list[Passage]:
        """The passages ``ids``, in that order, each with its article."""
        rows = self.con.execute(
            "SELECT p.id pid, p.start, p.end, a.id, a.title, a.source, a.url, a.published, a.author,"
            f" a.text, {self._names} names FROM passages p "
            f"JOIN articles a ON a.id = p.article_id WHERE p.id IN ({_marks(len(ids))})",
            list(ids),
        )
        articles: dict[str, tuple[Article, frozenset[str]]] = {}
        by_id = {}
        for r in rows:
            article, names = articles.get(r["id"]) or articles.setdefault(
                r["id"], (_article(r), _names(r))
            )
            by_id[r["pid"]] = Passage(r["pid"], r["start"], r["end"], article, names)
        return [by_id[i] for i in ids]

    def speaker_counts(self) -> list[tuple[str, str, int]] | None:
        """Each (speaker, also known as) and how many sentences they speak; None in a generation
        made before statements were stored."""
        try:
            rows = self.con.execute(
                "SELECT speaker, aka, count(*) FROM statements GROUP BY speaker, aka"
            ).fetchall()
        except sqlite3.OperationalError:
            return None
        return [(r[0], r[1], int(r[2])) for r in rows]

    def statements_by(
        self, speakers: Sequence[str]
    ) -> list[tuple[ArticleInfo, int, int, str, str]]:
        """Every sentence spoken by one of ``speakers``: (article, start, end, sentence,
        speaker)."""
        found = []
        for i in range(0, len(speakers), _IN_BATCH):
            batch = list(speakers[i : i + _IN_BATCH])
            rows = self.con.execute(
                f"SELECT {_INFO}, s.start, s.end, substr(a.text, s.start + 1, s.end - s.start) "
                "sentence, s.speaker FROM statements s JOIN articles a ON a.id = s.article_id "
                f"WHERE s.speaker IN ({_marks(len(batch))})",
                batch,
            )
            found += [(_info(r), r["start"], r["end"], r["sentence"], r["speaker"]) for r in rows]
        return found

    def passage_spans(self, article_ids: Sequence[str]) -> list[tuple[int, str, int]]:
        """(passage id, article id, start) of every passage of ``article_ids``."""
        found = []
        for i in range(0, len(article_ids), _IN_BATCH):
            batch = list(article_ids[i : i + _IN_BATCH])
            found += self.con.execute(
                "SELECT id, article_id, start FROM passages "
                f"WHERE article_id IN ({_marks(len(batch))})",
                batch,
            ).fetchall()
        return [(int(r[0]), r[1], int(r[2])) for r in found]

    def sentence_vectors(self, passage_ids: Sequence[int]) -> dict[int, Stored]:
        """What is stored for each of ``passage_ids`` (missing ones are left out)."""
        if not passage_ids:
            return {}
        try:
            rows = self.con.execute(
                "SELECT passage_id, spans, vectors FROM sentence_vectors WHERE passage_id IN "
                f"({_marks(len(passage_ids))})",
                list(passage_ids),
            ).fetchall()
        except sqlite3.OperationalError:  # an index made before sentence vectors were stored
            return {}
        return {int(r[0]): (bytes(r[1]), bytes(r[2])) for r in rows}

    def all_sentence_vectors(self) -> Iterator[tuple[int, Stored]]:
        try:
            rows = self.con.execute(
                "SELECT passage_id, spans, vectors FROM sentence_vectors"
            ).fetchall()
        except sqlite3.OperationalError:
            return
        for r in rows:
            yield int(r[0]), (bytes(r[1]), bytes(r[2]))

    def passage_hashes(self) -> list[tuple[int, str]]:
        """Each passage's id and the digest of its embedded text."""
        return [(r[0], r[1]) for r in self.con.execute("SELECT id, text_hash FROM passages")]

    def stored_text(self, article_id: str) -> tuple[str, str] | None:
        """The raw headline and text an article was cleaned from."""
        row = self.con.execute("SELECT * FROM articles WHERE id = ?", (article_id,)).fetchone()
        return (_raw_title(row), row["raw"]) if row else None

    def has_duplicate(self, digest: str, article_id: str) -> bool:
        """Whether another article than ``article_id`` has this content hash."""
        row = self.con.execute(
            "SELECT 1 FROM articles WHERE content_hash = ? AND id != ?", (digest, article_id)
        ).fetchone()
        return row is not None

    def raw_articles(self) -> list[tuple[Article, str, str]]:
        """Every article with the raw text and headline it was cleaned from."""
        rows = self.con.execute("SELECT * FROM articles")
        return [(_article(r), r["raw"], _raw_title(r)) for r in rows]

    def source_size(self, source: str) -> int:
        return int(
            self.con.execute(
                "SELECT count(*) FROM articles WHERE source = ?", (source,)
            ).fetchone()[0]
        )

    def title_counts(self, source: str) -> dict[str, int]:
        """How many of ``source``'s headlines have each affix (``text.titles``)."""
        try:
            rows = self.con.execute(
                "SELECT affix, n FROM title_counts WHERE source = ? AND n > 0", (source,)
            ).fetchall()
        except sqlite3.OperationalError:  # a generation from before headlines were cleaned
            return {}
        return {r[0]: r[1] for r in rows}

    def paragraph_counts(self, source: str) -> dict[str, int]:
        """How many of ``source``'s articles hold each short paragraph seen at least twice."""
        rows = self.con.execute(
            "SELECT key, n FROM paragraph_counts WHERE source = ? AND n >= 2", (source,)
        )
        return {r[0]: r[1] for r in rows}

    def embedded_passages(self) -> list[tuple[int, str]]:
        """Each passage's id and the text it was embedded from (headline, then the passage)."""
        rows = self.con.execute(
            "SELECT p.id, a.title, substr(a.text, p.start + 1, p.end - p.start) body "
            "FROM passages p JOIN articles a ON a.id = p.article_id ORDER BY p.id"
        )
        return [(r["id"], f"{r['title']}\n{r['body']}") for r in rows]

    # -- writing (a draft's connection) ---------------------------------------------------------
    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """One transaction around the writes inside (the connection is in autocommit mode)."""
        self.con.execute("BEGIN")
        yield
        self.con.execute("COMMIT")

    def upgrade(self) -> None:
        """Bring a draft copied from an older generation to this schema (new columns)."""
        columns = {r[1] for r in self.con.execute("PRAGMA table_info(articles)")}
        if "raw_title" not in columns:
            self.con.execute("ALTER TABLE articles ADD COLUMN raw_title TEXT")
        if "names" not in columns:  # NULL until the article's text is next set
            self.con.execute("ALTER TABLE articles ADD COLUMN names TEXT")

    def add_article(self, article: Article, raw: str, digest: str, raw_title: str) -> None:
        self.con.execute(
            "INSERT INTO articles (id, title, source, url, published, author, text, raw, "
            "content_hash, added_at, raw_title) VALUES (?,?,?,?,?,?,?,?,?,datetime('now'),?)",
            (
                article.id,
                article.title,
                article.source,
                article.url,
                article.published.isoformat() if article.published else None,
                article.author,
                article.text,
                raw,
                digest,
                raw_title,
            ),
        )

    def set_text(self, article_id: str, title: str, text: str, digest: str) -> None:
        self.con.execute(
            "UPDATE articles SET title = ?, text = ?, content_hash = ? WHERE id = ?",
            (title, text, digest, article_id),
        )

    def set_findings(
        self, article_id: str, names: Iterable[str], statements: Iterable[tuple[int, int, str, str]]
    ) -> None:
        """What was found in an article's text: its names, and who speaks which sentences."""
        self.con.execute(
            "UPDATE articles SET names = ? WHERE id = ?", (" ".join(sorted(names)), article_id)
        )
        self.con.execute("DELETE FROM statements WHERE article_id = ?", (article_id,))
        self.con.executemany(
            "INSERT INTO statements (article_id, start, end, speaker, aka) VALUES (?,?,?,?,?)",
            [(article_id, *row) for row in statements],
        )

    def delete_article(self, article_id: str) -> tuple[str, str, str, list[int]] | None:
        """Delete an article and its passages: its source, raw text, raw headline and passage
        ids (None when it is not stored)."""
        old = self.con.execute("SELECT * FROM articles WHERE id = ?", (article_id,)).fetchone()
        if old is None:
            return None
        ids = [
            r[0]
            for r in self.con.execute("SELECT id FROM passages WHERE article_id = ?", (article_id,))
        ]
        self.con.execute("DELETE FROM passages WHERE article_id = ?", (article_id,))
        self.con.execute("DELETE FROM articles WHERE id = ?", (article_id,))
        return old["source"], old["raw"], _raw_title(old), ids

    def add_passage(
        self,
        article_id: str,
        start: int,
        end: int,
        digest: str,
        sentences: Stored | None,
        passage_id: int | None = None,
    ) -> int:
        """Store a passage (and its sentence vectors); its id."""
        cur = self.con.execute(
            "INSERT INTO passages (id, article_id, start, end, text_hash) VALUES (?,?,?,?,?)",
            (passage_id, article_id, start, end, digest),
        )
        pid = int(cur.lastrowid or 0)
        if sentences is not None:
            self.con.execute(
                "INSERT INTO sentence_vectors (passage_id, spans, vectors) VALUES (?,?,?)",
                (pid, *sentences),
            )
        return pid

    def clear_derived(self) -> None:
        """Forget every passage, paragraph count and headline count (a reindex makes them anew)."""
        self.con.execute("DELETE FROM passages")
        self.con.execute("DELETE FROM paragraph_counts")
        self.con.execute("DELETE FROM title_counts")
        self.con.execute("DELETE FROM statements")

    def count_paragraphs(self, source: str, keys: Iterable[str], delta: int) -> None:
        for key in keys:
            self.con.execute(
                "INSERT INTO paragraph_counts (source, key, n) VALUES (?,?,?) "
                "ON CONFLICT(source, key) DO UPDATE SET n = n + excluded.n",
                (source, key, delta),
            )

    def count_titles(self, source: str, affixes: Iterable[str], delta: int) -> None:
        for affix in affixes:
            self.con.execute(
                "INSERT INTO title_counts (source, affix, n) VALUES (?,?,?) "
                "ON CONFLICT(source, affix) DO UPDATE SET n = n + excluded.n",
                (source, affix, delta),
            )
