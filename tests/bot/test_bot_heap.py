"""Settling the heap: settled objects escape the collector until ``collect`` walks everything."""

from __future__ import annotations

import gc
import subprocess
import sys
import weakref
from collections.abc import Iterator

import pytest

from bot import heap


class Node:
    """An object in a reference cycle: only the garbage collector can free it."""

    def __init__(self) -> None:
        self.me = self


@pytest.fixture(autouse=True)
def released() -> Iterator[None]:
    yield
    heap.release()


def test_a_settled_cycle_waits_for_a_full_collection() -> None:
    node = Node()
    alive = weakref.ref(node)
    heap.settle()
    del node
    gc.collect()
    assert alive() is not None, "settled: the usual passes do not see it"
    assert heap.collect() >= 1
    assert alive() is None
    assert gc.get_freeze_count() > 0, "and what is alive is settled again"


def test_release_gives_everything_back() -> None:
    heap.settle()
    assert gc.get_freeze_count() > 0
    heap.release()
    assert gc.get_freeze_count() == 0


CHURN = """
import threading
from bot import heap

def rss():
    for line in open("/proc/self/status").read().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024

pins = []

def churn():
    kept = [bytes(2048) + bytes([i % 256]) for i in range(60_000)]  # ~120 MB through malloc
    pins.extend(kept[::64])  # kept alive: the arena cannot shrink from its top by itself
    kept.clear()

worker = threading.Thread(target=churn)
worker.start()
worker.join()
before = rss()
print(heap.trim(), before, rss())
"""


@pytest.mark.skipif(heap._libc() is None, reason="malloc_trim is glibc's")
def test_trim_hands_freed_memory_back_to_the_system() -> None:
    """What a thread allocated and freed stays with the allocator until ``trim`` (in a fresh
    process: a test runner's own heap blurs the figures)."""
    done = subprocess.run([sys.executable, "-c", CHURN], capture_output=True, text=True, check=True)
    trimmed, before, after = done.stdout.split()
    assert trimmed == "True" and float(after) < float(before) - 40


def test_the_bot_gives_back_once_questions_pause(monkeypatch: pytest.MonkeyPatch) -> None:
    """Once after each burst, and not while questions keep coming."""
    import asyncio
    import time
    import types

    from bot import client

    trims: list[float] = []
    monkeypatch.setattr(client, "QUIET", 0.05)

    def trim() -> bool:
        trims.append(time.monotonic())
        return True

    monkeypatch.setattr(heap, "trim", trim)
    bot = types.SimpleNamespace(last_question=time.monotonic())

    async def main() -> tuple[int, int]:
        tending = asyncio.create_task(client.NewsBot._tend_heap(bot))  # type: ignore[arg-type]
        for _ in range(10):  # a burst: a question every 20 ms
            bot.last_question = time.monotonic()
            await asyncio.sleep(0.02)
        during = len(trims)
        await asyncio.sleep(0.4)  # a pause: one give-back, not one per check
        tending.cancel()
        return during, len(trims)

    during, after = asyncio.run(main())
    assert during == 0 and after == 1
