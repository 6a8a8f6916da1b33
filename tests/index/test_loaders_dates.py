"""Every page that carries a date is dated: metadata, URL, dateline, byline (issue 18 and the
loaders' share of the dates issue)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from index.load.loaders import LoadFailure, iter_articles, parse_date
from index.models import Article

BODY = "The council voted to reopen the harbour. Boats may moor there again from Monday."


def _one(path: Path) -> Article:
    items = list(iter_articles([path]))
    assert not [i for i in items if isinstance(i, LoadFailure)], items
    [article] = items
    assert isinstance(article, Article)
    return article


def _jsonl(tmp_path: Path, row: dict[str, str]) -> Article:
    path = tmp_path / "wire.jsonl"
    path.write_text(json.dumps({"title": "Harbour reopens", "text": BODY, **row}) + "\n")
    return _one(path)


def test_html_takes_the_date_of_its_metadata(tmp_path: Path) -> None:
    (tmp_path / "page.html").write_text(
        '<html><head><meta property="article:published_time" content="2025-02-03T10:00:00Z">'
        f"</head><body><article><h1>Harbour reopens</h1><p>{BODY}</p><p>{BODY}</p>"
        "</article></body></html>"
    )
    assert _one(tmp_path / "page.html").published == date(2025, 2, 3)


def test_html_without_metadata_takes_its_dateline(tmp_path: Path) -> None:
    (tmp_path / "page.html").write_text(
        "<html><body><article><h1>Harbour reopens</h1>"
        f"<p>EASTMERE, Sept. 7, 2017 — {BODY}</p><p>{BODY}</p></article></body></html>"
    )
    assert _one(tmp_path / "page.html").published == date(2017, 9, 7)


@pytest.mark.parametrize("field", ["date", "published", "published_at"])
def test_jsonl_takes_the_date_of_any_usual_field(tmp_path: Path, field: str) -> None:
    assert _jsonl(tmp_path, {field: "2024-03-11T08:00:00Z"}).published == date(2024, 3, 11)


@pytest.mark.parametrize(
    "value", ["Mon, 11 Mar 2024 08:00:00 GMT", "11 March 2024", "March 11, 2024"]
)
def test_jsonl_dates_in_words_and_rfc_2822(tmp_path: Path, value: str) -> None:
    assert _jsonl(tmp_path, {"published": value}).published == date(2024, 3, 11)


@pytest.mark.parametrize(
    "url",
    [
        "https://news.example.test/2024/03/11/harbour-reopens",
        "https://news.example.test/local/2024-03-11/harbour-reopens.html",
    ],
)
def test_a_date_in_the_url(tmp_path: Path, url: str) -> None:
    assert _jsonl(tmp_path, {"url": url}).published == date(2024, 3, 11)


@pytest.mark.parametrize(
    ("first_lines", "day"),
    [
        ("Updated Sept. 7, 2017 at 3:04 p.m.", date(2017, 9, 7)),
        ("Published: 22 November 2025", date(2025, 11, 22)),
        ("By Ann Lee | November 22, 2025", date(2025, 11, 22)),
        ("EASTMERE, Nov. 22, 2025 (Harbour Gazette) — The council met.", date(2025, 11, 22)),
        ("Published 21 November 2025\nUpdated 22 November 2025", date(2025, 11, 21)),
        ("Updated 22 November 2025\nPublished 21 November 2025", date(2025, 11, 21)),
    ],
)
def test_plain_text_takes_its_dateline_or_byline(
    tmp_path: Path, first_lines: str, day: date
) -> None:
    (tmp_path / "story.txt").write_text(f"Harbour reopens\n{first_lines}\n{BODY}\n")
    assert _one(tmp_path / "story.txt").published == day


def test_markdown_byline_date(tmp_path: Path) -> None:
    (tmp_path / "story.md").write_text(f"# Harbour reopens\n\n*22 November 2025*\n\n{BODY}\n")
    assert _one(tmp_path / "story.md").published == date(2025, 11, 22)


def test_a_date_deep_in_the_body_is_not_the_articles_date(tmp_path: Path) -> None:
    text = "\n\n".join(
        [BODY] * 3 + ["The harbour first opened on 1 May 1890, when the railway came to the town."]
    )
    (tmp_path / "story.txt").write_text(f"Harbour reopens\n{text}\n")
    assert _one(tmp_path / "story.txt").published is None


def test_a_date_inside_a_sentence_of_the_first_lines_is_not_a_byline(tmp_path: Path) -> None:
    (tmp_path / "story.txt").write_text(
        "Harbour reopens\nThe harbour, which first opened on 1 May 1890 when the railway came to "
        f"the town, is open again after years of repairs that cost the council dearly.\n{BODY}\n"
    )
    assert _one(tmp_path / "story.txt").published is None


def test_the_file_name_still_dates_a_file(tmp_path: Path) -> None:
    (tmp_path / "2024-05-02-harbour.txt").write_text(f"Harbour reopens\n{BODY}\n")
    assert _one(tmp_path / "2024-05-02-harbour.txt").published == date(2024, 5, 2)


@pytest.mark.parametrize(
    ("value", "day"),
    [
        ("2024-03-11", date(2024, 3, 11)),
        ("Sept. 7, 2017", date(2017, 9, 7)),
        ("7th September 2017", date(2017, 9, 7)),
        ("Tuesday 22 November 2025", date(2025, 11, 22)),
        ("Tue, 11 Mar 2024 08:00:00 +0000", date(2024, 3, 11)),
        ("31 February 2024", None),
        ("soon", None),
        (None, None),
    ],
)
def test_parse_date(value: str | None, day: date | None) -> None:
    assert parse_date(value) == day
