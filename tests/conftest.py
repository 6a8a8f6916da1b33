"""Fixtures shared by the whole suite."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.feedsite import FeedSite, serve
from tests.reliability.tally import pytest_sessionfinish, tally

__all__ = ["pytest_sessionfinish", "tally"]  # the reliability tally, for every test

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples"
SHARED = ROOT.parent / "shared"
SEED = SHARED / "seeds" / "000_2a5fdc87a967350b.txt"
SEED_QUESTIONS = SHARED / "seeds" / "questions.jsonl"
SQUAD = SHARED / "eval" / "squad-dev"


def need(path: Path) -> Path:
    """Skip the test cleanly when ``../shared`` (not part of a user's clone) is absent."""
    if not path.exists():
        pytest.skip(f"{path} is not available (../shared is not part of a fresh clone)")
    return path


@pytest.fixture(scope="session")
def real_embedder():  # type: ignore[no-untyped-def]
    """The bundled all-MiniLM-L6-v2, loaded once for the session."""
    from index.embed import load_embedder

    embedder = load_embedder()
    embedder.embed_queries(["warm up"])
    return embedder


@pytest.fixture
def feed_site() -> Iterator[FeedSite]:
    """A news site with feeds on 127.0.0.1 (see tests/feedsite.py), fresh for each test."""
    yield from serve()
