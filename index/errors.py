"""The one exception hierarchy of the library; every error a user can meet is a NewsIndexError."""

from __future__ import annotations

__all__ = [
    "ArticleNotFoundError",
    "BadQuestionError",
    "FeedError",
    "IndexBusyError",
    "IndexCorruptError",
    "IndexMismatchError",
    "IndexWriteError",
    "LoadError",
    "NewsIndexError",
    "StoreUnavailableError",
    "UnknownSourceError",
]


class NewsIndexError(Exception):
    """Base class: the message is meant for the user as it is."""


class LoadError(NewsIndexError):
    """An input (file, URL, line) could not be turned into an article."""


class BadQuestionError(NewsIndexError):
    """The question is empty, too long or otherwise unusable."""


class ArticleNotFoundError(NewsIndexError):
    """No article with that id is in the index."""


class IndexMismatchError(NewsIndexError):
    """The index was built with another model, schema or settings; the message says what to run."""


class IndexCorruptError(NewsIndexError):
    """Files of the published index are missing or damaged; the message says what to run."""


class IndexWriteError(NewsIndexError):
    """A write could not finish (disk full, read-only, no permission); the published index is
    untouched and the message says what to do."""


class IndexBusyError(NewsIndexError):
    """Another writer (ingest, reindex, remove) holds the index."""


class StoreUnavailableError(NewsIndexError):
    """The Milvus server that holds the vectors did not answer; nothing was changed."""


class UnknownSourceError(NewsIndexError):
    """No source of that name is in the index; the message names the closest known ones."""


class FeedError(NewsIndexError):
    """A feed is not registered, or its document is not an RSS or Atom feed."""
