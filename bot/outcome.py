"""Telling an admin how a job went, whatever became of its interaction.

An admin job answers in its interaction's response, edited through a webhook whose token Discord
keeps for 15 minutes. A re-index of a large index or a large ingest outlives it, and Discord may
answer an edit with more 429s than discord.py retries. So progress is best effort (one edit in
flight at most, none while rate limited, none once the token is dead), and the outcome always
arrives: in the response while it can be edited, else as a new message in the channel the admin
asked in, addressed to them by name (never a ping), else as a direct message. If all of these
fail, a warning is logged.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Sequence

import aiohttp
import discord

from bot import render
from bot.audit import Audit
from bot.replies import MAX_RETRY_AFTER, NO_MENTIONS, command_name, error_text, retry_after

__all__ = ["FINAL_TRIES", "TOKEN_LIFETIME", "Outcome", "conclude"]

log = logging.getLogger("newsbot.admin")

# Discord's interaction tokens last 15 minutes; stop a minute early, counted from when the bot
# received the interaction (its own clock: the host's wall clock may be off).
TOKEN_LIFETIME = 14 * 60.0
FINAL_TRIES = 3  # edits of the response with the outcome while Discord answers 429
INVALID_WEBHOOK_TOKEN = 50027
# An edit can fail with these as well as with Discord's errors (a dropped connection, a timeout).
FAILURES = (discord.HTTPException, aiohttp.ClientError, OSError)


def dead_reason(error: BaseException) -> str | None:
    """Why ``error`` means the response can never be edited again, or None."""
    if not isinstance(error, discord.HTTPException):
        return None
    if error.status == 401 or error.code == INVALID_WEBHOOK_TOKEN:
        return (
            f"the interaction token is invalid or expired (HTTP {error.status}, code {error.code})"
        )
    if error.status == 404:  # the webhook or the message is unknown: the response is gone
        return f"the response is gone (HTTP {error.status}, code {error.code})"
    return None


def _described(error: BaseException) -> str:
    """One line for the log, without a traceback."""
    return f"{type(error).__name__}: {error}".splitlines()[0]


class Outcome:
    """The replies of one admin job to the admin who asked: the acknowledgement, progress and
    the outcome.

    Create it when the command starts (the token's lifetime is counted from then); ``spacing``
    is the least time between two edits of the response.
    """

    def __init__(self, interaction: discord.Interaction, *, spacing: float = 0.0) -> None:
        self.interaction = interaction
        self.job = command_name(interaction)
        self.spacing = spacing
        self._expires = time.monotonic() + TOKEN_LIFETIME
        self._next_edit = time.monotonic()
        self._shown = ""
        self._editing: asyncio.Task[None] | None = None
        self._dead: str | None = None  # why the response can no longer be edited

    async def acknowledge(self, text: str | None = None) -> None:
        """Answer the interaction, privately: with ``text`` (the first of the progress), else
        with a "thinking…" placeholder."""
        if text is None:
            await self.interaction.response.defer(ephemeral=True, thinking=True)
            return
        await self.interaction.response.send_message(
            text, ephemeral=True, allowed_mentions=NO_MENTIONS
        )
        self._shown = text
        self._next_edit = time.monotonic() + self.spacing

    # -- progress ----------------------------------------------------------------------------
    def progress(self, text: str) -> None:
        """Show ``text`` in the response, in the background. It is dropped, never queued, while
        an edit is in flight, within ``spacing`` of the last one or while rate limited; and for
        good once the response can no longer be edited."""
        now = time.monotonic()
        if text == self._shown or now < self._next_edit or not self._editable(now):
            return
        if self._editing is not None and not self._editing.done():
            return
        self._shown = text
        self._editing = asyncio.create_task(self._show(text), name=f"newsbot-progress-{self.job}")

    async def _show(self, text: str) -> None:
        """One progress edit; a failure is noted (a dead token, a rate limit), never raised."""
        pause = self.spacing
        try:
            await self._edit(text)
        except FAILURES as error:
            wait = retry_after(error)
            pause = max(pause, wait or 0.0)
            reason = dead_reason(error)
            if reason is not None:
                self._stop(reason)
            elif wait is None:  # a passing failure: the next update may get through
                log.debug("%s: a progress edit failed: %s", self.job, _described(error))
        finally:
            self._next_edit = time.monotonic() + pause

    def _editable(self, now: float) -> bool:
        """Whether the response may still be edited; notes when the token has run out."""
        if self._dead is None and now >= self._expires:
            self._stop(f"the interaction token is older than {TOKEN_LIFETIME / 60:.0f} minutes")
        return self._dead is None

    def _stop(self, reason: str) -> None:
        """Stop editing the response for good, and say so once."""
        self._dead = reason
        log.info(
            "%s for user %s: stopped editing its response, as %s; the outcome goes by message",
            self.job,
            self.interaction.user.id,
            reason,
        )

    async def _edit(self, text: str, embeds: Sequence[discord.Embed] = ()) -> None:
        """Edit the response (discord.py retries 429s and 5xx a few times on its own)."""
        await self.interaction.edit_original_response(
            content=text, embeds=list(embeds), allowed_mentions=NO_MENTIONS
        )

    # -- the outcome -------------------------------------------------------------------------
    async def deliver(self, text: str, embeds: Sequence[discord.Embed] = ()) -> str:
        """Tell the admin ``text``: in the response while it can be edited, else in the channel
        they asked in, else in a direct message. Where it went ("in the response", "in the
        channel", "by direct message" or "nowhere")."""
        await self._settle()
        if await self._edit_outcome(text, embeds):
            return "in the response"
        user = self.interaction.user
        channel_id = self.interaction.channel_id
        if channel_id is not None:
            channel = self.interaction.client.get_partial_messageable(
                channel_id, guild_id=self.interaction.guild_id
            )
            named = render.outcome_text(self.job, text, user.display_name)
            if await self._send(channel, named, embeds, "the channel"):
                return "in the channel"
        if await self._send(user, render.outcome_text(self.job, text), embeds, "a direct message"):
            return "by direct message"
        log.warning("%s for user %s: its outcome could not be delivered at all", self.job, user.id)
        return "nowhere"

    async def _settle(self) -> None:
        """Drop a progress edit still in flight (the outcome supersedes it) and keep the
        spacing, or the wait Discord asked for, before the last edit."""
        if self._editing is not None and not self._editing.done():
            self._editing.cancel()
            await asyncio.gather(self._editing, return_exceptions=True)
        wait = min(self._next_edit - time.monotonic(), MAX_RETRY_AFTER)
        if wait > 0 and self._editable(time.monotonic() + wait):
            await asyncio.sleep(wait)

    async def _edit_outcome(self, text: str, embeds: Sequence[discord.Embed]) -> bool:
        """Edit the response with the outcome; False when it cannot be: the token is dead, or
        Discord still answers 429 after ``FINAL_TRIES`` tries, or fails otherwise."""
        pause = 0.0
        for _ in range(FINAL_TRIES):
            await asyncio.sleep(pause)
            if not self._editable(time.monotonic()):
                return False
            try:
                await self._edit(text, embeds)
                return True
            except FAILURES as error:
                reason, wait = dead_reason(error), retry_after(error)
                if reason is not None:
                    self._stop(reason)
                    return False
                if wait is None or wait > MAX_RETRY_AFTER:
                    log.info("%s: the outcome's edit failed: %s", self.job, _described(error))
                    return False
                pause = wait
        log.info("%s: the outcome's edit was rate limited %d times", self.job, FINAL_TRIES)
        return False

    async def _send(
        self,
        where: discord.abc.Messageable,
        text: str,
        embeds: Sequence[discord.Embed],
        what: str,
    ) -> bool:
        """Send the outcome to ``where``; False when that is refused (no access, gone, ...)."""
        try:
            await where.send(text, embeds=list(embeds), allowed_mentions=NO_MENTIONS)
            return True
        except FAILURES as error:
            log.info("%s: could not send the outcome to %s: %s", self.job, what, _described(error))
            return False


async def conclude(work: Awaitable[str], outcome: Outcome, audit: Audit) -> None:
    """Await the job ``work`` (the text of how it went), tell the admin how it ended (its error
    too) and audit it."""
    try:
        text = await work
        how = "ok"
    except Exception as error:  # the admin hears of every failure, not only the index's own
        text = error_text(error, f"in {outcome.job}")
        how = f"failed ({_described(error)})"
    where = await outcome.deliver(text)
    audit.end(f"{how}, told {where}: {text}")
