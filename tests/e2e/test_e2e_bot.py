"""The real bot and the real index, end to end, against the fake Discord."""

from __future__ import annotations

import asyncio
import gc
import itertools
import json
import re
import weakref
from collections.abc import Callable
from typing import Any

import discord
import pytest
from fake_discord import MANAGE_GUILD, FakeDiscord, FakeInteraction, permissions
from harness import ADMIN_ID, PORTS_QUESTION, SEED, BrokenIndex, SlowReindex

from bot import client, heap
from bot.client import NewsBot
from index import NewsIndex
from tests.reliability.tally import Tally

pytestmark = pytest.mark.model

ADMIN_COMMANDS = {"reindex", "ingest", "remove", "feeds"}
EVERYONES = ("Find the source", "quotes")  # in the permission matrix beside the admin commands
MANAGER = permissions(manage_guild=True)
Run = Callable[..., FakeDiscord]


async def answered(fake: FakeDiscord, *inters: FakeInteraction, timeout: float = 60) -> None:
    await fake.wait_until(lambda: all(i.answered for i in inters), timeout)


def private(inter: FakeInteraction) -> bool:
    """Whether everything the interaction shows is ephemeral (seen only by the user)."""
    return bool(inter.messages) and all(m["flags"] & 64 for m in inter.messages)


def embeds(inter: FakeInteraction) -> list[dict[str, Any]]:
    return [e for m in inter.messages for e in m.get("embeds") or []]


def test_login_registers_every_command_described_with_admin_permissions(discord_run: Run) -> None:
    async def scenario(fake: FakeDiscord, bot: NewsBot) -> None:
        assert [r.path.split("/api/v10")[1] for r in fake.requests[:2]] == [
            "/users/@me",
            "/oauth2/applications/@me",
        ]
        commands = {c["name"]: c for c in fake.commands[fake.guild_id]}
        public = {"ask", "quotes", "sources", "latest", "article", "stats", "help"}
        assert set(commands) == public | ADMIN_COMMANDS | {"Find the source"}
        assert None not in fake.commands  # a server id means a server sync only
        menu = commands.pop("Find the source")  # a message command: a name, no description
        assert menu["type"] == 3 and menu.get("default_member_permissions") is None
        for name, command in commands.items():
            # discord.py fills in "…" when a description is missing; Discord shows that to users.
            assert command["description"] not in ("", "…"), name
            for option in command.get("options") or []:
                assert option["description"] not in ("", "…"), (name, option["name"])
            expected = str(MANAGE_GUILD) if name in ADMIN_COMMANDS else None
            assert command.get("default_member_permissions") == expected, name
        results = next(o for o in commands["ask"]["options"] if o["name"] == "results")
        assert (results["type"], results["min_value"], results["max_value"]) == (4, 1, 5)
        assert fake.identify is not None
        assert fake.identify["intents"] & (1 << 15)  # message content, to read mention questions

    discord_run(scenario)


def test_without_a_server_id_commands_sync_globally(discord_run: Run) -> None:
    async def scenario(fake: FakeDiscord, bot: NewsBot) -> None:
        assert set(fake.commands) == {None}
        assert len(fake.commands[None]) == 12  # 11 slash commands and Find the source

    discord_run(scenario, guild_id=None)


def test_ask_defers_at_once_then_quotes_the_real_index(discord_run: Run) -> None:
    async def scenario(fake: FakeDiscord, bot: NewsBot) -> None:
        inter = await fake.command("ask", user_id=1, question=PORTS_QUESTION, results=2)
        await answered(fake, inter)
        assert inter.ack_type == 5 and inter.ack_delay is not None and inter.ack_delay < 3
        assert not private(inter)
        (message,) = inter.messages
        assert message["content"] == f"**Q:** {PORTS_QUESTION}"
        first = message["embeds"][0]
        assert len(message["embeds"]) <= 2
        assert first["title"] == "Police step up checks at ferry ports after attacks abroad"
        assert first["url"] == "https://news.example/ports"
        assert "Harbour Gazette · 16 Nov 2015" in first["footer"]["text"]
        bold = re.findall(r"\*\*(.+?)\*\*", first["description"])
        assert any("extra armed patrols at every ferry port" in b for b in bold)
        assert first["description"].startswith("> ")
        assert re.search(r"\n— \*(Commander )?Jane Holt\*$", first["description"])

    discord_run(scenario)


