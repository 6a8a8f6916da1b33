"""Abuse against the real bot on the fake Discord, over a real index with the fast fake embedder:
a flood of questions meets the search cap, an oversized upload is refused before it is read."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any

from fake_discord import FakeDiscord, permissions
from harness import running_bot

from bot.client import NewsBot
from bot.cogs.admin import MAX_UPLOAD_BYTES
from bot.questions import BUSY
from index import NewsIndex
from tests.reliability.corpus import open_fake, write_batch
from tests.reliability.tally import Tally


class _Held:
    """The real index, whose searches wait until released (to hold every search slot)."""

    def __init__(self, index: NewsIndex) -> None:
        self._index = index
        self.release = threading.Event()
        self.running = self.peak = self.calls = 0
        self._lock = threading.Lock()

    def __getattr__(self, name: str) -> object:
        return getattr(self._index, name)

    def ask(self, *args: Any, **kwargs: Any) -> object:
        with self._lock:
            self.calls += 1
            self.running += 1
            self.peak = max(self.peak, self.running)
        try:
            self.release.wait(30)
            return self._index.ask(*args, **kwargs)
        finally:
            with self._lock:
                self.running -= 1


def _run(index: object, scenario: Any, **settings: object) -> FakeDiscord:
    async def main() -> FakeDiscord:
        async with running_bot(index, **settings) as (fake, bot):  # type: ignore[arg-type]
            await asyncio.wait_for(scenario(fake, bot), 60)
            await asyncio.sleep(0.05)
        return fake

    fake = asyncio.run(main())
    assert fake.violations == [], fake.violations
    return fake


def test_a_flood_of_questions_meets_the_search_cap(tmp_path: Path, tally: Tally) -> None:
    index = open_fake(tmp_path / "data")
    index.ingest([write_batch(tmp_path / "in", 0, 5)])
    held = _Held(index)
    asked = 25  # NEWSBOT_MAX_SEARCHES=2, NEWSBOT_MAX_WAITING=20: 20 wait, 3 told "busy"

    async def scenario(fake: FakeDiscord, bot: NewsBot) -> None:
        question = "when will the plan go ahead?"
        inters = [await fake.command("ask", user_id=300 + i, question=question) for i in range(22)]
        while held.calls < 2:  # a worker thread's progress: nothing for the fake to notice
            await asyncio.sleep(0.02)
        inters += [await fake.command("ask", user_id=400 + i, question=question) for i in range(2)]
        mention = await fake.message(f"<@{fake.app_id}> {question}", user_id=500)
        await fake.wait_until(
            lambda: all(i.answered for i in inters[22:]) and bool(fake.replies_to(mention)), 10
        )
        busy = [i for i in inters if BUSY in i.text]
        assert busy == inters[22:] and all(m["flags"] & 64 for i in busy for m in i.messages)
        assert BUSY in fake.replies_to(mention)[0]["content"]
        assert held.calls == 2, "the turned-away questions never reached the index"
        held.release.set()
        await fake.wait_until(lambda: all(i.answered for i in inters[:22]), 30)
        assert all("**Q:**" in i.text for i in inters[:22])

    _run(held, scenario, max_searches=2, max_waiting=20)
    assert held.peak == 2 and held.calls == 22
    tally("abuse", f"a flood of {asked} questions, NEWSBOT_MAX_SEARCHES=2 and _WAITING=20", asked,
          "at most 2 searched at once, 20 waited and were answered, 3 told at once to retry")  # fmt: skip


def test_uploads_over_the_limit_are_refused_without_ingesting(tmp_path: Path, tally: Tally) -> None:
    index = open_fake(tmp_path / "data")
    index.ingest([write_batch(tmp_path / "in", 0, 2)])
    generation = index.stats().generation
    body = b"Headline\n" + b"word " * (MAX_UPLOAD_BYTES // 5)

    async def scenario(fake: FakeDiscord, bot: NewsBot) -> None:
        big = fake.add_attachment("big.txt", body)
        lying = {**fake.add_attachment("lying.txt", body), "size": 100}  # says it is small
        manager = permissions(manage_guild=True)
        first = await fake.command("ingest", user_id=9, perms=manager, file=big)
        await fake.wait_until(lambda: first.answered, 10)
        second = await fake.command("ingest", user_id=9, perms=manager, file=lying)
        await fake.wait_until(lambda: second.answered, 20)
        assert f"the limit is {MAX_UPLOAD_BYTES:,}" in first.text and first.ack_type == 4
        assert "lying.txt: larger than the upload limit" in second.text

    _run(index, scenario)
    assert index.stats().generation == generation, "nothing was ingested"
    tally("oversized", f"/ingest attachments over {MAX_UPLOAD_BYTES:,} bytes (declared, or "
          "declared small)", 2, "refused with the limit; nothing ingested")  # fmt: skip
