"""The feed registry: followed feeds and their polling state, in ``feeds.sqlite`` beside the
generations (why a file of its own, and how it is shared between processes: docs/feeds.md)."""

from __future__ import annotations

import contextlib
import fcntl
import sqlite3
from collections.abc import Collection, Iterator, Sequence
from datetime import datetime
from pathlib import Path

from ..errors import IndexBusyError
from ..models import FeedInfo

__all__ = ["FEEDS_FILE", "MAX_ENTRY_ATTEMPTS", "FeedRegistry"]

FEEDS_FILE = "feeds.sqlite"
MAX_ENTRY_ATTEMPTS = 3  # polls that may fail to make an article of an entry before it is skipped
_SCHEMA = """
CREATE TABLE IF NOT EXISTS feeds (
    url TEXT PRIMARY KEY, source TEXT NOT NULL, title TEXT, channel_id INTEGER,
    added_at TEXT NOT NULL, etag TEXT, last_modified TEXT, last_polled TEXT, last_error TEXT,
    failures INTEGER NOT NULL DEFAULT 0, next_poll TEXT, articles INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS entries (
    feed_url TEXT NOT NULL REFERENCES feeds(url) ON DELETE CASCADE,
    key TEXT NOT NULL, url TEXT, article_id TEXT, attempts INTEGER NOT NULL DEFAULT 0,
    settled INTEGER NOT NULL DEFAULT 0, seen_at TEXT NOT NULL,
    PRIMARY KEY (feed_url, key)
);
PRAGMA user_version = 1;
"""


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat(timespec="seconds") if moment else None


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _info(row: sqlite3.Row) -> FeedInfo:
    return FeedInfo(
        url=row["url"],
        source=row["source"],
        title=row["title"],
        channel_id=row["channel_id"],
        added_at=_time(row["added_at"]),
        last_polled=_time(row["last_polled"]),
        last_error=row["last_error"],
        failures=row["failures"],
        next_poll=_time(row["next_poll"]),
        articles=row["articles"],
    )