@pytest.mark.skipif(not SEED.is_file(), reason="../shared/seeds is not available")
def test_the_seed_question_is_answered_with_the_ports_quote(discord_run: Run) -> None:
    async def scenario(fake: FakeDiscord, bot: NewsBot) -> None:
        inter = await fake.command(
            "ask", user_id=1, question="what did the Met say about ports?", source="The Independent"
        )
        await answered(fake, inter)
        assert "strengthening our policing of ports" in inter.text

    discord_run(scenario)


def test_no_relevant_passage_gets_a_kind_reply(discord_run: Run) -> None:
    async def scenario(fake: FakeDiscord, bot: NewsBot) -> None:
        inter = await fake.command("ask", user_id=1, question=PORTS_QUESTION, since="2100-01-01")
        await answered(fake, inter)
        (message,) = inter.messages
        assert "couldn't find a passage" in message["content"] and not message["embeds"]

    discord_run(scenario)


def test_a_bad_since_is_explained_only_to_the_asker(discord_run: Run) -> None:
    async def scenario(fake: FakeDiscord, bot: NewsBot) -> None:
        inter = await fake.command("ask", user_id=1, question="ports?", since="last tuesday")
        await answered(fake, inter)
        assert inter.ack_type == 4 and private(inter) and "24h, 7d" in inter.text

    discord_run(scenario)


def test_until_keeps_to_older_articles_and_a_bad_window_is_explained(discord_run: Run) -> None:
    async def scenario(fake: FakeDiscord, bot: NewsBot) -> None:
        window = await fake.command(
            "ask", user_id=1, question=PORTS_QUESTION, since="2015-11-16", until="2015-11-16"
        )
        before = await fake.command("ask", user_id=2, question=PORTS_QUESTION, until="2015-11-15")
        bad = await fake.command("ask", user_id=3, question="ports?", until="last week")
        backwards = await fake.command(
            "ask", user_id=4, question="ports?", since="2020-01-01", until="2019-01-01"
        )
        await answered(fake, window, before, bad, backwards)
        assert "extra armed patrols at every ferry port" in window.text
        assert "extra armed patrols" not in before.text
        assert private(bad) and "use 2015-11-30" in bad.text
        assert private(backwards) and "is after until" in backwards.text

    discord_run(scenario)


def test_source_autocomplete_offers_the_indexed_sources(discord_run: Run) -> None:
    async def scenario(fake: FakeDiscord, bot: NewsBot) -> None:
        inter = await fake.command("ask", user_id=1, autocomplete="source", source="gaz")
        await answered(fake, inter)
        assert inter.choices == [{"name": "Harbour Gazette", "value": "Harbour Gazette"}]
        inter = await fake.command("ask", user_id=1, question=PORTS_QUESTION, source="Valley Times")
        await answered(fake, inter)
        assert all(e["footer"]["text"].startswith("Valley Times") for e in embeds(inter))

    discord_run(scenario)


def test_a_mention_gets_the_same_answer_as_a_reply(discord_run: Run, tally: Tally) -> None:
    async def scenario(fake: FakeDiscord, bot: NewsBot) -> None:
        asked = await fake.message(f"<@{fake.app_id}> {PORTS_QUESTION}", user_id=7)
        await fake.wait_until(lambda: bool(fake.replies_to(asked)), 60)
        (reply,) = fake.replies_to(asked)
        assert reply["content"] == f"**Q:** {PORTS_QUESTION}"
        assert "ferry port" in reply["embeds"][0]["description"]
        # A reply that merely pings the bot, or chatter without a mention, is not a question.
        ping_only = await fake.message("thanks!", user_id=7)
        chatter = await fake.message("ports are busy today", user_id=7, mention_bot=False)
        too_long = await fake.message(f"<@{fake.app_id}> " + "why " * 600, user_id=8)
        await fake.wait_until(lambda: bool(fake.replies_to(too_long)), 30)
        assert "too long" in fake.replies_to(too_long)[0]["content"]
        await asyncio.sleep(0.5)
        assert not fake.replies_to(ping_only) and not fake.replies_to(chatter)

    discord_run(scenario)
    tally("oversized", "a 2,400-character question in a mention", 1, "'too long' reply, no search")


