"""The bot readies its search threads at start: a burst of questions finds them running."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from harness import running_bot

from index import NewsIndex
from tests.reliability.corpus import open_fake, write_batch


class _Watched:
    """The real index, noting which threads warm up and which answer."""

    def __init__(self, index: NewsIndex) -> None:
        self._index = index
        self.warmed: list[str] = []
        self.asked: list[str] = []

    def __getattr__(self, name: str) -> object:
        return getattr(self._index, name)

    def warm_up(self) -> None:
        self.warmed.append(threading.current_thread().name)
        self._index.warm_up()

    def ask(self, *args: Any, **kwargs: Any) -> object:
        self.asked.append(threading.current_thread().name)
        return self._index.ask(*args, **kwargs)


async def _until(done: Callable[[], bool]) -> None:
    """Poll: the warm-ups happen in worker threads, with nothing for the fake to notice."""
    while not done():
        await asyncio.sleep(0.02)


def test_every_search_thread_is_started_before_the_first_question(tmp_path: Path) -> None:
    index = open_fake(tmp_path / "data")
    index.ingest([write_batch(tmp_path / "in", 0, 3)])
    watched = _Watched(index)

    async def main() -> None:
        async with running_bot(watched, max_searches=3) as (fake, _bot):
            await asyncio.wait_for(_until(lambda: len(watched.warmed) == 4), 10)
            asks = [
                await fake.command("ask", user_id=600 + i, question="when will the plan go ahead?")
                for i in range(6)
            ]
            await fake.wait_until(lambda: all(a.answered for a in asks), 30)
            assert all("**Q:**" in a.text for a in asks)

    asyncio.run(main())
    assert len(set(watched.warmed)) == 3  # the model first, then each of the 3 threads
    assert all(name.startswith("newsbot-ask") for name in watched.warmed)
    assert set(watched.asked) <= set(watched.warmed) and len(watched.asked) == 6
