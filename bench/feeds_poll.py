"""Feed polling cost: a first poll, a 304 poll and a changed-but-nothing-new poll, per feed size.

A local site on 127.0.0.1 (tests/feedsite.py) serves an RSS 2.0 feed of N entries and their
article pages (five paragraphs each); the index is a fresh one in a temporary folder with the
bundled all-MiniLM-L6-v2. Each poll is timed with the pages it requested. A first poll fetches at
most ``MAX_ENTRIES_PER_POLL`` pages, so the N=1000 row also shows the backlog left for later polls.

    .venv/bin/python bench/feeds_poll.py            # N = 50 and 1000
    .venv/bin/python bench/feeds_poll.py --sizes 10,200

Prints a table and writes bench/results/feeds_poll.json (``--out`` to change).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # tests/feedsite.py: the same local site the tests use

from index import NewsIndex  # noqa: E402
from index.embed import load_embedder  # noqa: E402
from index.feeds.parse import MAX_ENTRIES_PER_POLL, parse_feed  # noqa: E402
from tests.feedsite import FeedSite, Item, rss, serve  # noqa: E402

OUT = ROOT / "bench" / "results" / "feeds_poll.json"
WORDS = "harbour council ferry storm bridge library market school river hospital".split()


def _items(n: int, start: datetime) -> list[Item]:
    items = []
    for i in range(n):
        topic = WORDS[i % len(WORDS)]
        paragraphs = tuple(
            f"Story {i}, part {p}: the {topic} committee met on day {i % 28 + 1} and agreed "
            f"{p + 3} measures, said spokesperson number {i * 7 + p}."
            for p in range(5)
        )
        published = (start - timedelta(hours=i)).isoformat()
        items.append(
            Item(f"s{i}", f"{topic.title()} story {i}", paragraphs, published, "In short.")
        )
    return items


def _timed_poll(idx: NewsIndex, site: FeedSite, now: datetime) -> dict[str, Any]:
    site.clear()
    started = time.perf_counter()
    [result] = idx.poll_feeds(now=now, allow_private=True)
    seconds = time.perf_counter() - started
    assert result.ok, result.error
    return {
        "seconds": round(seconds, 3),
        "new": len(result.new),
        "fetched": result.fetched,
        "backlog": result.backlog,
        "not_modified": result.not_modified,
        "requests": len(site.requests),
    }


def run(sizes: list[int]) -> dict[str, Any]:
    embedder = load_embedder()
    embedder.embed_documents(["warm up"])
    now = datetime(2025, 3, 5, tzinfo=timezone.utc)
    rows: list[dict[str, Any]] = []
    with contextlib.contextmanager(serve)() as site:
        for n in sizes:
            items = _items(n, now)
            site.publish(*items)
            feed = rss(site.base, items)
            site.put(f"/feed{n}.xml", feed, "application/rss+xml", etag=f'"{n}-1"')
            started = time.perf_counter()
            parse_feed(feed.encode(), url=site.url(f"/feed{n}.xml"))
            parse_s = time.perf_counter() - started
            with tempfile.TemporaryDirectory(prefix="newsbot-bench-") as tmp:
                idx = NewsIndex.open(tmp, embedder=embedder)
                idx.add_feed(site.url(f"/feed{n}.xml"), allow_private=True)
                polls = {"first": _timed_poll(idx, site, now)}
                # Drain any backlog so that the next polls have nothing new to do.
                while polls["first"]["backlog"] and idx.poll_feeds(allow_private=True)[0].backlog:
                    pass
                polls["304"] = _timed_poll(idx, site, now + timedelta(minutes=15))
                site.put(f"/feed{n}.xml", feed, "application/rss+xml", etag=f'"{n}-2"')
                polls["changed, nothing new"] = _timed_poll(idx, site, now + timedelta(minutes=30))
            for name, poll in polls.items():
                rows.append({"entries": n, "poll": name, "parse_s": round(parse_s, 3), **poll})
    return {
        "meta": {
            "when": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "machine": f"{platform.machine()}, {os.cpu_count()} cores",
            "python": platform.python_version(),
            "model": embedder.name,
            "max_entries_per_poll": MAX_ENTRIES_PER_POLL,
        },
        "rows": rows,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--sizes", default="50,1000", help="feed sizes, comma-separated")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    report = run([int(s) for s in args.sizes.split(",")])
    head = f"{'entries':>7}  {'poll':<21} {'seconds':>7} {'new':>4} {'fetched':>7} "
    print(head + f"{'backlog':>7} {'requests':>8}  parse (s)")
    for r in report["rows"]:
        print(
            f"{r['entries']:>7}  {r['poll']:<21} {r['seconds']:>7.2f} {r['new']:>4} "
            f"{r['fetched']:>7} {r['backlog']:>7} {r['requests']:>8}  {r['parse_s']:.3f}"
        )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
