"""/ask and mention replies: defer, search off the event loop, answer with quotes."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from collections.abc import AsyncIterator, Callable
from datetime import date

import discord
from discord import app_commands
from discord.ext import commands

from bot import render
from bot.choices import source_choices
from bot.config import Settings
from bot.replies import NO_MENTIONS, error_text, send_ephemeral, send_reply
from bot.timeparse import parse_window
from index import NewsIndex

__all__ = ["BUSY", "AskCog", "QuestionLimiter", "SearchBusy", "SearchGate"]

log = logging.getLogger("newsbot.ask")

BUSY = "I'm answering a lot of questions right now; please ask again in a few seconds."


class QuestionLimiter:
    """A per-user cooldown shared by /ask and mentions."""

    def __init__(self, questions: int, seconds: float) -> None:
        self.cooldown = app_commands.Cooldown(questions, seconds)
        self._buckets: dict[int, app_commands.Cooldown] = {}

    def retry_after(self, user_id: int) -> float | None:
        """Count one question; return how long to wait if it is one too many, else None."""
        now = time.time()
        if len(self._buckets) > 1000:  # forget users whose window has passed
            full = self.cooldown.rate
            self._buckets = {k: b for k, b in self._buckets.items() if b.get_tokens(now) < full}
        bucket = self._buckets.setdefault(user_id, self.cooldown.copy())
        return bucket.update_rate_limit(now)


class SearchBusy(Exception):
    """Every search slot is taken and the line of waiting questions is full."""


class SearchGate:
    """At most ``limit`` searches at once; up to ``queue`` more wait their turn, first come first
    served; beyond that a question is turned away at once, so a flood cannot pile up work."""

    def __init__(self, limit: int, queue: int) -> None:
        self._slots = asyncio.Semaphore(limit)
        self.capacity = limit + queue
        self.admitted = 0  # searching or waiting

    @property
    def full(self) -> bool:
        return self.admitted >= self.capacity

    @contextlib.asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        """Wait for a slot; raise ``SearchBusy`` at once when the line is full."""
        if self.full:
            raise SearchBusy
        self.admitted += 1
        try:
            async with self._slots:
                yield
        finally:
            self.admitted -= 1


class AskCog(commands.Cog, name="Ask"):
    """Questions in, quotes out. ``on_question`` is called as each question comes (the bot
    collects garbage only once questions pause)."""

    def __init__(
        self,
        client: discord.Client,
        index: NewsIndex,
        settings: Settings,
        *,
        on_question: Callable[[], None],
    ) -> None:
        self.client = client  # whose mentions are questions
        self.index = index
        self.settings = settings
        self.on_question = on_question
        self.limiter = QuestionLimiter(settings.cooldown_questions, settings.cooldown_seconds)
        self.searches = SearchGate(settings.max_searches, settings.max_waiting)

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        retry = self.limiter.retry_after(interaction.user.id)
        if retry is not None:
            raise app_commands.CommandOnCooldown(self.limiter.cooldown, retry)
        return True

    async def answer(
        self,
        question: str,
        *,
        k: int,
        source: str | None = None,
        since: date | None = None,
        until: date | None = None,
    ) -> render.Reply:
        """Search in a worker thread (a few at a time) and render the answer, or say "busy"."""
        self.on_question()
        try:
            async with self.searches.turn():
                found = await asyncio.to_thread(
                    self.index.ask, question, k=k, source=source, since=since, until=until
                )
        except SearchBusy:
            return render.Reply(BUSY, [])
        return render.answer_reply(found)

    @app_commands.command(
        name="ask",
        description="Ask a question: I answer by quoting the news articles I have indexed.",
    )
    @app_commands.describe(
        question="What you want to know, e.g. what did the Met say about ports?",
        source="Only quote this news source",
        since="Only articles since a date (2015-11-16) or within a span (24h, 7d, 2w, 1y)",
        until="Only articles up to this date (2015-11-30)",
        results="How many quotes to show (1 to 5)",
    )
    async def ask(
        self,
        interaction: discord.Interaction,
        question: app_commands.Range[str, 1, 1000],
        source: app_commands.Range[str, 1, 100] | None = None,
        since: app_commands.Range[str, 1, 40] | None = None,
        until: app_commands.Range[str, 1, 40] | None = None,
        results: app_commands.Range[int, 1, 5] | None = None,
    ) -> None:
        try:
            first_day, last_day = parse_window(since, until)
        except ValueError as exc:
            await send_ephemeral(interaction, render.escape(str(exc)))
            return
        if self.searches.full:
            await send_ephemeral(interaction, BUSY)
            return
        await interaction.response.defer(thinking=True)
        reply = await self.answer(
            question,
            k=results or self.settings.results,
            source=source,
            since=first_day,
            until=last_day,
        )
        await send_reply(interaction, reply)

    @ask.autocomplete("source")
    async def _source_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await source_choices(self.index, current)

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        """Answer "@newsbot <question>" with the same reply as /ask."""
        me = self.client.user
        if me is None or message.author.bot:
            return
        mention = re.compile(rf"<@!?{me.id}>")
        if not mention.search(message.content):
            return  # a reply that pings the bot is not a question
        question = " ".join(mention.sub(" ", message.content).split())
        if not question:
            text = (
                "Ask me something about the news, e.g. `@newsbot what did the Met say about ports?`"
            )
            await _reply(message, render.Reply(text, []))
            return
        retry = self.limiter.retry_after(message.author.id)
        if retry is not None:
            await _reply(message, render.Reply(render.cooldown_text(retry), []))
            return
        with contextlib.suppress(discord.HTTPException):
            await message.channel.typing()  # best effort: "newsbot is typing…" while searching
        try:
            reply = await self.answer(question, k=self.settings.results)
        except Exception as exc:
            reply = render.Reply(error_text(exc, "answering a mention"), [])
        await _reply(message, reply)


async def _reply(message: discord.Message, reply: render.Reply) -> None:
    try:
        await message.reply(
            reply.content or None,
            embeds=reply.embeds,
            allowed_mentions=NO_MENTIONS,
            mention_author=False,
        )
    except discord.HTTPException:
        log.warning("could not reply in channel %s", message.channel.id, exc_info=True)
