"""The in-memory passage filters: the same rules the SQL join had, including undated articles."""

from __future__ import annotations

from datetime import date

from index.storage.facets import Facets

ROWS = [
    (1, "Courier", "2025-06-10"),
    (2, "Courier", "2025-07-01T09:30:00"),
    (5, "Gazette", "2024-03-01"),
    (7, "Gazette", None),
    (9, "Gazette", "not a date"),
]


def test_nothing_filtered_is_none() -> None:
    assert Facets.build(ROWS).where(None, None, None) is None


def test_source_and_days() -> None:
    facets = Facets.build(ROWS)
    assert facets.where("Courier", None, None).tolist() == [1, 2]
    assert facets.where(None, date(2025, 6, 10), None).tolist() == [1, 2]
    # a timestamp on the last day is within it; undated articles pass neither bound
    assert facets.where(None, None, date(2025, 7, 1)).tolist() == [1, 2, 5]
    assert facets.where("Gazette", date(2024, 1, 1), date(2024, 12, 31)).tolist() == [5]


def test_unknown_source_and_empty_index() -> None:
    assert Facets.build(ROWS).where("Herald", None, None).tolist() == []
    assert Facets.build([]).where(None, date(2024, 1, 1), None).tolist() == []
