"""prefer_recent: near-ties between quotes go to newer articles, and only near-ties, also in ask."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from index import HashEmbedder, NewsIndex
from index.ask.recency import prefer_recent
from index.models import ArticleInfo, Quote


def _quote(name: str, score: float, day: date | None) -> Quote:
    return Quote(name, (0, len(name)), score, ArticleInfo(name, name, "S", published=day))


OLD, NEW = date(2015, 11, 16), date(2025, 3, 4)


def test_a_newer_article_wins_a_near_tie_but_not_a_clear_loss() -> None:
    quotes = [_quote("old", 2.0, OLD), _quote("new", 1.7, NEW), _quote("newest", 0.5, NEW)]
    ordered = prefer_recent(quotes, margin=0.5)
    assert [q.text for q in ordered] == ["new", "old", "newest"]
    assert [q.text for q in prefer_recent(quotes, margin=0.1)] == ["old", "new", "newest"]


def test_undated_counts_as_oldest_and_same_day_keeps_order() -> None:
    quotes = [_quote("undated", 1.0, None), _quote("a", 0.9, OLD), _quote("b", 0.8, OLD)]
    assert [q.text for q in prefer_recent(quotes, margin=1.0)] == ["a", "b", "undated"]


@given(
    st.lists(
        st.tuples(st.floats(-5, 5), st.one_of(st.none(), st.dates())), min_size=0, max_size=10
    ),
    st.floats(0, 3),
)
def test_no_quote_ever_passes_one_that_scores_more_than_the_margin_higher(
    rows: list[tuple[float, date | None]], margin: float
) -> None:
    quotes = sorted((_quote(str(i), s, d) for i, (s, d) in enumerate(rows)), key=lambda q: -q.score)
    ordered = prefer_recent(quotes, margin)
    assert sorted(q.text for q in ordered) == sorted(q.text for q in quotes)
    for i, upper in enumerate(ordered):
        for lower in ordered[i + 1 :]:
            assert lower.score - upper.score <= margin


def test_ask_applies_the_setting_within_its_margin_only(tmp_path: Path) -> None:
    rows = [
        ("old", "Council backs the harbour wall", "2015-11-16",
         "Work on the harbour wall starts in May, the mayor said."),
        ("new", "Harbour wall plan approved", "2025-03-04",
         "The mayor said building work on the wall begins in May."),
    ]  # fmt: skip
    corpus = tmp_path / "wall.jsonl"
    corpus.write_text(
        "\n".join(
            json.dumps({"id": i, "title": t, "published": d, "source": "Gazette", "text": x})
            for i, t, d, x in rows
        )
    )
    idx = NewsIndex.open(tmp_path / "data", embedder=HashEmbedder())
    assert idx.ingest([corpus]).added == 2
    question = "when does work on the harbour wall start?"

    def order(**tuning: object) -> list[str]:
        idx.tuning = replace(idx.tuning, found_threshold=-1e9, **tuning)  # type: ignore[arg-type]
        return [q.article.id for q in idx.ask(question, k=2).quotes]

    idx.tuning = replace(idx.tuning, found_threshold=-1e9)
    plain = idx.ask(question, k=2).quotes
    assert [q.article.id for q in plain] == ["old", "new"]  # the older article scores higher
    gap = plain[0].score - plain[1].score
    assert order(prefer_recent=True, recent_margin=gap + 0.01) == ["new", "old"]
    assert order(prefer_recent=True, recent_margin=gap - 0.01) == ["old", "new"]
    assert order(prefer_recent=False, recent_margin=gap + 0.01) == ["old", "new"]
    # a question about now prefers recent reports without the setting
    idx.tuning = replace(idx.tuning, prefer_recent=False, recent_margin=100.0)
    assert [q.article.id for q in idx.ask(question, k=2).quotes] == ["old", "new"]
    latest = idx.ask(f"{question} (the latest)", k=2).quotes
    assert [q.article.id for q in latest] == ["new", "old"]
