"""The ``since`` and ``until`` options: dates, spans and windows."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from bot.timeparse import parse_since, parse_until, parse_window

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


def test_until_is_an_iso_date() -> None:
    assert parse_until(" 2015-11-30 ") == date(2015, 11, 30)
    with pytest.raises(ValueError, match=r"^until '7d' is not a date: use 2015-11-30$"):
        parse_until("7d")


def test_a_window_has_either_end_or_both_in_order() -> None:
    assert parse_window(None, None, NOW) == (None, None)
    assert parse_window("7d", None, NOW) == (date(2015, 11, 9), None)
    assert parse_window(None, "2015-11-30", NOW) == (None, date(2015, 11, 30))
    assert parse_window("2015-11-16", "2015-11-16", NOW) == (date(2015, 11, 16),) * 2
    with pytest.raises(ValueError, match="since 2015-11-17 is after until 2015-11-16"):
        parse_window("2015-11-17", "2015-11-16", NOW)
