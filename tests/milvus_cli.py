"""``newsbot`` for the Milvus tests: a fast fake model, and optionally a stall to be SIGKILLed.

    python -m tests.milvus_cli [--stall POINT SIGNAL_FILE] [newsbot arguments...]

The real command line (``bot.cli.main``) runs unchanged, with the Milvus store of
``NEWSBOT_STORE``; only ``NewsIndex.open`` is given ``WeightedHashEmbedder``. With ``--stall``,
when the write reaches ``POINT`` it writes ``SIGNAL_FILE`` and sleeps until it is killed:

- ``insert``: half of the first batch of rows is in Milvus (a half-filled collection of a
  re-index, or a draft's rows in the live collection of an ingest), the catalog not published;
- ``current``: the generation directory is renamed into place, ``CURRENT`` not yet replaced;
- ``published``: ``CURRENT`` names the new generation; its Milvus deletes and alias not done.
"""

from __future__ import annotations

import hashlib
import os
import re
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from bot import cli, config
from index import HashEmbedder, NewsIndex
from index.storage.milvus import MilvusStore

__all__ = ["POINTS", "FakeStoreIndex", "WeightedHashEmbedder"]

POINTS = ("insert", "current", "published")
WORD = re.compile(r"\w+")


class WeightedHashEmbedder(HashEmbedder):
    """``HashEmbedder`` whose words weigh differently (by their hash), so that no two passages
    of a test corpus tie on a question: FAISS and Milvus order ties each their own way."""

    def __init__(self, dimension: int = 256) -> None:
        super().__init__(dimension)
        self.name = f"weighted-hash-{dimension}"

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in zip(out, texts, strict=True):
            for word in WORD.findall(text.lower()):
                digest = hashlib.blake2b(word.encode(), digest_size=8).digest()
                row[int.from_bytes(digest[:4], "little") % self.dimension] += 0.5 + (
                    int.from_bytes(digest[4:], "little") / 2**32
                )
            norm = float(np.linalg.norm(row))
            if norm:
                row /= norm
        return out


class FakeStoreIndex(NewsIndex):
    """``NewsIndex`` whose ``open`` ignores the configured model and uses
    ``WeightedHashEmbedder``; the Milvus store (``NEWSBOT_STORE``) is kept."""

    @classmethod
    def open(
        cls,
        path: str | Path,
        *,
        rebuild: bool = False,
        store: str | None = None,
        store_token: str | None = None,
        **_: Any,
    ) -> NewsIndex:
        return NewsIndex.open(
            path,
            embedder=WeightedHashEmbedder(),
            rebuild=rebuild,
            store=store,
            store_token=store_token,
        )


def _stall(signal: Path, point: str) -> None:
    signal.write_text(point)
    while True:
        time.sleep(60)


def stall_at(point: str, signal: Path) -> None:
    """Make this process's write stop at ``point`` (one of ``POINTS``)."""
    if point == "insert":
        from pymilvus import MilvusClient

        insert = MilvusClient.insert

        def half(self: Any, collection: str, rows: list[dict[str, Any]], **kw: Any) -> Any:
            insert(self, collection, rows[: max(1, len(rows) // 2)], **kw)
            self.flush(collection)
            _stall(signal, point)

        MilvusClient.insert = half
    elif point == "current":
        replace = os.replace

        def stalled_replace(src: Any, dst: Any, *args: Any, **kw: Any) -> None:
            if Path(dst).name == "CURRENT":
                _stall(signal, point)
            replace(src, dst, *args, **kw)

        os.replace = stalled_replace
    elif point == "published":

        def stalled_published(self: MilvusStore, *args: Any, **kw: Any) -> None:
            _stall(signal, point)

        MilvusStore.published = stalled_published  # type: ignore[method-assign]
    else:
        raise SystemExit(f"--stall POINT must be one of {', '.join(POINTS)}")


if __name__ == "__main__":
    args = sys.argv[1:]
    if args[:1] == ["--stall"]:
        stall_at(args[1], Path(args[2]))
        args = args[3:]
    config.NewsIndex = FakeStoreIndex  # type: ignore[misc]
    raise SystemExit(cli.main(args))
