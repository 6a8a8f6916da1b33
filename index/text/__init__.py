"""Pure text: cleaning, sentences and passages (the one ``Span``), search terms, answer types."""

from __future__ import annotations

from .chunk import Span

__all__ = ["Span"]
