"""/feeds add|list|remove for admins, and the background poll that keeps the index fresh.

Adding and removing a feed, and each poll that polled a feed, are audited (bot/audit.py); every
answer reaches the admin even when the interaction's token has run out (bot/outcome.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta

import discord
from discord import app_commands
from discord.ext import commands

from bot import render
from bot.audit import Audit
from bot.checks import check_admin, is_admin, url_problem
from bot.choices import feed_choices
from bot.config import Settings
from bot.outcome import Outcome, conclude
from bot.replies import NO_MENTIONS, send_ephemeral
from bot.writes import Writes
from index import FeedPollResult, IndexBusyError, NewsIndex

__all__ = ["FeedsCog"]

log = logging.getLogger("newsbot.feeds")


class FeedsCog(commands.Cog, name="Feeds"):
    """Followed feeds. A task polls the due ones every NEWSBOT_FEED_INTERVAL minutes."""

    feeds = app_commands.Group(
        name="feeds",
        description="Admins: follow RSS and Atom feeds; new articles are added on their own.",
        default_permissions=discord.Permissions(manage_guild=True),
    )

    def __init__(
        self, client: discord.Client, index: NewsIndex, settings: Settings, writes: Writes
    ) -> None:
        self.client = client  # to announce new articles
        self.index = index
        self.settings = settings
        self.writes = writes
        self.interval = timedelta(minutes=settings.feed_interval)
        self.wake = asyncio.Event()  # set to poll now rather than at the next tick
        self.task: asyncio.Task[None] | None = None

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        """Every command here is for admins: refused to others even where a server has
        overridden the group's default permissions."""
        return check_admin(interaction, self.settings.admin_ids)

    @commands.Cog.listener()
    async def on_ready(self) -> None:
        """Start polling once connected (``on_ready`` comes again after a reconnect: once only).
        Of several shard processes, only shard 0 polls: they share the index and its feeds."""
        if self.task is None and getattr(self.client, "first_shard", True):
            self.task = asyncio.create_task(self._poll_forever(), name="newsbot-feeds")

    async def cog_unload(self) -> None:
        if self.task is not None:
            self.task.cancel()

    # -- the background poll -----------------------------------------------------------------
    async def _poll_forever(self) -> None:
        while True:
            self.wake.clear()
            await self.poll_once()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self.wake.wait(), self.interval.total_seconds())

    async def poll_once(self) -> list[FeedPollResult]:
        """Poll the due feeds in a worker thread and announce new articles; never raises."""
        audit = Audit("feeds poll", "the scheduler")
        try:
            results = await self.writes.run(
                self.index.poll_feeds,
                interval=self.interval,
                only_due=True,
                allow_private=self.settings.allow_private_urls,
            )
        except IndexBusyError as exc:
            log.info("feeds not polled this time: %s", exc)
            return []
        except Exception as exc:
            log.exception("polling the feeds failed")
            audit.end(f"failed ({type(exc).__name__}: {exc})")
            return []
        for result in results:
            if result.error is not None:
                log.warning("feed %s failed: %s", result.feed.url, result.error)
            elif result.new:
                log.info("feed %s: %d new articles", result.feed.url, len(result.new))
            if result.new and result.feed.channel_id:
                await self._announce(result)
        if results:  # a poll with no feed due did nothing worth a line
            audit.end(_poll_summary(results))
        return results

    async def _announce(self, result: FeedPollResult) -> None:
        assert result.feed.channel_id is not None
        channel = self.client.get_partial_messageable(result.feed.channel_id)
        try:
            await channel.send(
                render.feed_note(result.feed, result.new), allowed_mentions=NO_MENTIONS
            )
        except discord.HTTPException:
            log.warning("could not announce new articles in channel %s", channel.id, exc_info=True)

    # -- commands ----------------------------------------------------------------------------
    @feeds.command(name="add", description="Admins: follow a feed; its new articles are added.")
    @app_commands.describe(
        url="The feed's address (RSS or Atom, http or https)",
        source="The news source to file its articles under (default: the feed's title)",
        channel="A channel to tell about new articles (optional)",
    )
    async def add(
        self,
        interaction: discord.Interaction,
        url: app_commands.Range[str, 1, 2000],
        source: app_commands.Range[str, 1, 100] | None = None,
        channel: discord.TextChannel | None = None,
    ) -> None:
        channel_id = None if channel is None else channel.id
        audit = Audit.start(interaction, url=url, source=source, channel=channel_id)
        problem = url_problem(url)
        if problem is not None:
            await send_ephemeral(interaction, problem)
            audit.end(f"refused: {problem}")
            return
        outcome = Outcome(interaction)
        await outcome.acknowledge()
        await conclude(self._add(url.strip(), source, channel_id), outcome, audit)

    async def _add(self, url: str, source: str | None, channel_id: int | None) -> str:
        """Follow the feed (checked at once) and poll it soon; what was added."""
        feed = await asyncio.to_thread(
            self.index.add_feed,
            url,
            source=source,
            channel_id=channel_id,
            allow_private=self.settings.allow_private_urls,
        )
        self.wake.set()
        return render.feed_added_text(feed, self.settings.feed_interval)

    @feeds.command(name="list", description="Admins: the followed feeds, their polls and errors.")
    async def list_(self, interaction: discord.Interaction) -> None:
        outcome = Outcome(interaction)
        await outcome.acknowledge()
        feeds = await asyncio.to_thread(self.index.feeds)
        await outcome.deliver(*render.feeds_reply(feeds, self.settings.feed_interval))

    @feeds.command(name="remove", description="Admins: stop following a feed (its articles stay).")
    @app_commands.describe(url="The feed's address (start typing to search)")
    async def remove(
        self, interaction: discord.Interaction, url: app_commands.Range[str, 1, 2000]
    ) -> None:
        audit = Audit.start(interaction, url=url)
        outcome = Outcome(interaction)
        await outcome.acknowledge()
        await conclude(self._remove(url), outcome, audit)

    async def _remove(self, url: str) -> str:
        """Stop following the feed; what was removed."""
        feed = await asyncio.to_thread(self.index.remove_feed, url)
        return render.feed_removed_text(feed)

    @remove.autocomplete("url")
    async def _feed_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        if not is_admin(interaction, self.settings.admin_ids):
            return []  # autocomplete runs no checks: show feeds to admins only
        return await feed_choices(self.index, current)


def _poll_summary(results: list[FeedPollResult]) -> str:
    """How a poll ended, for the audit log."""
    new = sum(len(result.new) for result in results)
    failed = [result.feed.url for result in results if result.error is not None]
    summary = f"ok: {render.count_noun(len(results), 'feed')} polled, {new} new articles"
    return summary + (f", failed: {', '.join(failed)}" if failed else "")
