"""Bulk input: .jsonl and .jsonl.gz are streamed a line at a time, the size limit is per article,
and ``NewsIndex.ingest`` writes a bounded batch at a time."""

from __future__ import annotations

import gzip
import json
import random
import tracemalloc
from pathlib import Path

import pytest

from index import HashEmbedder, IngestReport, NewsIndex
from index import library as library_module
from index.ingest import Writer
from index.load.loaders import MAX_FILE_BYTES, LoadFailure, iter_articles
from index.models import Article

WORDS = (
    "harbour council ferry storm museum budget rail school bakery court lighthouse bridge "
    "festival market river election hospital library tram port strike flood wildfire"
).split()


def _page(i: int, size: int) -> dict[str, str]:
    """A generated article of about ``size`` characters, different from every other one."""
    rng = random.Random(i)
    paragraphs = []
    length = 0
    while length < size:
        words = [rng.choice(WORDS) for _ in range(60)]
        paragraph = f"Report {i}.{len(paragraphs)}: " + " ".join(words).capitalize() + "."
        paragraphs.append(paragraph)
        length += len(paragraph) + 2
    return {"id": f"page-{i}", "title": f"Generated page {i}", "text": "\n\n".join(paragraphs)}


def _write_jsonl(path: Path, pages: int, size: int) -> Path:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "wt", encoding="utf-8") as fh:
        for i in range(pages):
            fh.write(json.dumps(_page(i, size)) + "\n")
    return path


def test_a_jsonl_file_over_the_limit_is_read_a_line_at_a_time(tmp_path: Path) -> None:
    path = _write_jsonl(tmp_path / "export.jsonl", 400, 10_000)  # about 4 MB
    assert path.stat().st_size > 4_000_000
    items = list(iter_articles([path], max_bytes=100_000))
    assert not [i for i in items if isinstance(i, LoadFailure)]
    assert len(items) == 400 and items[-1].title == "Generated page 399"  # type: ignore[union-attr]


def test_the_limit_applies_to_one_line(tmp_path: Path) -> None:
    path = tmp_path / "export.jsonl"
    rows = [_page(0, 500), _page(1, 50_000), _page(2, 500)]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    items = list(iter_articles([path], max_bytes=10_000))
    assert [i.title for i in items if isinstance(i, Article)] == [
        "Generated page 0",
        "Generated page 2",
    ]
    [fail] = [i for i in items if isinstance(i, LoadFailure)]
    assert fail.input == f"{path}:2" and fail.reason.startswith("too large (more than 10,000 bytes")


def test_streaming_keeps_memory_bounded(tmp_path: Path) -> None:
    path = _write_jsonl(tmp_path / "export.jsonl", 600, 10_000)  # about 6 MB
    size = path.stat().st_size
    tracemalloc.start()
    try:
        count = sum(1 for _ in iter_articles([path]))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 600
    assert peak < size / 4, f"peak {peak:,} bytes while reading a {size:,}-byte file"


def test_gzipped_jsonl_files_and_folders_of_them(tmp_path: Path) -> None:
    folder = tmp_path / "exports"
    folder.mkdir()
    _write_jsonl(folder / "aldovia-wire.jsonl.gz", 30, 2_000)
    items = list(iter_articles([folder]))
    assert len(items) == 30 and all(isinstance(i, Article) for i in items)
    assert {i.source for i in items if isinstance(i, Article)} == {"Aldovia Wire"}


def test_a_corrupt_gzip_keeps_what_was_read(tmp_path: Path) -> None:
    path = _write_jsonl(tmp_path / "export.jsonl.gz", 50, 2_000)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    items = list(iter_articles([path]))
    arts = [i for i in items if isinstance(i, Article)]
    [fail] = [i for i in items if isinstance(i, LoadFailure)]
    assert 0 < len(arts) < 50 and fail.input == str(path)
    assert "compressed" in fail.reason or "gzip" in fail.reason


def test_ingest_writes_bounded_batches_and_sums_one_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _write_jsonl(tmp_path / "export.jsonl", 120, 3_000)
    (tmp_path / "bad.jsonl").write_text("{not json\n")
    monkeypatch.setattr(library_module, "INGEST_BATCH", 50)
    sizes: list[int] = []
    real = Writer.ingest

    def counting(self: Writer, articles, **kwargs):  # type: ignore[no-untyped-def]
        sizes.append(len(articles))
        return real(self, articles, **kwargs)

    monkeypatch.setattr(Writer, "ingest", counting)
    stages: list[str] = []
    idx = NewsIndex.open(tmp_path / "data", embedder=HashEmbedder())
    report = idx.ingest(
        [path, tmp_path / "bad.jsonl"], progress=lambda stage, done, total: stages.append(stage)
    )
    assert sizes == [50, 50, 20]
    assert (report.added, report.updated, report.unchanged) == (120, 0, 0)
    assert [where for where, _ in report.failed] == [f"{tmp_path / 'bad.jsonl'}:1"]
    assert idx.stats().articles == 120 and idx.stats().generation == 3
    assert {"load", "embed", "publish"} <= set(stages)
    again = idx.ingest([path])
    assert again == IngestReport(0, 0, 120, ())


def test_a_26_mb_export_of_2600_pages_is_read_whole(tmp_path: Path) -> None:
    """Over the 20 MB limit of one file: every page is read (ingesting them all, a minute with
    the fake model, is what the batch test above does at a smaller scale)."""
    path = _write_jsonl(tmp_path / "export.jsonl", 2_600, 10_000)
    assert path.stat().st_size > 26_000_000 > MAX_FILE_BYTES
    titles = [i.title for i in iter_articles([path]) if isinstance(i, Article)]
    assert len(titles) == 2_600 and titles[-1] == "Generated page 2599"
