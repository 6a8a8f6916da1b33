"""The API names sources as the user types them (any case) and names unknown ones with the
closest known; a link in a question does not change its answer (issue 18)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from index import HashEmbedder, NewsIndex, NewsIndexError, UnknownSourceError

ROWS = [
    ("Aldovia Wire", "Ferry fares rise", "Ferry fares rise by five percent in May, the operator said."),
    ("Aldovia Wire", "Harbour reopens", "The harbour reopened on Monday after storm repairs."),
    ("Aldovia Times", "Museum opens", "The town museum opened a new gallery of maritime history."),
    ("Valley Post", "Bakery wins", "A village bakery won the regional prize for its bread."),
]  # fmt: skip


@pytest.fixture
def idx(tmp_path: Path) -> NewsIndex:
    path = tmp_path / "wire.jsonl"
    path.write_text(
        "\n".join(
            json.dumps({"title": title, "text": text, "source": source})
            for source, title, text in ROWS
        )
    )
    index = NewsIndex.open(tmp_path / "data", embedder=HashEmbedder())
    index.ingest([path])
    return index


def test_sources_match_without_regard_to_case(idx: NewsIndex) -> None:
    answer = idx.ask("how much do ferry fares rise?", source="aldovia wire")
    assert answer.found and {q.article.source for q in answer.quotes} == {"Aldovia Wire"}
    titles = sorted(a.title for a in idx.articles(source="ALDOVIA WIRE"))
    assert titles == ["Ferry fares rise", "Harbour reopens"]
    assert idx.resolve_source("  valley post ") == "Valley Post"


@pytest.mark.parametrize("call", ["ask", "articles"])
def test_an_unknown_source_is_named_with_the_closest_known(idx: NewsIndex, call: str) -> None:
    with pytest.raises(UnknownSourceError) as caught:
        if call == "ask":
            idx.ask("how much do ferry fares rise?", source="Aldovia Wyre")
        else:
            idx.articles(source="Aldovia Wyre")
    message = str(caught.value)
    assert message.startswith("no source named 'Aldovia Wyre'")
    assert "'Aldovia Wire'" in message and "'Aldovia Times'" in message
    assert "Valley Post" not in message
    assert isinstance(caught.value, NewsIndexError)


def test_an_unknown_source_with_nothing_close_lists_some_known(idx: NewsIndex) -> None:
    with pytest.raises(UnknownSourceError, match=r"no source named 'Zebra'; the index has"):
        idx.articles(source="Zebra")


def test_an_empty_index_says_it_has_no_sources(tmp_path: Path) -> None:
    empty = NewsIndex.open(tmp_path / "data", embedder=HashEmbedder())
    with pytest.raises(UnknownSourceError, match="the index has no articles yet"):
        empty.ask("anything?", source="Aldovia Wire")


@pytest.mark.parametrize(
    "linked",
    [
        "how much do [ferry fares](https://aldovia.example.test/fares?x=1) rise?",
        "how much do ferry fares rise? https://aldovia.example.test/fares/2025/05/",
        "how much do ferry fares rise <https://aldovia.example.test/fares>?",
    ],
)
def test_links_in_a_question_do_not_change_its_answer(idx: NewsIndex, linked: str) -> None:
    plain = idx.ask("how much do ferry fares rise?")
    answer = idx.ask(linked)
    assert answer.question == linked
    assert answer.found == plain.found
    assert [(q.text, q.score) for q in answer.quotes] == [(q.text, q.score) for q in plain.quotes]
