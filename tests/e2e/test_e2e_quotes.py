"""/quotes, end to end: what one person is quoted saying across five articles, paged with buttons,
from the real index of a written corpus (invented people and events)."""

from __future__ import annotations

import contextlib
import json
import re
import sqlite3
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from fake_discord import FakeDiscord, FakeInteraction, buttons

from bot.client import NewsBot
from bot.cogs.quotes import NOT_YOURS
from index import HashEmbedder, NewsIndex
from tests.reliability.tally import Tally

pytestmark = pytest.mark.model

Run = Callable[..., FakeDiscord]
# Ines Caldwell, secretary of an allotment society, is quoted in five articles on five dates;
# a councillor, a council leader, a water company, a judge and the society's chair speak too.
ARTICLES = [
    {
        "id": "plots-rent",
        "title": "Allotment rents to double, council confirms",
        "source": "Millbrook Echo",
        "url": "https://news.example/plots-rent",
        "published": "2023-02-14",
        "text": (
            "Millbrook council will double the rent of its allotment plots from April.\n"
            "Ines Caldwell, secretary of the Millbrook Allotment Society (MAS), said: "
            '"Older members simply cannot pay this."\n'
            'She added: "We will fight this rise at every council meeting."\n'
            '"The rise reflects the real cost of keeping the sites open," said councillor '
            "Raj Patel."
        ),
    },
    {
        "id": "plots-petition",
        "title": "Allotment petition passes two thousand names",
        "source": "Millbrook Echo",
        "url": "https://news.example/plots-petition",
        "published": "2023-05-09",
        "text": (
            "A petition against the allotment rent rise has passed two thousand signatures.\n"
            "Ines Caldwell, the society's secretary, said: \"Two thousand people have told the "
            'council it is wrong."\n'
            "Council leader Margaret Dunn said the petition would be debated in June."
        ),
    },
    {
        "id": "plots-water",
        "title": "Hosepipe ban leaves plot holders short of water",
        "source": "County Courier",
        "url": "https://news.example/plots-water",
        "published": "2023-07-21",
        "text": (
            "A hosepipe ban across the county has cut the mains water supply to allotments.\n"
            '"Without water the beans will be lost within a week," Ines Caldwell said.\n'
            '"Reservoir levels are the lowest for twenty years," said Tom Hardy, of Vale Water.'
        ),
    },
    {
        "id": "plots-show",
        "title": "Record marrow at the Millbrook show",
        "source": "Millbrook Echo",
        "url": "https://news.example/plots-show",
        "published": "2023-10-03",
        "text": (
            "The annual Millbrook produce show drew a record crowd on Saturday.\n"
            '"It is the best harvest our members have had," said Ines Caldwell.\n'
            '"The winning marrow weighed forty kilograms," said Alan Pike, the judge.'
        ),
    },
    {
        "id": "plots-secretary",
        "title": "Allotment society chooses a new secretary",
        "source": "County Courier",
        "url": "https://news.example/plots-secretary",
        "published": "2024-01-16",
        "text": (
            "The Millbrook Allotment Society will elect a new secretary next month.\n"
            '"After ten years it is time for someone new," said Ines Caldwell.\n'
            '"Tell @everyone and <@123> to read https://evil.example/plots before Friday," '
            "Ms Caldwell added.\n"
            '"She leaves the society in good health," said Peter Lowe, its chair.'
        ),
    },
]
HOSTILE = (
    '"Tell @everyone and <@123> to read https://evil.example/plots before Friday," Ms Caldwell '
    "added."
)
CALDWELL = {  # her statements, newest first
    '"After ten years it is time for someone new," said Ines Caldwell.': "16 Jan 2024",
    HOSTILE: "16 Jan 2024",
    '"It is the best harvest our members have had," said Ines Caldwell.': "3 Oct 2023",
    '"Without water the beans will be lost within a week," Ines Caldwell said.': "21 Jul 2023",
    "Ines Caldwell, the society's secretary, said: \"Two thousand people have told the council "
    'it is wrong."': "9 May 2023",
    "Ines Caldwell, secretary of the Millbrook Allotment Society (MAS), said: "
    '"Older members simply cannot pay this."': "14 Feb 2023",
    'She added: "We will fight this rise at every council meeting."': "14 Feb 2023",
}
OTHERS = ("Raj Patel", "Margaret Dunn", "Tom Hardy", "Alan Pike", "Peter Lowe")
MENTION = re.compile(r"@(everyone|here)|<@[!&]?\d")


