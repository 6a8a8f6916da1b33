"""The Discord client: ``NewsBot`` gets its index and settings, loads cogs, syncs commands."""

from __future__ import annotations

import asyncio
import logging
import sys
import time
from typing import Any

import aiohttp
import discord
from discord import app_commands
from discord.ext import commands

from bot import heap, render
from bot.cogs.admin import AdminCog
from bot.cogs.ask import AskCog
from bot.cogs.feeds import FeedsCog
from bot.cogs.library import LibraryCog
from bot.cogs.quotes import QuotesCog
from bot.cogs.source import SourceCog
from bot.config import Settings, open_index
from bot.questions import Questions
from bot.replies import NO_MENTIONS, command_name, error_text, send_ephemeral
from bot.writes import Writes
from index import NewsIndex, NewsIndexError

__all__ = ["NewsBot", "NewsTree", "run_bot"]

log = logging.getLogger("newsbot")

QUIET = 10.0  # seconds without a question before the heap is tended (trimmed, collected)


class NewsTree(app_commands.CommandTree):
    """A command tree that turns every error into an ephemeral message."""

    async def on_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        original = getattr(error, "original", error)
        if isinstance(error, app_commands.CommandOnCooldown):
            text = render.cooldown_text(error.retry_after)
        elif isinstance(error, app_commands.CheckFailure):
            text = str(error) or "You can't use this command here."
        else:
            text = error_text(original, f"in {command_name(interaction)}")
        try:
            await send_ephemeral(interaction, text)
        except discord.HTTPException:
            log.warning("could not report an error to the user", exc_info=True)


class NewsBot(commands.Bot):
    """The bot. Slash commands live in ``bot.cogs``; prefix commands are not used."""

    def __init__(self, *, index: NewsIndex, settings: Settings, **options: Any) -> None:
        intents = discord.Intents.default()
        intents.message_content = True  # to read the question in "@newsbot what ...?"
        if settings.shard is not None:  # one of several processes: Discord's shard ID of COUNT
            options |= {"shard_id": settings.shard[0], "shard_count": settings.shard[1]}
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=intents,
            allowed_mentions=NO_MENTIONS,
            help_command=None,
            tree_cls=NewsTree,
            **options,
        )
        self.index = index
        self.settings = settings
        self.writes = Writes()  # ingest, re-index, removal and feed polls, at low priority
        self.last_question = time.monotonic()  # the heap is tended once questions pause
        self._collector: asyncio.Task[None] | None = None

    async def add_cogs(self) -> None:
        """One cog per feature, each given what it needs."""
        index, settings, writes = self.index, self.settings, self.writes
        # one cooldown and one search cap for every way of asking
        questions = Questions(index, settings, on_question=self._question_came)
        await self.add_cog(AskCog(self, index, settings, questions))
        await self.add_cog(SourceCog(self, settings, questions))
        await self.add_cog(QuotesCog(index, questions))
        await self.add_cog(LibraryCog(self, index))
        await self.add_cog(AdminCog(index, settings, writes))
        await self.add_cog(FeedsCog(self, index, settings, writes))

    def _question_came(self) -> None:
        self.last_question = time.monotonic()

    @property
    def first_shard(self) -> bool:
        """Whether this process does the once-per-bot work: syncing commands, polling feeds."""
        return self.settings.shard is None or self.settings.shard[0] == 0

    async def setup_hook(self) -> None:
        await self.add_cogs()
        await asyncio.to_thread(self.index.warm)  # the first question need not load the model
        guild = None if self.settings.guild_id is None else discord.Object(self.settings.guild_id)
        if guild is not None:
            self.tree.copy_global_to(guild=guild)
        if not self.first_shard:
            log.info("shard %s: shard 0 syncs the commands and polls the feeds", self.shard_id)
        elif guild is not None:
            synced = await self.tree.sync(guild=guild)
            log.info("synced %d commands to server %s", len(synced), self.settings.guild_id)
        else:
            synced = await self.tree.sync()
            log.info("synced %d global commands (may take up to an hour to appear)", len(synced))
        heap.settle()
        self._collector = asyncio.create_task(self._tend_heap(), name="newsbot-heap")

    async def _tend_heap(self) -> None:
        """Once questions pause for ``QUIET`` seconds: give back what the questions since the
        last pause took (``heap.trim``), and every ``heap.COLLECT_EVERY`` seconds collect the
        settled heap in full (a pause of the loop: bot/heap.py)."""
        trimmed = collected = time.monotonic()
        while True:
            await asyncio.sleep(QUIET)
            now = time.monotonic()
            if now - self.last_question < QUIET:
                continue
            if now - collected >= heap.COLLECT_EVERY:
                log.debug("full garbage collection: %d unreachable objects", heap.collect())
                collected = now
            if self.last_question > trimmed:
                await asyncio.to_thread(heap.trim)
                trimmed = now

    async def close(self) -> None:
        if self._collector is not None:
            self._collector.cancel()
        await super().close()
        self.writes.close()
        heap.release()

    async def on_ready(self) -> None:
        log.info(
            "logged in as %s (%s) in %d servers",
            self.user,
            self.user and self.user.id,
            len(self.guilds),
        )

    async def on_message(self, message: discord.Message) -> None:
        """Questions in messages are answered by the ask cog; there are no prefix commands."""


