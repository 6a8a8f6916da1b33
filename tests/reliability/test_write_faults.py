"""A disk that fills up and a data directory that turns read-only, during an ingest: a clear
``IndexWriteError`` (one CLI line, exit code 2), the published index untouched, nothing left."""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot import cli, config
from index import IndexWriteError
from tests.reliability.corpus import (
    assert_verbatim,
    digest,
    leftovers,
    open_fake,
    published,
    write_batch,
)
from tests.reliability.fakecli import FakeModelIndex
from tests.reliability.faults import Disk, sqlite_limit
from tests.reliability.tally import Tally

FRACTIONS = [i / 20 for i in range(20)]  # of the bytes one ingest writes, where the disk fills


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A published index and a batch of new articles to ingest into it."""
    root = tmp_path_factory.mktemp("faults")
    open_fake(root / "data").ingest([write_batch(root / "in", 0, 15)])
    return root / "data", write_batch(root / "in", 1, 15)


@pytest.fixture
def data(base: tuple[Path, Path], tmp_path: Path) -> Path:
    shutil.copytree(base[0], tmp_path / "data")
    return tmp_path / "data"


def _state(data: Path) -> tuple[str, dict[str, str], dict[str, str]]:
    """CURRENT, every file of the published generation, and its articles."""
    current = (data / "CURRENT").read_text()
    return current, digest(data / current.strip()), published(open_fake(data))


def _untouched(data: Path, before: tuple[str, dict[str, str], dict[str, str]]) -> None:
    assert _state(data) == before, "the published index is exactly as it was"
    assert leftovers(data) == [], "the failed write cleaned up after itself"
    assert assert_verbatim(open_fake(data), "when will the plan go ahead?", before[2])


def _retry(data: Path, batch: Path, before: tuple[str, dict[str, str], dict[str, str]]) -> None:
    """Once there is room again, the same ingest goes through."""
    report = open_fake(data).ingest([batch])
    assert report.added == 15 and before[2].items() <= published(open_fake(data)).items()


def _bytes_one_ingest_writes(base: tuple[Path, Path], tmp_path: Path) -> int:
    shutil.copytree(base[0], tmp_path / "measure")
    with pytest.MonkeyPatch.context() as mp:
        disk = Disk(tmp_path / "measure").install(mp)
        open_fake(tmp_path / "measure").ingest([base[1]])
    return disk.written


def test_disk_full_anywhere_in_a_write(
    base: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tally: Tally
) -> None:
    needed = _bytes_one_ingest_writes(base, tmp_path)
    points = sorted({int(f * needed) for f in FRACTIONS} | {needed - 1})
    for free in points:
        data = tmp_path / f"full-{free}"
        shutil.copytree(base[0], data)
        before = _state(data)
        with monkeypatch.context() as mp:
            Disk(data, free=free).install(mp)
            with pytest.raises(IndexWriteError, match="No space left on device") as raised:
                open_fake(data).ingest([base[1]])
        assert "published index is untouched" in str(raised.value)
        _untouched(data, before)
        _retry(data, base[1], before)
    tally(
        "disk",
        f"disk full after 0..{needed - 1:,} of the {needed:,} bytes an ingest writes",
        len(points),
        "IndexWriteError (ENOSPC); published index byte-identical; no leftovers; retry ok",
    )


def _pages(data: Path) -> int:
    db = data / (data / "CURRENT").read_text().strip() / "news.sqlite"
    with contextlib.closing(sqlite3.connect(db)) as con:
        return int(con.execute("PRAGMA page_count").fetchone()[0])


def test_sqlite_full_while_copying_or_adding(
    data: Path, base: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch, tally: Tally
) -> None:
    pages = _pages(data)
    limits = [1, pages // 2, pages - 1, pages, pages + 1, pages + 3]
    before = _state(data)
    for limit in limits:
        with monkeypatch.context() as mp:
            sqlite_limit(mp, limit)
            with pytest.raises(IndexWriteError, match="database or disk is full"):
                open_fake(data).ingest([base[1]])
        _untouched(data, before)
    _retry(data, base[1], before)
    tally(
        "disk",
        f"SQLite full (max_page_count 1..{pages + 3}, the published file has {pages} pages)",
        len(limits),
        "IndexWriteError (SQLITE_FULL); published index byte-identical; no leftovers; retry ok",
    )


def _cli_fails_in_one_line(data: Path, batch: Path, capsys: pytest.CaptureFixture[str]) -> str:
    code = cli.main(["--data", str(data), "ingest", "--quiet", str(batch)])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("newsbot: ") and err.count("\n") == 1, (code, err)
    return err


def test_cli_on_a_full_disk(
    data: Path,
    base: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tally: Tally,
) -> None:
    monkeypatch.setattr(config, "NewsIndex", FakeModelIndex)
    before = _state(data)
    with monkeypatch.context() as mp:
        Disk(data, free=1000).install(mp)
        err = _cli_fails_in_one_line(data, base[1], capsys)
    assert "No space left on device" in err and "free some disk space" in err
    _untouched(data, before)
    tally("disk", "`newsbot ingest` on a full disk", 1, "one line on stderr, exit code 2")


@contextlib.contextmanager
def _chmod_read_only(data: Path) -> Iterator[bool]:
    """chmod the data directory read-only; yields whether that really stops writes here."""
    folders = [data, *(p for p in data.rglob("*") if p.is_dir())]
    for folder in folders:
        folder.chmod(0o555)
    try:
        probe = data / ".probe"
        try:
            probe.touch()
        except PermissionError:
            yield True
        else:  # root ignores permissions: the caller simulates a read-only mount instead
            probe.unlink()
            yield False
    finally:
        for folder in folders:
            folder.chmod(0o755)


def test_read_only_data_directory(
    data: Path,
    base: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tally: Tally,
) -> None:
    monkeypatch.setattr(config, "NewsIndex", FakeModelIndex)
    before = _state(data)
    with _chmod_read_only(data) as enforced, monkeypatch.context() as mp:
        if not enforced:
            assert os.geteuid() == 0
            Disk(data, read_only=True).install(mp)
        with pytest.raises(IndexWriteError, match="read-only"):
            open_fake(data).ingest([base[1]])
        assert "make it writable" in _cli_fails_in_one_line(data, base[1], capsys)
        assert published(open_fake(data)) == before[2], "questions are still answered"
    _untouched(data, before)
    _retry(data, base[1], before)
    how = "chmod 555" if enforced else "chmod 555 as root, so a read-only mount simulated"
    tally("disk", f"read-only data directory ({how})", 2, "IndexWriteError and one CLI line "
          "naming the directory; index untouched; retry ok once writable")  # fmt: skip


@pytest.mark.parametrize("free", [0, 5000])
def test_writes_refused_after_the_writable_check(
    data: Path, base: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch, tally: Tally, free: int
) -> None:
    """The directory looks writable, then refuses writes (a mount turned read-only mid-way)."""
    before = _state(data)
    with monkeypatch.context() as mp:
        disk = Disk(data, free=free).install(mp, checkable=False)
        idx = open_fake(data)
        disk.read_only = True
        with pytest.raises(IndexWriteError, match="Read-only file system"):
            idx.ingest([base[1]])
    _untouched(data, before)
    tally("disk", "writes refused after the writable check (EROFS)", 1,
          "IndexWriteError; index untouched; no leftovers")  # fmt: skip
