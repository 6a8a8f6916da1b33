"""/feeds, the background poll and /latest: the real bot and index against the fake Discord."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fake_discord import MANAGE_GUILD, FakeDiscord, FakeInteraction, permissions
from harness import ADMIN_ID

from bot.client import NewsBot
from index import NewsIndex
from tests.feedsite import FeedSite, Item, rss

pytestmark = pytest.mark.model

MANAGER = permissions(manage_guild=True)
Run = Callable[..., FakeDiscord]

CAVE = Item(
    "cave",
    "Glacier museum opens ice cave tours",
    (
        "The glacier museum in the northern valley opened guided tours of its ice cave on Monday.",
        'Curator Lena Berg said: "Visitors can walk forty metres into the blue ice with a guide."',
    ),
    published="2025-02-10T08:00:00+00:00",
    summary="Ice cave tours open.",
)
SKI = Item(
    "ski",
    "Ski lift reopens after storm damage",
    (
        "The valley's main ski lift reopened on Saturday after storm damage to two towers.",
        "Operator Nils Dahl said skiers should expect queues at the lower station.",
    ),
    published="2025-02-12T08:00:00+00:00",
    summary="The lift is running again.",
)


async def answered(fake: FakeDiscord, *inters: FakeInteraction, timeout: float = 60) -> None:
    await fake.wait_until(lambda: all(i.answered for i in inters), timeout)


async def until(predicate: Callable[[], bool], timeout: float = 60) -> None:
    """Wait for something outside Discord (the fake's ``wait_until`` wakes on requests only)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.05)


def private(inter: FakeInteraction) -> bool:
    return bool(inter.messages) and all(m["flags"] & 64 for m in inter.messages)


@pytest.fixture
def fresh_index(tmp_path: Path, real_embedder: Any) -> NewsIndex:
    return NewsIndex.open(tmp_path / "data", embedder=real_embedder)


def test_feeds_is_an_admin_group_at_both_layers(
    discord_run: Run, feed_site: FeedSite, fresh_index: NewsIndex
) -> None:
    url = feed_site.put("/rss", rss(feed_site.base, [CAVE]), "application/rss+xml")

    async def scenario(fake: FakeDiscord, bot: NewsBot) -> None:
        command = fake.registered("feeds")
        assert command["default_member_permissions"] == str(MANAGE_GUILD)
        assert [o["name"] for o in command["options"]] == ["add", "list", "remove"]
        assert fake.registered("latest").get("default_member_permissions") is None
        for sub, options in [("add", {"url": url}), ("list", {}), ("remove", {"url": url})]:
            with pytest.raises(PermissionError):
                await fake.command("feeds", subcommand=sub, user_id=5, **options)
            inter = await fake.command(
                "feeds", subcommand=sub, user_id=5, bypass_default_permissions=True, **options
            )
            await answered(fake, inter)
            assert private(inter) and "Only server managers" in inter.text, sub
        hint = await fake.command(
            "feeds",
            subcommand="remove",
            user_id=5,
            bypass_default_permissions=True,
            autocomplete="url",
            url="",
        )
        listed = await fake.command(
            "feeds", subcommand="list", user_id=ADMIN_ID, bypass_default_permissions=True
        )
        await answered(fake, hint, listed)
        assert hint.choices == []  # feed addresses are not shown to members
        assert private(listed) and "No feeds yet" in listed.text
        assert fresh_index.feeds() == []

    discord_run(scenario, index=fresh_index, allow_private_urls=True)


def test_a_feed_added_in_discord_is_polled_announced_and_answerable(
    discord_run: Run, feed_site: FeedSite, fresh_index: NewsIndex
) -> None:
    feed_site.publish(CAVE, SKI)
    url = feed_site.put("/rss", rss(feed_site.base, [SKI, CAVE]), "application/rss+xml")

    async def scenario(fake: FakeDiscord, bot: NewsBot) -> None:
        add = await fake.command(
            "feeds",
            subcommand="add",
            user_id=9,
            perms=MANAGER,
            url=url,
            source="Peak Post",
            channel=fake.channel_id,
        )
        await answered(fake, add)
        assert private(add) and "as **Peak Post**" in add.text
        assert f"every 15 min and announced in <#{fake.channel_id}>" in add.text

        # The background task polls at once after an add, and tells the channel.
        await fake.wait_until(lambda: bool(fake.channel_messages), 60)
        [note] = fake.channel_messages
        assert note["channel_id"] == str(fake.channel_id)
        assert note["content"].startswith("📰 2 new articles from **Peak Post**:")
        assert f"• {SKI.title} <{SKI.link(feed_site.base)}>" in note["content"]

        ask = await fake.command(
            "ask", user_id=1, question="how far can visitors walk into the ice cave?"
        )
        latest = await fake.command("latest", user_id=2)
        only = await fake.command("latest", user_id=3, source="Nowhere News")
        listed = await fake.command("feeds", subcommand="list", user_id=9, perms=MANAGER)
        await answered(fake, ask, latest, only, listed)
        assert "forty metres into the blue ice" in ask.text and "Peak Post" in ask.text
        assert not private(latest)
        assert latest.text.index(SKI.title) < latest.text.index(CAVE.title)
        assert "No articles from **Nowhere News**" in only.text
        assert private(listed) and "**Peak Post**" in listed.text and "2 articles" in listed.text

        choices = await fake.command(
            "feeds", subcommand="remove", user_id=9, perms=MANAGER, autocomplete="url", url="peak"
        )
        await answered(fake, choices)
        assert choices.choices == [{"name": f"Peak Post · {url}", "value": url}]
        removed = await fake.command(
            "feeds", subcommand="remove", user_id=9, perms=MANAGER, url=url
        )
        await answered(fake, removed)
        assert private(removed) and "2 articles it brought stay" in removed.text
        assert fresh_index.feeds() == [] and fresh_index.stats().articles == 2
        for _, message in fake.messages_sent():
            assert message["allowed_mentions"]["parse"] == []

    discord_run(scenario, index=fresh_index, allow_private_urls=True)


def test_a_refused_feed_is_explained_only_to_the_admin(
    discord_run: Run, feed_site: FeedSite, fresh_index: NewsIndex
) -> None:
    url = feed_site.put("/rss", rss(feed_site.base, [CAVE]), "application/rss+xml")

    async def scenario(fake: FakeDiscord, bot: NewsBot) -> None:
        refused = await fake.command("feeds", subcommand="add", user_id=9, perms=MANAGER, url=url)
        bad = await fake.command(
            "feeds", subcommand="add", user_id=9, perms=MANAGER, url="ftp://x.example/rss"
        )
        await answered(fake, refused, bad)
        assert private(refused)
        assert f"refusing to fetch {url}: 127.0.0.1 is a loopback address" in refused.text
        assert private(bad) and "must start with http" in bad.text
        assert fresh_index.feeds() == []

    discord_run(scenario, index=fresh_index)  # NEWSBOT_ALLOW_PRIVATE_URLS off


def test_a_slow_poll_never_blocks_the_bot(
    discord_run: Run, feed_site: FeedSite, fresh_index: NewsIndex
) -> None:
    pages = threading.Event()  # the article pages answer only once it is set
    feed_site.publish(CAVE, SKI, hold=pages)
    url = feed_site.put("/rss", rss(feed_site.base, [SKI, CAVE]), "application/rss+xml")

    async def scenario(fake: FakeDiscord, bot: NewsBot) -> None:
        add = await fake.command("feeds", subcommand="add", user_id=9, perms=MANAGER, url=url)
        await answered(fake, add)
        await until(lambda: feed_site.hits("/news/cave") > 0)  # the poll waits on the pages
        try:
            during = [await fake.command("latest", user_id=10 + i) for i in range(3)]
            await answered(fake, *during)  # the fake records a late acknowledgement (3 s rule)
            assert all("The index is empty" in i.text for i in during)
            assert fresh_index.stats().articles == 0  # answered while the pages were held
        finally:
            pages.set()
        await until(lambda: fresh_index.stats().articles == 2)

    discord_run(scenario, index=fresh_index, allow_private_urls=True)