def test_admin_commands_are_refused_to_members_at_both_layers(discord_run: Run) -> None:
    async def scenario(fake: FakeDiscord, bot: NewsBot) -> None:
        generation = bot.index.stats().generation
        for name, options in [
            ("reindex", {}),
            ("remove", {"article_id": "bakery-1"}),
            ("ingest", {"url": "https://news.example/x"}),
        ]:
            with pytest.raises(PermissionError):  # Discord hides the command (default permission)
                await fake.command(name, user_id=5, **options)
            inter = await fake.command(name, user_id=5, bypass_default_permissions=True, **options)
            await answered(fake, inter)
            assert inter.ack_type == 4 and private(inter), name
            assert "Only server managers" in inter.text
        assert bot.index.stats().generation == generation
        assert bot.index.article("bakery-1").title.startswith("Village bakery")

    discord_run(scenario)


def test_admin_ingests_a_file_reindexes_and_the_article_is_answerable(discord_run: Run) -> None:
    article = (
        "Glacier museum opens ice cave tours\n"
        "The glacier museum in the northern valley opened guided tours of its ice cave on Monday.\n"
        'Curator Lena Berg said: "Visitors can walk forty metres into the blue ice with a guide."\n'
    )

    async def scenario(fake: FakeDiscord, bot: NewsBot) -> None:
        upload = fake.add_attachment("2024-03-04-glacier.txt", article.encode())
        inter = await fake.command(
            "ingest", user_id=9, perms=MANAGER, file=upload, source="Peak Post"
        )
        await answered(fake, inter)
        assert private(inter) and inter.text.startswith("Ingested: 1 added"), inter.text

        # NEWSBOT_ADMIN_IDS lets a member without Manage Server in, where the server allows it.
        reindex = await fake.command("reindex", user_id=ADMIN_ID, bypass_default_permissions=True)
        await fake.wait_until(lambda: "finished" in reindex.text, 60)
        assert reindex.ack_type == 4 and private(reindex)
        assert re.search(r"finished in \d+ s: \d+ articles", reindex.text)
        updates = [reindex.ack_at] + [at for at, _ in reindex.edits]
        assert all(b - a >= 2.0 for a, b in itertools.pairwise(updates)), updates

        ask = await fake.command(
            "ask", user_id=9, question="how far can visitors walk into the ice cave?"
        )
        await answered(fake, ask)
        first = embeds(ask)[0]
        assert "forty metres into the blue ice" in first["description"]
        assert first["footer"]["text"].startswith("Peak Post · 4 Mar 2024")

    discord_run(scenario)


def test_ingest_refuses_unreadable_uploads_and_bad_urls(discord_run: Run) -> None:
    async def scenario(fake: FakeDiscord, bot: NewsBot) -> None:
        cases = [
            ({"file": fake.add_attachment("photo.png", b"\x89PNG")}, "I can read"),
            ({"url": "ftp://news.example/x"}, "must start with http"),
            ({}, "either a `url` or a `file`"),
        ]
        for options, expected in cases:
            inter = await fake.command("ingest", user_id=9, perms=MANAGER, **options)
            await answered(fake, inter)
            assert private(inter) and expected in inter.text, inter.text

    discord_run(scenario)


def test_reindex_reports_progress_every_two_seconds_and_runs_one_at_a_time(
    discord_run: Run, news_index: NewsIndex
) -> None:
    slow = SlowReindex(news_index, delay=0.7)

    async def scenario(fake: FakeDiscord, bot: NewsBot) -> None:
        first = await fake.command("reindex", user_id=9, perms=MANAGER)
        await asyncio.to_thread(slow.started.wait, 10)
        second = await fake.command("reindex", user_id=10, perms=MANAGER)
        ingest = await fake.command(
            "ingest", user_id=10, perms=MANAGER, url="https://news.example/y"
        )
        await answered(fake, second, ingest)
        assert "already running" in second.text and private(second)
        assert "already running" in ingest.text
        await fake.wait_until(lambda: "finished" in first.text, 60)

        progress = [body["content"] for _, body in first.edits[:-1]]
        assert len(progress) >= 2, progress
        assert all(p.startswith("Re-indexing… **") for p in progress)
        assert any(re.search(r"\*\* \d+/\d+ \(\d+%\)", p) for p in progress), progress
        assert any(re.search(r"/s · about \d+ (s|min \d+ s) left", p) for p in progress), progress
        updates = [first.ack_at] + [at for at, _ in first.edits]
        assert all(b - a >= 2.0 for a, b in itertools.pairwise(updates)), updates

    discord_run(scenario, index=slow)


