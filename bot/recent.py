"""The previous exchange a follow-up leans on, kept briefly and nowhere else: in memory per
(channel, user) for the bot, in one small file for the command line."""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path

from bot.followup import Exchange

__all__ = ["FILE", "SIZE", "TTL", "Recent", "keep_question", "last_question"]

TTL = 600.0  # seconds a previous question is remembered
SIZE = 1000  # (channel, user) pairs remembered at most
FILE = "followup.json"  # the command line's last question, in the data directory

Key = tuple[int, int]  # (channel or thread id, user id)


class Recent:
    """Each (channel, user)'s last exchange, in memory only: forgotten ``ttl`` seconds after it
    was asked, or sooner when ``size`` pairs have asked since."""

    def __init__(
        self, ttl: float = TTL, size: int = SIZE, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.ttl = ttl
        self.size = size
        self.clock = clock
        self._kept: OrderedDict[Key, tuple[float, Exchange]] = OrderedDict()  # oldest first

    def get(self, key: Key) -> Exchange | None:
        self.forget_expired()
        kept = self._kept.get(key)
        return kept[1] if kept else None

    def put(self, key: Key, exchange: Exchange) -> None:
        self._kept[key] = (self.clock(), exchange)
        self._kept.move_to_end(key)
        while len(self._kept) > self.size:
            self._kept.popitem(last=False)
        self.forget_expired()

    def forget_expired(self) -> None:
        """Drop every exchange whose window has passed (``get`` and ``put`` do it too)."""
        cutoff = self.clock() - self.ttl
        while self._kept and next(iter(self._kept.values()))[0] <= cutoff:
            self._kept.popitem(last=False)


def last_question(path: Path, ttl: float = TTL) -> str | None:
    """The question kept in ``path`` if it was asked within ``ttl`` seconds; a file that has
    expired or cannot be read is removed."""
    try:
        kept = json.loads(path.read_text(encoding="utf-8"))
        if time.time() - float(kept["at"]) < ttl:
            return str(kept["question"])
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError):
        pass
    with contextlib.suppress(OSError):
        path.unlink()
    return None


def keep_question(path: Path, question: str) -> None:
    """Keep ``question`` (only it, and when it was asked) in ``path``, readable by its owner
    only, replacing what was there."""
    draft = path.with_name(path.name + ".tmp")
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump({"question": question, "at": time.time()}, out)
    os.replace(draft, path)