def run_bot(settings: Settings) -> int:
    """Run the bot until interrupted; the exit code for ``newsbot run``."""
    if not settings.discord_token:
        return _fail(
            "DISCORD_TOKEN is not set: put it in .env (see .env.example) or the environment"
        )
    heap.fewer_arenas()  # before the bot's threads start, so that they share the few
    level = logging.getLevelName(settings.log_level)
    if logging.getLogger().handlers:  # the caller (or a test runner) already set up logging
        for name in ("newsbot", "discord"):
            logging.getLogger(name).setLevel(level)
    else:
        discord.utils.setup_logging(level=level, root=True)
    try:
        index = open_index(settings)
        _log_index(index)
    except NewsIndexError as exc:
        return _fail(str(exc))
    bot = NewsBot(index=index, settings=settings)
    try:
        asyncio.run(_start(bot, settings.discord_token))
    except discord.LoginFailure:
        return _fail("Discord rejected DISCORD_TOKEN: copy a fresh token from the developer portal")
    except discord.HTTPException as exc:
        return _fail(f"Discord refused the login (HTTP {exc.status}): {exc.text or 'no details'}")
    except (OSError, aiohttp.ClientError) as exc:
        return _fail(f"cannot reach Discord: {exc}")
    except discord.PrivilegedIntentsRequired:
        return _fail(
            "enable the Message Content intent for this bot in the developer portal "
            "(Bot -> Privileged Gateway Intents)"
        )
    except NewsIndexError as exc:  # the model is loaded at start (setup_hook)
        return _fail(str(exc))
    except KeyboardInterrupt:
        pass
    return 0


def _log_index(index: NewsIndex) -> None:
    """Say which index the bot answers from, and warn when it is empty: a service started in
    another directory must not quietly answer from another (or an empty) index."""
    stats = index.stats()
    where = index.path.resolve()
    log.info(
        "index %s: %s, %s, model %s",
        where,
        render.count_noun(stats.articles, "article"),
        render.count_noun(stats.passages, "passage"),
        stats.model,
    )
    if stats.articles == 0:
        log.warning(
            "the index in %s is empty: run `newsbot ingest samples/` (or use /ingest) to add "
            "articles",
            where,
        )


async def _start(bot: NewsBot, token: str) -> None:
    async with bot:
        await bot.start(token)


def _fail(message: str) -> int:
    print(f"newsbot: {message}", file=sys.stderr)
    return 2
