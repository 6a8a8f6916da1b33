"""Pure parsing of ``since`` (an ISO date or a span back from now: 24h, 7d) and ``until``."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone

__all__ = ["parse_since", "parse_until", "parse_window"]

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


def parse_until(text: str) -> date:
    """Return the last day to include (an ISO date); raise ValueError fit for the user."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"until {text.strip()!r} is not a date: use 2015-11-30") from None


def parse_window(
    since: str | None, until: str | None, now: datetime | None = None
) -> tuple[date | None, date | None]:
    """Both ends of a date window (None when not given); refuse a window that ends before it starts."""
    first = parse_since(since, now) if since else None
    last = parse_until(until) if until else None
    if first is not None and last is not None and first > last:
        raise ValueError(f"since {first} is after until {last}: no article can match")
    return first, last
