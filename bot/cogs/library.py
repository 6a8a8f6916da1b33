"""/sources, /latest, /article, /stats and /help: what the index holds."""

from __future__ import annotations

import asyncio

import discord
from discord import app_commands
from discord.ext import commands

from bot import render
from bot.choices import article_choices, source_choices
from bot.replies import NO_MENTIONS, send_reply
from index import NewsIndex

__all__ = ["LATEST_COUNT", "LibraryCog"]

LATEST_COUNT = 10


class LibraryCog(commands.Cog, name="Library"):
    """Browse the index; /help lists the commands of ``bot``."""

    def __init__(self, bot: commands.Bot, index: NewsIndex) -> None:
        self.bot = bot
        self.index = index

    @app_commands.command(
        name="sources", description="List the news sources I know, with article counts and dates."
    )
    async def sources(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(thinking=True)
        sources = await asyncio.to_thread(self.index.sources)
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
        found = await asyncio.to_thread(self.index.latest, source, LATEST_COUNT)
        await send_reply(interaction, render.latest_reply(found, source))

    @latest.autocomplete("source")
    async def _source_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await source_choices(self.index, current)

    @app_commands.command(
        name="article", description="Show one article: headline, source, date, link, opening lines."
    )
    @app_commands.describe(article_id="The article's id (start typing a headline to search)")
    async def article(
        self, interaction: discord.Interaction, article_id: app_commands.Range[str, 1, 100]
    ) -> None:
        await interaction.response.defer(thinking=True)
        found = await asyncio.to_thread(self.index.article, article_id)
        await send_reply(interaction, render.article_reply(found))

    @article.autocomplete("article_id")
    async def _article_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await article_choices(self.index, current)

    @app_commands.command(
        name="stats", description="Show the index: articles, passages, model, size, last update."
    )
    async def stats(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(thinking=True)
        stats = await asyncio.to_thread(self.index.stats)
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
