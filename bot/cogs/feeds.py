"""/feeds add|list|remove for admins, and the background poll that keeps the index fresh."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta

import discord
from discord import app_commands
from discord.ext import commands

from bot import render
from bot.checks import check_admin, is_admin, url_problem
from bot.choices import feed_choices
from bot.config import Settings
from bot.replies import NO_MENTIONS, send_ephemeral, send_reply
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
        """Start polling once connected (``on_ready`` comes again after a reconnect: once only)."""
        if self.task is None:
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
        except Exception:
            log.exception("polling the feeds failed")
            return []
        for result in results:
            if result.error is not None:
                log.warning("feed %s failed: %s", result.feed.url, result.error)
            elif result.new:
                log.info("feed %s: %d new articles", result.feed.url, len(result.new))
            if result.new and result.feed.channel_id:
                await self._announce(result)
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
        problem = url_problem(url)
        if problem is not None:
            await send_ephemeral(interaction, problem)
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        feed = await asyncio.to_thread(
            self.index.add_feed,
            url.strip(),
            source=source,
            channel_id=channel.id if channel else None,
            allow_private=self.settings.allow_private_urls,
        )
        self.wake.set()
        await interaction.followup.send(
            render.feed_added_text(feed, self.settings.feed_interval),
            ephemeral=True,
            allowed_mentions=NO_MENTIONS,
        )

    @feeds.command(name="list", description="Admins: the followed feeds, their polls and errors.")
    async def list_(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        feeds = await asyncio.to_thread(self.index.feeds)
        await send_reply(
            interaction, render.feeds_reply(feeds, self.settings.feed_interval), ephemeral=True
        )

    @feeds.command(name="remove", description="Admins: stop following a feed (its articles stay).")
    @app_commands.describe(url="The feed's address (start typing to search)")
    async def remove(
        self, interaction: discord.Interaction, url: app_commands.Range[str, 1, 2000]
    ) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        feed = await asyncio.to_thread(self.index.remove_feed, url)
        await interaction.followup.send(
            render.feed_removed_text(feed), ephemeral=True, allowed_mentions=NO_MENTIONS
        )

    @remove.autocomplete("url")
    async def _feed_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        if not is_admin(interaction, self.settings.admin_ids):
            return []  # autocomplete runs no checks: show feeds to admins only
        return await feed_choices(self.index, current)
