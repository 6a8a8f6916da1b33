"""What a new user feeds in (issue 18, "Input"): front matter, source names, old encodings,
URLs of other schemes, and JSON errors told whole."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from index.load.loaders import LoadFailure, iter_articles
from index.models import Article

BODY = "The council voted to reopen the harbour. Boats may moor there again from Monday."


def _split(items: list[Article | LoadFailure]) -> tuple[list[Article], list[LoadFailure]]:
    arts = [i for i in items if isinstance(i, Article)]
    return arts, [i for i in items if isinstance(i, LoadFailure)]


def test_markdown_front_matter_fields_are_read_and_left_out_of_the_text(tmp_path: Path) -> None:
    (tmp_path / "story.md").write_text(
        "---\n"
        'title: "Harbour reopens after repairs"\n'
        "source: Aldovia Wire\n"
        "date: 2025-11-22\n"
        "author: Ann Lee\n"
        "url: https://aldovia.example.test/harbour\n"
        "tags: [harbour, council]\n"
        "---\n\n"
        f"{BODY}\n\nThe harbour master said the works went well.\n"
    )
    [a], fails = _split(list(iter_articles([tmp_path / "story.md"])))
    assert not fails
    assert a.title == "Harbour reopens after repairs"
    assert a.source == "Aldovia Wire" and a.published == date(2025, 11, 22)
    assert a.author == "Ann Lee" and a.url == "https://aldovia.example.test/harbour"
    assert a.text.startswith("The council voted") and "---" not in a.text
    assert "title:" not in a.text and "tags" not in a.text


def test_front_matter_title_does_not_repeat_as_a_heading(tmp_path: Path) -> None:
    (tmp_path / "story.md").write_text(
        "---\ntitle: Harbour reopens\n---\n# Harbour reopens\n\n" + BODY + "\n"
    )
    [a], _ = _split(list(iter_articles([tmp_path / "story.md"])))
    assert a.title == "Harbour reopens" and a.text == BODY


def test_the_source_option_wins_over_front_matter(tmp_path: Path) -> None:
    (tmp_path / "story.md").write_text(f"---\nsource: Aldovia Wire\n---\n# Harbour\n\n{BODY}\n")
    [a], _ = _split(list(iter_articles([tmp_path / "story.md"], source="Gazette")))
    assert a.source == "Gazette"


def test_malformed_front_matter_is_a_clear_failure(tmp_path: Path) -> None:
    (tmp_path / "story.md").write_text(f"---\ntitle: [unclosed\n---\n# Harbour\n\n{BODY}\n")
    [], [fail] = _split(list(iter_articles([tmp_path / "story.md"])))
    assert fail.reason.startswith("malformed front matter")


def test_a_markdown_file_opening_with_a_rule_but_no_front_matter(tmp_path: Path) -> None:
    (tmp_path / "story.md").write_text(f"---\n# Harbour reopens\n\n{BODY}\n")
    [a], _ = _split(list(iter_articles([tmp_path / "story.md"])))
    assert a.title == "Harbour reopens" and BODY in a.text


def test_source_names_follow_one_rule_for_folders_and_jsonl_files(tmp_path: Path) -> None:
    folder = tmp_path / "aldovia-wire"
    folder.mkdir()
    (folder / "story.txt").write_text(f"Harbour reopens\n{BODY}\n")
    (tmp_path / "aldovia-wire.jsonl").write_text(
        json.dumps({"title": "Ferry fares", "text": "Ferry fares rise by 5% in May."}) + "\n"
    )
    arts, _ = _split(list(iter_articles([folder / "story.txt", tmp_path / "aldovia-wire.jsonl"])))
    assert [a.source for a in arts] == ["Aldovia Wire", "Aldovia Wire"]


def test_latin1_and_cp1252_files_are_decoded_and_the_report_says_so(tmp_path: Path) -> None:
    (tmp_path / "latin1.txt").write_bytes("Café news\nThe café reopened.\n".encode("latin-1"))
    (tmp_path / "cp1252.txt").write_bytes(
        "Harbour café reopens\nThe owner said: ‘We’re back’ — and prices are £5 less.\n".encode(
            "cp1252"
        )
    )
    notes: list[tuple[str, str]] = []
    arts, fails = _split(
        list(iter_articles([tmp_path], note=lambda where, what: notes.append((where, what))))
    )
    assert not fails
    assert sorted(a.title for a in arts) == ["Café news", "Harbour café reopens"]
    assert any("‘We’re back’ — and prices are £5 less." in a.text for a in arts)
    assert sorted((Path(where).name, what) for where, what in notes) == [
        ("cp1252.txt", "not UTF-8: read as cp1252"),
        ("latin1.txt", "not UTF-8: read as cp1252"),
    ]


def test_other_url_schemes_are_named_not_taken_for_missing_files() -> None:
    [fail] = list(iter_articles(["ftp://files.example.test/story.txt"]))
    assert isinstance(fail, LoadFailure)
    assert fail.reason == "only http and https URLs can be ingested (not ftp)"


def test_a_json_error_is_told_whole(tmp_path: Path) -> None:
    (tmp_path / "wire.jsonl").write_text('{"title": "Harbour reopens}\n')
    [fail] = list(iter_articles([tmp_path / "wire.jsonl"]))
    assert isinstance(fail, LoadFailure)
    assert fail.reason == "malformed JSON: unterminated string starting at column 11"


def test_a_cp1252_jsonl_file_is_decoded_and_noted_once(tmp_path: Path) -> None:
    rows = [{"title": f"Café {i}", "text": f"The café reopened — day {i}."} for i in range(5)]
    path = tmp_path / "old-export.jsonl"
    path.write_bytes("\n".join(json.dumps(r, ensure_ascii=False) for r in rows).encode("cp1252"))
    notes: list[tuple[str, str]] = []
    arts, fails = _split(
        list(iter_articles([path], note=lambda where, what: notes.append((where, what))))
    )
    assert not fails and [a.title for a in arts] == [f"Café {i}" for i in range(5)]
    assert notes == [(str(path), "not UTF-8: read as cp1252")]
