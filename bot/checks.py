"""Checks of commands: who may run the admin ones (the runtime layer; ``default_permissions``
is the other), and whether a URL given to one can be fetched."""

from __future__ import annotations

import re
from collections.abc import Collection

import discord
from discord import app_commands

__all__ = ["NotAdmin", "check_admin", "is_admin", "url_problem"]


class NotAdmin(app_commands.CheckFailure):
    """The user may not run admin commands."""


def is_admin(interaction: discord.Interaction, admin_ids: Collection[int]) -> bool:
    """Manage Server in this channel, or a user id in NEWSBOT_ADMIN_IDS."""
    return interaction.permissions.manage_guild or interaction.user.id in admin_ids


def check_admin(interaction: discord.Interaction, admin_ids: Collection[int]) -> bool:
    """``True`` for an admin; anyone else is refused with ``NotAdmin``, which says why."""
    if is_admin(interaction, admin_ids):
        return True
    raise NotAdmin("Only server managers (Manage Server) or the bot's admins can use this command.")


def url_problem(url: str) -> str | None:
    """Why ``url`` cannot be fetched, or None."""
    if re.match(r"https?://\S+$", url.strip()):
        return None
    return "The url must start with http:// or https://."
