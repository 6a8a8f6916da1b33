from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from index.load.loaders import LoadFailure, iter_articles
from index.models import Article


def _split(items):  # type: ignore[no-untyped-def]
    arts = [i for i in items if isinstance(i, Article)]
    fails = [i for i in items if isinstance(i, LoadFailure)]
    return arts, fails


def test_plain_text_headline_standfirst_body_source_and_date(tmp_path: Path) -> None:
    folder = tmp_path / "valley-times"
    folder.mkdir()
    (folder / "2024-05-02-bakery.txt").write_text(
        "Bakery wins prize\nA village bakery won.\nThe judges liked the bread.\n"
    )
    [a], fails = _split(list(iter_articles([tmp_path])))
    assert not fails
    assert a.title == "Bakery wins prize"
    assert a.text == "A village bakery won.\nThe judges liked the bread."
    assert a.source == "Valley Times" and a.published == date(2024, 5, 2)
    again, _ = _split(list(iter_articles([folder / "2024-05-02-bakery.txt"])))
    assert again[0].id == a.id, (
        "the id must not depend on how the file was named on the command line"
    )


def test_markdown_title_and_markup_removed(tmp_path: Path) -> None:
    (tmp_path / "story.md").write_text(
        "# Big **storm** hits\n\nThe [council](https://x.test) said *sorry*.\n\n- Roads shut.\n"
    )
    [a], _ = _split(list(iter_articles([tmp_path / "story.md"], source="Gazette")))
    assert a.title == "Big storm hits"
    assert "The council said sorry." in a.text and "Roads shut." in a.text
    assert a.source == "Gazette"


def test_html_main_text_and_metadata(tmp_path: Path) -> None:
    html = """<html><head><title>Storm hits | Gazette</title>
    <meta property="og:site_name" content="The Gazette"><meta name="author" content="Jo Bloggs">
    <meta property="article:published_time" content="2025-02-03T10:00:00Z"></head>
    <body><nav>Home News Sport</nav><article><h1>Storm hits Eastmere</h1>
    <p>The storm hit on Monday night, the harbour master said, and boats were lost.</p>
    <p>"We saw waves of ten metres," said Ann Lee, the harbour master of the town.</p>
    </article><footer>Copyright The Gazette</footer></body></html>"""
    (tmp_path / "storm.html").write_text(html)
    [a], _ = _split(list(iter_articles([tmp_path / "storm.html"])))
    assert a.title == "Storm hits Eastmere"
    assert a.author == "Jo Bloggs" and a.published == date(2025, 2, 3)
    assert a.source == "The Gazette"
    assert "waves of ten metres" in a.text and "Home News Sport" not in a.text


def test_jsonl_rows_and_malformed_lines(tmp_path: Path) -> None:
    rows = [
        {
            "id": "a1",
            "title": "One",
            "text": "Body one.",
            "source": "Wire",
            "published": "2025-01-02",
        },
        {"title": "Two", "text": "Body two.", "url": "https://www.example.test/two"},
        {"title": "No text"},
    ]
    lines = [json.dumps(r) for r in rows] + ["{not json", "[1, 2]"]
    (tmp_path / "wire.jsonl").write_text("\n".join(lines))
    arts, fails = _split(list(iter_articles([tmp_path / "wire.jsonl"])))
    assert arts[0].id == "a1"
    assert arts[0].source == "Wire" and arts[0].published == date(2025, 1, 2)
    assert arts[1].source == "example.test" and arts[1].url == "https://www.example.test/two"
    reasons = {f.input.rsplit(":", 1)[1]: f.reason for f in fails}
    assert reasons == {
        "3": 'missing "text"',
        "4": "malformed JSON: expecting property name enclosed in double quotes at column 2",
        "5": "expected a JSON object",
    }


def test_bad_files_are_reported_and_the_rest_loaded(tmp_path: Path) -> None:
    (tmp_path / "good.txt").write_text("Headline\nBody sentence.")
    (tmp_path / "empty.txt").write_text("  \n")
    (tmp_path / "binary.txt").write_bytes(b"\x00\x01\x02binary")
    (tmp_path / "latin1.txt").write_bytes("Caf\xe9 news\nBody".encode("latin-1"))
    (tmp_path / "huge.txt").write_text("Headline\n" + "x" * 2000)
    (tmp_path / "headline-only.txt").write_text("Just a headline")
    items = list(iter_articles([tmp_path, tmp_path / "missing.txt"], max_bytes=1000))
    arts, fails = _split(items)
    assert sorted(a.title for a in arts) == ["Café news", "Headline"]  # latin-1 is decoded
    reasons = {Path(f.input).name: f.reason for f in fails}
    assert reasons["empty.txt"] == "empty file"
    assert reasons["binary.txt"] == "binary file, not text"
    assert reasons["huge.txt"].startswith("too large")
    assert reasons["headline-only.txt"] == "needs a headline line and a body"
    assert reasons["missing.txt"] == "no such file or folder"
