"""Pure parsing of ``since``: an ISO date (2015-11-16) or a span back from now (24h, 7d)."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone

__all__ = ["parse_since"]

_SPAN = re.compile(r"(\d{1,6})\s*(h|hours?|d|days?|w|weeks?|y|years?)")
_UNIT_HOURS = {"h": 1, "d": 24, "w": 24 * 7, "y": 24 * 365}


def parse_since(text: str, now: datetime | None = None) -> date:
    """Return the first day to include; raise ValueError with a message fit for the user."""
    value = text.strip().lower()
    now = now or datetime.now(timezone.utc)
    match = _SPAN.fullmatch(value)
    if match:
        hours = int(match.group(1)) * _UNIT_HOURS[match.group(2)[0]]
        try:
            return (now - timedelta(hours=hours)).date()
        except OverflowError:
            raise ValueError(f"{text.strip()!r} reaches back too far") from None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(
            f"{text.strip()!r} is not a date or a span: use 2015-11-16, 24h, 7d, 2w or 1y"
        ) from None
