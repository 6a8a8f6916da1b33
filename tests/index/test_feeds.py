"""Feeds: parsing, the registry, polling with conditional GET, fallbacks, backoff and the cap.

Everything runs against a local site on 127.0.0.1 (tests/feedsite.py) with the fast embedder.
"""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

import index.load.fetch as fetch_mod
from index import FeedError, HashEmbedder, IndexBusyError, LoadError, NewsIndex
from index.feeds.parse import MAX_ENTRIES_PER_POLL, html_text, parse_feed
from index.feeds.poll import MAX_BACKOFF, backoff
from index.feeds.registry import MAX_ENTRY_ATTEMPTS
from index.load.fetch import USER_AGENT, FetchRefused
from index.storage.store import Store
from tests.feedsite import FeedSite, Item, atom, rdf, rss

NOW = datetime(2025, 3, 5, 12, 0, tzinfo=timezone.utc)
INTERVAL = timedelta(minutes=15)

STORM = Item(
    "storm",
    "Harbour reopens after the storm",
    (
        "The harbour at Eastmere reopened on Tuesday, three days after the storm closed it.",
        '"The pilots guided the first ferry in at dawn," said the harbour master, Ann Lee.',
    ),
    published="2025-03-04T09:00:00+00:00",
    summary="Eastmere harbour is open again.",
)
FARES = Item(
    "fares",
    "Ferry fares rise in April",
    (
        "Ferry fares will rise by four percent in April, the operator said on Monday.",
        '"Fuel costs forced our hand," said Dan Cole, director of Bay Ferries.',
    ),
    published="2025-03-03T08:00:00+00:00",
    summary="Fares go up by four percent.",
)
LIGHTHOUSE = Item(
    "lighthouse",
    "Lighthouse lamp relit after repairs",
    (
        "The lighthouse on Gull Point shone again on Wednesday night after six weeks of repairs.",
        "Keeper Tom Hale said the new lamp can be seen from forty kilometres out at sea.",
    ),
    published="2025-03-05T07:00:00+00:00",
    summary="Gull Point light is back.",
)


