"""/quotes: what a person or organisation is quoted saying, newest first (or best first for a
topic), five to a page, with buttons only the asker can press.

The same safety as /ask: no pings, errors only to the user, and the same per-user cooldown and
search cap (bot/questions.py).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence

import discord
from discord import app_commands
from discord.ext import commands

from bot import render
from bot.choices import source_choices, speaker_choices
from bot.questions import BUSY, Questions, SearchBusy
from bot.replies import NO_MENTIONS, send_ephemeral, send_reply
from bot.timeparse import parse_since
from index import NewsIndex, Quote

__all__ = ["NOT_YOURS", "PAGE_TIMEOUT", "Pages", "QuotesCog"]

log = logging.getLogger("newsbot.quotes")

# Seconds without a page turn before the buttons go: less than the 15 minutes for which the last
# interaction's token can still edit the message.
PAGE_TIMEOUT = 600.0
NOT_YOURS = "Only the member who asked can turn these pages: ask `/quotes` yourself to browse them."


class Pages(discord.ui.View):
    """◀ / ▶ through ``count`` pages drawn by ``show``. Only the asker of ``interaction`` may
    turn them; the buttons are removed once ``timeout`` seconds pass without a turn."""

    def __init__(
        self,
        interaction: discord.Interaction,
        count: int,
        show: Callable[[int], render.Reply],
        timeout: float,
    ) -> None:
        super().__init__(timeout=timeout)
        self.asker_id = interaction.user.id
        self.count = count
        self.show = show
        self.page = 0
        self._last = interaction  # the newest token, to edit the message when time runs out
        self._enable()

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        if interaction.user.id == self.asker_id:
            return True
        await send_ephemeral(interaction, NOT_YOURS)
        return False

    @discord.ui.button(label="◀", style=discord.ButtonStyle.secondary)
    async def previous(
        self, interaction: discord.Interaction, button: discord.ui.Button[Pages]
    ) -> None:
        await self._turn(interaction, self.page - 1)

    @discord.ui.button(label="▶", style=discord.ButtonStyle.secondary)
    async def next(
        self, interaction: discord.Interaction, button: discord.ui.Button[Pages]
    ) -> None:
        await self._turn(interaction, self.page + 1)

    async def _turn(self, interaction: discord.Interaction, page: int) -> None:
        """Show ``page`` in place of the current one."""
        self.page = min(max(page, 0), self.count - 1)
        self._last = interaction
        self._enable()
        reply = self.show(self.page)
        await interaction.response.edit_message(
            content=reply.content, embeds=reply.embeds, view=self, allowed_mentions=NO_MENTIONS
        )

    def _enable(self) -> None:
        """Grey out the way back on the first page and the way on on the last."""
        self.previous.disabled = self.page == 0
        self.next.disabled = self.page >= self.count - 1

    async def on_timeout(self) -> None:
        """Remove the buttons: nothing answers them any more."""
        try:
            await self._last.edit_original_response(view=None, allowed_mentions=NO_MENTIONS)
        except discord.HTTPException as exc:  # say, the message was deleted
            log.info("could not remove the page buttons: %s", exc)


class QuotesCog(commands.Cog, name="Quotes"):
    """Who said what: a person's statements across the index."""

    def __init__(self, index: NewsIndex, questions: Questions) -> None:
        self.index = index
        self.questions = questions
        self.page_timeout = PAGE_TIMEOUT  # on the cog, so that a test can shorten it

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        self.questions.limiter.admit(interaction.user.id)
        return True

    @app_commands.command(
        name="quotes",
        description="What a person or organisation is quoted saying, newest first, 5 to a page.",
    )
    @app_commands.describe(
        person="Who, as the news names them: Helena Marsh, Marsh, or an organisation (DHSU)",
        topic="Rank their quotes by this topic instead of by date, e.g. pay",
        since="Only articles since a date (2015-11-16) or within a span (24h, 7d, 2w, 1y)",
        source="Only quote this news source",
    )
    async def quotes(
        self,
        interaction: discord.Interaction,
        person: app_commands.Range[str, 1, 100],
        topic: app_commands.Range[str, 1, 200] | None = None,
        since: app_commands.Range[str, 1, 40] | None = None,
        source: app_commands.Range[str, 1, 100] | None = None,
    ) -> None:
        try:
            first_day = parse_since(since) if since else None
        except ValueError as exc:
            await send_ephemeral(interaction, render.escape(str(exc)))
            return
        if self.questions.searches.full:
            await send_ephemeral(interaction, BUSY)
            return
        await interaction.response.defer(thinking=True)
        try:
            found = await self.questions.quotes(person, topic=topic, source=source, since=first_day)
        except SearchBusy:
            await send_ephemeral(interaction, BUSY)
            return
        if found:
            await self._send_pages(interaction, person, found, topic)
            return
        filtered = bool(source or since)
        known = [] if filtered else await self._names_like(person)
        text = render.no_statements_text(person, known, filtered=filtered)
        await send_reply(interaction, render.Reply(text, []))

    async def _send_pages(
        self,
        interaction: discord.Interaction,
        person: str,
        found: Sequence[Quote],
        topic: str | None,
    ) -> None:
        """The first page, with buttons to the others when there are more."""
        pages = render.statement_pages(len(found))
        first = render.statements_reply(person, found, 0, topic)
        if pages == 1:
            await send_reply(interaction, first)
            return
        view = Pages(
            interaction,
            pages,
            lambda page: render.statements_reply(person, found, page, topic),
            self.page_timeout,
        )
        await interaction.followup.send(
            first.content, embeds=first.embeds, view=view, allowed_mentions=NO_MENTIONS
        )

    async def _names_like(self, person: str) -> list[str]:
        """Up to three names the index knows like ``person``: by all of it, else by its last word
        (the surname, when the first name is misspelt)."""
        for typed in dict.fromkeys([person, *person.split()[-1:]]):
            found = await asyncio.to_thread(self.index.speakers, typed, 3)
            if found:
                return [name for name, _ in found]
        return []

    @quotes.autocomplete("person")
    async def _person_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await speaker_choices(self.index, current)

    @quotes.autocomplete("source")
    async def _source_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await source_choices(self.index, current)