def _write(articles: list[dict[str, str]], path: Path) -> Path:
    path.write_text("\n".join(json.dumps(a) for a in articles) + "\n")
    return path


@pytest.fixture(scope="module")
def allotments(tmp_path_factory: pytest.TempPathFactory, real_embedder: Any) -> NewsIndex:
    """The real index (bundled model) of the five articles."""
    root = tmp_path_factory.mktemp("e2e-quotes")
    index = NewsIndex.open(root / "data", embedder=real_embedder)
    assert index.ingest([_write(ARTICLES, root / "plots.jsonl")]).added == len(ARTICLES)
    return index


async def answered(fake: FakeDiscord, *inters: FakeInteraction) -> None:
    await fake.wait_until(lambda: all(i.answered for i in inters), 60)


def private(inter: FakeInteraction) -> bool:
    return bool(inter.messages) and all(m["flags"] & 64 for m in inter.messages)


def _visible(markdown: str) -> str:
    """What Discord shows of escaped markdown: no backslash escapes, no zero-width spaces."""
    return re.sub(r"\\(.)", r"\1", markdown).replace("\u200b", "")


def statements(message: dict[str, Any]) -> list[tuple[str, str, str]]:
    """Each statement on a page as (sentence, speaker, day), as a reader sees them."""
    (embed,) = message["embeds"]
    found = re.findall(
        r"^> \*\*(.+)\*\*\n— \*(.+?)\* · \[.+?\]\(<https://\S+>\) · .+? · (.+)$",
        embed["description"],
        re.MULTILINE,
    )
    return [(_visible(s), _visible(who), day) for s, who, day in found]


def labels(message: dict[str, Any]) -> dict[str, bool]:
    """Each button's label and whether it can be pressed."""
    return {b["label"]: not b.get("disabled") for b in buttons(message)}


def test_every_statement_of_one_person_newest_first_and_none_by_anyone_else(
    discord_run: Run, allotments: NewsIndex
) -> None:
    async def scenario(fake: FakeDiscord, bot: NewsBot) -> None:
        inter = await fake.command("quotes", user_id=11, person="Ines Caldwell")
        await answered(fake, inter)
        assert inter.ack_type == 5 and not private(inter)  # deferred, then answered publicly
        (message,) = inter.messages
        assert message["content"] == "**7 quotes by Ines Caldwell**, newest first · page 1/2"
        assert labels(message) == {"◀": False, "▶": True}
        pages = [statements(message)]
        turn = await fake.press(message, "▶", user_id=11)
        await answered(fake, turn)
        assert turn.ack_type == 7  # the page is updated in place
        assert message["content"].endswith("page 2/2")
        assert labels(message) == {"◀": True, "▶": False}
        pages.append(statements(message))
        assert [len(p) for p in pages] == [5, 2]
        said = [s for page in pages for s in page]
        assert {sentence for sentence, _, _ in said} == set(CALDWELL)  # all, and only hers
        assert all(who.startswith("Ines Caldwell") for _, who, _ in said)
        assert not any(other in sentence for other in OTHERS for sentence, _, _ in said)
        days = [datetime.strptime(day, "%d %b %Y").date() for _, _, day in said]
        assert days == sorted(days, reverse=True) and len(set(days)) == 5
        back = await fake.press(message, "◀", user_id=11)
        await answered(fake, back)
        assert message["content"].endswith("page 1/2") and statements(message) == pages[0]

    discord_run(scenario, index=allotments)


