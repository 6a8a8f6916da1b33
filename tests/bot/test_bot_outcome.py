"""An admin job's replies (bot/outcome.py) and audit lines (bot/audit.py), against a fake
interaction: progress edits stop on a dead token, never pile up, wait out rate limits; the
outcome falls back to the channel (pinging no one), then to a direct message."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from types import SimpleNamespace
from typing import Any, TypeVar

import discord
import pytest
from discord import app_commands

from bot import outcome as outcome_module
from bot.audit import Audit
from bot.cogs.admin import AdminCog
from bot.cogs.feeds import FeedsCog
from bot.outcome import FINAL_TRIES, Outcome, conclude
from bot.render import CONTENT_LIMIT, outcome_text
from bot.replies import command_name
from index import NewsIndexError

T = TypeVar("T")
TOKEN = "aW50ZXJhY3Rpb246c2VjcmV0"  # the interaction's token: never in the log


def http_error(
    status: int, code: int = 0, message: str = "", headers: dict[str, str] | None = None
) -> discord.HTTPException:
    """The exception discord.py raises for a failed request (its own retries used up)."""
    response = SimpleNamespace(status=status, reason=message, headers=headers or {})
    kind = {403: discord.Forbidden, 404: discord.NotFound}.get(status, discord.HTTPException)
    return kind(response, {"code": code, "message": message})  # type: ignore[arg-type]


def dead_token() -> discord.HTTPException:
    return http_error(401, 50027, "Invalid Webhook Token")


def rate_limited(retry_after: float) -> discord.HTTPException:
    return http_error(429, 0, "You are being rate limited.", {"Retry-After": str(retry_after)})


class Target:
    """A channel or a user the bot sends to; ``error`` is raised instead when set."""

    def __init__(self, error: Exception | None = None) -> None:
        self.error = error
        self.sent: list[tuple[str, dict[str, Any]]] = []

    async def send(self, content: str, **kwargs: Any) -> None:
        if self.error is not None:
            raise self.error
        self.sent.append((content, kwargs))


class User(Target):
    id = 4242
    name = "ada"
    display_name = "Ada *Lovelace*"


class Interaction:
    """What an admin job uses of a ``discord.Interaction``. Each edit of the response answers
    with the next of ``answers`` (None: it worked; an exception is raised), the last repeating;
    the first edit waits for ``hold`` when set."""

    def __init__(
        self, *answers: Exception | None, command: app_commands.Command[Any, ..., Any] | None = None
    ) -> None:
        self.command = command or AdminCog.reindex  # a real Command: its repr must never show
        self.token = TOKEN
        self.user = User()
        self.channel = Target()
        self.channel_id = 77
        self.guild_id = 1
        self.client = SimpleNamespace(get_partial_messageable=self._channel)
        self.answers = list(answers)
        self.edits: list[str] = []
        self.mentions: list[discord.AllowedMentions] = []
        self.hold: asyncio.Event | None = None

    def _channel(self, channel_id: int, *, guild_id: int | None = None) -> Target:
        assert (channel_id, guild_id) == (self.channel_id, self.guild_id)
        return self.channel

    async def edit_original_response(
        self,
        *,
        content: str,
        embeds: list[discord.Embed],
        allowed_mentions: discord.AllowedMentions,
    ) -> None:
        self.edits.append(content)
        self.mentions.append(allowed_mentions)
        if self.hold is not None and len(self.edits) == 1:
            await self.hold.wait()
        answer = self.answers.pop(0) if len(self.answers) > 1 else next(iter(self.answers), None)
        if answer is not None:
            raise answer


def run(main: Callable[[], Awaitable[T]]) -> T:
    return asyncio.run(main())  # type: ignore[arg-type]


def no_pings(kwargs: dict[str, Any]) -> bool:
    mentions = kwargs.get("allowed_mentions")
    return isinstance(mentions, discord.AllowedMentions) and mentions.to_dict() == {"parse": []}


def outcome_for(inter: Interaction, **options: Any) -> Outcome:
    return Outcome(inter, **options)  # type: ignore[arg-type]


async def landed() -> None:
    """Let the progress edits started so far run to their end."""
    for _ in range(5):
        await asyncio.sleep(0.01)


@pytest.fixture(autouse=True)
def logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG, logger="newsbot")
    return caplog


def assert_clean_log(caplog: pytest.LogCaptureFixture) -> None:
    """No traceback, no Command repr, no token."""
    assert all(r.exc_info is None for r in caplog.records), [r.getMessage() for r in caplog.records]
    assert "Command object" not in caplog.text and TOKEN not in caplog.text


def test_a_dead_token_stops_progress_after_the_first_failed_edit(
    caplog: pytest.LogCaptureFixture,
) -> None:
    inter = Interaction(dead_token())

    async def main() -> str:
        outcome = outcome_for(inter)
        for step in ("10%", "20%", "30%"):
            outcome.progress(f"Re-indexing… {step}")
            await landed()
        return await outcome.deliver("Re-index finished.")

    assert run(main) == "in the channel"
    assert inter.edits == ["Re-indexing… 10%"]  # none after the 401, not even the outcome
    stopped = [r for r in caplog.records if "stopped editing its response" in r.getMessage()]
    assert len(stopped) == 1 and stopped[0].levelno == logging.INFO
    assert "/reindex" in stopped[0].getMessage() and "50027" in stopped[0].getMessage()
    assert_clean_log(caplog)


def test_at_most_one_progress_edit_is_in_flight_and_the_rest_are_dropped() -> None:
    inter = Interaction(None)
    inter.hold = asyncio.Event()

    async def main() -> None:
        outcome = outcome_for(inter)
        outcome.progress("a")
        await landed()
        outcome.progress("b")  # "a" is still in flight: dropped, not queued
        outcome.progress("c")
        await landed()
        assert inter.edits == ["a"]
        assert inter.hold is not None
        inter.hold.set()
        await landed()
        assert inter.edits == ["a"]  # "b" and "c" were never kept
        outcome.progress("d")
        await landed()

    run(main)
    assert inter.edits == ["a", "d"]
    assert all(m.to_dict() == {"parse": []} for m in inter.mentions)


def test_progress_is_skipped_while_rate_limited_and_resumes_after() -> None:
    inter = Interaction(rate_limited(0.5), None)

    async def main() -> None:
        outcome = outcome_for(inter)
        outcome.progress("a")  # answered 429 past discord.py's retries: wait 0.5 s
        await landed()
        outcome.progress("b")
        await landed()
        assert inter.edits == ["a"]
        await asyncio.sleep(0.55)
        outcome.progress("c")
        await landed()

    run(main)
    assert inter.edits == ["a", "c"]


def test_progress_keeps_the_spacing_between_edits() -> None:
    inter = Interaction(None)

    async def main() -> None:
        outcome = outcome_for(inter, spacing=0.5)
        outcome.progress("a")
        await landed()
        outcome.progress("b")  # too soon after "a"
        await asyncio.sleep(0.55)
        outcome.progress("c")
        await landed()

    run(main)
    assert inter.edits == ["a", "c"]


def test_the_outcome_edits_the_response_while_it_can() -> None:
    inter = Interaction(None)

    async def main() -> str:
        return await outcome_for(inter).deliver("Removed “A story”.")

    assert run(main) == "in the response"
    assert inter.edits == ["Removed “A story”."] and inter.channel.sent == []


def test_a_progress_edit_in_flight_gives_way_to_the_outcome() -> None:
    inter = Interaction(None)
    inter.hold = asyncio.Event()  # the progress edit never returns

    async def main() -> str:
        outcome = outcome_for(inter)
        outcome.progress("50%")
        await landed()
        return await asyncio.wait_for(outcome.deliver("done"), 5)

    assert run(main) == "in the response"
    assert inter.edits == ["50%", "done"]


def test_an_outcome_rate_limited_past_the_retries_goes_to_the_channel_pinging_no_one(
    caplog: pytest.LogCaptureFixture,
) -> None:
    inter = Interaction(rate_limited(0.01))

    async def main() -> str:
        return await outcome_for(inter).deliver("Re-index finished.")

    assert run(main) == "in the channel"
    assert inter.edits == ["Re-index finished."] * FINAL_TRIES
    [(content, kwargs)] = inter.channel.sent
    assert content == r"For Ada \*Lovelace\* — /reindex: Re-index finished."
    assert no_pings(kwargs)
    assert inter.user.sent == []
    assert_clean_log(caplog)


def test_an_outcome_the_channel_refuses_goes_by_direct_message() -> None:
    inter = Interaction(dead_token())
    inter.channel.error = http_error(403, 50001, "Missing Access")

    async def main() -> str:
        return await outcome_for(inter).deliver("Ingested: 1 added.")

    assert run(main) == "by direct message"
    [(content, kwargs)] = inter.user.sent
    assert content == "/reindex: Ingested: 1 added." and no_pings(kwargs)


def test_an_outcome_that_reaches_no_one_is_a_warning_naming_the_job_and_the_admin(
    caplog: pytest.LogCaptureFixture,
) -> None:
    inter = Interaction(http_error(404, 10015, "Unknown Webhook"))
    inter.channel.error = http_error(404, 10003, "Unknown Channel")
    inter.user.error = http_error(403, 50007, "Cannot send messages to this user")

    async def main() -> str:
        return await outcome_for(inter).deliver("done")

    assert run(main) == "nowhere"
    [warning] = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert "/reindex" in warning.getMessage() and "4242" in warning.getMessage()
    assert_clean_log(caplog)


def test_a_token_past_its_lifetime_is_not_used(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(outcome_module, "TOKEN_LIFETIME", 0.0)
    inter = Interaction(None)

    async def main() -> str:
        outcome = outcome_for(inter)
        outcome.progress("10%")
        await landed()
        return await outcome.deliver("done")

    assert run(main) == "in the channel"
    assert inter.edits == []


def test_a_failed_job_is_told_to_the_admin_and_audited(caplog: pytest.LogCaptureFixture) -> None:
    inter = Interaction(None, command=FeedsCog.add)

    async def fails() -> str:
        raise NewsIndexError("that is not a feed")

    async def main() -> None:
        audit = Audit.start(inter, url="https://news.example/rss", source=None)  # type: ignore[arg-type]
        await conclude(fails(), outcome_for(inter), audit)

    run(main)
    assert inter.edits == ["Sorry: that is not a feed"]
    lines = [r.getMessage() for r in caplog.records if r.name == "newsbot.audit"]
    assert lines[0] == "/feeds add url='https://news.example/rss' by ada (4242) started"
    assert lines[1].startswith(
        "/feeds add url='https://news.example/rss' by ada (4242) ended after "
    )
    assert (
        " UTC): failed (NewsIndexError: that is not a feed), told in the response: Sorry:"
        in (lines[1])
    )
    assert all(r.levelno == logging.INFO for r in caplog.records if r.name == "newsbot.audit")


def test_commands_are_named_as_users_type_them() -> None:
    assert command_name(Interaction(command=AdminCog.reindex)) == "/reindex"  # type: ignore[arg-type]
    assert command_name(Interaction(command=FeedsCog.add)) == "/feeds add"  # type: ignore[arg-type]


def test_an_outcome_message_escapes_the_name_and_stays_within_the_limit() -> None:
    text = outcome_text("/ingest", "x " * 1500, "@everyone <@1>")
    assert len(text) <= CONTENT_LIMIT and text.startswith("For @\u200beveryone")
    assert "<@1>" not in text
    assert outcome_text("/remove", "Removed.") == "/remove: Removed."
