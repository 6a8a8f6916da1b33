"""The command tree, built offline: every command and option is described, admin ones guarded."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from discord import app_commands

from bot.choices import speaker_choices
from bot.client import NewsBot, run_bot
from bot.cogs.admin import _ingest_problem, _upload_name
from bot.config import Settings
from bot.questions import QuestionLimiter
from index import NewsIndexError

ADMIN = {"reindex", "ingest", "remove", "feeds"}
PUBLIC = {"ask", "quotes", "sources", "latest", "article", "stats", "help"}
MENUS = {"Find the source"}  # message commands (Apps in a message's menu)


def _commands() -> list[dict[str, Any]]:
    async def build() -> list[dict[str, Any]]:
        bot = NewsBot(index=None, settings=Settings())  # type: ignore[arg-type]
        await bot.add_cogs()
        return [c.to_dict(bot.tree) for c in bot.tree.get_commands()]

    return asyncio.run(build())


def _options(command: dict[str, Any]) -> list[dict[str, Any]]:
    """Every option, including those of subcommands (type 1), and the subcommands themselves."""
    out = []
    for option in command.get("options") or []:
        out.append(option)
        if option["type"] == 1:
            out += _options(option)
    return out


def test_every_command_and_option_has_a_description() -> None:
    commands = [c for c in _commands() if c["type"] == 1]
    assert {c["name"] for c in commands} == PUBLIC | ADMIN
    for command in commands:
        # discord.py silently uses "…" for a missing description.
        assert command["description"] not in ("", "…") and len(command["description"]) <= 100
        for option in _options(command):
            assert option["description"] not in ("", "…") and len(option["description"]) <= 100
    feeds = next(c for c in commands if c["name"] == "feeds")
    assert [o["name"] for o in feeds["options"]] == ["add", "list", "remove"]
    channel = next(o for o in _options(feeds) if o["name"] == "channel")
    assert channel["type"] == 7 and channel["channel_types"] == [0, 5] and not channel["required"]


def test_find_the_source_is_a_message_command_for_everyone() -> None:
    menus = [c for c in _commands() if c["type"] != 1]
    assert {c["name"] for c in menus} == MENUS and all(c["type"] == 3 for c in menus)
    # a message command has a name only; Discord shows no description for it
    assert "description" not in menus[0] and menus[0]["default_member_permissions"] is None


def test_admin_commands_need_manage_server_by_default_and_options_are_bounded() -> None:
    for command in _commands():
        expected = 32 if command["name"] in ADMIN else None  # MANAGE_GUILD
        assert command["default_member_permissions"] == expected, command["name"]
        for option in _options(command):
            if option["type"] == 3:  # strings have a maximum length
                assert 0 < option["max_length"] <= 2000, option
            if option["type"] == 4:
                assert (option["min_value"], option["max_value"]) == (1, 5)


def test_missing_token_is_one_line_and_exit_code_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_bot(Settings(discord_token=None)) == 2
    err = capsys.readouterr().err
    assert (
        err
        == "newsbot: DISCORD_TOKEN is not set: put it in .env (see .env.example) or the environment\n"
    )


def test_question_limiter_is_per_user() -> None:
    limiter = QuestionLimiter(2, 60)
    assert limiter.retry_after(1) is None and limiter.retry_after(1) is None
    wait = limiter.retry_after(1)
    assert wait is not None and 0 < wait <= 60
    assert limiter.retry_after(2) is None
    assert isinstance(limiter.cooldown, app_commands.Cooldown)


def test_uploads_keep_their_suffix_and_lose_path_tricks() -> None:
    assert _upload_name("../../etc/2015-11-16 story!.TXT") == "2015-11-16_story.txt"
    assert _upload_name("....md") == "upload.md"
    assert Path(_upload_name("a/b\\c.jsonl")).suffix == ".jsonl"


def test_ingest_needs_exactly_one_readable_input() -> None:
    assert _ingest_problem(None, None) and _ingest_problem("https://x.example", object())  # type: ignore[arg-type]
    assert _ingest_problem("file:///etc/passwd", None)
    assert _ingest_problem("https://news.example/a", None) is None


class _Speakers:
    """An index that knows a few speakers, or (``stale``) one made before statements."""

    def __init__(self, stale: bool = False) -> None:
        self.stale = stale

    def speakers(self, typed: str = "", limit: int = 25) -> list[tuple[str, int]]:
        if self.stale:
            raise NewsIndexError("this index was built before statements were stored")
        return [("Helena Marsh", 7), ("Declan Ferris", 1), ("N" * 90, 12), ("L" * 101, 3)]


def test_person_choices_show_counts_within_discords_limits() -> None:
    choices = asyncio.run(speaker_choices(_Speakers(), "x"))  # type: ignore[arg-type]
    assert [(c.name, c.value) for c in choices[:2]] == [
        ("Helena Marsh: 7 quotes", "Helena Marsh"),
        ("Declan Ferris: 1 quote", "Declan Ferris"),
    ]
    # a long name is clipped so that its count shows; one too long to send is left out
    assert choices[2].name.endswith("…: 12 quotes") and len(choices[2].name) == 100
    assert len(choices) == 3
    assert asyncio.run(speaker_choices(_Speakers(stale=True), "x")) == []  # type: ignore[arg-type]
