"""The real bot with its vectors in Milvus (``NEWSBOT_STORE``): a milvus-lite server on 127.0.0.1,
the real index and model, the fake Discord."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fake_discord import FakeDiscord, FakeInteraction, permissions
from harness import ARTICLES, PORTS_QUESTION

from bot.client import NewsBot
from index import NewsIndex
from tests.milvus_server import MilvusServer, serve

pytestmark = pytest.mark.model
Run = Callable[..., FakeDiscord]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MilvusServer]:
    yield from serve(tmp_path_factory.mktemp("milvus"))


def _embeds(inter: FakeInteraction) -> list[dict[str, Any]]:
    return [e for m in inter.messages for e in m.get("embeds") or []]


def test_the_bot_answers_from_milvus_as_from_the_local_store_and_an_admin_removal_reaches_it(
    discord_run: Run, server: MilvusServer, tmp_path: Path, real_embedder: Any
) -> None:
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text("\n".join(json.dumps(a) for a in ARTICLES) + "\n")
    local = NewsIndex.open(tmp_path / "local", embedder=real_embedder)
    local.ingest([corpus])
    remote = NewsIndex.open(tmp_path / "remote", embedder=real_embedder, store=server.uri("e2e"))
    remote.ingest([corpus])
    shown: dict[str, list[dict[str, Any]]] = {}

    def asking(name: str) -> Callable[[FakeDiscord, NewsBot], Any]:
        async def scenario(fake: FakeDiscord, bot: NewsBot) -> None:
            inter = await fake.command("ask", user_id=1, question=PORTS_QUESTION, results=3)
            await fake.wait_until(lambda: inter.answered, 60)
            shown[name] = _embeds(inter)

        return scenario

    discord_run(asking("local"), index=local)
    discord_run(asking("milvus"), index=remote)
    assert shown["milvus"] and shown["milvus"] == shown["local"]
    assert shown["milvus"][0]["url"] == "https://news.example/ports"

    async def removing(fake: FakeDiscord, bot: NewsBot) -> None:
        inter = await fake.command(
            "remove", user_id=9, perms=permissions(manage_guild=True), article_id="ports-1"
        )
        await fake.wait_until(lambda: "ports-1" in inter.text or "Removed" in inter.text, 60)
        ask = await fake.command("ask", user_id=1, question=PORTS_QUESTION, results=3)
        await fake.wait_until(lambda: ask.answered, 60)
        assert all(e.get("url") != "https://news.example/ports" for e in _embeds(ask))

    discord_run(removing, index=remote)
    client = server.client()
    assert client.query("e2e_g000001", filter='article == "ports-1"', output_fields=["id"]) == []
