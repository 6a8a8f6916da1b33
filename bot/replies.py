"""Sending replies from the client and the cogs: never pinging, errors shown with a reference."""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Awaitable, Callable
from typing import TypeVar

import discord

from bot import render
from index import NewsIndexError

__all__ = [
    "MAX_RETRY_AFTER",
    "NO_MENTIONS",
    "command_name",
    "error_text",
    "persisting",
    "retry_after",
    "send_ephemeral",
    "send_reply",
]

log = logging.getLogger("newsbot")
T = TypeVar("T")

NO_MENTIONS = discord.AllowedMentions.none()
SEND_TRIES = 3  # sends of one answer while Discord answers 429 past discord.py's own retries
MAX_RETRY_AFTER = 30.0  # a longer wait for one message is not worth it


def retry_after(error: BaseException) -> float | None:
    """How long Discord asked to wait, when ``error`` is a 429 that discord.py gave up on."""
    if not isinstance(error, discord.HTTPException) or error.status != 429:
        return None
    try:
        return max(float(error.response.headers.get("Retry-After", 1.0)), 0.0)
    except (AttributeError, TypeError, ValueError):  # no usable header: a second, as Discord's
        return 1.0


async def persisting(send: Callable[[], Awaitable[T]]) -> T:
    """``send()``, tried again after the wait Discord asks for while it answers 429 beyond
    discord.py's own retries: an answer is not lost to a burst of rate limits."""
    for attempt in range(1, SEND_TRIES + 1):
        try:
            return await send()
        except discord.HTTPException as error:
            wait = retry_after(error)
            if wait is None or wait > MAX_RETRY_AFTER or attempt == SEND_TRIES:
                raise
            log.info("rate limited past discord.py's retries: trying again in %.1f s", wait)
            await asyncio.sleep(wait)
    raise AssertionError("unreachable")


def command_name(interaction: discord.Interaction) -> str:
    """The command as a user types it ("/reindex", "/feeds add"), for messages and the log."""
    command = interaction.command
    return f"/{command.qualified_name}" if command is not None else "/?"


def error_text(error: BaseException, doing: str) -> str:
    """What the user is told of ``error``: an index error's own message; of anything else, only
    a reference that is logged with the traceback, where ``doing`` says what failed."""
    if isinstance(error, NewsIndexError):
        return f"Sorry: {render.escape(str(error))}"
    ref = secrets.token_hex(4).upper()
    log.error("unexpected error %s (ref %s)", doing, ref, exc_info=error)
    return render.error_text(ref)


async def send_ephemeral(interaction: discord.Interaction, text: str) -> None:
    """Tell only the user, whether or not the interaction was already answered or deferred."""
    if not interaction.response.is_done():
        await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NO_MENTIONS)
        return
    if interaction.response.type is discord.InteractionResponseType.deferred_channel_message:
        # A public "thinking…" placeholder: remove it so the ephemeral follow-up stands alone.
        try:
            await interaction.delete_original_response()
        except discord.HTTPException:
            log.debug("could not delete the deferred response", exc_info=True)
    await persisting(
        lambda: interaction.followup.send(text, ephemeral=True, allowed_mentions=NO_MENTIONS)
    )


async def send_reply(interaction: discord.Interaction, reply: render.Reply) -> None:
    """Send ``reply`` as the follow-up of a deferred interaction."""
    await persisting(
        lambda: interaction.followup.send(
            reply.content, embeds=reply.embeds, allowed_mentions=NO_MENTIONS
        )
    )
