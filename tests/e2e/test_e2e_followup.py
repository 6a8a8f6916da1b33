"""Follow-up questions, end to end: by reply to an answer, in the thread the bot opens under it,
and never with another member's context (the real bot and index on the fake Discord)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from typing import Any

import pytest
from fake_discord import FakeDiscord, FakeInteraction
from harness import PORTS_QUESTION

from bot.client import NewsBot

pytestmark = pytest.mark.model

Run = Callable[..., FakeDiscord]
WEEKEND = "and what did she say about travelling at the weekend?"
# Commander Jane Holt is quoted first in the answer to PORTS_QUESTION (tests/e2e/harness.py)
WEEKEND_UNDERSTOOD = re.compile(
    r"Understood as: what did (Commander )?Jane Holt say about travelling at the weekend\?"
)
WEEKEND_SENTENCE = "people travelling over the weekend should allow extra time"


async def answered(fake: FakeDiscord, *inters: FakeInteraction) -> None:
    await fake.wait_until(lambda: all(i.answered for i in inters), 60)


async def reply_to(fake: FakeDiscord, message: dict[str, Any]) -> dict[str, Any]:
    """The bot's one reply to ``message``, once it comes."""
    await fake.wait_until(lambda: bool(fake.replies_to(message)), 60)
    (reply,) = fake.replies_to(message)
    return reply


def test_a_two_turn_exchange_by_reply(discord_run: Run) -> None:
    async def scenario(fake: FakeDiscord, bot: NewsBot) -> None:
        asked = await fake.message(f"<@{fake.app_id}> {PORTS_QUESTION}", user_id=7)
        answer = await reply_to(fake, asked)
        assert answer["content"] == f"**Q:** {PORTS_QUESTION}"

        # A reply to the answer needs no mention (Discord adds the bot to its mentions).
        follow = await fake.message(WEEKEND, user_id=7, reply_to=answer)
        second = await reply_to(fake, follow)
        written, understood = second["content"].split("\n")
        assert written == f"**Q:** {WEEKEND}" and WEEKEND_UNDERSTOOD.fullmatch(understood)
        assert WEEKEND_SENTENCE in second["embeds"][0]["description"]

        # "what about ..." keeps the frame of the question before, as understood.
        third = await reply_to(
            fake, await fake.message("what about cargo terminals?", user_id=7, reply_to=second)
        )
        assert re.search(
            r"\nUnderstood as: what did (Commander )?Jane Holt say about cargo terminals\?$",
            third["content"],
        )
        assert "cargo terminal" in third["embeds"][0]["description"]

        # A reply that does not read as a question is left alone; so is a reply to a member.
        thanks = await fake.message("thanks!", user_id=7, reply_to=third)
        chat = await fake.message("what about lunch?", user_id=7, reply_to=asked)
        await asyncio.sleep(0.5)
        assert fake.replies_to(thanks) == [] and fake.replies_to(chat) == []

        # The answer to /ask is a message of the bot's too: replying to it follows it up.
        ask = await fake.command("ask", user_id=8, question=PORTS_QUESTION)
        await answered(fake, ask)
        assert ask.original is not None
        again = await reply_to(
            fake, await fake.message("what about travel?", user_id=8, reply_to=ask.original)
        )
        assert again["content"] == (
            "**Q:** what about travel?\n"
            "Understood as: what did the police commander say about travel?"
        )
        assert again["embeds"][0]["title"].startswith("Police step up checks at ferry ports")
        assert len(fake.threads) == 1, "no thread under a reply or an /ask answer"

    discord_run(scenario)


def test_a_two_turn_exchange_in_the_thread_the_bot_opens(discord_run: Run) -> None:
    async def scenario(fake: FakeDiscord, bot: NewsBot) -> None:
        asked = await fake.message(f"<@{fake.app_id}> {PORTS_QUESTION}", user_id=7)
        answer = await reply_to(fake, asked)
        await fake.wait_until(lambda: bool(fake.messages_in(answer["id"])), 30)
        thread = fake.thread_under(answer)
        assert thread is not None and thread["name"] == PORTS_QUESTION
        assert thread["thread_metadata"]["auto_archive_duration"] == 60
        (intro,) = fake.messages_in(thread["id"])
        assert "no need to mention me" in intro["content"]

        # In the thread, the asker's follow-up needs no mention and is answered there.
        where = int(thread["id"])
        follow = await fake.message(WEEKEND, user_id=7, channel_id=where, mention_bot=False)
        second = await reply_to(fake, follow)
        assert second["channel_id"] == thread["id"]
        assert WEEKEND_UNDERSTOOD.search(second["content"])
        assert WEEKEND_SENTENCE in second["embeds"][0]["description"]

        # Another member asking in the same thread starts afresh.
        other = await fake.message(
            "what about the weekend?", user_id=9, channel_id=where, mention_bot=False
        )
        theirs = await reply_to(fake, other)
        assert "what about the weekend?" in theirs["content"]
        assert "Understood as" not in theirs["content"]

        # Chatter in the thread is not a question; follow-ups open no second thread.
        chatter = await fake.message("great, thanks", user_id=7, channel_id=where)
        await asyncio.sleep(0.5)
        assert fake.replies_to(chatter) == [] and len(fake.threads) == 1

    discord_run(scenario)


def test_another_members_follow_up_does_not_inherit_the_first_members_context(
    discord_run: Run,
) -> None:
    async def scenario(fake: FakeDiscord, bot: NewsBot) -> None:
        first = await fake.command("ask", user_id=7, question=PORTS_QUESTION)
        await answered(fake, first)
        other = await fake.command("ask", user_id=8, question="what about the weekend?")
        own = await fake.command("ask", user_id=7, question="what about the weekend?")
        await answered(fake, other, own)
        assert "Understood as" not in other.text and "what about the weekend?" in other.text
        assert "Understood as: what did the police commander say about the weekend?" in own.text

        # Replying to the first member's answer does not borrow their context either.
        assert first.original is not None
        borrowed = await reply_to(
            fake, await fake.message(WEEKEND, user_id=9, reply_to=first.original)
        )
        assert borrowed["content"].startswith(f"**Q:** {WEEKEND}")
        assert "Understood as" not in borrowed["content"]

        # Once the window has passed, the asker's own follow-up is asked as written.
        ask_cog = bot.get_cog("Ask")
        ask_cog.recent.ttl = 0.5  # type: ignore[union-attr]
        await answered(fake, await fake.command("ask", user_id=10, question=PORTS_QUESTION))
        await asyncio.sleep(0.6)
        late = await fake.command("ask", user_id=10, question="what about the weekend?")
        await answered(fake, late)
        assert "Understood as" not in late.text
        # and a second after the window, nothing is held, though no one has asked again
        await asyncio.sleep(1.6)
        assert not ask_cog.recent._kept  # type: ignore[union-attr]

    discord_run(scenario)
