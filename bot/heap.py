"""Keep the garbage collector's full passes short, so that none stalls the event loop.

A full collection walks every object that survived the earlier ones. With an index loaded (the
re-rankers, the BM25 model, discord.py's caches) that is about 100,000 objects and 40-60 ms on
these machines: under a burst of questions it was the event loop's worst stall
(bench/bot_load.py, docs/scaling.md). ``settle()`` moves every object alive now into the
permanent generation (``gc.freeze``), so later passes walk only what is newer; the bot settles
once it is ready and after each index write (the new generation's objects). Settled objects
are still freed by reference counting when their last reference goes: a replaced generation
holds no reference cycles (tests/index/test_library.py). ``release()`` undoes it when the bot
stops.
"""

from __future__ import annotations

import gc

__all__ = ["release", "settle"]


def settle() -> None:
    """Hide every object alive now from later collections."""
    gc.freeze()


def release() -> None:
    """Give the settled objects back to the collector."""
    gc.unfreeze()