def test_person_autocompletes_with_counts_and_a_short_form_resolves(
    discord_run: Run, allotments: NewsIndex
) -> None:
    async def scenario(fake: FakeDiscord, bot: NewsBot) -> None:
        typed = {
            text: await fake.command("quotes", user_id=12, autocomplete="person", person=text)
            for text in ("caldw", "", "MAS", "zzz")
        }
        source = await fake.command(
            "quotes", user_id=12, autocomplete="source", person="x", source="cour"
        )
        await answered(fake, *typed.values(), source)
        assert typed["caldw"].choices == [
            {"name": "Ines Caldwell: 7 quotes", "value": "Ines Caldwell"}
        ]
        everyone = typed[""].choices or []
        assert everyone[0]["name"] == "Ines Caldwell: 7 quotes"
        assert {"name": "Raj Patel: 1 quote", "value": "Raj Patel"} in everyone
        # the article introduces the society's short form: MAS finds her
        assert [c["value"] for c in typed["MAS"].choices or []] == ["Ines Caldwell"]
        assert typed["zzz"].choices == []
        assert source.choices == [{"name": "County Courier", "value": "County Courier"}]
        by_short_form = await fake.command("quotes", user_id=12, person="MAS")
        await answered(fake, by_short_form)
        assert by_short_form.messages[0]["content"].startswith("**2 quotes by MAS**")

    discord_run(scenario, index=allotments)


def test_only_the_asker_can_turn_the_pages(discord_run: Run, allotments: NewsIndex) -> None:
    async def scenario(fake: FakeDiscord, bot: NewsBot) -> None:
        inter = await fake.command("quotes", user_id=13, person="Caldwell")
        await answered(fake, inter)
        (message,) = inter.messages
        first = json.dumps(message)
        other = await fake.press(message, "▶", user_id=14)
        await answered(fake, other)
        assert other.ack_type == 4 and private(other) and other.text == NOT_YOURS
        assert json.dumps(message) == first  # the page did not change
        mine = await fake.press(message, "▶", user_id=13)
        await answered(fake, mine)
        assert message["content"].endswith("page 2/2")

    discord_run(scenario, index=allotments)


def test_a_statement_of_mentions_and_links_pings_no_one(
    discord_run: Run, allotments: NewsIndex, tally: Tally
) -> None:
    async def scenario(fake: FakeDiscord, bot: NewsBot) -> None:
        inter = await fake.command("quotes", user_id=15, person="Ines Caldwell")
        await answered(fake, inter)
        (message,) = inter.messages
        assert HOSTILE in [sentence for sentence, _, _ in statements(message)]
        turn = await fake.press(message, "▶", user_id=15)
        hostile = await fake.command("quotes", user_id=16, person="@everyone <@123> **Zed**")
        await answered(fake, turn, hostile)
        assert hostile.text.startswith("No quotes by **@\u200beveryone <@\u200b123> \\*\\*Zed")
        sent = fake.messages_sent()
        assert len(sent) >= 3  # the first page, the page turn, the no-quotes answer
        for where, payload in sent:
            mentions = payload["allowed_mentions"]
            assert mentions["parse"] == [] and not mentions.get("users"), where
            assert not mentions.get("roles") and not mentions.get("replied_user"), where
            assert not MENTION.search(json.dumps(payload, ensure_ascii=False)), where

    fake = discord_run(scenario, index=allotments)
    tally("hostile input", "/quotes of a statement holding @everyone, a user mention and a link, "
          "and of a person named with mentions", len(fake.messages_sent()),
          "no pings (allowed_mentions empty), mentions shown as text")  # fmt: skip


def test_a_topic_ranks_the_statement_about_it_first(
    discord_run: Run, allotments: NewsIndex
) -> None:
    async def scenario(fake: FakeDiscord, bot: NewsBot) -> None:
        inter = await fake.command(
            "quotes", user_id=17, person="Ines Caldwell", topic="drought and water supply"
        )
        await answered(fake, inter)
        (message,) = inter.messages
        assert message["content"] == (
            "**7 quotes by Ines Caldwell**, best first for “drought and water supply” · page 1/2"
        )
        first, *_ = statements(message)
        assert first[0].startswith('"Without water the beans will be lost')

    discord_run(scenario, index=allotments)


