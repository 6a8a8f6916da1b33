"""Find the source, end to end: a member's message looked up in the real index of samples/."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from fake_discord import FakeDiscord, FakeInteraction
from harness import BrokenIndex

from bot.client import NewsBot
from bot.cogs.source import MENU, NO_CLAIM
from index import NewsIndex
from tests.reliability.tally import Tally

pytestmark = pytest.mark.model

Run = Callable[..., FakeDiscord]
# a paraphrase of samples/harbour-gazette/2024-11-22-storm-harbour-master.txt, and its sentence
PARAPHRASE = (
    "apparently the harbour master in Eastmere reckons it's the worst storm she's seen in her "
    "31 years on the job"
)
SENTENCE = (
    "Captain Ruth Calloway, Eastmere's harbour master, said the storm was the most severe she had "
    "seen in 31 years working on the harbour."
)


async def answered(fake: FakeDiscord, *inters: FakeInteraction) -> None:
    await fake.wait_until(lambda: all(i.answered for i in inters), 60)


def private(inter: FakeInteraction) -> bool:
    return bool(inter.messages) and all(m["flags"] & 64 for m in inter.messages)


def first_embed(inter: FakeInteraction) -> dict[str, Any]:
    return next(e for m in inter.messages for e in m.get("embeds") or [])


def test_a_paraphrase_finds_the_sentence_it_paraphrases_first_in_bold(
    discord_run: Run, samples_index: NewsIndex
) -> None:
    async def scenario(fake: FakeDiscord, bot: NewsBot) -> None:
        said = await fake.message(PARAPHRASE, user_id=21, mention_bot=False)
        inter = await fake.message_command(MENU, said, user_id=22)
        await answered(fake, inter)
        assert inter.ack_type == 5 and not private(inter)  # deferred, then answered publicly
        (message,) = inter.messages
        assert message["content"].startswith(f"**Claim:** {PARAPHRASE}\n")
        assert "not whether it is true" in message["content"]
        first = first_embed(inter)
        assert re.findall(r"\*\*(.+?)\*\*", first["description"])[0] == SENTENCE
        assert first["title"].startswith("Storm Idris: harbour master warns boat owners")
        assert first["footer"]["text"].startswith("Harbour Gazette · 22 Nov 2024")
        assert first["description"].endswith("— *Ruth Calloway, Eastmere's harbour master*")
        assert fake.replies_to(said) == []  # the answer is the interaction's, not a reply

    discord_run(scenario, index=samples_index)


def test_a_claim_nothing_says_gets_no_source_found(
    discord_run: Run, samples_index: NewsIndex
) -> None:
    async def scenario(fake: FakeDiscord, bot: NewsBot) -> None:
        said = await fake.message(
            "NASA confirmed today that the Moon is made of green cheese", user_id=21
        )
        inter = await fake.message_command(MENU, said, user_id=22)
        await answered(fake, inter)
        (message,) = inter.messages
        assert message["content"].startswith("No source found for **NASA confirmed today")
        assert "no verdict on whether it is true" in message["content"]
        assert not message["embeds"] and not private(inter)
        for word in ("false", "untrue", "wrong", "lie"):
            assert not re.search(rf"\b{word}\b", message["content"], re.I)

    discord_run(scenario, index=samples_index)


def test_mentions_and_links_in_the_message_ping_no_one(
    discord_run: Run, samples_index: NewsIndex, tally: Tally
) -> None:
    async def scenario(fake: FakeDiscord, bot: NewsBot) -> None:
        said = await fake.message(
            f"@everyone @here <@123> <@!456> <@&789> <@{fake.app_id}> {PARAPHRASE} "
            "https://evil.example/storm?x=1 [read this](https://evil.example) <:wave:42>",
            user_id=21,
        )
        only_noise = await fake.message(
            "@everyone <@123> https://evil.example/x", user_id=21, mention_bot=False
        )
        inter = await fake.message_command(MENU, said, user_id=22)
        empty = await fake.message_command(MENU, only_noise, user_id=23)
        await answered(fake, inter, empty)
        assert re.findall(r"\*\*(.+?)\*\*", first_embed(inter)["description"])[0] == SENTENCE
        content = inter.messages[0]["content"]
        assert content.startswith(f"**Claim:** {PARAPHRASE} read this\n")
        assert "evil.example" not in content  # links are not part of the claim
        assert private(empty) and empty.text == NO_CLAIM
        sent = fake.messages_sent()
        assert len(sent) >= 2
        for where, message in sent:
            mentions = message["allowed_mentions"]
            assert mentions["parse"] == [] and not mentions.get("users"), where
            assert not mentions.get("roles") and not mentions.get("replied_user"), where
            text = json.dumps(message, ensure_ascii=False)
            assert not re.search(r"@(everyone|here)|<@[!&]?\d", text), (where, text[:300])

    fake = discord_run(scenario, index=samples_index)
    tally("hostile input", "Find the source on messages of @everyone, @here, user and role "
          "mentions and links", len(fake.messages_sent()),
          "no pings (allowed_mentions empty), mentions and links left out of the claim")  # fmt: skip


def test_find_the_source_shares_the_cooldown_of_ask_and_errors_are_private(
    discord_run: Run, samples_index: NewsIndex
) -> None:
    async def scenario(fake: FakeDiscord, bot: NewsBot) -> None:
        said = await fake.message(PARAPHRASE, user_id=21, mention_bot=False)
        asks = [await fake.command("ask", user_id=31, question="storm?") for _ in range(2)]
        first = await fake.message_command(MENU, said, user_id=31)
        await answered(fake, *asks, first)
        too_many = await fake.message_command(MENU, said, user_id=31)
        other = await fake.message_command(MENU, said, user_id=32)
        await answered(fake, too_many, other)
        assert "**Claim:**" in first.text and "**Claim:**" in other.text
        assert too_many.ack_type == 4 and private(too_many) and "please wait" in too_many.text

    discord_run(scenario, index=samples_index, cooldown_questions=3, cooldown_seconds=30.0)


def test_an_unexpected_error_is_shown_only_to_the_user_with_a_reference(
    discord_run: Run, samples_index: NewsIndex
) -> None:
    async def scenario(fake: FakeDiscord, bot: NewsBot) -> None:
        said = await fake.message(PARAPHRASE, user_id=21, mention_bot=False)
        inter = await fake.message_command(MENU, said, user_id=22)
        await fake.wait_until(lambda: bool(inter.followups), 30)
        assert inter.original_deleted and private(inter)
        assert re.search(r"ref [0-9A-F]{8}", inter.text) and "disk on fire" not in inter.text

    discord_run(scenario, index=BrokenIndex(samples_index))
