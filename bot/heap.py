"""Keep the garbage collector's full passes short, so that none stalls the event loop.

A full collection walks every object that survived the earlier ones, and with an index loaded
that is a large heap (docs/scaling.md, "The garbage collector"). ``settle()`` moves every object
alive now into the permanent generation (``gc.freeze``), so later passes walk only what is newer;
the bot settles once it is ready and after each index write. Settled objects are still freed by
reference counting when their last reference goes (a replaced generation holds no reference
cycles: tests/index/test_library.py), but a settled object that later joins an unreachable cycle
is never collected: ``collect()`` walks everything once and settles again, which the bot does
every ``COLLECT_EVERY`` seconds at a quiet moment. ``release()`` undoes the settling when the bot
stops.

Memory that Python frees stays with the C allocator (glibc keeps free pages in each thread's
arena): a re-index or a burst of questions would leave the process hundreds of MB larger for
good. ``trim()`` hands the free pages back to the system (``malloc_trim``), which the bot does
after each write and once questions pause; ``fewer_arenas()``, at start-up, caps the arenas
that the question and write threads spread over (measured in docs/reliability.md, "Long runs").
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import gc

__all__ = ["ARENAS", "COLLECT_EVERY", "collect", "fewer_arenas", "release", "settle", "trim"]

COLLECT_EVERY = 3600.0  # seconds between full collections of the settled heap
ARENAS = 2  # glibc's default is 8 per core; each keeps its own free pages
_M_ARENA_MAX = -8  # mallopt's parameter number, from glibc's malloc.h


@functools.cache
def _libc() -> ctypes.CDLL | None:
    """glibc, or None where there is none (musl, macOS): there both calls do nothing."""
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
    except OSError:
        return None
    return libc if libc is not None and hasattr(libc, "malloc_trim") else None


def trim() -> bool:
    """Give the allocator's free memory back to the system; whether any was."""
    libc = _libc()
    return bool(libc.malloc_trim(0)) if libc is not None else False


def fewer_arenas(arenas: int = ARENAS) -> bool:
    """Cap the allocator's arenas (call before the threads start); whether it could."""
    libc = _libc()
    return bool(libc.mallopt(_M_ARENA_MAX, arenas)) if libc is not None else False


def settle() -> None:
    """Hide every object alive now from later collections."""
    gc.freeze()


def collect() -> int:
    """A full collection of everything, settled or not, then settle again; how many
    unreachable objects it found."""
    gc.unfreeze()
    found = gc.collect()
    gc.freeze()
    return found


def release() -> None:
    """Give the settled objects back to the collector."""
    gc.unfreeze()
