"""Index writes (ingest, re-index, removal, feed polls) in worker threads of lower CPU priority.

A re-index embeds on every core; run at normal priority it starves the event loop and the
question threads. Here each write thread lowers its own priority (Linux sets niceness per
thread), so answers come first and the writes take what CPU is left. Elsewhere the writes run at
normal priority. After each write the allocator's free memory goes back to the system, and
after each that succeeds the heap is settled (``bot.heap``): the new generation's objects join
those the garbage collector no longer walks.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from bot import heap

__all__ = ["NICENESS", "Writes"]

NICENESS = 10  # added to the process's niceness for write threads
T = TypeVar("T")


def _lower_priority() -> None:
    """Lower the calling thread's priority by ``NICENESS`` (on Linux; elsewhere a thread id
    is not a valid target for ``setpriority``, so nothing is changed)."""
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(OSError):
        tid = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, tid, os.getpriority(os.PRIO_PROCESS, tid) + NICENESS)


class Writes:
    """Runs writes in low-priority threads; a few may run at once (the index itself lets one
    write at a time and says so to the others)."""

    def __init__(self, threads: int = 2) -> None:
        self._pool = ThreadPoolExecutor(
            threads, thread_name_prefix="newsbot-write", initializer=_lower_priority
        )

    async def run(self, fn: Callable[..., T], /, *args: object, **kwargs: object) -> T:
        """``fn(*args, **kwargs)`` in a write thread; its result or its exception."""
        loop = asyncio.get_running_loop()
        try:
            result = await loop.run_in_executor(self._pool, functools.partial(fn, *args, **kwargs))
        finally:  # a failed write frees its buffers too
            await loop.run_in_executor(self._pool, heap.trim)
        heap.settle()
        return result

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
