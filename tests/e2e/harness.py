"""End-to-end harness: test articles, settings, and the real bot logged in to a fake Discord."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

from fake_discord import FakeDiscord

from bot.client import NewsBot
from bot.config import Settings
from index import NewsIndex

ADMIN_ID = 4242  # listed in NEWSBOT_ADMIN_IDS
SEED = Path(__file__).resolve().parents[3] / "shared" / "seeds" / "000_2a5fdc87a967350b.txt"
PORTS_QUESTION = "what did the police commander say about ferry ports?"

# Small original articles written for these tests (one JSON object per line).
ARTICLES = [
    {
        "id": "ports-1",
        "title": "Police step up checks at ferry ports after attacks abroad",
        "source": "Harbour Gazette",
        "url": "https://news.example/ports",
        "published": "2015-11-16",
        "author": "Sam Reed",
        "text": (
            "Police in the capital have increased security at transport hubs following the "
            "attacks abroad on Friday night.\n"
            'Commander Jane Holt said: "We are putting extra armed patrols at every ferry port '
            'and cargo terminal this week, and we are checking more vehicles."\n'
            "She added that people travelling over the weekend should allow extra time.\n"
            "The national threat level has not changed, the Home Office said."
        ),
    },
    {
        "id": "bakery-1",
        "title": "Village bakery wins national sourdough award",
        "source": "Valley Times",
        "url": "https://news.example/bakery",
        "published": "2023-05-02",
        "text": (
            "A family bakery in the valley has won the national sourdough prize.\n"
            "The judges praised the crust and the open crumb of its rye loaf.\n"
            '"We bake everything overnight in a wood-fired oven," said owner Priya Nair.\n'
            "The bakery plans to open a second shop next spring."
        ),
    },
    {
        "id": "hostile-1",
        "title": "@everyone **FREE** <@123> lighthouse giveaway " + "x" * 400,
        "source": "Hostile <@&456> Wire",
        "url": "javascript:alert(1)",
        "published": "2024-01-01",
        "text": "\n".join(
            [
                "The lighthouse keeper @everyone said <@123> and <@&456> would **win** "
                "[prizes](https://evil.example) ||now|| @here # heading > quote `code`."
            ]
            + [
                f"Paragraph {i}: the lighthouse keeper polished the great lamp and logged the "
                f"passing ships, @everyone <@{i}> ~~struck~~ __under__ " + "word " * 60
                for i in range(60)
            ]
            + ["One sentence that never ends " + "and goes on " * 900 + "."]
        ),
    },
]


def settings_for(fake: FakeDiscord, **changes: object) -> Settings:
    """Test settings: commands synced to the fake's server, ADMIN_ID an admin."""
    values: dict[str, object] = {
        "discord_token": fake.token,
        "guild_id": fake.guild_id,
        "admin_ids": frozenset({ADMIN_ID}),
    }
    values.update(changes)
    return Settings(**values)  # type: ignore[arg-type]


Scenario = Callable[[FakeDiscord, NewsBot], Awaitable[None]]


@contextlib.asynccontextmanager
async def running_bot(
    index: NewsIndex, **settings: object
) -> AsyncIterator[tuple[FakeDiscord, NewsBot]]:
    """Start a fake Discord and the bot logged in to it; stop both afterwards."""
    fake = FakeDiscord()
    await fake.start()
    try:
        with fake.patched():
            bot = NewsBot(index=index, settings=settings_for(fake, **settings))
            task = asyncio.create_task(bot.start(fake.token))
            try:
                await asyncio.wait_for(fake.ready.wait(), 30)
                yield fake, bot
            finally:
                await bot.close()
                await asyncio.wait_for(task, 10)
    finally:
        await fake.close()


class BrokenIndex:
    """The real index, except that searching fails unexpectedly."""

    def __init__(self, index: NewsIndex) -> None:
        self._index = index

    def __getattr__(self, name: str) -> object:
        return getattr(self._index, name)

    def ask(self, *args: object, **kwargs: object) -> object:
        raise RuntimeError("disk on fire")


class SlowReindex:
    """The real index, whose re-index runs as slowly as on a large corpus.

    Every progress report of the real ``reindex`` is delayed by ``delay`` seconds inside the
    worker thread, so the write really is in flight (holding the index's write lock) while a test
    asks questions or watches the progress edits. Everything else is the real index.
    """

    def __init__(self, index: NewsIndex, delay: float = 0.4) -> None:
        self._index = index
        self.delay = delay
        self.started = threading.Event()
        self.finished_at: float | None = None

    def __getattr__(self, name: str) -> object:
        return getattr(self._index, name)

    def reindex(self, *, progress: Callable[[str, int, int], None] | None = None) -> object:
        def slow(stage: str, done: int, total: int) -> None:
            self.started.set()
            time.sleep(self.delay)
            if progress is not None:
                progress(stage, done, total)

        try:
            return self._index.reindex(progress=slow)
        finally:
            self.finished_at = time.monotonic()
