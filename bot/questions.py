"""What every way of asking shares (/ask, messages, Find the source, /quotes): a per-user
cooldown, a cap on searches at once, and the search itself, off the event loop."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from datetime import date
from typing import ParamSpec, TypeVar

from discord import app_commands

from bot.config import Settings
from index import Answer, NewsIndex, Quote

__all__ = ["BUSY", "QuestionLimiter", "Questions", "SearchBusy", "SearchGate"]

P = ParamSpec("P")
T = TypeVar("T")
BUSY = "I'm answering a lot of questions right now; please ask again in a few seconds."


class QuestionLimiter:
    """A per-user cooldown shared by every way of asking."""

    def __init__(self, questions: int, seconds: float) -> None:
        self.cooldown = app_commands.Cooldown(questions, seconds)
        self._buckets: dict[int, app_commands.Cooldown] = {}

    def retry_after(self, user_id: int) -> float | None:
        """Count one question; return how long to wait if it is one too many, else None."""
        now = time.time()
        if len(self._buckets) > 1000:  # forget users whose window has passed
            full = self.cooldown.rate
            self._buckets = {k: b for k, b in self._buckets.items() if b.get_tokens(now) < full}
        bucket = self._buckets.setdefault(user_id, self.cooldown.copy())
        return bucket.update_rate_limit(now)

    def admit(self, user_id: int) -> None:
        """Count one question; raise ``CommandOnCooldown`` if it is one too many (the tree's
        error handler tells the user privately how long to wait)."""
        retry = self.retry_after(user_id)
        if retry is not None:
            raise app_commands.CommandOnCooldown(self.cooldown, retry)


class SearchBusy(Exception):
    """Every search slot is taken and the line of waiting questions is full."""


class SearchGate:
    """At most ``limit`` searches at once; up to ``queue`` more wait their turn, first come first
    served; beyond that a question is turned away at once, so a flood cannot pile up work."""

    def __init__(self, limit: int, queue: int) -> None:
        self._slots = asyncio.Semaphore(limit)
        self.capacity = limit + queue
        self.admitted = 0  # searching or waiting

    @property
    def full(self) -> bool:
        return self.admitted >= self.capacity

    @contextlib.asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        """Wait for a slot; raise ``SearchBusy`` at once when the line is full."""
        if self.full:
            raise SearchBusy
        self.admitted += 1
        try:
            async with self._slots:
                yield
        finally:
            self.admitted -= 1


class Questions:
    """The index's ``ask`` and ``quotes`` for the cogs, a few at a time, each user within the
    cooldown. ``on_question`` is called as each question comes (the bot collects garbage only
    once questions pause)."""

    def __init__(
        self, index: NewsIndex, settings: Settings, *, on_question: Callable[[], None]
    ) -> None:
        self.index = index
        self.on_question = on_question
        self.limiter = QuestionLimiter(settings.cooldown_questions, settings.cooldown_seconds)
        self.searches = SearchGate(settings.max_searches, settings.max_waiting)

    async def ask(
        self,
        question: str,
        *,
        k: int,
        source: str | None = None,
        since: date | None = None,
        until: date | None = None,
    ) -> Answer:
        """Search in a worker thread; raise ``SearchBusy`` when too many are waiting."""
        return await self._search(
            self.index.ask, question, k=k, source=source, since=since, until=until
        )

    async def quotes(
        self,
        person: str,
        *,
        topic: str | None = None,
        source: str | None = None,
        since: date | None = None,
    ) -> list[Quote]:
        """What ``person`` is quoted saying, within the same cap as questions."""
        return await self._search(
            self.index.quotes, person, topic=topic, source=source, since=since
        )

    async def _search(self, call: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """``call`` in a worker thread once a search slot is free; raise ``SearchBusy`` at once
        when the line is full."""
        self.on_question()
        async with self.searches.turn():
            return await asyncio.to_thread(call, *args, **kwargs)
