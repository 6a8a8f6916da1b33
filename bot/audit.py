"""The audit log of admin actions, at INFO on the logger ``newsbot.audit``: who ran what, when it
started, how it ended and how long it took. An action an admin starts gets a line when it starts
(a re-index may run for a long while) and one when it ends::

    /reindex by ada (4242) started
    /reindex by ada (4242) ended after 12.3 s (started 2025-05-01 09:30:02 UTC): ok, told in the
    response: Re-index finished in 12 s: 500 articles, 9,312 passages (generation 7). ...

Arguments are shown as given (URLs included); nothing secret is ever passed here.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timezone

import discord

from bot import render
from bot.replies import command_name

__all__ = ["Audit"]

log = logging.getLogger("newsbot.audit")

SUMMARY = 300  # characters of how an action ended, at most
ARGUMENT = 200  # characters of one argument, at most


class Audit:
    """One admin action in the audit log. ``end`` logs how it ended."""

    def __init__(self, what: str, who: str) -> None:
        self.what = what
        self.who = who
        self.started = datetime.now(timezone.utc)
        self._clock = time.monotonic()

    @classmethod
    def start(cls, interaction: discord.Interaction, **arguments: object) -> Audit:
        """The audit of the command ``interaction`` runs, with its ``arguments`` (those that
        are None are left out); logs that it started."""
        given = " ".join(
            f"{name}={render.clip(str(value), ARGUMENT)!r}"
            for name, value in arguments.items()
            if value is not None
        )
        user = interaction.user
        audit = cls(f"{command_name(interaction)} {given}".rstrip(), f"{user.name} ({user.id})")
        log.info("%s by %s started", audit.what, audit.who)
        return audit

    def end(self, how: str) -> None:
        """Log how the action ended (on one line, clipped), when it started and how long it took."""
        summary = render.clip(" ".join(how.split()), SUMMARY)
        log.info(
            "%s by %s ended after %.1f s (started %s): %s",
            self.what,
            self.who,
            time.monotonic() - self._clock,
            f"{self.started:%Y-%m-%d %H:%M:%S} UTC",
            summary,
        )
