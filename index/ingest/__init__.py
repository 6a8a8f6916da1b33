"""Writing the index: plan, clean, chunk, embed and publish; remove; reindex."""

from __future__ import annotations

from .writer import CHUNKING, Progress, Writer, built_with, notify

__all__ = ["CHUNKING", "Progress", "Writer", "built_with", "notify"]
