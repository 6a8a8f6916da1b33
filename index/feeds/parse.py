"""RSS and Atom feeds: read a feed document and turn its new entries into articles.

Documents are fetched with ``index.fetch.fetch`` (the same outbound safety as URLs, plus a
conditional GET) and parsed by feedparser, which reads RSS 0.9x, 1.0 and 2.0 and Atom, and
recovers what it can from malformed ones. feedparser is only ever handed bytes, never a URL, so it
does no network I/O of its own.

Each new entry's page is fetched and extracted like a URL given to ``newsbot ingest``; when that
fails or is refused, the feed's own content (or summary) is the article's text. The feed's
title, date and author win over the page's, which scrapers get wrong more often.
"""

from __future__ import annotations

import hashlib
import io
import time
from collections.abc import Collection, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import date
from typing import Any
from urllib.parse import urljoin

from ..errors import FeedError
from ..load.fetch import FEED_TYPES, Fetched, fetch
from ..load.loaders import LoadFailure, article_id, load_url, site_of
from ..models import Article
from ..text import clean

__all__ = [
    "MAX_ENTRIES_PER_POLL",
    "EntryOutcome",
    "FeedDocument",
    "FeedEntry",
    "FeedFetch",
    "default_source",
    "entry_articles",
    "fetch_feed",
    "html_text",
    "parse_feed",
    "unseen",
]

MAX_ENTRIES_PER_POLL = 50  # new entries whose pages one poll of one feed fetches
PAGE_WORKERS = 4  # pages of one feed fetched at a time
FEED_ACCEPT = FEED_TYPES | {"text/html", "text/plain"}  # misconfigured servers send these too
_BLOCKS = frozenset(
    "p div br li ul ol h1 h2 h3 h4 h5 h6 blockquote pre tr table section article figure".split()
)


@dataclass(frozen=True)
class FeedEntry:
    """One item of a feed. ``key`` identifies it across polls (guid, else link, else content)."""

    key: str
    url: str | None
    title: str
    published: date | None = None
    author: str | None = None
    content: str = ""  # the feed's own text for the entry (HTML turned into text)


@dataclass(frozen=True)
class FeedDocument:
    """A parsed feed: its title and entries, newest first."""

    title: str | None
    entries: tuple[FeedEntry, ...]


@dataclass(frozen=True)
class FeedFetch:
    """The answer to one (conditional) GET of a feed: a document, or ``not_modified``."""

    url_final: str
    document: FeedDocument | None
    etag: str | None = None
    last_modified: str | None = None

    @property
    def not_modified(self) -> bool:
        return self.document is None


@dataclass(frozen=True)
class EntryOutcome:
    """An entry and the article made from it, or why none could be made."""

    entry: FeedEntry
    article: Article | None
    fallback: str | None = None  # why the page was not used, when the feed's text was
    error: str | None = None


def html_text(fragment: str) -> str:
    """The text of an HTML fragment, one line per block element."""
    if "<" not in fragment:
        return clean.normalise(fragment).strip()
    import lxml.html

    try:
        root = lxml.html.fragment_fromstring(fragment, create_parent="div")
    except (ValueError, lxml.etree.ParserError):
        return ""
    for element in root.iter():
        if isinstance(element.tag, str) and element.tag.lower() in _BLOCKS:
            element.tail = "\n" + (element.tail or "")
    lines = clean.normalise(root.text_content()).split("\n")
    return "\n".join(line for line in lines if line)


def _date(entry: Any) -> date | None:
    parsed = entry.get("published_parsed") or entry.get("updated_parsed")
    if not isinstance(parsed, time.struct_time):
        return None
    try:
        return date(parsed.tm_year, parsed.tm_mon, parsed.tm_mday)
    except ValueError:
        return None


def _content(entry: Any) -> str:
    """The longest of the entry's content blocks and its summary, as text."""
    blocks = [c.get("value") or "" for c in entry.get("content") or []]
    blocks.append(entry.get("summary") or "")
    return max((html_text(b) for b in blocks), key=len, default="")


