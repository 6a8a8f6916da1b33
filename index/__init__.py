"""newsbot's search library: ingest news articles, ask questions, get verbatim quotes.

Knows nothing of Discord. Everything outside this package uses exactly this API.
"""

from __future__ import annotations

from .embed import DEFAULT_ENCODER, DEFAULT_MODEL, ENCODERS, Embedder, HashEmbedder
from .errors import (
    ArticleNotFoundError,
    BadQuestionError,
    FeedError,
    IndexBusyError,
    IndexCorruptError,
    IndexMismatchError,
    IndexWriteError,
    LoadError,
    NewsIndexError,
    StoreUnavailableError,
    UnknownSourceError,
)
from .evaluate import EvalReport, evaluate, load_questions, unanswerable_found
from .library import NewsIndex, Progress
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
from .storage import IndexProblem, check_index
from .storage.milvus import Remote, remote_from

__all__ = [
    "DEFAULT_ENCODER",
    "DEFAULT_MODEL",
    "ENCODERS",
    "Answer",
    "Article",
    "ArticleInfo",
    "ArticleNotFoundError",
    "BadQuestionError",
    "Embedder",
    "EvalReport",
    "FeedError",
    "FeedInfo",
    "FeedPollResult",
    "HashEmbedder",
    "IndexBusyError",
    "IndexCorruptError",
    "IndexMismatchError",
    "IndexProblem",
    "IndexStats",
    "IndexWriteError",
    "IngestReport",
    "LoadError",
    "NewsIndex",
    "NewsIndexError",
    "Progress",
    "Quote",
    "Remote",
    "SourceInfo",
    "StoreUnavailableError",
    "UnknownSourceError",
    "check_index",
    "evaluate",
    "load_questions",
    "remote_from",
    "unanswerable_found",
]