def test_twenty_concurrent_questions_during_a_reindex_are_acked_and_answered(
    discord_run: Run, news_index: NewsIndex, tally: Tally
) -> None:
    slow = SlowReindex(news_index, delay=0.5)

    async def scenario(fake: FakeDiscord, bot: NewsBot) -> None:
        reindex = await fake.command("reindex", user_id=ADMIN_ID, bypass_default_permissions=True)
        await asyncio.to_thread(slow.started.wait, 10)
        asks = await asyncio.gather(
            *(fake.command("ask", user_id=100 + i, question=PORTS_QUESTION) for i in range(20))
        )
        await answered(fake, *asks, timeout=90)
        acked = [a.ack_at for a in asks if a.ack_at is not None]
        assert len(acked) == 20 and all(a.ack_delay is not None and a.ack_delay < 3 for a in asks)
        assert all("extra armed patrols at every ferry port" in a.text for a in asks)
        assert slow.finished_at is None or slow.finished_at > max(acked)  # really concurrent
        await fake.wait_until(lambda: "finished" in reindex.text, 60)

    discord_run(scenario, index=slow)
    tally("concurrency", "20 /ask at once during a /reindex (real bot, real model)", 20,
          "all acknowledged within 3 s and answered with the right quote")  # fmt: skip


class Watched:
    """The real index, counting the bot's calls to ``warm``."""

    def __init__(self, index: NewsIndex) -> None:
        self._index = index
        self.warmed = 0

    def __getattr__(self, name: str) -> object:
        return getattr(self._index, name)

    def warm(self) -> None:
        self.warmed += 1
        self._index.warm()


def test_the_bot_warms_its_index_and_settles_its_heap_before_questions(
    discord_run: Run, news_index: NewsIndex
) -> None:
    """The model loads at start, not on the first question; while the bot runs, what it loaded
    is hidden from the garbage collector (bot/heap.py); when it stops, it is given back."""
    watched = Watched(news_index)

    async def scenario(fake: FakeDiscord, bot: NewsBot) -> None:
        assert watched.warmed == 1
        assert gc.get_freeze_count() > 0
        ask = await fake.command("ask", user_id=7, question=PORTS_QUESTION)
        await answered(fake, ask)
        assert "extra armed patrols at every ferry port" in ask.text

    discord_run(scenario, index=watched)
    assert gc.get_freeze_count() == 0


