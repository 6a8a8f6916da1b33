"""``run_bot``, the entry point of ``newsbot run``: clear one-line failures, no tracebacks."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest
from fake_discord import FakeDiscord

from bot.client import run_bot
from bot.config import Settings
from index import HashEmbedder, NewsIndex, NewsIndexError

pytestmark = pytest.mark.model


@pytest.mark.parametrize(
    ("problem", "message"),
    [
        ("token", "Discord rejected DISCORD_TOKEN: copy a fresh token from the developer portal"),
        ("intent", "enable the Message Content intent for this bot in the developer portal"),
    ],
)
def test_a_refused_login_is_one_clear_line_and_exit_code_2(
    problem: str,
    message: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    for name in (None, "discord", "newsbot"):  # run_bot sets these; caplog restores them
        caplog.set_level(logging.DEBUG, logger=name)
    fake = FakeDiscord(message_content_intent=problem != "intent")
    token = "MTA.wrong-token-that-must-not-leak" if problem == "token" else fake.token

    async def main() -> int:
        await fake.start()
        try:
            with fake.patched():
                settings = Settings(
                    discord_token=token, data_dir=tmp_path / "data", log_level="DEBUG"
                )
                return await asyncio.to_thread(run_bot, settings)
        finally:
            await fake.close()

    assert asyncio.run(main()) == 2
    err = capsys.readouterr().err
    assert err.strip().splitlines()[-1].startswith(f"newsbot: {message}")
    assert "Traceback" not in err
    assert token not in err and token not in caplog.text
    assert "newsbot ingest samples/" in caplog.text  # the empty index says how to fill it


def test_a_model_that_fails_when_the_bot_warms_it_is_one_clear_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The model is loaded at start (``setup_hook``), so its failure is a start-up failure."""
    index = NewsIndex.open(tmp_path / "data", embedder=HashEmbedder())
    damaged = "the ONNX export in data/models/x is damaged; delete that folder to rebuild it"

    def warm() -> None:
        raise NewsIndexError(damaged)

    monkeypatch.setattr(index, "warm", warm)
    monkeypatch.setattr("bot.client.open_index", lambda settings: index)
    fake = FakeDiscord()

    async def main() -> int:
        await fake.start()
        try:
            with fake.patched():
                settings = Settings(discord_token=fake.token, data_dir=tmp_path / "data")
                return await asyncio.to_thread(run_bot, settings)
        finally:
            await fake.close()

    assert asyncio.run(main()) == 2
    err = capsys.readouterr().err
    assert err.strip().splitlines()[-1] == f"newsbot: {damaged}"
    assert "Traceback" not in err
