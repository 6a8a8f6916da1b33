"""The Discord ingest report says which inputs were read in another encoding (issue 18)."""

from __future__ import annotations

from bot import render
from index import IngestReport


def test_the_ingest_report_names_files_read_in_another_encoding() -> None:
    report = IngestReport(1, 0, 0, (), (("old_news.txt", "not UTF-8: read as cp1252"),))
    text = render.ingest_text(report)
    assert text.startswith("Ingested: 1 added, 0 updated, 0 unchanged, 0 failed.")
    assert "• old\\_news.txt: not UTF-8: read as cp1252" in text