def test_the_settled_heap_is_collected_once_questions_stop(
    discord_run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Garbage cycles among settled objects are freed at a quiet moment, not during questions."""
    monkeypatch.setattr(heap, "COLLECT_EVERY", 0.2)
    monkeypatch.setattr(client, "QUIET", 3.0)  # far longer than an answer takes

    class Cycle:
        def __init__(self) -> None:
            self.me = self

    async def scenario(fake: FakeDiscord, bot: NewsBot) -> None:
        cycle = Cycle()
        alive = weakref.ref(cycle)
        heap.settle()
        del cycle
        ask = await fake.command("ask", user_id=8, question=PORTS_QUESTION)
        await answered(fake, ask)
        assert alive() is not None, "no collection within QUIET of the last question"
        for _ in range(150):  # polled: fake.wait_until re-checks only on the bot's requests
            if alive() is None:
                break
            await asyncio.sleep(0.1)
        assert alive() is None, "collected once questions stopped"

    discord_run(scenario)


def test_hostile_huge_article_never_breaks_limits_or_pings(discord_run: Run, tally: Tally) -> None:
    async def scenario(fake: FakeDiscord, bot: NewsBot) -> None:
        inters = [
            await fake.command(
                "ask", user_id=1, question="what did the lighthouse keeper say?", results=5
            ),
            await fake.command("article", user_id=2, article_id="hostile-1"),
            await fake.command("sources", user_id=3),
            await fake.command("stats", user_id=4),
            await fake.command("help", user_id=5),
            await fake.command("quotes", user_id=7, person="@everyone <@123> **Zed** [x](<@&4>)"),
            await fake.command("quotes", user_id=7, person="Jane Holt", topic="@here <@!42> *x*"),
        ]
        mention = await fake.message(
            f"<@{fake.app_id}> tell me about the lighthouse lamp", user_id=6
        )
        claim = await fake.message(
            "@everyone <@123> <@&456> @here the lighthouse keeper **polished** the great lamp "
            "https://evil.example/x [prizes](https://evil.example)",
            user_id=8,
            mention_bot=False,
        )
        source = await fake.message_command("Find the source", claim, user_id=8)
        await answered(fake, *inters, source)
        await fake.wait_until(lambda: bool(fake.replies_to(mention)), 60)
        followup = await fake.message(
            "and what about @everyone <@123> the lamp?",
            user_id=6,
            reply_to=fake.replies_to(mention)[0],
        )
        await fake.wait_until(lambda: bool(fake.replies_to(followup)), 60)
        assert "lighthouse" in inters[0].text.lower()
        assert "**Claim:** the lighthouse keeper polished the great lamp prizes" in source.text
        assert (
            "Understood as: tell me about @\u200beveryone <@\u200b123> the lamp"
            in (fake.replies_to(followup)[0]["content"])
        )
        assert any(e["title"].startswith("@\u200beveryone") for e in embeds(inters[0]))
        assert inters[5].text.startswith("No quotes by **@\u200beveryone <@\u200b123> \\*\\*Zed")
        assert "best first for “@\u200bhere <@\u200b!42> \\*x\\*”" in inters[6].text
        sent = fake.messages_sent()
        # 7 commands, the mention's answer and thread, the source, the reply
        assert len(sent) >= 11
        for where, message in sent:
            # The fake already rejects over-limit payloads; every one also forbids pings.
            assert message["allowed_mentions"]["parse"] == [], where
            text = json.dumps(message, ensure_ascii=False)
            assert not re.search(r"@(everyone|here)|<@[!&]?\d", text), (where, text[:300])
            assert "javascript:" not in text

    fake = discord_run(scenario)
    tally("hostile input", "a huge article full of mentions and markdown, through 6 commands, "
          "/quotes of a person and a topic written in mentions and markdown, "
          "Find the source on a message of mentions and links, and a follow-up reply of mentions",
          len(fake.messages_sent()), "every message within Discord's limits, no pings, no javascript: links")  # fmt: skip


def test_cooldown_answers_with_a_friendly_wait(discord_run: Run, tally: Tally) -> None:
    async def scenario(fake: FakeDiscord, bot: NewsBot) -> None:
        asks = [await fake.command("ask", user_id=77, question=PORTS_QUESTION) for _ in range(3)]
        fourth = await fake.command("ask", user_id=77, question=PORTS_QUESTION)
        other = await fake.command("ask", user_id=78, question=PORTS_QUESTION)
        await answered(fake, *asks, fourth, other)
        assert private(fourth) and "please wait" in fourth.text
        assert all("**Q:**" in a.text for a in [*asks, other])

    discord_run(scenario, cooldown_questions=3, cooldown_seconds=30.0)
    tally("abuse", "a 4th question within the per-user cooldown (3/30 s)", 5,
          "the 4th told to wait, privately; other users unaffected")  # fmt: skip


def test_unexpected_errors_show_a_reference_that_is_in_the_log(
    discord_run: Run, news_index: NewsIndex, caplog: pytest.LogCaptureFixture
) -> None:
    async def scenario(fake: FakeDiscord, bot: NewsBot) -> None:
        inter = await fake.command("ask", user_id=1, question=PORTS_QUESTION)
        await fake.wait_until(lambda: bool(inter.followups), 30)
        assert inter.original_deleted  # the public "thinking…" placeholder is gone
        (message,) = inter.messages
        assert message["flags"] & 64  # ephemeral
        ref = re.search(r"ref ([0-9A-F]{8})", message["content"])
        assert ref, message["content"]
        record = next(r for r in caplog.records if ref.group(1) in r.getMessage())
        assert record.exc_info and "disk on fire" in str(record.exc_info[1])
        assert "disk on fire" not in inter.text

    discord_run(scenario, index=BrokenIndex(news_index))


def test_the_token_never_reaches_the_logs(
    discord_run: Run, caplog: pytest.LogCaptureFixture, tally: Tally
) -> None:
    for name in (None, "discord", "newsbot"):
        caplog.set_level("DEBUG", logger=name)

    async def scenario(fake: FakeDiscord, bot: NewsBot) -> None:
        inter = await fake.command("ask", user_id=1, question=PORTS_QUESTION)
        await answered(fake, inter)

    fake = discord_run(scenario)
    assert len(caplog.records) > 20
    assert fake.token not in caplog.text
    tally("secrets", "the token in DEBUG logs of a whole login and session", len(caplog.records),
          "absent from every log record")  # fmt: skip


def test_library_commands_answer_from_the_library(discord_run: Run) -> None:
    async def scenario(fake: FakeDiscord, bot: NewsBot) -> None:
        article = await fake.command("article", user_id=1, article_id="bakery-1")
        missing = await fake.command("article", user_id=1, article_id="no-such-id")
        sources = await fake.command("sources", user_id=1)
        stats = await fake.command("stats", user_id=1)
        helped = await fake.command("help", user_id=1)
        await answered(fake, article, missing, sources, stats, helped)
        assert "Village bakery wins national sourdough award" in article.text
        assert "Valley Times" in article.text and "2 May 2023" in article.text
        assert private(missing) and "no article with id" in missing.text
        assert "**Harbour Gazette** — 1 article, newest 16 Nov 2015" in sources.text
        assert "all-MiniLM-L6-v2" in stats.text
        assert private(helped) and "`/ask`" in helped.text and "`/reindex`" in helped.text
        assert "`/feeds add`" in helped.text and "`/latest`" in helped.text
        assert "**Find the source**" in helped.text and "**Follow-ups**" in helped.text
        assert "`/quotes` — What a person or organisation is quoted saying" in helped.text

    discord_run(scenario)


def test_permission_matrix_of_every_admin_command(discord_run: Run, tally: Tally) -> None:
    """Every admin command x (Administrator, Manage Server, member, NEWSBOT_ADMIN_IDS member)
    x (the default permission kept, or bypassed by the server); and Find the source and /quotes,
    which are everyone's, in the same matrix."""
    roles = {
        "administrator": (501, permissions(administrator=True)),
        "manager": (502, MANAGER),
        "member": (503, permissions()),
        "listed": (ADMIN_ID, permissions()),
    }
    commands: dict[str, tuple[str, str | None, dict[str, str]]] = {
        "reindex": ("reindex", None, {}),
        # no input: past the permission check it asks for a url or a file
        "ingest": ("ingest", None, {}),
        "remove": ("remove", None, {"article_id": "no-such-article"}),
        # past the check: refused (127.0.0.1 with private URLs off), so no feed is ever added
        "feeds add": ("feeds", "add", {"url": "http://127.0.0.1:9/rss"}),
        "feeds list": ("feeds", "list", {}),
        "feeds remove": ("feeds", "remove", {"url": "https://news.example/no-such-feed"}),
    }

    async def scenario(fake: FakeDiscord, bot: NewsBot) -> None:
        outcomes = {}
        pending = []
        for (name, (command, sub, options)), (role, (user, perms)), bypass in itertools.product(
            commands.items(), roles.items(), (False, True)
        ):
            try:
                inter = await fake.command(
                    command,
                    subcommand=sub,
                    user_id=user,
                    perms=perms,
                    bypass_default_permissions=bypass,
                    **options,
                )
            except PermissionError:
                outcomes[name, role, bypass] = "hidden"
                continue
            await answered(fake, inter)
            assert private(inter), (name, role, bypass)
            refused = "Only server managers" in inter.text
            outcomes[name, role, bypass] = "refused" if refused else "allowed"
            if not refused:
                pending.append(inter)
        claim = await fake.message(
            "the keeper polished the great lamp", user_id=600, mention_bot=False
        )
        for (role, (user, perms)), bypass in itertools.product(roles.items(), (False, True)):
            try:
                inter = await fake.message_command(
                    "Find the source",
                    claim,
                    user_id=user,
                    perms=perms,
                    bypass_default_permissions=bypass,
                )
            except PermissionError:
                outcomes["Find the source", role, bypass] = "hidden"
                continue
            await answered(fake, inter)
            refused = private(inter) or "**Claim:**" not in inter.text
            outcomes["Find the source", role, bypass] = "refused" if refused else "allowed"
        for (role, (user, perms)), bypass in itertools.product(roles.items(), (False, True)):
            try:
                inter = await fake.command(
                    "quotes",
                    user_id=user,
                    perms=perms,
                    bypass_default_permissions=bypass,
                    person="Jane Holt",
                )
            except PermissionError:
                outcomes["quotes", role, bypass] = "hidden"
                continue
            await answered(fake, inter)
            refused = private(inter) or "quotes by Jane Holt**" not in inter.text
            outcomes["quotes", role, bypass] = "refused" if refused else "allowed"
        for (name, role, bypass), outcome in outcomes.items():
            if name in EVERYONES or role in ("administrator", "manager"):
                assert outcome == "allowed", (name, role, bypass)
            elif not bypass:
                assert outcome == "hidden", (name, role, bypass)
            else:
                expected = "allowed" if role == "listed" else "refused"
                assert outcome == expected, (name, role, bypass)
        assert len(outcomes) == (len(commands) + len(EVERYONES)) * len(roles) * 2
        allowed = {i.name: i.text for i in pending}
        assert "refusing to fetch http://127.0.0.1:9/rss" in allowed["feeds add"]
        assert "No feeds yet" in allowed["feeds list"]
        assert "no feed 'https://news.example/no-such-feed' is followed" in allowed["feeds remove"]
        assert bot.index.feeds() == []
        reindexes = [i for i in pending if i.name == "reindex"]
        await fake.wait_until(
            lambda: all("finished" in i.text or "already running" in i.text for i in reindexes), 30
        )

    discord_run(scenario, cooldown_questions=10)  # each user asks 4 questions: 2 claims, 2 quotes
    tally("permissions", "/reindex, /ingest, /remove, /feeds add|list|remove x (Administrator, "
          "Manage Server, member, NEWSBOT_ADMIN_IDS) x (default permission kept, bypassed)", 48,
          "hidden or refused to members; allowed to managers and listed admins")  # fmt: skip
    tally("permissions", "Find the source and /quotes x (Administrator, Manage Server, member, "
          "NEWSBOT_ADMIN_IDS) x (default permission kept, bypassed)", 16,
          "shown to everyone and answered in public")  # fmt: skip


def test_direct_messages_get_answers_but_not_admin_commands(discord_run: Run) -> None:
    async def scenario(fake: FakeDiscord, bot: NewsBot) -> None:
        ask = await fake.command("ask", user_id=61, dm=True, question=PORTS_QUESTION)
        # Discord does not apply default permissions in DMs: only the runtime check stands.
        member = await fake.command("reindex", user_id=62, dm=True)
        listed = await fake.command("remove", user_id=ADMIN_ID, dm=True, article_id="no-such-id")
        await answered(fake, ask, member, listed)
        assert "extra armed patrols at every ferry port" in ask.text
        assert private(member) and "Only server managers" in member.text
        assert private(listed) and "no article with id" in listed.text

    discord_run(scenario, guild_id=None)


def test_a_second_shard_identifies_as_it_and_answers_but_leaves_syncing_to_shard_0(
    discord_run: Run,
) -> None:
    async def scenario(fake: FakeDiscord, bot: NewsBot) -> None:
        assert fake.identify is not None and fake.identify["shard"] == [1, 2]
        assert not fake.commands  # shard 0 syncs; two processes syncing would race
        await bot.tree.sync(guild=discord.Object(fake.guild_id))  # what shard 0 registers
        inter = await fake.command("ask", user_id=1, question=PORTS_QUESTION, results=1)
        await answered(fake, inter)
        assert "ferry port" in inter.messages[0]["embeds"][0]["description"]
        feeds: Any = bot.get_cog("Feeds")
        assert feeds.task is None  # nor polls the shared feeds: shard 0 does

    discord_run(scenario, shard=(1, 2))
