"""/sources, /latest, /article, /stats and /help: what the index holds."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot import render
from bot.client import NO_MENTIONS
from index import NewsIndex

if TYPE_CHECKING:
    from bot.client import NewsBot

__all__ = ["LATEST_COUNT", "LibraryCog", "article_choices", "send_reply", "setup", "source_choices"]

LATEST_COUNT = 10


async def send_reply(interaction: discord.Interaction, reply: render.Reply) -> None:
    """Send ``reply`` as the follow-up of a deferred interaction."""
    await interaction.followup.send(
        reply.content, embeds=reply.embeds, allowed_mentions=NO_MENTIONS
    )


async def article_choices(index: NewsIndex, current: str) -> list[app_commands.Choice[str]]:
    """Autocomplete article ids by id or headline among the newest articles."""
    articles = await asyncio.to_thread(index.articles, None, 500)
    needle = current.strip().lower()
    hits = [a for a in articles if needle in a.id.lower() or needle in a.title.lower()]
    return [
        app_commands.Choice(name=render.clip(f"{a.title} · {a.source}", 100), value=a.id)
        for a in hits[:25]
        if len(a.id) <= 100
    ]


async def source_choices(index: NewsIndex, current: str) -> list[app_commands.Choice[str]]:
    """Autocomplete source names containing what was typed."""
    sources = await asyncio.to_thread(index.sources)
    needle = current.strip().lower()
    names = [s.name for s in sources if needle in s.name.lower() and len(s.name) <= 100]
    return [app_commands.Choice(name=name, value=name) for name in names[:25]]


class LibraryCog(commands.Cog, name="Library"):
    """Browse the index."""

    def __init__(self, bot: NewsBot) -> None:
        self.bot = bot

    @app_commands.command(
        name="sources", description="List the news sources I know, with article counts and dates."
    )
    async def sources(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(thinking=True)
        sources = await asyncio.to_thread(self.bot.index.sources)
        await send_reply(interaction, render.sources_reply(sources))

    @app_commands.command(
        name="latest", description="List the newest articles I have, from every source or one."
    )
    @app_commands.describe(source="Only this news source")
    async def latest(
        self,
        interaction: discord.Interaction,
        source: app_commands.Range[str, 1, 100] | None = None,
    ) -> None:
        await interaction.response.defer(thinking=True)
        found = await asyncio.to_thread(self.bot.index.latest, source, LATEST_COUNT)
        await send_reply(interaction, render.latest_reply(found, source))

    @latest.autocomplete("source")
    async def _source_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await source_choices(self.bot.index, current)

    @app_commands.command(
        name="article", description="Show one article: headline, source, date, link, opening lines."
    )
    @app_commands.describe(article_id="The article's id (start typing a headline to search)")
    async def article(
        self, interaction: discord.Interaction, article_id: app_commands.Range[str, 1, 100]
    ) -> None:
        await interaction.response.defer(thinking=True)
        found = await asyncio.to_thread(self.bot.index.article, article_id)
        await send_reply(interaction, render.article_reply(found))

    @article.autocomplete("article_id")
    async def _article_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await article_choices(self.bot.index, current)

    @app_commands.command(
        name="stats", description="Show the index: articles, passages, model, size, last update."
    )
    async def stats(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(thinking=True)
        stats = await asyncio.to_thread(self.bot.index.stats)
        await send_reply(interaction, render.stats_reply(stats))

    @app_commands.command(name="help", description="How to use newsbot and its commands.")
    async def help(self, interaction: discord.Interaction) -> None:
        commands_ = sorted(
            (c.qualified_name, c.description)
            for c in self.bot.tree.walk_commands()
            if isinstance(c, app_commands.Command)
        )
        reply = render.help_reply(commands_)
        await interaction.response.send_message(
            embeds=reply.embeds, ephemeral=True, allowed_mentions=NO_MENTIONS
        )


async def setup(bot: NewsBot) -> None:
    await bot.add_cog(LibraryCog(bot))
