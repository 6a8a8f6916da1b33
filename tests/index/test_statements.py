"""Who said what: statements found at ingest, listed by person (issue 19), on a written corpus
where one person is quoted across five articles over time among other speakers."""

from __future__ import annotations

import contextlib
import sqlite3
from datetime import date
from pathlib import Path

import pytest

from index import HashEmbedder, NewsIndex, NewsIndexError
from index.text.speakers import statements

# (file, headline, paragraphs): Nadia Okafor, of the Kestrel Valley Rail Users' Association
# (KVRUA), speaks in five articles; others speak around her.
ARTICLES = [
    (
        "Valley Post/2024-01-10-timetable.txt",
        "Rail users condemn winter timetable",
        [
            "The winter timetable cuts two morning trains from Kestrel Valley.",
            "Nadia Okafor, chair of the Kestrel Valley Rail Users' Association (KVRUA), said: "
            '"Commuters were not asked."',
            '"The operator will review the change," said Tom Reyes, a spokesman for Valley Rail.',
        ],
    ),
    (
        "Valley Post/2024-03-02-fares.txt",
        "Fares rise again on valley line",
        [
            "Fares on the valley line will rise by five per cent in April.",
            "Nadia Okafor, of the rail users' association, was blunt.",
            'Ms Okafor said: "Every rise drives more people back into their cars."',
            "Councillor Priya Shah said the council would write to the minister.",
        ],
    ),
    (
        "Valley Post/2024-05-20-station.txt",
        "Station lifts out of order for a month",
        [
            "Both lifts at Kestrel Junction have been out of order since April, according to "
            "campaigner Nadia Okafor.",
            '"Wheelchair users are stranded," Ms Okafor said. "It is a scandal."',
        ],
    ),
    (
        "County News/2024-08-14-strike.txt",
        "Rail strike hits valley commuters",
        [
            "A strike by signal staff stopped every train on the line on Tuesday.",
            '"We support the staff but passengers need notice," Nadia Okafor said.',
            '"Talks will continue," said Lena Park, a union official.',
        ],
    ),
    (
        "County News/2024-11-05-award.txt",
        "Rail users' group wins community award",
        [
            "The rail users' group led by Nadia Okafor won the county's community award on Monday.",
            '"This belongs to every volunteer," said Ms Okafor.',
        ],
    ),
]
OKAFOR = {
    "Nadia Okafor, chair of the Kestrel Valley Rail Users' Association (KVRUA), said: "
    '"Commuters were not asked."',
    'Ms Okafor said: "Every rise drives more people back into their cars."',
    '"Wheelchair users are stranded," Ms Okafor said.',
    '"It is a scandal."',
    '"We support the staff but passengers need notice," Nadia Okafor said.',
    '"This belongs to every volunteer," said Ms Okafor.',
}


@pytest.fixture
def idx(tmp_path: Path) -> NewsIndex:
    for name, title, paragraphs in ARTICLES:
        path = tmp_path / "in" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n\n".join([title, *paragraphs]) + "\n")
    index = NewsIndex.open(tmp_path / "data", embedder=HashEmbedder())
    index.ingest([tmp_path / "in"])
    return index


def test_every_statement_of_one_person_and_none_by_anyone_else_newest_first(
    idx: NewsIndex,
) -> None:
    found = idx.quotes("Nadia Okafor")
    assert {q.text for q in found} == OKAFOR
    days = [q.article.published for q in found]
    assert days == sorted(days, reverse=True) and len(set(days)) == 5
    assert all(q.highlight == (0, len(q.text)) for q in found)
    assert all(q.speaker and q.speaker.startswith("Nadia Okafor") for q in found)


def test_a_surname_a_short_form_and_the_full_name_of_her_group_find_her(idx: NewsIndex) -> None:
    everything = {q.text for q in idx.quotes("Nadia Okafor")}
    assert {q.text for q in idx.quotes("Okafor")} == everything
    # the first article introduces KVRUA; her role names the association there
    kvrua = {q.text for q in idx.quotes("KVRUA")}
    assert kvrua and kvrua <= everything
    assert {q.text for q in idx.quotes("the Kestrel Valley Rail Users' Association")} == kvrua


