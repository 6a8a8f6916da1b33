"""Keep the garbage collector's full passes short, so that none stalls the event loop.

A full collection walks every object that survived the earlier ones. With an index loaded (the
re-rankers, the BM25 model, discord.py's caches) that is about 100,000 objects and 40-60 ms on
these machines: under a burst of questions it was the event loop's worst stall
(bench/bot_load.py, docs/scaling.md). ``settle()`` moves every object alive now into the
permanent generation (``gc.freeze``), so later passes walk only what is newer; the bot settles
once it is ready and after each index write (the new generation's objects). Settled objects
are still freed by reference counting when their last reference goes (a replaced generation
holds no reference cycles: tests/index/test_library.py), but a settled object that later
becomes part of an unreachable cycle is never collected: about 220 objects a write (measured
over writes of an /ingest and 10 questions each: tasks and interactions in flight when it
settled); of these, the index's own writes leave about 44, as many with questions asked from
worker threads between writes as without (their reader connections add none). ``collect()`` walks everything once and settles again; the bot does so once every
``COLLECT_EVERY`` seconds at a quiet moment. ``release()`` undoes the settling when the bot
stops.
"""

from __future__ import annotations

import gc

__all__ = ["COLLECT_EVERY", "collect", "release", "settle"]

COLLECT_EVERY = 3600.0  # seconds between full collections of the settled heap


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