class FeedRegistry:
    """Feeds, their validators, errors and backoff, and the entries already seen."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._ready = False  # the schema exists

    @contextlib.contextmanager
    def _db(self, *, write: bool = True) -> Iterator[sqlite3.Connection]:
        """One short-lived connection; the ``with`` block is one transaction."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        con = sqlite3.connect(self.path, timeout=10, isolation_level=None)
        try:
            con.row_factory = sqlite3.Row
            con.execute("PRAGMA foreign_keys = ON")
            if not self._ready:
                con.execute("PRAGMA journal_mode = WAL")  # persistent: once per file is enough
                con.executescript(_SCHEMA)
                self._ready = True
            con.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            try:
                yield con
            except BaseException:
                con.execute("ROLLBACK")
                raise
            con.execute("COMMIT")
        finally:
            con.close()

    @contextlib.contextmanager
    def poll_lock(self) -> Iterator[None]:
        """Hold the one-poll-at-a-time lock, or raise ``IndexBusyError``."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_name("feeds.lock"), "a+") as fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError as exc:
                raise IndexBusyError(
                    "another feed poll is running; try again when it finishes"
                ) from exc
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    # -- the feeds ---------------------------------------------------------------------------
    def add(
        self, url: str, *, source: str, title: str | None, channel_id: int | None, now: datetime
    ) -> FeedInfo:
        """Follow ``url``, or change the source and channel of a feed already followed."""
        with self._db() as con:
            con.execute(
                "INSERT INTO feeds (url, source, title, channel_id, added_at) VALUES (?,?,?,?,?) "
                "ON CONFLICT(url) DO UPDATE SET source = excluded.source, "
                "title = excluded.title, channel_id = excluded.channel_id",
                (url, source, title, channel_id, _iso(now)),
            )
            row = con.execute("SELECT * FROM feeds WHERE url = ?", (url,)).fetchone()
        return _info(row)

    def get(self, url: str) -> FeedInfo | None:
        if not self.path.exists():
            return None
        with self._db(write=False) as con:
            row = con.execute("SELECT * FROM feeds WHERE url = ?", (url,)).fetchone()
        return _info(row) if row else None

    def all(self) -> list[FeedInfo]:
        """Every feed, in the order they were added."""
        if not self.path.exists():
            return []
        with self._db(write=False) as con:
            rows = con.execute("SELECT * FROM feeds ORDER BY rowid").fetchall()
        return [_info(r) for r in rows]

    def remove(self, url: str) -> FeedInfo | None:
        """Stop following ``url`` and forget its entries; its articles stay in the index."""
        if not self.path.exists():
            return None
        with self._db() as con:
            row = con.execute("SELECT * FROM feeds WHERE url = ?", (url,)).fetchone()
            con.execute("DELETE FROM feeds WHERE url = ?", (url,))
        return _info(row) if row else None

    # -- polling state -----------------------------------------------------------------------
    def validators(self, url: str) -> tuple[str | None, str | None]:
        """The ETag and Last-Modified to send with the next GET of ``url``."""
        with self._db(write=False) as con:
            row = con.execute(
                "SELECT etag, last_modified FROM feeds WHERE url = ?", (url,)
            ).fetchone()
        return (row["etag"], row["last_modified"]) if row else (None, None)

    def seen(self, url: str) -> set[str]:
        """Keys and links of the entries of ``url`` that are done with (ingested or given up)."""
        with self._db(write=False) as con:
            rows = con.execute(
                "SELECT key, url FROM entries WHERE feed_url = ? AND settled", (url,)
            ).fetchall()
        return {r["key"] for r in rows} | {r["url"] for r in rows if r["url"]}

    def record_failure(
        self, url: str, error: str, *, now: datetime, next_poll: datetime
    ) -> FeedInfo | None:
        """A poll of ``url`` failed: keep the error, count it, wait until ``next_poll``.

        Returns None when the feed was removed during the poll.
        """
        with self._db() as con:
            con.execute(
                "UPDATE feeds SET last_polled = ?, last_error = ?, failures = failures + 1, "
                "next_poll = ? WHERE url = ?",
                (_iso(now), error, _iso(next_poll), url),
            )
            row = con.execute("SELECT * FROM feeds WHERE url = ?", (url,)).fetchone()
        return _info(row) if row else None

    def record_success(
        self,
        url: str,
        *,
        now: datetime,
        next_poll: datetime,
        validators: tuple[str | None, str | None],
        title: str | None,
        done: Sequence[tuple[str, str | None, str | None]],
        failed: Sequence[tuple[str, str | None]],
        added: int,
        backlog: int,
        current: Collection[str] | None,
        forget_before: datetime,
    ) -> FeedInfo | None:
        """A poll of ``url`` succeeded (None: the feed was removed during the poll).

        ``done`` holds (key, link, article id) of the entries dealt with; ``failed`` (key, link)
        of those that gave no article this time (each is tried ``MAX_ENTRY_ATTEMPTS`` times).
        The validators are kept only when nothing in the document is left to do, so that a 304
        can never hide an entry still waiting. Settled entries no longer in the document
        (``current``: its keys) and seen before ``forget_before`` are forgotten.
        """
        stamp = _iso(now)
        with self._db() as con:
            if con.execute("SELECT 1 FROM feeds WHERE url = ?", (url,)).fetchone() is None:
                return None
            con.executemany(
                "INSERT INTO entries (feed_url, key, url, article_id, settled, seen_at) "
                "VALUES (?,?,?,?,1,?) ON CONFLICT(feed_url, key) DO UPDATE SET "
                "article_id = excluded.article_id, settled = 1",
                [(url, key, link, article, stamp) for key, link, article in done],
            )
            con.executemany(
                "INSERT INTO entries (feed_url, key, url, attempts, settled, seen_at) "
                "VALUES (?,?,?,1,?,?) ON CONFLICT(feed_url, key) DO UPDATE SET "
                "attempts = attempts + 1, settled = attempts + 1 >= ?",
                [
                    (url, key, link, int(MAX_ENTRY_ATTEMPTS <= 1), stamp, MAX_ENTRY_ATTEMPTS)
                    for key, link in failed
                ],
            )
            waiting = con.execute(
                "SELECT count(*) FROM entries WHERE feed_url = ? AND NOT settled", (url,)
            ).fetchone()[0]
            etag, last_modified = validators if not (waiting or backlog) else (None, None)
            con.execute(
                "UPDATE feeds SET last_polled = ?, last_error = NULL, failures = 0, "
                "next_poll = ?, etag = ?, last_modified = ?, title = coalesce(?, title), "
                "articles = articles + ? WHERE url = ?",
                (stamp, _iso(next_poll), etag, last_modified, title, added, url),
            )
            if current is not None:
                old = con.execute(
                    "SELECT key FROM entries WHERE feed_url = ? AND settled AND seen_at < ?",
                    (url, _iso(forget_before)),
                ).fetchall()
                gone = [(url, r["key"]) for r in old if r["key"] not in current]
                con.executemany("DELETE FROM entries WHERE feed_url = ? AND key = ?", gone)
            row = con.execute("SELECT * FROM feeds WHERE url = ?", (url,)).fetchone()
        return _info(row) if row else None
