"""``newsbot`` with the fast fake embedder (tests only): ``python -m tests.reliability.fakecli``.

The real command line (``bot.cli.main``) runs unchanged; only ``NewsIndex.open`` (as
``bot.config.open_index`` calls it) is given a ``HashEmbedder``, so a subprocess starts in a
second instead of loading the model. It prints ``ready`` once everything is imported, so a test
can time a kill from when the command starts.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from bot import cli, config
from index import HashEmbedder, NewsIndex


class FakeModelIndex(NewsIndex):
    """``NewsIndex`` whose ``open`` ignores the configured model and uses ``HashEmbedder``."""

    @classmethod
    def open(cls, path: str | Path, *, rebuild: bool = False, **_: Any) -> NewsIndex:
        return NewsIndex.open(path, embedder=HashEmbedder(), rebuild=rebuild)


if __name__ == "__main__":
    import bm25s  # noqa: F401 - imported lazily by the command: first, so that "ready" means
    import Stemmer  # noqa: F401 - the command itself starts, and a kill lands in its work

    config.NewsIndex = FakeModelIndex  # type: ignore[misc]
    print("ready", flush=True)
    raise SystemExit(cli.main(sys.argv[1:]))
