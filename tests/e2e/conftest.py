"""End-to-end fixtures: the real bot and the real index against a fake Discord on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from typing import Any

import pytest
from fake_discord import FakeDiscord
from harness import ARTICLES, SEED, Scenario, running_bot

from index import NewsIndex
from tests.conftest import SAMPLES


@pytest.fixture(scope="session")
def news_index(tmp_path_factory: pytest.TempPathFactory, real_embedder: Any) -> NewsIndex:
    """One real index (bundled model, real FAISS) shared by the e2e tests."""
    root = tmp_path_factory.mktemp("e2e-index")
    corpus = root / "corpus.jsonl"
    corpus.write_text("\n".join(json.dumps(a) for a in ARTICLES) + "\n")
    index = NewsIndex.open(root / "data", embedder=real_embedder)
    report = index.ingest([corpus])
    assert report.added == len(ARTICLES), report
    if SEED.is_file():
        index.ingest([SEED], source="The Independent")
    return index


@pytest.fixture(scope="session")
def samples_index(tmp_path_factory: pytest.TempPathFactory, real_embedder: Any) -> NewsIndex:
    """The real index of samples/, for questions and claims about the sample articles."""
    index = NewsIndex.open(tmp_path_factory.mktemp("e2e-samples") / "data", embedder=real_embedder)
    assert index.ingest([SAMPLES]).added >= 20
    return index


@pytest.fixture
def discord_run(
    news_index: NewsIndex, caplog: pytest.LogCaptureFixture
) -> Callable[..., FakeDiscord]:
    """Run ``scenario(fake, bot)`` against a fresh fake Discord; fail on any broken Discord rule."""
    caplog.set_level(logging.INFO)

    def run(
        scenario: Scenario,
        *,
        index: NewsIndex | None = None,
        timeout: float = 120,
        **settings: object,
    ) -> FakeDiscord:
        async def main() -> FakeDiscord:
            async with running_bot(index or news_index, **settings) as (fake, bot):
                await asyncio.wait_for(scenario(fake, bot), timeout)
                await asyncio.sleep(0.05)  # let in-flight requests land before checking
            return fake

        fake = asyncio.run(main())
        assert fake.violations == [], fake.violations
        return fake

    return run
