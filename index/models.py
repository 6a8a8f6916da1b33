"""Frozen value types shared by the whole library."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

__all__ = [
    "Answer",
    "Article",
    "ArticleInfo",
    "FeedInfo",
    "FeedPollResult",
    "IndexStats",
    "IngestReport",
    "Quote",
    "SourceInfo",
]


@dataclass(frozen=True)
class ArticleInfo:
    """Where a quote comes from: everything about an article but its text."""

    id: str
    title: str
    source: str
    url: str | None = None
    published: date | None = None
    author: str | None = None


@dataclass(frozen=True)
class Article:
    """A cleaned article. ``text`` is the body every quote is a verbatim slice of."""

    id: str
    title: str
    text: str
    source: str
    url: str | None = None
    published: date | None = None
    author: str | None = None

    @property
    def info(self) -> ArticleInfo:
        return ArticleInfo(self.id, self.title, self.source, self.url, self.published, self.author)


@dataclass(frozen=True)
class Quote:
    """One verbatim passage shown to the user, best sentence at ``text[highlight[0]:highlight[1]]``."""

    text: str
    highlight: tuple[int, int]
    score: float
    article: ArticleInfo
    speaker: str | None = None
    start: int = 0  # offset of ``text`` in the article's cleaned text
    # the spans of the quote's sentences in ``text``, in order (the highlight is one of them):
    # where a renderer that must shorten a quote may cut it
    sentences: tuple[tuple[int, int], ...] = ()

    @property
    def highlighted(self) -> str:
        return self.text[self.highlight[0] : self.highlight[1]]


@dataclass(frozen=True)
class Answer:
    """The result of ``NewsIndex.ask``: quotes best first; ``found`` is False when none is relevant."""

    question: str
    quotes: tuple[Quote, ...] = ()
    found: bool = False


@dataclass(frozen=True)
class IngestReport:
    """What one ingest did. ``failed`` pairs each skipped input with the reason; ``notes`` pairs
    inputs that loaded with something worth knowing (read in another encoding than UTF-8)."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: tuple[tuple[str, str], ...] = field(default_factory=tuple)
    notes: tuple[tuple[str, str], ...] = field(default_factory=tuple)

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated)


@dataclass(frozen=True)
class SourceInfo:
    """One outlet in the index."""

    name: str
    articles: int
    newest: date | None


@dataclass(frozen=True)
class IndexStats:
    """A summary of the published index."""

    articles: int
    passages: int
    sources: int
    model: str
    dimension: int
    size_bytes: int
    generation: int
    updated_at: str | None


@dataclass(frozen=True)
class FeedInfo:
    """A followed RSS or Atom feed and its polling state (times are UTC)."""

    url: str
    source: str  # the source name its articles are filed under
    title: str | None = None  # the feed's own title
    channel_id: int | None = None  # a Discord channel told about new articles
    added_at: datetime | None = None
    last_polled: datetime | None = None
    last_error: str | None = None
    failures: int = 0  # consecutive failed polls
    next_poll: datetime | None = None  # None: due now
    articles: int = 0  # articles this feed has added


@dataclass(frozen=True)
class FeedPollResult:
    """What one poll of one feed did. ``error`` is set when the feed itself could not be read."""

    feed: FeedInfo
    new: tuple[ArticleInfo, ...] = ()  # articles added to the index by this poll
    not_modified: bool = False  # the server answered 304: nothing to do
    entries: int = 0  # entries in the feed document
    fetched: int = 0  # entries processed this poll (at most the per-poll cap)
    fallbacks: int = 0  # entries taken from the feed's own text because their page failed
    backlog: int = 0  # new entries left for the next polls by the per-poll cap
    failed: tuple[tuple[str, str], ...] = ()  # entries that gave no article, and why
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None
