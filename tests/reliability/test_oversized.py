"""Oversized inputs: bounded work and a clear message (questions, files, pages, huge feeds)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest

from bot import cli, config
from index import BadQuestionError, HashEmbedder, NewsIndex
from index.feeds.parse import MAX_ENTRIES_PER_POLL
from index.load.fetch import MAX_FETCH_BYTES
from index.load.loaders import MAX_FILE_BYTES
from tests.feedsite import FeedSite, Item, rss
from tests.reliability.corpus import write_batch
from tests.reliability.fakecli import FakeModelIndex
from tests.reliability.tally import Tally

LENGTHS = [1001, 2001, 2500, 100_000]


class _Counting(HashEmbedder):
    """The fake embedder, counting the questions it embeds."""

    queries = 0

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        self.queries += len(texts)
        return super().embed_queries(texts)


@pytest.fixture(autouse=True)
def fake_cli(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(config, "NewsIndex", FakeModelIndex)


def test_questions_over_the_limit_are_refused_before_any_work(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], tally: Tally
) -> None:
    embedder = _Counting()
    idx = NewsIndex.open(tmp_path / "data", embedder=embedder)
    idx.ingest([write_batch(tmp_path / "in", 0, 3)])
    for n in LENGTHS:
        with pytest.raises(BadQuestionError, match=r"too long \(over 1000 characters\)"):
            idx.ask("why " * (n // 4) + "x" * (n % 4))
        for args in (["ask"], ["ask", "--json"]):
            code = cli.main(["--data", str(tmp_path / "data"), *args, "w" * n])
            err = capsys.readouterr().err
            assert code == 2 and err.count("\n") == 1 and "too long" in err, err[:200]
    assert embedder.queries == 0, "nothing was embedded or searched"
    tally("oversized", f"questions of {', '.join(f'{n:,}' for n in LENGTHS)} characters "
          "(library and CLI, text and --json)", 3 * len(LENGTHS),
          "refused before embedding: 'too long (over 1000 characters)', CLI exit code 2")  # fmt: skip


def test_a_file_over_the_limit_is_skipped_unread(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], tally: Tally
) -> None:
    folder = write_batch(tmp_path / "in", 0, 2)
    huge = folder / "huge.txt"
    with open(huge, "wb") as fh:
        fh.truncate(MAX_FILE_BYTES + 1)  # sparse: a 20 MB file that costs nothing to make
    code = cli.main(["--data", str(tmp_path / "data"), "ingest", "--quiet", str(folder)])
    out, err = capsys.readouterr()
    assert code == 0 and "2 added" in out
    assert f"huge.txt: too large ({MAX_FILE_BYTES + 1:,} bytes; the limit is" in err
    tally("oversized", f"a file over {MAX_FILE_BYTES:,} bytes in `newsbot ingest`", 1,
          "skipped unread with its size and the limit; the rest ingested")  # fmt: skip


def test_a_page_over_the_limit_is_refused(
    feed_site: FeedSite,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tally: Tally,
) -> None:
    monkeypatch.setenv("NEWSBOT_ALLOW_PRIVATE_URLS", "1")  # the site is on 127.0.0.1
    page = "<html><body><p>" + "word " * (MAX_FETCH_BYTES // 5) + "</p></body></html>"
    url = feed_site.put("/huge.html", page, "text/html")
    code = cli.main(["--data", str(tmp_path / "data"), "ingest", "--quiet", url])
    out, err = capsys.readouterr()
    assert code == 1 and "1 failed" in out and "too large" in err
    tally("oversized", f"a web page over {MAX_FETCH_BYTES:,} bytes", 1,
          "refused while downloading ('too large'), exit code 1")  # fmt: skip


def test_a_feed_with_thousands_of_entries_fetches_a_bounded_number(
    feed_site: FeedSite, tmp_path: Path, tally: Tally
) -> None:
    total = 2000
    now = datetime(2025, 6, 1, 12, tzinfo=timezone.utc)
    items = [
        Item(
            f"s{i}",
            f"Story number {i}",
            (f"Story {i} says the council met {i} times about the harbour wall.",),
            published=(now - timedelta(minutes=i)).isoformat(),
        )
        for i in range(total)
    ]
    feed_site.publish(*items)
    url = feed_site.put("/rss", rss(feed_site.base, items), "application/rss+xml")
    idx = NewsIndex.open(tmp_path / "data", embedder=HashEmbedder())
    idx.add_feed(url, allow_private=True)
    feed_site.clear()
    (result,) = idx.poll_feeds(now=now, allow_private=True)
    pages = sum(1 for path, _ in feed_site.requests if path.startswith("/news/"))
    assert (result.entries, len(result.new), result.backlog) == (
        total,
        MAX_ENTRIES_PER_POLL,
        total - MAX_ENTRIES_PER_POLL,
    )
    assert pages == MAX_ENTRIES_PER_POLL and idx.stats().articles == MAX_ENTRIES_PER_POLL
    tally("oversized", f"a feed of {total:,} entries", 1,
          f"one poll fetches {MAX_ENTRIES_PER_POLL} pages, the rest wait for later polls")  # fmt: skip
