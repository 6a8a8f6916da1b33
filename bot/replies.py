"""Sending replies from the client and the cogs: never pinging, errors shown with a reference."""

from __future__ import annotations

import logging
import secrets

import discord

from bot import render
from index import NewsIndexError

__all__ = ["NO_MENTIONS", "command_name", "error_text", "send_ephemeral", "send_reply"]

log = logging.getLogger("newsbot")

NO_MENTIONS = discord.AllowedMentions.none()


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
    await interaction.followup.send(text, ephemeral=True, allowed_mentions=NO_MENTIONS)


async def send_reply(interaction: discord.Interaction, reply: render.Reply) -> None:
    """Send ``reply`` as the follow-up of a deferred interaction."""
    await interaction.followup.send(
        reply.content, embeds=reply.embeds, allowed_mentions=NO_MENTIONS
    )
