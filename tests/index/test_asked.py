"""Whose words a question asks for, and whether a quote's speaker is them."""

from __future__ import annotations

import pytest

from index.text.asked import asked_speaker, asks_for_recent, names_match


@pytest.mark.parametrize(
    ("question", "who"),
    [
        ("what did the Met say about ports?", "Met"),
        ("What has Mark Rowley said about the threat level?", "Mark Rowley"),
        ("what did the harbour master say about the storm", "harbour master"),
        ("How is the port doing, according to Helena Marsh?", "Helena Marsh"),
        ("According to the Coastguard, what should paddleboarders do?", "Coastguard"),
        ("How did the council respond to the flood?", "council"),
        ("What was Rowley's view on ports?", "Rowley"),
        ("What did he say?", None),
        ("How many jobs will be cut?", None),
        ("Who said the storm was the worst in decades?", None),
    ],
)
def test_the_speaker_a_question_asks_for(question: str, who: str | None) -> None:
    assert asked_speaker(question) == who


def test_a_speaker_matches_by_name_short_form_or_role() -> None:
    rowley = "Mark Rowley, Assistant Commissioner of the Metropolitan Police"
    assert names_match("Met", rowley)
    assert names_match("Rowley", rowley)
    assert names_match("Mark Rowley", rowley)
    assert names_match("harbour master", "Ruth Calloway, Eastmere's harbour master")
    assert not names_match("Marsh", rowley)
    assert not names_match("Mark Smith", rowley)
    assert not names_match("council", "Fatima Olawale")


@pytest.mark.parametrize(
    ("question", "recent"),
    [
        ("Which streaming giant warned its subscribers this week?", True),
        ("What is the latest on the port strike?", True),
        ("What did the council say about the new library hours?", True),
        ("Who is currently the mayor?", True),
        ("What happened in New York?", False),
        ("What did the harbour master say about the storm?", False),
    ],
)
def test_a_question_about_now_asks_for_recent_reports(question: str, recent: bool) -> None:
    assert asks_for_recent(question) is recent