@pytest.fixture(autouse=True)
def _no_env_override(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NEWSBOT_ALLOW_PRIVATE_URLS", raising=False)


def _open(path: Path) -> NewsIndex:
    idx = NewsIndex.open(path, embedder=HashEmbedder())
    idx.tuning = replace(idx.tuning, found_threshold=-1e9)
    return idx


def _poll(idx: NewsIndex, now: datetime = NOW, **kw: object) -> list:  # type: ignore[type-arg]
    return idx.poll_feeds(now=now, interval=INTERVAL, allow_private=True, **kw)  # type: ignore[arg-type]


# --- parsing -------------------------------------------------------------------------------


@pytest.mark.parametrize("version", ["0.91", "2.0"])
def test_rss_is_parsed_newest_first_with_dates_and_links(version: str) -> None:
    base = "http://news.example"
    doc = parse_feed(rss(base, [FARES, STORM], version=version).encode(), url=f"{base}/rss")
    assert doc.title == "Harbour Gazette"
    assert [e.url for e in doc.entries] == (
        [STORM.link(base), FARES.link(base)]
        if version == "2.0"
        else [FARES.link(base), STORM.link(base)]
    )
    first = doc.entries[0]
    if version == "2.0":
        assert (first.key, first.published) == ("storm", date(2025, 3, 4))
    else:  # RSS 0.91 has no guid and no dates: the link identifies an entry
        assert first.key == first.url and first.published is None
    assert {e.content for e in doc.entries} == {STORM.summary, FARES.summary}


def test_rss_1_0_and_atom_are_parsed() -> None:
    base = "http://news.example"
    doc = parse_feed(rdf(base, [STORM]).encode(), url=f"{base}/rdf")
    assert doc.title == "Peak Post"
    [entry] = doc.entries
    assert (entry.url, entry.published, entry.title) == (
        STORM.link(base),
        date(2025, 3, 4),
        STORM.title,
    )
    doc = parse_feed(atom(base, [FARES, LIGHTHOUSE]).encode(), url=f"{base}/feeds/atom.xml")
    assert doc.title == "Valley Times"
    assert [e.title for e in doc.entries] == [LIGHTHOUSE.title, FARES.title]
    entry = doc.entries[0]
    assert entry.url == f"{base}/news/lighthouse"  # the relative link, resolved
    assert entry.key == "urn:valley:lighthouse" and entry.author == "Priya Nair"
    assert entry.content == "\n".join(LIGHTHOUSE.paragraphs)  # HTML content as text


@pytest.mark.parametrize(
    "body",
    [b"<html><body><p>Just a page</p></body></html>", b"\x00\x01binary", b"", b"{}"],
)
def test_a_document_that_is_not_a_feed_is_refused(body: bytes) -> None:
    with pytest.raises(FeedError, match=r"^http://x/feed: not an RSS or Atom feed"):
        parse_feed(body, url="http://x/feed")


def test_html_text_keeps_blocks_as_lines_and_drops_markup() -> None:
    assert (
        html_text("<p>One <b>bold</b> line.</p><p>Two<br>three</p>") == "One bold line.\nTwo\nthree"
    )
    assert html_text("plain &amp; simple") == "plain &amp; simple"
    assert html_text("<p> </p><div>\n</div>") == ""


# --- adding, listing, removing ---------------------------------------------------------------


def test_add_feed_checks_the_feed_and_refuses_private_addresses(
    feed_site: FeedSite, tmp_path: Path
) -> None:
    url = feed_site.put("/rss", rss(feed_site.base, [STORM]), "application/rss+xml")
    page = feed_site.put("/page", "<html><body><p>not a feed</p></body></html>")
    idx = _open(tmp_path / "data")
    with pytest.raises(FetchRefused) as err:
        idx.add_feed(url, allow_private=False)
    assert str(err.value) == (
        f"refusing to fetch {url}: 127.0.0.1 is a loopback address; "
        "set NEWSBOT_ALLOW_PRIVATE_URLS=1 to allow"
    )
    with pytest.raises(FeedError, match="not an RSS or Atom feed"):
        idx.add_feed(page, allow_private=True)
    with pytest.raises(LoadError, match="HTTP 404"):
        idx.add_feed(feed_site.url("/missing"), allow_private=True)
    assert idx.feeds() == []
    info = idx.add_feed(f"  {url} ", allow_private=True, channel_id=42)
    assert (info.url, info.source, info.title, info.channel_id) == (
        url,
        "Harbour Gazette",
        "Harbour Gazette",
        42,
    )
    assert info.next_poll is None and info.articles == 0  # due at once
    again = idx.add_feed(url, source="The Gazette", allow_private=True)
    assert again.source == "The Gazette" and again.channel_id is None
    assert [f.url for f in _open(tmp_path / "data").feeds()] == [url]  # persisted
    assert idx.remove_feed(url).url == url
    assert idx.feeds() == []
    with pytest.raises(FeedError, match="is followed"):
        idx.remove_feed(url)


def test_the_registry_lives_outside_the_generations(feed_site: FeedSite, tmp_path: Path) -> None:
    feed_site.publish(STORM)
    url = feed_site.put("/rss", rss(feed_site.base, [STORM]), "application/rss+xml")
    idx = _open(tmp_path / "data")
    idx.add_feed(url, allow_private=True)
    _poll(idx)
    assert (tmp_path / "data" / "feeds.sqlite").is_file()
    assert not list((tmp_path / "data").glob("gen-*/feeds.sqlite"))
    idx.reindex()  # a new generation keeps the feed state
    assert idx.feeds()[0].articles == 1


# --- polling -----------------------------------------------------------------------------


def test_poll_ingests_pages_then_a_second_poll_does_nothing(
    feed_site: FeedSite, tmp_path: Path
) -> None:
    feed_site.publish(STORM, FARES)
    url = feed_site.put(
        "/rss", rss(feed_site.base, [STORM, FARES]), "application/rss+xml", etag='"v1"'
    )
    idx = _open(tmp_path / "data")
    idx.add_feed(url, allow_private=True)
    generation = idx.stats().generation
    [first] = _poll(idx)
    assert first.ok and not first.not_modified
    assert (first.entries, first.fetched, first.fallbacks, first.backlog) == (2, 2, 0, 0)
    assert sorted(a.title for a in first.new) == [FARES.title, STORM.title]
    assert idx.stats().generation == generation + 1  # one publish for the whole poll
    article = idx.article(next(a.id for a in first.new if a.title == STORM.title))
    assert "pilots guided the first ferry in at dawn" in article.text  # the page, not the summary
    assert "Home News Sport" not in article.text
    assert (article.source, article.published, article.url) == (
        "Harbour Gazette",
        date(2025, 3, 4),
        STORM.link(feed_site.base),
    )
    assert first.feed.articles == 2 and first.feed.last_error is None
    assert first.feed.next_poll == NOW + INTERVAL
    answer = idx.ask("who guided the first ferry in at dawn?")
    assert answer.quotes[0].article.title == STORM.title

    assert {h["user-agent"] for _, h in feed_site.requests} == {USER_AGENT}  # feed and pages
    feed_site.clear()
    [second] = _poll(idx, NOW + INTERVAL)
    assert second.not_modified and second.new == () and second.ok
    assert feed_site.requests[0][1]["if-none-match"] == '"v1"'
    assert [p for p, _ in feed_site.requests] == ["/rss"]  # no page fetched again
    assert idx.stats().generation == generation + 1  # nothing published


def test_new_entries_only_are_fetched_and_last_modified_is_used(
    feed_site: FeedSite, tmp_path: Path
) -> None:
    feed_site.publish(STORM, FARES, LIGHTHOUSE)
    stamp = "Tue, 04 Mar 2025 09:00:00 GMT"
    url = feed_site.put(
        "/rss", rss(feed_site.base, [STORM, FARES]), "text/xml", last_modified=stamp
    )
    idx = _open(tmp_path / "data")
    idx.add_feed(url, allow_private=True)
    assert len(_poll(idx)[0].new) == 2
    feed_site.put(
        "/rss",
        rss(feed_site.base, [LIGHTHOUSE, STORM, FARES]),
        "text/xml",
        last_modified="Wed, 05 Mar 2025 07:00:00 GMT",
    )
    feed_site.clear()
    [result] = _poll(idx, NOW + INTERVAL)
    assert [a.title for a in result.new] == [LIGHTHOUSE.title]
    assert result.fetched == 1 and result.entries == 3
    assert feed_site.requests[0][1]["if-modified-since"] == stamp
    assert sorted(p for p, _ in feed_site.requests) == ["/news/lighthouse", "/rss"]
    assert idx.feeds()[0].articles == 3


def test_a_failed_or_refused_page_falls_back_to_the_feeds_own_text(
    feed_site: FeedSite, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 127.0.0.1 plays a public site; the lighthouse entry links to 127.0.0.2, a loopback address.
    real = fetch_mod.address_problem
    monkeypatch.setattr(
        fetch_mod, "address_problem", lambda a: None if a == "127.0.0.1" else real(a)
    )
    port = feed_site.base.rsplit(":", 1)[1]
    feed_site.publish(STORM)  # FARES's page is missing: 404
    body = atom(feed_site.base, [STORM, FARES, LIGHTHOUSE]).replace(
        'href="/news/lighthouse"', f'href="http://127.0.0.2:{port}/news/lighthouse"'
    )
    url = feed_site.put("/atom", body, "application/atom+xml")
    idx = _open(tmp_path / "data")
    idx.add_feed(url, allow_private=False)
    [result] = idx.poll_feeds(now=NOW, allow_private=False)
    assert result.ok and len(result.new) == 3 and result.fallbacks == 2
    by_title = {a.title: idx.article(a.id) for a in result.new}
    assert "forty kilometres out at sea" in by_title[LIGHTHOUSE.title].text
    assert "four percent in April" in by_title[FARES.title].text
    assert by_title[FARES.title].author == "Priya Nair"
    assert feed_site.hits("/news/lighthouse") == 0  # refused before connecting


def test_entries_without_page_or_text_are_retried_then_skipped(
    feed_site: FeedSite, tmp_path: Path
) -> None:
    empty = replace(STORM, summary="")  # no page (404) and no text in the feed
    url = feed_site.put("/rss", rss(feed_site.base, [empty]), "application/rss+xml", etag='"e"')
    idx = _open(tmp_path / "data")
    idx.add_feed(url, allow_private=True)
    for attempt in range(1, MAX_ENTRY_ATTEMPTS + 1):
        [result] = _poll(idx, NOW + attempt * INTERVAL)
        assert result.ok and not result.not_modified and result.fetched == 1, attempt
        [(what, why)] = result.failed
        assert what == STORM.link(feed_site.base)
        assert why == "HTTP 404 Not Found; the feed has no text for it"
    [done] = _poll(idx, NOW + 9 * INTERVAL)  # given up: the validators are kept again
    assert done.fetched == 0 and not done.failed
    assert _poll(idx, NOW + 10 * INTERVAL)[0].not_modified


def test_redirects_of_the_feed_and_of_entry_links_are_followed(
    feed_site: FeedSite, tmp_path: Path
) -> None:
    feed_site.publish(STORM)
    moved = replace(STORM, slug="old-storm")
    feed_site.redirect("/news/old-storm", feed_site.url("/news/storm"), status=301)
    feed_site.put("/real.xml", rss(feed_site.base, [moved]), "application/rss+xml")
    url = feed_site.redirect("/feed", "/real.xml")
    idx = _open(tmp_path / "data")
    idx.add_feed(url, allow_private=True)
    [result] = _poll(idx)
    assert result.ok and result.fallbacks == 0
    [new] = result.new
    assert new.url == feed_site.url("/news/storm")  # the page's final address
    assert idx.feeds()[0].url == url  # the feed is known by the address it was added with


def test_the_same_feed_refused_without_the_private_setting(
    feed_site: FeedSite, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    feed_site.publish(STORM)
    url = feed_site.put("/rss", rss(feed_site.base, [STORM]), "application/rss+xml")
    idx = _open(tmp_path / "data")
    idx.add_feed(url, allow_private=True)
    [refused] = idx.poll_feeds(now=NOW, interval=INTERVAL)  # the environment says no
    assert not refused.ok and refused.error is not None
    assert refused.error.startswith(f"refusing to fetch {url}: 127.0.0.1 is a loopback address")
    assert feed_site.requests == [("/rss", feed_site.requests[0][1])]  # only add_feed's check
    monkeypatch.setenv("NEWSBOT_ALLOW_PRIVATE_URLS", "1")
    [allowed] = idx.poll_feeds(now=NOW + timedelta(hours=1), interval=INTERVAL)
    assert allowed.ok and len(allowed.new) == 1


def test_a_broken_feed_backs_off_and_the_others_carry_on(
    feed_site: FeedSite, tmp_path: Path
) -> None:
    feed_site.publish(STORM)
    good = feed_site.put("/good", rss(feed_site.base, [STORM]), "application/rss+xml")
    bad = feed_site.put("/bad", rss(feed_site.base, [FARES]), "application/rss+xml")
    idx = _open(tmp_path / "data")
    idx.add_feed(good, allow_private=True)
    idx.add_feed(bad, allow_private=True)
    feed_site.put("/bad", "<rss><channel><item><title>cut off", "application/rss+xml", status=500)
    results = _poll(idx)
    assert [r.feed.url for r in results] == [good, bad]
    assert results[0].ok and len(results[0].new) == 1
    failed = results[1]
    assert failed.error == f"{bad}: HTTP 500 Internal Server Error"
    assert failed.feed.failures == 1 and failed.feed.last_error == failed.error
    assert failed.feed.next_poll == NOW + 2 * INTERVAL

    feed_site.put("/bad", b"\x00garbage", "application/rss+xml")  # now not a feed at all
    later = NOW + 2 * INTERVAL
    [_, again] = _poll(idx, later)
    assert again.error is not None and "not an RSS or Atom feed" in again.error
    assert again.feed.failures == 2 and again.feed.next_poll == later + 4 * INTERVAL
    # Only due feeds are polled by the bot's timer: the good one, not the one backing off.
    due = idx.poll_feeds(now=later + INTERVAL, interval=INTERVAL, only_due=True, allow_private=True)
    assert [r.feed.url for r in due] == [good]

    feed_site.publish(FARES)
    feed_site.put("/bad", rss(feed_site.base, [FARES]), "application/rss+xml")
    [_, fixed] = idx.poll_feeds(
        now=later + 4 * INTERVAL, interval=INTERVAL, only_due=True, allow_private=True
    )
    assert fixed.ok and len(fixed.new) == 1
    assert (fixed.feed.failures, fixed.feed.last_error) == (0, None)


def test_a_malformed_feed_whose_entries_can_be_recovered_is_read(
    feed_site: FeedSite, tmp_path: Path
) -> None:
    feed_site.publish(STORM, FARES)
    broken = (
        rss(feed_site.base, [STORM, FARES])
        .replace(FARES.title, f"{FARES.title} &bogus;")  # an undefined entity
        .replace("</channel></rss>", "")  # and cut off before the end
    )
    url = feed_site.put("/rss", broken, "application/rss+xml")
    idx = _open(tmp_path / "data")
    idx.add_feed(url, allow_private=True)
    [result] = _poll(idx)
    assert result.ok and result.fallbacks == 0
    assert sorted(a.title for a in result.new) == [f"{FARES.title} &bogus;", STORM.title]


def test_a_feed_of_the_wrong_type_or_redirected_to_a_private_address_fails_alone(
    feed_site: FeedSite, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = fetch_mod.address_problem  # 127.0.0.1 plays a public site
    monkeypatch.setattr(
        fetch_mod, "address_problem", lambda a: None if a == "127.0.0.1" else real(a)
    )
    feed_site.publish(STORM)
    good = feed_site.put("/good", rss(feed_site.base, [STORM]), "application/rss+xml")
    typed = feed_site.put("/typed", rss(feed_site.base, [FARES]), "application/rss+xml")
    moved = feed_site.put("/moved", rss(feed_site.base, [LIGHTHOUSE]), "application/rss+xml")
    idx = _open(tmp_path / "data")
    for url in (good, typed, moved):
        idx.add_feed(url, allow_private=False)
    feed_site.put("/typed", rss(feed_site.base, [FARES]), "image/png")
    feed_site.redirect("/moved", "http://169.254.169.254/latest/meta-data/")
    with pytest.raises(LoadError, match="unsupported content type 'image/png'"):
        idx.add_feed(typed, allow_private=False)
    ok, wrong, refused = idx.poll_feeds(now=NOW, interval=INTERVAL, allow_private=False)
    assert ok.ok and [a.title for a in ok.new] == [STORM.title]
    assert wrong.error is not None and "unsupported content type 'image/png'" in wrong.error
    assert refused.error == (
        "refusing to fetch http://169.254.169.254/latest/meta-data/ (redirected from "
        f"{moved}): 169.254.169.254 is a cloud metadata address; "
        "cloud metadata addresses are never fetched, whatever NEWSBOT_ALLOW_PRIVATE_URLS says"
    )
    assert [f.failures for f in idx.feeds()] == [0, 1, 1]


def test_backoff_doubles_and_is_capped() -> None:
    assert [backoff(INTERVAL, n) / INTERVAL for n in (1, 2, 3, 4)] == [2, 4, 8, 16]
    assert backoff(INTERVAL, 50) == MAX_BACKOFF == timedelta(hours=24)


def test_a_big_feed_is_worked_through_a_capped_number_of_entries_per_poll(
    feed_site: FeedSite, tmp_path: Path
) -> None:
    total = MAX_ENTRIES_PER_POLL * 2 + 20
    items = [
        Item(
            f"s{i}",
            f"Story number {i}",
            (f"Story {i} reports that the council met {i} times about the harbour wall.",),
            published=(NOW - timedelta(hours=i)).isoformat(),
            summary=f"Story {i} in short.",
        )
        for i in range(total)
    ]
    feed_site.publish(*items)
    url = feed_site.put("/rss", rss(feed_site.base, items), "application/rss+xml", etag='"big"')
    idx = _open(tmp_path / "data")
    idx.add_feed(url, allow_private=True)
    first = _poll(idx)[0]
    assert (first.fetched, first.backlog) == (MAX_ENTRIES_PER_POLL, total - MAX_ENTRIES_PER_POLL)
    assert {a.title for a in first.new} == {f"Story number {i}" for i in range(50)}  # newest
    second = _poll(idx, NOW + INTERVAL)[0]  # the validators were not kept: the backlog is read
    assert not second.not_modified and second.backlog == total - 2 * MAX_ENTRIES_PER_POLL
    third = _poll(idx, NOW + 2 * INTERVAL)[0]
    assert (third.fetched, third.backlog) == (20, 0)
    assert _poll(idx, NOW + 3 * INTERVAL)[0].not_modified
    assert idx.stats().articles == total


def test_an_article_in_two_feeds_is_stored_once_and_new_once(
    feed_site: FeedSite, tmp_path: Path
) -> None:
    feed_site.publish(STORM)
    one = feed_site.put("/one", rss(feed_site.base, [STORM]), "application/rss+xml")
    two = feed_site.put("/two", rss(feed_site.base, [STORM], title="Other"), "application/rss+xml")
    idx = _open(tmp_path / "data")
    idx.add_feed(one, allow_private=True)
    idx.add_feed(two, allow_private=True)
    first, second = _poll(idx)
    assert len(first.new) == 1 and second.new == () and second.ok
    assert idx.stats().articles == 1


def test_a_busy_index_leaves_the_feeds_to_the_next_poll(
    feed_site: FeedSite, tmp_path: Path
) -> None:
    feed_site.publish(STORM)
    url = feed_site.put("/rss", rss(feed_site.base, [STORM]), "application/rss+xml", etag='"1"')
    idx = _open(tmp_path / "data")
    idx.add_feed(url, allow_private=True)
    with Store(tmp_path / "data").writer(), pytest.raises(IndexBusyError):
        _poll(idx)  # another process is writing the index
    assert idx.feeds()[0].last_polled is None
    [result] = _poll(idx)
    assert len(result.new) == 1  # not hidden by a 304


def test_one_poll_at_a_time(feed_site: FeedSite, tmp_path: Path) -> None:
    url = feed_site.put("/rss", rss(feed_site.base, []), "application/rss+xml")
    idx = _open(tmp_path / "data")
    idx.add_feed(url, allow_private=True)
    entered, release = threading.Event(), threading.Event()

    def slow(stage: str, done: int, total: int) -> None:
        entered.set()
        release.wait(10)

    worker = threading.Thread(target=lambda: idx.poll_feeds(progress=slow, allow_private=True))
    worker.start()
    try:
        assert entered.wait(10)
        with pytest.raises(IndexBusyError, match="another feed poll is running"):
            _open(tmp_path / "data").poll_feeds(allow_private=True)
    finally:
        release.set()
        worker.join(10)


def test_latest_sorts_by_date_falling_back_to_when_added(tmp_path: Path) -> None:
    folder = tmp_path / "in" / "Gazette"
    folder.mkdir(parents=True)
    (folder / "2020-01-01-old.txt").write_text("Old story\nFrom long ago.\n")
    (folder / "undated.txt").write_text("Undated story\nAdded today, no date.\n")
    (folder / "2999-01-01-future.txt").write_text("Future story\nFrom the future.\n")
    (tmp_path / "in" / "Courier").mkdir()
    (tmp_path / "in" / "Courier" / "2021-01-01-c.txt").write_text("Courier story\nBody.\n")
    idx = _open(tmp_path / "data")
    idx.ingest([tmp_path / "in"])
    assert [a.title for a in idx.latest()] == [
        "Future story",
        "Undated story",
        "Courier story",
        "Old story",
    ]
    assert [a.title for a in idx.latest(source="Gazette", limit=2)] == [
        "Future story",
        "Undated story",
    ]
    assert _open(tmp_path / "empty").latest() == []


def test_a_feed_removed_during_a_poll_is_not_brought_back(
    feed_site: FeedSite, tmp_path: Path
) -> None:
    feed_site.publish(STORM)
    url = feed_site.put("/rss", rss(feed_site.base, [STORM]), "application/rss+xml")
    idx = _open(tmp_path / "data")
    idx.add_feed(url, allow_private=True)

    def remove_once(stage: str, done: int, total: int) -> None:
        if stage == "feeds" and done == 0:
            idx.remove_feed(url)  # an admin's /feeds remove while the poll runs

    [result] = _poll(idx, progress=remove_once)
    assert result.ok and len(result.new) == 1 and result.feed.url == url
    assert idx.feeds() == []
