"""/feeds add|list|remove for admins, and the background poll that keeps the index fresh."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from datetime import timedelta
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot import render
from bot.client import NO_MENTIONS, send_ephemeral
from bot.cogs.admin import NotAdmin, is_admin
from index import FeedPollResult, IndexBusyError

if TYPE_CHECKING:
    from bot.client import NewsBot

__all__ = ["FeedsCog", "setup"]

log = logging.getLogger("newsbot.feeds")


class FeedsCog(commands.Cog, name="Feeds"):
    """Followed feeds. A task polls the due ones every NEWSBOT_FEED_INTERVAL minutes."""

    feeds = app_commands.Group(
        name="feeds",
        description="Admins: follow RSS and Atom feeds; new articles are added on their own.",
        default_permissions=discord.Permissions(manage_guild=True),
    )

    def __init__(self, bot: NewsBot) -> None:
        self.bot = bot
        self.interval = timedelta(minutes=bot.settings.feed_interval)
        self.wake = asyncio.Event()  # set to poll now rather than at the next tick
        self.task: asyncio.Task[None] | None = None

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
            results = await self.bot.writes.run(
                self.bot.index.poll_feeds,
                interval=self.interval,
                only_due=True,
                allow_private=self.bot.settings.allow_private_urls,
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
        channel = self.bot.get_partial_messageable(result.feed.channel_id)
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
    @app_commands.check(is_admin)
    async def add(
        self,
        interaction: discord.Interaction,
        url: app_commands.Range[str, 1, 2000],
        source: app_commands.Range[str, 1, 100] | None = None,
        channel: discord.TextChannel | None = None,
    ) -> None:
        if not re.match(r"https?://\S+$", url.strip()):
            await send_ephemeral(interaction, "The url must start with http:// or https://.")
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        feed = await asyncio.to_thread(
            self.bot.index.add_feed,
            url.strip(),
            source=source,
            channel_id=channel.id if channel else None,
            allow_private=self.bot.settings.allow_private_urls,
        )
        self.wake.set()
        await interaction.followup.send(
            render.feed_added_text(feed, self.bot.settings.feed_interval),
            ephemeral=True,
            allowed_mentions=NO_MENTIONS,
        )

    @feeds.command(name="list", description="Admins: the followed feeds, their polls and errors.")
    @app_commands.check(is_admin)
    async def list_(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        feeds = await asyncio.to_thread(self.bot.index.feeds)
        reply = render.feeds_reply(feeds, self.bot.settings.feed_interval)
        await interaction.followup.send(
            reply.content, embeds=reply.embeds, ephemeral=True, allowed_mentions=NO_MENTIONS
        )

    @feeds.command(name="remove", description="Admins: stop following a feed (its articles stay).")
    @app_commands.describe(url="The feed's address (start typing to search)")
    @app_commands.check(is_admin)
    async def remove(
        self, interaction: discord.Interaction, url: app_commands.Range[str, 1, 2000]
    ) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        feed = await asyncio.to_thread(self.bot.index.remove_feed, url)
        await interaction.followup.send(
            render.feed_removed_text(feed), ephemeral=True, allowed_mentions=NO_MENTIONS
        )

    @remove.autocomplete("url")
    async def _feed_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        try:
            is_admin(interaction)  # autocomplete runs no checks: show feeds to admins only
        except NotAdmin:
            return []
        feeds = await asyncio.to_thread(self.bot.index.feeds)
        needle = current.strip().lower()
        hits = [f for f in feeds if needle in f.url.lower() or needle in f.source.lower()]
        return [
            app_commands.Choice(name=render.clip(f"{f.source} · {f.url}", 100), value=f.url)
            for f in hits[:25]
            if len(f.url) <= 100
        ]


async def setup(bot: NewsBot) -> None:
    await bot.add_cog(FeedsCog(bot))
