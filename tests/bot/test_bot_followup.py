"""Pure tests of bot.followup: what a follow-up leaves out, taken from the previous exchange."""

from __future__ import annotations

from datetime import date

import pytest

from bot.followup import Exchange, is_question, rewrite
from index import Answer, ArticleInfo, Quote

MET = Exchange("what did the Met say about ports?", "Mark Rowley")
STORM = Exchange("What did the harbour master say about the storm?", "Ruth Calloway")


@pytest.mark.parametrize(
    ("previous", "question", "understood"),
    [
        # a pronoun that opens the question stands for whom the answer quoted first
        (MET, "and what did he say about the threat level?",
         "what did Mark Rowley say about the threat level?"),
        (STORM, "And what did she say about the pontoons?",
         "what did Ruth Calloway say about the pontoons?"),
        (MET, "what was his role?", "what was Mark Rowley's role?"),
        (MET, "What's his job?", "What's Mark Rowley's job?"),
        (STORM, "what was her advice?", "what was Ruth Calloway's advice?"),
        (STORM, "tell me more about her", "tell me more about Ruth Calloway"),
        # "they" stands for whom the question asked about, an organisation as like as not
        (MET, "what did they say about the threat level?",
         "what did the Met say about the threat level?"),
        (Exchange("what did the dockworkers say about pay?"), "and what do they want?",
         "what do the dockworkers want?"),
        (Exchange("Why did Mark Rowley resign?"), "what did he say?", "what did Mark Rowley say?"),
        # "what about X?" keeps the frame of the previous question, X in place of its topic
        (MET, "what about Manchester?", "what did the Met say about Manchester?"),
        (MET, "and what about Manchester?", "what did the Met say about Manchester?"),
        (MET, "How about the airports?", "what did the Met say about the airports?"),
        (MET, "and Manchester?", "what did the Met say about Manchester?"),
        (Exchange("How many people were killed in the Paris attacks?"), "what about Manchester?",
         "How many people were killed in Manchester?"),
        # a place or time narrows the previous question
        (MET, "what about in Manchester?", "what did the Met say about ports in Manchester?"),
    ],
)  # fmt: skip
def test_a_follow_up_is_made_whole(previous: Exchange, question: str, understood: str) -> None:
    assert rewrite(question, previous) == understood


@pytest.mark.parametrize(
    ("previous", "question"),
    [
        (None, "and what did he say about the threat level?"),  # nothing to lean on
        (None, "what about Manchester?"),
        (MET, "why did the dockworkers strike?"),  # leaves nothing out
        (MET, "What did the harbour master say about her boat?"),  # names its own subject
        (MET, "and what did the harbour master say?"),
        (Exchange("what happened?"), "what did he say?"),  # no one to stand for "he"
        (Exchange("Why did the dockworkers strike?"), "what about the bus drivers?"),  # no slot
        (MET, "what about the storm worried the harbour master and the council so much?"),
    ],
)
def test_a_question_that_leaves_nothing_out_or_has_nothing_to_lean_on_is_asked_as_written(
    previous: Exchange | None, question: str
) -> None:
    assert rewrite(question, previous) == question


def test_the_previous_question_is_taken_as_understood() -> None:
    """A chain of follow-ups: each leans on the one before, as it was understood."""
    second = rewrite("what about Manchester?", MET)
    third = rewrite("and what did they say about the threat level?", Exchange(second, None))
    assert third == "what did the Met say about the threat level?"


def test_the_exchange_keeps_the_speakers_name_only() -> None:
    info = ArticleInfo("a", "Headline", "Source", None, date(2015, 11, 16))
    speaker = "Mark Rowley, Assistant Commissioner of the Metropolitan Police"
    quote = Quote("He said so.", (0, 11), 1.0, info, speaker=speaker)
    answer = Answer("what did the Met say about ports?", (quote,), True)
    assert Exchange.of(answer) == Exchange("what did the Met say about ports?", "Mark Rowley")
    assert Exchange.of(Answer("what is new?")).speaker is None
    unsigned = Quote("It rained.", (0, 10), 1.0, info)
    assert Exchange.of(Answer("weather?", (unsigned,), True)).speaker is None


@pytest.mark.parametrize(
    ("text", "asks"),
    [
        ("what about Manchester?", True),
        ("and what did he say about the threat level", True),
        ("Is the ferry running", True),
        ("the ferry runs again?", True),
        ("thanks!", False),
        ("great, thanks", False),
        ("and thanks again", False),
        ("???", False),
        ("", False),
    ],
)
def test_is_question_tells_a_question_from_chatter(text: str, asks: bool) -> None:
    assert is_question(text) is asks
