"""Frozen value types shared by the whole library."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

__all__ = [
    "Answer",
    "Article",
    "ArticleInfo",
    "IndexStats",
    "IngestReport",
    "Passage",
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
class Passage:
    """A run of whole sentences: ``article.text[start:end]``."""

    article_id: str
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Quote:
    """One verbatim passage shown to the user, best sentence at ``text[highlight[0]:highlight[1]]``."""

    text: str
    highlight: tuple[int, int]
    score: float
    article: ArticleInfo
    speaker: str | None = None
    start: int = 0  # offset of ``text`` in the article's cleaned text

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
    """What one ingest did. ``failed`` pairs each skipped input with the reason."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: tuple[tuple[str, str], ...] = field(default_factory=tuple)

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