def test_one_page_has_no_buttons_and_the_buttons_go_when_time_runs_out(
    discord_run: Run, allotments: NewsIndex
) -> None:
    async def scenario(fake: FakeDiscord, bot: NewsBot) -> None:
        cog = bot.get_cog("Quotes")
        assert cog is not None
        cog.page_timeout = 1.0  # type: ignore[attr-defined]
        one = await fake.command("quotes", user_id=18, person="Raj Patel")
        courier = await fake.command(
            "quotes", user_id=18, person="Ines Caldwell", source="county courier"
        )
        paged = await fake.command("quotes", user_id=19, person="Caldwell")
        await answered(fake, one, courier, paged)
        assert one.messages[0]["content"] == "**1 quote by Raj Patel**, newest first"
        assert buttons(one.messages[0]) == [] and buttons(courier.messages[0]) == []
        days = [day for _, _, day in statements(courier.messages[0])]
        assert days == ["16 Jan 2024", "16 Jan 2024", "21 Jul 2023"]
        (message,) = paged.messages
        shown = message["content"], message["embeds"]
        await fake.wait_until(lambda: buttons(message) == [], 10)
        assert (message["content"], message["embeds"]) == shown  # only the buttons went

    discord_run(scenario, index=allotments)


def test_no_quotes_suggests_names_and_errors_are_private(
    discord_run: Run, allotments: NewsIndex
) -> None:
    async def scenario(fake: FakeDiscord, bot: NewsBot) -> None:
        misspelt = await fake.command("quotes", user_id=20, person="Agnes Caldwell")
        nobody = await fake.command("quotes", user_id=21, person="Zed Nobody")
        filtered = await fake.command("quotes", user_id=22, person="Raj Patel", since="2024-01-01")
        source = await fake.command("quotes", user_id=23, person="Caldwell", source="Daily Nope")
        since = await fake.command("quotes", user_id=24, person="Caldwell", since="last week")
        await answered(fake, misspelt, nobody, filtered, source, since)
        assert misspelt.text == (
            "No quotes by **Agnes Caldwell** found. Names I know like it: **Ines Caldwell**."
        )
        assert "Try a surname alone" in nobody.text and not private(nobody)
        assert "Try without `source` or `since`" in filtered.text
        assert private(source) and source.original_deleted  # the "thinking…" placeholder went
        assert source.text.startswith("Sorry: no source named 'Daily Nope'")
        assert private(since) and "is not a date or a span" in since.text

    discord_run(scenario, index=allotments)


def test_an_index_made_before_statements_says_to_reindex(discord_run: Run, tmp_path: Path) -> None:
    index = NewsIndex.open(tmp_path / "data", embedder=HashEmbedder())
    index.ingest([_write(ARTICLES, tmp_path / "plots.jsonl")])
    current = tmp_path / "data" / (tmp_path / "data" / "CURRENT").read_text().strip()
    with contextlib.closing(sqlite3.connect(current / "news.sqlite")) as db, db:
        db.execute("DROP TABLE statements")  # as an index made before statements were stored
    stale = NewsIndex.open(tmp_path / "data", embedder=HashEmbedder())

    async def scenario(fake: FakeDiscord, bot: NewsBot) -> None:
        inter = await fake.command("quotes", user_id=25, person="Ines Caldwell")
        typed = await fake.command("quotes", user_id=25, autocomplete="person", person="Ines")
        await answered(fake, inter, typed)
        assert private(inter) and "run \\`newsbot reindex\\`" in inter.text
        assert typed.choices == []

    discord_run(scenario, index=stale)


def test_quotes_share_the_cooldown_of_ask(discord_run: Run, allotments: NewsIndex) -> None:
    async def scenario(fake: FakeDiscord, bot: NewsBot) -> None:
        first = await fake.command("ask", user_id=26, question="what about the allotments?")
        second = await fake.command("quotes", user_id=26, person="Raj Patel")
        await answered(fake, first, second)
        third = await fake.command("quotes", user_id=26, person="Raj Patel")
        other = await fake.command("quotes", user_id=27, person="Raj Patel")
        await answered(fake, third, other)
        assert "Raj Patel" in second.text and "Raj Patel" in other.text
        assert third.ack_type == 4 and private(third) and "please wait" in third.text

    discord_run(scenario, index=allotments, cooldown_questions=2, cooldown_seconds=30.0)
