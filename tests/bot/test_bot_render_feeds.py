"""Rendering of feeds, feed notes and /latest: escaped, mention-safe and within Discord's limits."""

from __future__ import annotations

from datetime import date, datetime, timezone

from bot import render
from index import ArticleInfo, FeedInfo

HOSTILE = "@everyone **Gazette** <@123> [x](https://evil.example)"
WHEN = datetime(2025, 3, 5, 12, 0, tzinfo=timezone.utc)


def _feed(**changes: object) -> FeedInfo:
    values: dict[str, object] = {"url": "https://news.example/rss", "source": "Harbour Gazette"}
    values.update(changes)
    return FeedInfo(**values)  # type: ignore[arg-type]


def _article(i: int, title: str = "Harbour reopens", url: str | None = None) -> ArticleInfo:
    return ArticleInfo(f"id{i}", title, "Harbour Gazette", url, date(2025, 3, 4))


def test_feeds_reply_shows_polls_channel_and_errors_with_discord_timestamps() -> None:
    feeds = [
        _feed(last_polled=WHEN, next_poll=WHEN, articles=1, channel_id=99),
        _feed(url="https://x.example/atom", source=HOSTILE, last_error=HOSTILE, failures=3),
    ]
    reply = render.feeds_reply(feeds, 15)
    [embed] = reply.embeds
    text = embed.description or ""
    assert embed.title == "Feeds (2)" and "every 15 min" in (embed.footer.text or "")
    stamp = int(WHEN.timestamp())
    assert f"1 article · last poll <t:{stamp}:R> · next <t:{stamp}:R> · news to <#99>" in text
    assert "0 articles · last poll never · next now" in text
    assert "⚠ 3 failed polls in a row: " in text
    assert "@everyone" not in text and "<@123>" not in text and "\\*\\*Gazette" in text
    assert render.limit_problems(reply.content, reply.embeds) == []
    assert "/feeds add" in render.feeds_reply([], 15).content


def test_many_feeds_stay_within_the_limits() -> None:
    feeds = [
        _feed(url=f"https://news.example/{'x' * 250}/{i}", last_error="e" * 400) for i in range(60)
    ]
    reply = render.feeds_reply(feeds, 15)
    assert render.limit_problems(reply.content, reply.embeds) == []
    assert "more" in (reply.embeds[0].description or "").rsplit("\n", 1)[1]


def test_feed_note_is_short_linked_and_never_pings() -> None:
    articles = [_article(i, HOSTILE, f"https://news.example/{i}") for i in range(12)]
    articles.append(_article(99, "Bad link", "javascript:alert(1)"))
    note = render.feed_note(_feed(source=HOSTILE), articles)
    lines = note.split("\n")
    assert lines[0].startswith("📰 13 new articles from **")
    assert (
        len(lines) == 1 + render.FEED_NOTE_ITEMS + 1 and lines[-1] == "…and 8 more: see `/latest`."
    )
    assert lines[1].endswith(" <https://news.example/0>")
    assert "@everyone" not in note and "<@123>" not in note and "javascript" not in note
    one = render.feed_note(_feed(), [_article(1, "Bad link", "javascript:alert(1)")])
    assert one == "📰 1 new article from **Harbour Gazette**:\n• Bad link"


def test_latest_reply_links_headlines_and_handles_empty() -> None:
    reply = render.latest_reply(
        [_article(1, "Harbour [reopens]", "https://news.example/a"), _article(2, HOSTILE)],
        source=None,
    )
    [embed] = reply.embeds
    text = embed.description or ""
    assert embed.title == "Latest articles"
    assert (
        "• [Harbour \\[reopens\\]](<https://news.example/a>) — Harbour Gazette · 4 Mar 2025" in text
    )
    assert "@everyone" not in text and "<@123>" not in text
    assert (
        render.latest_reply([], source="Valley Times").content
        == "No articles from **Valley Times**."
    )
    assert "index is empty" in render.latest_reply([], None).content


def test_feed_added_and_removed_texts() -> None:
    feed = _feed(channel_id=7, articles=4)
    added = render.feed_added_text(feed, 30)
    assert "as **Harbour Gazette**" in added and "every 30 min and announced in <#7>" in added
    assert "4 articles it brought stay" in render.feed_removed_text(feed)