def test_others_are_listed_by_their_own_names(idx: NewsIndex) -> None:
    assert [q.text for q in idx.quotes("Tom Reyes")] == [
        '"The operator will review the change," said Tom Reyes, a spokesman for Valley Rail.'
    ]
    assert idx.quotes("Zed Nobody") == [] and idx.quotes("  ") == []


def test_a_topic_ranks_her_statements_and_filters_narrow_them(idx: NewsIndex) -> None:
    ranked = idx.quotes("Okafor", topic="wheelchair users stranded")
    assert ranked[0].text == '"Wheelchair users are stranded," Ms Okafor said.'
    assert len(ranked) == len(OKAFOR) and ranked[0].score >= ranked[-1].score
    county = idx.quotes("Okafor", source="county news")  # as /ask: case does not matter
    assert {q.article.source for q in county} == {"County News"} and len(county) == 2
    assert [q.article.published for q in idx.quotes("Okafor", since=date(2024, 6, 1))] == [
        date(2024, 11, 5),
        date(2024, 8, 14),
    ]
    assert len(idx.quotes("Okafor", until=date(2024, 3, 2))) == 2


def test_speakers_are_counted_and_found_by_what_is_typed(idx: NewsIndex) -> None:
    assert idx.speakers()[0] == ("Nadia Okafor", len(OKAFOR))
    assert idx.speakers("okaf") == [("Nadia Okafor", len(OKAFOR))]
    assert ("Tom Reyes", 1) in idx.speakers() and idx.speakers("zzz") == []


def test_removing_and_reindexing_keep_statements_in_step(idx: NewsIndex) -> None:
    award = next(a for a in idx.articles() if a.title.startswith("Rail users' group"))
    idx.remove(award.id)
    assert len(idx.quotes("Okafor")) == len(OKAFOR) - 1
    idx.reindex()
    assert len(idx.quotes("Okafor")) == len(OKAFOR) - 1


def test_a_syndicated_copy_is_listed_once(idx: NewsIndex, tmp_path: Path) -> None:
    copy = tmp_path / "copy" / "Wire" / "2024-11-06-award.txt"
    copy.parent.mkdir(parents=True)
    copy.write_text(
        "Valley rail users honoured\n\nThe rail users' group led by Nadia Okafor won the "
        "county's community award on Monday.\n\n"
        '"This belongs to every volunteer," said Ms Okafor.\n'
    )
    idx.ingest([copy])
    found = idx.quotes("Okafor")
    assert len(found) == len(OKAFOR) and found[0].article.source == "Wire"  # the newest copy


def test_an_index_made_before_statements_says_to_reindex(tmp_path: Path, idx: NewsIndex) -> None:
    data = tmp_path / "data"
    published = data / (data / "CURRENT").read_text().strip() / "news.sqlite"
    with contextlib.closing(sqlite3.connect(published)) as db, db:
        db.execute("DROP TABLE statements")
    old = NewsIndex.open(data, embedder=HashEmbedder())
    with pytest.raises(NewsIndexError, match="reindex"):
        old.quotes("Okafor")
    with pytest.raises(NewsIndexError, match="reindex"):
        old.speakers()
    old.reindex()
    assert len(old.quotes("Okafor")) == len(OKAFOR)


def test_a_clause_before_a_name_is_not_their_role() -> None:
    text = (
        "The society has appointed Lucy Fairweather and her partner, Tom Ashdown, as tenants.\n\n"
        '"It\'s a lot of money," Mr Ashdown told the Courier.'
    )
    assert [who for _, _, who, _ in statements(text)] == ["Tom Ashdown"]


@pytest.mark.parametrize(
    ("text", "speaker"),
    [
        ('"We are seeing reinfections," said Dr. Daniel Griffin.', "Daniel Griffin"),
        ('"The storms will need flexibility," said Gov. Ralph Northam.', "Ralph Northam"),
        ('"This bill threatens no one," said state Rep. David Hardin.', "David Hardin"),
        ('"It worked," Dr. Ann Lee said.', "Ann Lee"),
    ],
)
def test_a_title_with_a_full_stop_is_not_the_speaker(text: str, speaker: str) -> None:
    assert [who for _, _, who, _ in statements(text)] == [speaker]


def test_a_headline_s_official_or_study_is_nobody() -> None:
    assert statements("2:31 p.m. Official says warning system worked 'really well'") == []
    assert statements("Study says you probably can't") == []
