"""One poll of the followed feeds: fetch the due ones, make articles, publish them once.

The network part (feed documents, then up to ``MAX_ENTRIES_PER_POLL`` new entries' pages per feed)
runs without the index's write lock; the articles of every feed are then ingested together, in
one publish. Feed state is written after that publish, so a poll that fails to publish (the
index is busy) changes nothing and is simply tried again. A feed that fails is recorded with its
error and backs off (twice the interval, then four times... up to a day); the others carry on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from ..errors import NewsIndexError
from ..models import Article, FeedInfo, FeedPollResult, IngestReport
from .parse import (
    EntryOutcome,
    FeedFetch,
    default_source,
    entry_articles,
    fetch_feed,
    unseen,
)
from .registry import FeedRegistry

__all__ = ["DEFAULT_INTERVAL", "MAX_BACKOFF", "add_feed", "backoff", "is_due", "poll"]

log = logging.getLogger("newsbot.feeds")

DEFAULT_INTERVAL = timedelta(minutes=15)
MAX_BACKOFF = timedelta(hours=24)
DUE_SLACK = timedelta(seconds=60)  # a feed due within this is polled now, not a whole tick later
FORGET_AFTER = timedelta(days=90)  # seen entries gone from the feed are forgotten after this

Progress = Callable[[str, int, int], None]


def backoff(interval: timedelta, failures: int) -> timedelta:
    """The wait after ``failures`` failed polls in a row: 2, 4, 8... intervals, at most a day."""
    return min(interval * 2 ** min(failures, 16), max(MAX_BACKOFF, interval))


def is_due(feed: FeedInfo, now: datetime) -> bool:
    return feed.next_poll is None or feed.next_poll <= now + DUE_SLACK


def add_feed(
    registry: FeedRegistry,
    url: str,
    *,
    source: str | None,
    channel_id: int | None,
    allow_private: bool,
    now: datetime | None = None,
) -> FeedInfo:
    """Check that ``url`` is a feed this process may fetch, then follow it.

    Raises ``FetchRefused``, ``FetchError`` or ``FeedError``. Adding a followed feed again
    changes its source and channel.
    """
    url = url.strip()
    document = fetch_feed(url, allow_private=allow_private).document
    title = document.title if document else None
    return registry.add(
        url,
        source=(source or "").strip() or default_source(url, title),
        title=title,
        channel_id=channel_id,
        now=now or datetime.now(timezone.utc),
    )


@dataclass
class _Polled:
    """A feed whose document was read, and the articles made from its new entries."""

    feed: FeedInfo
    got: FeedFetch
    outcomes: list[EntryOutcome]
    backlog: int


def poll(
    registry: FeedRegistry,
    *,
    ingest: Callable[[list[Article]], IngestReport],
    known: Callable[[Iterable[str]], Collection[str]],
    allow_private: bool,
    now: datetime | None = None,
    interval: timedelta = DEFAULT_INTERVAL,
    only_due: bool = False,
    progress: Progress | None = None,
) -> list[FeedPollResult]:
    """Poll every feed (or only the due ones) once; results in the order feeds were added.

    ``ingest`` publishes articles; ``known`` tells which article ids the index already holds.
    Raises ``IndexBusyError`` when another poll runs or the index cannot be written now.
    """
    now = now or datetime.now(timezone.utc)
    with registry.poll_lock():
        feeds = [f for f in registry.all() if not only_due or is_due(f, now)]
        results: dict[str, FeedPollResult] = {}
        polled: list[_Polled] = []
        for i, feed in enumerate(feeds):
            if progress is not None:
                progress("feeds", i, len(feeds))
            try:
                polled.append(_read(registry, feed, allow_private))
            except Exception as exc:  # one broken feed must not stop the others
                error = str(exc) if isinstance(exc, NewsIndexError) else f"unexpected: {exc!r}"
                if not isinstance(exc, NewsIndexError):
                    log.exception("polling %s failed unexpectedly", feed.url)
                wait = backoff(interval, feed.failures + 1)
                info = registry.record_failure(feed.url, error, now=now, next_poll=now + wait)
                results[feed.url] = FeedPollResult(info or feed, error=error)
        if progress is not None:
            progress("feeds", len(feeds), len(feeds))
        articles = [o.article for p in polled for o in p.outcomes if o.article is not None]
        before = set(known(a.id for a in articles))
        report = ingest(articles) if articles else IngestReport()
        added = set(known(a.id for a in articles)) - before
        rejected = dict(report.failed)  # article id -> why the index did not take it
        for p in polled:
            results[p.feed.url] = _record(registry, p, added, rejected, now, interval)
    return [results[f.url] for f in feeds]


def _read(registry: FeedRegistry, feed: FeedInfo, allow_private: bool) -> _Polled:
    etag, last_modified = registry.validators(feed.url)
    got = fetch_feed(feed.url, allow_private=allow_private, etag=etag, last_modified=last_modified)
    if got.document is None:
        return _Polled(feed, got, [], 0)
    todo, backlog = unseen(got.document.entries, registry.seen(feed.url))
    outcomes = entry_articles(
        todo, feed_url=feed.url, source=feed.source, allow_private=allow_private
    )
    return _Polled(feed, got, outcomes, backlog)


def _record(
    registry: FeedRegistry,
    p: _Polled,
    added: set[str],
    rejected: dict[str, str],
    now: datetime,
    interval: timedelta,
) -> FeedPollResult:
    done: list[tuple[str, str | None, str | None]] = []
    failed: list[tuple[str, str]] = []
    new = []
    for o in p.outcomes:
        a = o.article
        if a is None:
            failed.append((o.entry.url or o.entry.key, o.error or "no article"))
            continue
        stored = a.id not in rejected
        done.append((o.entry.key, o.entry.url, a.id if stored else None))
        if not stored:
            failed.append((o.entry.url or o.entry.key, rejected[a.id]))
        elif a.id in added:
            added.discard(a.id)  # an article two feeds share is new for the first only
            new.append(a.info)
    document = p.got.document
    info = registry.record_success(
        p.feed.url,
        now=now,
        next_poll=now + interval,
        validators=(p.got.etag, p.got.last_modified),
        title=document.title if document else None,
        done=done,
        failed=[(o.entry.key, o.entry.url) for o in p.outcomes if o.article is None],
        added=len(new),
        backlog=p.backlog,
        current={e.key for e in document.entries} if document else None,
        forget_before=now - FORGET_AFTER,
    )
    return FeedPollResult(
        info or p.feed,  # None: removed while it was polled
        new=tuple(new),
        not_modified=document is None,
        entries=len(document.entries) if document else 0,
        fetched=len(p.outcomes),
        fallbacks=sum(o.fallback is not None for o in p.outcomes),
        backlog=p.backlog,
        failed=tuple(failed),
    )
