"""Reading articles from outside: files, folders, JSON lines and URLs (fetched safely)."""

from __future__ import annotations

from .fetch import private_urls_allowed
from .loaders import LoadFailure, iter_articles

__all__ = ["LoadFailure", "iter_articles", "private_urls_allowed"]