def _entry(raw: Any, base: str) -> FeedEntry | None:
    link = (raw.get("link") or "").strip()
    url = urljoin(base, link) if link else None
    if url is not None and not url.lower().startswith(("http://", "https://")):
        url = None
    title = html_text(raw.get("title") or "").replace("\n", " ").strip()
    content = _content(raw)
    if not (title or content):
        return None
    digest = hashlib.sha1(f"{title}\n{content}".encode()).hexdigest()[:16]
    key = (raw.get("id") or "").strip() or url or f"sha1:{digest}"
    author = (raw.get("author") or "").strip() or None
    return FeedEntry(
        key, url, title or content.split("\n", 1)[0][:120], _date(raw), author, content
    )


def parse_feed(body: bytes, *, url: str) -> FeedDocument:
    """Parse an RSS or Atom document fetched from ``url``; raise ``FeedError`` if it is neither."""
    import feedparser

    parsed = feedparser.parse(io.BytesIO(body), response_headers={"content-location": url})
    if not parsed.get("version") and not parsed.entries:
        problem = parsed.get("bozo_exception")
        why = f" ({str(problem).strip()[:200]})" if problem else ""
        raise FeedError(f"{url}: not an RSS or Atom feed{why}")
    entries = [e for e in (_entry(raw, url) for raw in parsed.entries) if e is not None]
    # Newest first; undated entries keep their place after the dated ones.
    entries.sort(key=lambda e: -e.published.toordinal() if e.published else 1)
    title = html_text(parsed.feed.get("title") or "").replace("\n", " ").strip() or None
    return FeedDocument(title, tuple(entries))


def fetch_feed(
    url: str,
    *,
    allow_private: bool,
    etag: str | None = None,
    last_modified: str | None = None,
) -> FeedFetch:
    """GET the feed at ``url``, conditionally when validators are given; parse what comes back.

    Raises ``FetchError`` (``FetchRefused`` for the outbound-safety rules) or ``FeedError``.
    """
    got: Fetched = fetch(
        url,
        allow_private=allow_private,
        accept=FEED_ACCEPT,
        etag=etag,
        last_modified=last_modified,
    )
    if got.not_modified:
        return FeedFetch(got.url_final, None, etag, last_modified)
    document = parse_feed(got.body, url=got.url_final)
    return FeedFetch(got.url_final, document, got.etag, got.last_modified)


def _entry_article(
    entry: FeedEntry, *, feed_url: str, source: str, allow_private: bool
) -> EntryOutcome:
    why = "the entry has no link"
    if entry.url is not None:
        page = next(load_url(entry.url, source=source, allow_private=allow_private))
        if isinstance(page, Article):
            article = replace(
                page,
                title=entry.title or page.title,
                published=entry.published or page.published,
                author=entry.author or page.author,
            )
            return EntryOutcome(entry, article)
        assert isinstance(page, LoadFailure)
        why = page.reason
    if not entry.content.strip():
        return EntryOutcome(entry, None, error=f"{why}; the feed has no text for it")
    article = Article(
        id=article_id(url=entry.url, key=f"{feed_url} {entry.key}"),
        title=entry.title,
        text=entry.content,
        source=source,
        url=entry.url,
        published=entry.published,
        author=entry.author,
    )
    return EntryOutcome(entry, article, fallback=why)


def entry_articles(
    entries: Iterable[FeedEntry], *, feed_url: str, source: str, allow_private: bool
) -> list[EntryOutcome]:
    """An article per entry (its page, else the feed's text), fetched a few pages at a time."""
    with ThreadPoolExecutor(PAGE_WORKERS, thread_name_prefix="newsbot-feed") as pool:
        return list(
            pool.map(
                lambda e: _entry_article(
                    e, feed_url=feed_url, source=source, allow_private=allow_private
                ),
                entries,
            )
        )


def default_source(url: str, title: str | None) -> str:
    """The source name of a feed added without one: its title, else its site."""
    return (title or "")[:100].strip() or site_of(url) or "feed"


def unseen(
    entries: Iterable[FeedEntry], seen: Collection[str], limit: int = MAX_ENTRIES_PER_POLL
) -> tuple[list[FeedEntry], int]:
    """The newest ``limit`` entries whose key or link is not in ``seen``, and how many wait."""
    todo: dict[str, FeedEntry] = {}  # a key listed twice in one document is one entry
    for e in entries:
        if e.key not in seen and (e.url is None or e.url not in seen):
            todo.setdefault(e.key, e)
    new = list(todo.values())
    return new[:limit], max(0, len(new) - limit)
