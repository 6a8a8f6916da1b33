"""Headlines lose the furniture their source repeats, learned from the corpus; the raw one stays."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from index import HashEmbedder, NewsIndex
from index.text.titles import affixes, clean_title


def test_affixes_are_the_short_ends_around_separators() -> None:
    assert affixes("Port is busiest | CNN Business ...") == {
        " | CNN Business",
        "Port is busiest | ",
    }
    assert affixes("Opinion | Why the port matters - The Times") == {" - The Times", "Opinion | "}
    assert affixes("A headline without any") == set()


def test_only_known_furniture_is_stripped_and_something_is_always_left() -> None:
    furniture = {" | CNN", "Opinion | "}
    assert clean_title("Port is busiest | CNN ...", furniture) == "Port is busiest"
    assert clean_title("Opinion | Ports | CNN", furniture) == "Ports"
    assert clean_title("Ports - a new era", furniture) == "Ports - a new era"
    assert clean_title("Opinion | ", furniture) == "Opinion |"


def _write(path: Path, titles: list[str], source: str = "wire") -> Path:
    rows = [
        {"id": f"a{i}", "title": t, "text": f"Story number {i} about harbour {i} and its ships.",
         "source": source}
        for i, t in enumerate(titles)
    ]  # fmt: skip
    path.write_text("\n".join(json.dumps(r) for r in rows))
    return path


def test_a_suffix_the_source_repeats_is_learned_and_stripped(tmp_path: Path) -> None:
    idx = NewsIndex.open(tmp_path / "data", embedder=HashEmbedder())
    titles = ["Harbour opens | CNN", "Ships arrive | CNN ...", "Tides rise | CNN", "Mayor - Q&A"]
    idx.ingest([_write(tmp_path / "a.jsonl", titles)])
    shown = {a.id: a.title for a in idx.articles()}
    assert shown == {
        "a0": "Harbour opens",
        "a1": "Ships arrive",
        "a2": "Tides rise",
        "a3": "Mayor - Q&A",
    }
    assert idx.ask("harbour 0 ships").quotes[0].article.title == "Harbour opens"


def test_the_same_file_again_is_unchanged_and_a_reindex_keeps_the_clean_titles(
    tmp_path: Path,
) -> None:
    idx = NewsIndex.open(tmp_path / "data", embedder=HashEmbedder())
    path = _write(tmp_path / "a.jsonl", ["One | Wire", "Two | Wire", "Three | Wire"])
    idx.ingest([path])
    assert idx.ingest([path]).unchanged == 3
    idx.reindex()
    assert sorted(a.title for a in idx.articles()) == ["One", "Three", "Two"]


def test_two_titles_are_too_few_to_call_anything_furniture(tmp_path: Path) -> None:
    idx = NewsIndex.open(tmp_path / "data", embedder=HashEmbedder())
    idx.ingest([_write(tmp_path / "a.jsonl", ["One | Wire", "Two | Wire"])])
    assert sorted(a.title for a in idx.articles()) == ["One | Wire", "Two | Wire"]


def test_an_index_from_before_raw_titles_is_upgraded_by_the_next_write(tmp_path: Path) -> None:
    idx = NewsIndex.open(tmp_path / "data", embedder=HashEmbedder())
    idx.ingest([_write(tmp_path / "a.jsonl", ["One | Wire", "Two | Wire"])])
    current = (tmp_path / "data" / "CURRENT").read_text().strip()
    with sqlite3.connect(tmp_path / "data" / current / "news.sqlite") as con:
        con.execute("ALTER TABLE articles DROP COLUMN raw_title")  # as generations were before
        con.execute("DROP TABLE title_counts")
    idx = NewsIndex.open(tmp_path / "data", embedder=HashEmbedder())
    report = idx.ingest([_write(tmp_path / "b.jsonl", ["One | Wire", "Two | Wire", "Six | Wire"])])
    assert (report.added, report.unchanged) == (1, 2)
    idx.reindex()
    assert sorted(a.title for a in idx.articles()) == ["One", "Six", "Two"]
