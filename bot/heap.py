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
