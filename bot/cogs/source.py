"""Find the source: a message context menu that quotes where the news says what a message says.

It shows where a claim is said (or that it is not), never whether it is true. The same safety as
/ask: no pings, errors only to the user, and the same per-user cooldown and search cap.
"""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot import render
from bot.claims import claim_text
from bot.config import Settings
from bot.questions import BUSY, Questions, SearchBusy
from bot.replies import send_ephemeral, send_reply

__all__ = ["MENU", "NO_CLAIM", "SourceCog"]

MENU = "Find the source"
NO_CLAIM = "That message has no words I can look up, only mentions, links or formatting."


class SourceCog(commands.Cog, name="Source"):
    """The "Find the source" entry of a message's Apps menu."""

    def __init__(self, bot: commands.Bot, settings: Settings, questions: Questions) -> None:
        self.bot = bot
        self.settings = settings
        self.questions = questions
        # A cog cannot declare a context menu with a decorator: it is added to the tree here.
        self.menu = app_commands.ContextMenu(name=MENU, callback=self.find_source)

    async def cog_load(self) -> None:
        self.bot.tree.add_command(self.menu)

    async def cog_unload(self) -> None:
        self.bot.tree.remove_command(self.menu.name, type=self.menu.type)

    async def find_source(self, interaction: discord.Interaction, message: discord.Message) -> None:
        self.questions.limiter.admit(interaction.user.id)
        claim = claim_text(message.content)
        if not claim:
            await send_ephemeral(interaction, NO_CLAIM)
            return
        if self.questions.searches.full:
            await send_ephemeral(interaction, BUSY)
            return
        await interaction.response.defer(thinking=True)
        try:
            found = await self.questions.ask(claim, k=self.settings.results)
        except SearchBusy:
            await send_ephemeral(interaction, BUSY)
            return
        await send_reply(interaction, render.source_reply(found))
