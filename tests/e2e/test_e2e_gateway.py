"""Gateway drops: the bot resumes its session, or identifies anew when the session is gone, and
answers what is asked after either, once."""

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
