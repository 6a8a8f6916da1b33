"""The outcome of an admin job reaches the admin when its response can no longer be edited: the
real bot and index against a fake Discord that answers the edits with a dead token or with 429s
past discord.py's retries. And the log names the command and audits the job."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fake_discord import FakeDiscord
from harness import ADMIN_ID, SlowReindex

from bot.client import NewsBot
from bot.outcome import FINAL_TRIES
from index import NewsIndex

pytestmark = pytest.mark.model

Run = Callable[..., FakeDiscord]
ORIGINAL = r"/messages/@original$"  # the webhook route that edits an interaction's response
DISCORD_TRIES = 5  # discord.py's own tries of a request answered 429
ARTICLE = (
    "Glacier museum opens ice cave tours\n"
    "The glacier museum in the northern valley opened guided tours of its ice cave on Monday.\n"
)


def pinging_no_one(fake: FakeDiscord, channel_id: int | str) -> list[dict[str, Any]]:
    """The bodies the bot posted to ``channel_id``, each checked to ping no one."""
    path = f"/api/v10/channels/{channel_id}/messages"
    bodies = [r.body for r in fake.requests if r.method == "POST" and r.path == path]
    for body in bodies:
        mentions = body["allowed_mentions"]
        assert mentions["parse"] == [] and not mentions.get("users") and not mentions.get("roles")
    return bodies


def admin_log(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name.startswith("newsbot")]


def test_a_reindex_whose_token_died_tells_the_admin_in_the_channel_and_stops_its_progress(
    discord_run: Run, news_index: NewsIndex, caplog: pytest.LogCaptureFixture
) -> None:
    slow = SlowReindex(news_index, delay=0.7)  # long enough for several progress edits

    async def scenario(fake: FakeDiscord, bot: NewsBot) -> None:
        dead = fake.fail("PATCH", ORIGINAL, 401, 50027, "Invalid Webhook Token")
        reindex = await fake.command("reindex", user_id=ADMIN_ID, bypass_default_permissions=True)
        await fake.wait_until(lambda: bool(fake.channel_messages), 90)
        [message] = fake.channel_messages
        assert message["channel_id"] == str(fake.channel_id)
        assert re.match(
            r"For user4242 — /reindex: Re-index finished in \d+ s: \d+ articles", message["content"]
        ), message["content"]
        assert len(pinging_no_one(fake, fake.channel_id)) == 1
        # the first progress edit met the dead token; nothing was sent with it again
        assert dead.served == 1
        assert reindex.original is not None
        assert reindex.original["content"] == "Re-indexing… starting"

    discord_run(scenario, index=slow)
    records = admin_log(caplog)
    assert all(r.exc_info is None for r in records), "a traceback in the log"
    assert "Command object" not in caplog.text
    stopped = [r.getMessage() for r in records if "stopped editing its response" in r.getMessage()]
    assert len(stopped) == 1 and stopped[0].startswith("/reindex for user 4242")
    audit = [r.getMessage() for r in records if r.name == "newsbot.audit"]
    assert audit[0] == "/reindex by user4242 (4242) started"
    assert re.match(
        r"/reindex by user4242 \(4242\) ended after [\d.]+ s \(started \d{4}-\d\d-\d\d "
        r"[\d:]{8} UTC\): ok, told in the channel: Re-index finished in ",
        audit[1],
    ), audit[1]


def test_a_final_edit_rate_limited_past_the_retries_still_reaches_the_admin(
    discord_run: Run, caplog: pytest.LogCaptureFixture
) -> None:
    async def scenario(fake: FakeDiscord, bot: NewsBot) -> None:
        fake.rate_limit("PATCH", ORIGINAL, retry_after=0.05)
        await fake.command("reindex", user_id=ADMIN_ID, bypass_default_permissions=True)
        await fake.wait_until(lambda: bool(fake.channel_messages), 90)
        [message] = fake.channel_messages
        assert message["content"].startswith("For user4242 — /reindex: Re-index finished in ")
        assert len(pinging_no_one(fake, fake.channel_id)) == 1
        finals = [
            r
            for r in fake.requests
            if r.method == "PATCH" and (r.body or {}).get("content", "").startswith("Re-index")
        ]
        # discord.py's tries, then the bot's own, each after the retry_after: then the channel
        assert len(finals) == DISCORD_TRIES * FINAL_TRIES

    discord_run(scenario)
    assert all(r.exc_info is None for r in admin_log(caplog)), "a traceback in the log"
    assert any(
        "/reindex by user4242 (4242) ended" in r.getMessage()
        and "told in the channel" in r.getMessage()
        for r in admin_log(caplog)
    )


@pytest.fixture
def fresh_index(tmp_path: Path, real_embedder: Any) -> NewsIndex:
    return NewsIndex.open(tmp_path / "data", embedder=real_embedder)


def test_an_outcome_the_channel_refuses_is_sent_to_the_admin_directly(
    discord_run: Run, fresh_index: NewsIndex, caplog: pytest.LogCaptureFixture
) -> None:
    async def scenario(fake: FakeDiscord, bot: NewsBot) -> None:
        fake.fail("PATCH", ORIGINAL, 401, 50027, "Invalid Webhook Token")
        fake.fail("POST", rf"/channels/{fake.channel_id}/messages$", 403, 50001, "Missing Access")
        upload = fake.add_attachment("glacier.txt", ARTICLE.encode())
        await fake.command("ingest", user_id=ADMIN_ID, bypass_default_permissions=True, file=upload)
        await fake.wait_until(lambda: bool(fake.direct_messages(ADMIN_ID)), 60)
        [message] = fake.direct_messages(ADMIN_ID)
        assert message["content"].startswith("/ingest: Ingested: 1 added"), message["content"]
        assert len(pinging_no_one(fake, fake.dm_channels[ADMIN_ID])) == 1
        assert fake.messages_in(fake.channel_id) == []

    discord_run(scenario, index=fresh_index)
    assert fresh_index.stats().articles == 1
    audit = [r.getMessage() for r in caplog.records if r.name == "newsbot.audit"]
    assert audit[0] == "/ingest file='glacier.txt' by user4242 (4242) started"
    assert "ok, told by direct message: Ingested: 1 added" in audit[1]
