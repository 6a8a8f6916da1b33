"""The ``since`` option: dates and spans."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from bot.timeparse import parse_since

NOW = datetime(2015, 11, 16, 12, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2015-11-16", date(2015, 11, 16)),
        (" 2014-01-02 ", date(2014, 1, 2)),
        ("24h", date(2015, 11, 15)),
        ("12h", date(2015, 11, 16)),
        ("7d", date(2015, 11, 9)),
        ("7 days", date(2015, 11, 9)),
        ("2w", date(2015, 11, 2)),
        ("1y", date(2014, 11, 16)),
        ("1 Day", date(2015, 11, 15)),
    ],
)
def test_dates_and_spans(text: str, expected: date) -> None:
    assert parse_since(text, NOW) == expected


@pytest.mark.parametrize("text", ["yesterday", "7", "d7", "2015-13-01", "", "999999y"])
def test_bad_values_explain_the_formats(text: str) -> None:
    with pytest.raises(ValueError, match=r"2015-11-16|too far"):
        parse_since(text, NOW)
