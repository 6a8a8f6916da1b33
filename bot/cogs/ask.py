"""/ask and questions in messages: defer, search off the event loop, answer with quotes. A
follow-up leans on the asker's previous question in the same channel (bot/followup.py).

A message is a question when it mentions the bot, or when it reads as a question (bot/followup.py,
``is_question``) and replies to one of the bot's messages or is written in a thread the bot
opened. The bot opens a thread under its answer to a mention in a channel, for follow-ups.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from datetime import date

import discord
from discord import app_commands
from discord.ext import commands

from bot import render
from bot.choices import source_choices
from bot.config import Settings
from bot.followup import Exchange, is_question, rewrite
from bot.questions import BUSY, Questions, SearchBusy
from bot.recent import Recent
from bot.replies import NO_MENTIONS, error_text, persisting, send_ephemeral, send_reply
from bot.timeparse import parse_window
from index import Answer, NewsIndex

__all__ = ["AskCog"]

log = logging.getLogger("newsbot.ask")


class AskCog(commands.Cog, name="Ask"):
    """Questions in, quotes out; each asker's last exchange per channel kept for follow-ups."""

    def __init__(
        self, client: discord.Client, index: NewsIndex, settings: Settings, questions: Questions
    ) -> None:
        self.client = client  # whose mentions are questions
        self.index = index
        self.settings = settings
        self.questions = questions
        self.recent = Recent()

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        self.questions.limiter.admit(interaction.user.id)
        return True

    async def answer(
        self,
        asker: tuple[int, int],
        question: str,
        *,
        k: int,
        source: str | None = None,
        since: date | None = None,
        until: date | None = None,
    ) -> tuple[render.Reply, Answer | None]:
        """The reply to ``question`` from ``asker`` (channel, user), and the answer (None when
        the bot is busy). The question is understood against the asker's previous one there,
        and remembered for the next."""
        understood = rewrite(question, self.recent.get(asker))
        try:
            found = await self.questions.ask(
                understood, k=k, source=source, since=since, until=until
            )
        except SearchBusy:
            return render.Reply(BUSY, []), None
        self._remember(asker, Exchange.of(found))
        return render.answer_reply(found, asked=question), found

    def _remember(self, asker: tuple[int, int], exchange: Exchange) -> None:
        """Keep ``exchange`` for the asker's next question, and drop it once its window has
        passed even if no one asks again (not merely when it is next looked at)."""
        self.recent.put(asker, exchange)
        asyncio.get_running_loop().call_later(self.recent.ttl + 1, self.recent.forget_expired)

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
        if self.questions.searches.full:
            await send_ephemeral(interaction, BUSY)
            return
        await interaction.response.defer(thinking=True)
        reply, _ = await self.answer(
            (interaction.channel_id or 0, interaction.user.id),
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
        """Answer a question in a message with the same reply as /ask, as a reply to it."""
        me = self.client.user
        if me is None or message.author.bot:
            return
        question = _question_in(message, me)
        if question is None:
            return
        if not question:
            text = (
                "Ask me something about the news, e.g. `@newsbot what did the Met say about ports?`"
            )
            await _reply(message, render.Reply(text, []))
            return
        retry = self.questions.limiter.retry_after(message.author.id)
        if retry is not None:
            await _reply(message, render.Reply(render.cooldown_text(retry), []))
            return
        with contextlib.suppress(discord.HTTPException):
            await message.channel.typing()  # best effort: "newsbot is typing…" while searching
        asker = (message.channel.id, message.author.id)
        found: Answer | None = None
        try:
            reply, found = await self.answer(asker, question, k=self.settings.results)
        except Exception as exc:
            reply = render.Reply(error_text(exc, "answering a message"), [])
        sent = await _reply(message, reply)
        if sent is not None and found is not None and found.found and _opens_thread(message):
            await self._open_thread(sent, question, message.author.id, Exchange.of(found))

    async def _open_thread(
        self, answer: discord.Message, question: str, user_id: int, exchange: Exchange
    ) -> None:
        """A thread under ``answer`` where follow-ups need no mention. The asker's exchange goes
        with them into it; anyone else who asks there starts afresh."""
        try:
            # archived after an idle hour (Discord's shortest), out of the channel's list
            thread = await answer.create_thread(
                name=render.thread_name(question), auto_archive_duration=60
            )
        except discord.HTTPException as exc:  # say, no Create Public Threads permission
            log.info("could not open a thread under answer %s: %s", answer.id, exc)
            return
        self._remember((thread.id, user_id), exchange)
        with contextlib.suppress(discord.HTTPException):
            await thread.send(render.thread_intro_text(), allowed_mentions=NO_MENTIONS)


def _question_in(message: discord.Message, me: discord.ClientUser) -> str | None:
    """The question ``message`` asks the bot ("" for a bare mention), or None if it asks none."""
    mention = re.compile(rf"<@!?{me.id}>")
    if mention.search(message.content):
        return " ".join(mention.sub(" ", message.content).split())
    # A reply that pings the bot is not a question unless it reads as one.
    text = " ".join(message.content.split())
    if (_replies_to(message, me) or _in_thread_of(message, me)) and is_question(text):
        return text
    return None


def _replies_to(message: discord.Message, me: discord.ClientUser) -> bool:
    reference = message.reference
    resolved = reference.resolved if reference is not None else None
    return isinstance(resolved, discord.Message) and resolved.author.id == me.id


def _in_thread_of(message: discord.Message, me: discord.ClientUser) -> bool:
    return isinstance(message.channel, discord.Thread) and message.channel.owner_id == me.id


def _opens_thread(message: discord.Message) -> bool:
    """A question asked afresh in a server channel: neither a reply nor in a thread already."""
    return isinstance(message.channel, discord.TextChannel) and message.reference is None


async def _reply(message: discord.Message, reply: render.Reply) -> discord.Message | None:
    try:
        return await persisting(
            lambda: message.reply(
                reply.content or None,
                embeds=reply.embeds,
                allowed_mentions=NO_MENTIONS,
                mention_author=False,
            )
        )
    except discord.HTTPException:
        log.warning("could not reply in channel %s", message.channel.id, exc_info=True)
        return None
