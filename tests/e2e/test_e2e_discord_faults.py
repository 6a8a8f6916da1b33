"""Discord misbehaving: gateway drops (the bot resumes its session, or identifies anew when the
session is gone) and rate limits past discord.py's retries; every question answered once."""

from __future__ import annotations

from collections.abc import Callable

from fake_discord import FakeDiscord
from harness import PORTS_QUESTION

from bot.client import NewsBot


def test_questions_are_answered_after_a_resume_and_after_a_lost_session(
    discord_run: Callable[..., FakeDiscord],
) -> None:
    async def scenario(fake: FakeDiscord, bot: NewsBot) -> None:
        first = await fake.command("ask", user_id=1, question=PORTS_QUESTION)
        await fake.wait_until(lambda: first.answered)
        await fake.drop_gateway(resumable=True)
        resumed = await fake.command("ask", user_id=2, question=PORTS_QUESTION)
        await fake.wait_until(lambda: resumed.answered)
        assert (fake.resumes, fake.identifies) == (1, 1)
        await fake.drop_gateway(resumable=False)
        anew = await fake.command("ask", user_id=3, question=PORTS_QUESTION)
        await fake.wait_until(lambda: anew.answered)
        assert fake.identifies == 2
        for inter in (first, resumed, anew):
            assert len(inter.messages) == 1 and "ferry port" in inter.text

    discord_run(scenario, timeout=90)


def test_an_answer_and_a_mention_reply_outlast_429s_past_discord_py_s_retries(
    discord_run: Callable[..., FakeDiscord],
) -> None:
    async def scenario(fake: FakeDiscord, bot: NewsBot) -> None:
        # discord.py tries a request 5 times: the 6th and 7th 429s are the bot's to outlast
        limit = fake.rate_limit("POST", r"^/api/v10/webhooks/", retry_after=0.05, times=7)
        asked = await fake.command("ask", user_id=1, question=PORTS_QUESTION)
        await fake.wait_until(lambda: asked.answered, 30)
        assert limit.served == 7 and len(asked.messages) == 1 and "ferry port" in asked.text
        fake.rate_limit("POST", r"^/api/v10/channels/\d+/messages$", retry_after=0.05, times=6)
        mention = await fake.message(f"<@{fake.app_id}> {PORTS_QUESTION}", user_id=2)
        await fake.wait_until(lambda: len(fake.replies_to(mention)) == 1, 30)

    discord_run(scenario, timeout=90)
