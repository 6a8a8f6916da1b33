"""Recency: break near-ties between quotes in favour of newer articles (NEWSBOT_PREFER_RECENT)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from ..models import Quote

__all__ = ["prefer_recent"]


def _day(quote: Quote) -> date:
    return quote.article.published or date.min  # undated counts as oldest


def prefer_recent(quotes: Sequence[Quote], margin: float) -> list[Quote]:
    """``quotes`` (best first) with newer articles moved up past older ones scoring at most
    ``margin`` more. A quote never moves above one that scores more than ``margin`` higher, and
    quotes of the same day keep their order.
    """
    out = list(quotes)
    for i in range(1, len(out)):
        j = i
        while (
            j > 0 and _day(out[j]) > _day(out[j - 1]) and out[j - 1].score - out[j].score <= margin
        ):
            out[j - 1], out[j] = out[j], out[j - 1]
            j -= 1
    return out
