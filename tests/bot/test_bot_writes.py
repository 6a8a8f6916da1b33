"""Index writes run in worker threads of lower CPU priority, results and errors passed back."""

from __future__ import annotations

import asyncio
import gc
import os
import sys
import threading

import pytest

from bot import heap
from bot.writes import NICENESS, Writes


def _niceness() -> tuple[int, int]:
    tid = threading.get_native_id()
    return tid, os.getpriority(os.PRIO_PROCESS, tid)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread niceness is Linux's")
def test_a_write_runs_in_another_thread_at_lower_priority() -> None:
    async def main() -> tuple[tuple[int, int], tuple[int, int]]:
        writes = Writes()
        try:
            return _niceness(), await writes.run(_niceness)
        finally:
            writes.close()

    (caller, before), (worker, during) = asyncio.run(main())
    assert worker != caller
    assert during == min(19, before + NICENESS)
    assert _niceness()[1] == before, "the caller's own priority is untouched"


def test_results_and_errors_come_back_to_the_caller() -> None:
    def write(n: int, *, fail: bool = False) -> int:
        if fail:
            raise ValueError("disk full")
        return n * 2

    async def main() -> int:
        writes = Writes()
        try:
            with pytest.raises(ValueError, match="disk full"):
                await writes.run(write, 1, fail=True)
            return await writes.run(write, 21)
        finally:
            writes.close()

    assert asyncio.run(main()) == 42


def test_a_successful_write_settles_what_it_made() -> None:
    """The new generation's objects leave the collector's walk (``gc.get_objects``)."""

    class Generation:
        pass

    def write(fail: bool) -> Generation:
        made = Generation()
        if fail:
            raise OSError("disk full")
        return made

    async def main() -> tuple[bool, bool]:
        writes = Writes()
        try:
            failed = None
            try:
                await writes.run(write, True)
            except OSError as exc:
                failed = exc
            walked_after_failure = any(o is failed for o in gc.get_objects())
            made = await writes.run(write, False)
            return walked_after_failure, any(o is made for o in gc.get_objects())
        finally:
            writes.close()
            heap.release()

    walked_after_failure, walked_after_success = asyncio.run(main())
    assert walked_after_failure, "a failed write settles nothing"
    assert not walked_after_success


def test_every_write_gives_the_allocator_s_free_memory_back(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    trimmed: list[str] = []

    def trim() -> bool:
        trimmed.append("trim")
        return True

    monkeypatch.setattr(heap, "trim", trim)

    def write(fail: bool) -> int:
        if fail:
            raise OSError("disk full")
        return 1

    async def main() -> None:
        writes = Writes()
        try:
            with pytest.raises(OSError):
                await writes.run(write, True)
            assert trimmed == ["trim"]  # a failed write too
            await writes.run(write, False)
        finally:
            writes.close()
            heap.release()

    asyncio.run(main())
    assert trimmed == ["trim", "trim"]
