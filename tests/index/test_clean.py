from __future__ import annotations

import re

from index.text.clean import clean_text, normalise, split_paragraphs
from tests.conftest import SEED, need

FURNITURE = [
    "Your support helps us",
    "Your support makes all the difference",
    "Subscribe to Independent Premium",
    "Want to bookmark",
    "Join our commenting forum",
    "Join thought-provoking conversations",
]


def _body(path) -> str:  # type: ignore[no-untyped-def]
    return path.read_text().split("\n", 1)[1]


def test_seed_furniture_is_removed_and_every_report_sentence_survives() -> None:
    raw = _body(need(SEED))
    cleaned = clean_text(raw)
    for phrase in FURNITURE:
        assert phrase not in cleaned
    assert not re.search(r"^Comments$", cleaned, re.MULTILINE)
    assert cleaned.startswith(
        "'It's one of the scenarios we had been thinking about - we have been planning for it'"
    )
    assert "British police had already been preparing for the possibility of an attack" in cleaned
    report = raw[raw.index("British police had") : raw.index("Subscribe to Independent")]
    for line in report.strip().split("\n"):
        assert line.strip() in cleaned


def test_appeal_in_another_publishers_words_is_removed() -> None:
    raw = "\n".join(
        [
            "Ferry fares will rise by 4% in April, the operator said.",
            "Reader support keeps us going",
            "We rely on readers like you to fund our local journalism. Please donate today.",
            "Our reporters cover every council meeting, and we never put our stories behind a paywall.",
            "Every contribution, big or small, helps us to keep reporting.Passengers said the rise was unfair.",
            '"It is too much," said Ann Lee, a commuter.',
            "Sign up to our free morning briefing newsletter",
            "Share this article",
        ]
    )
    cleaned = clean_text(raw)
    assert "donate" not in cleaned and "paywall" not in cleaned and "contribution" not in cleaned
    assert "newsletter" not in cleaned and "Share this" not in cleaned
    assert "Reader support" not in cleaned
    for kept in (
        "Ferry fares will rise by 4% in April, the operator said.",
        "Passengers said the rise was unfair.",
        '"It is too much," said Ann Lee, a commuter.',
    ):
        assert kept in cleaned


def test_quoted_talk_of_donations_is_reporting_not_furniture() -> None:
    raw = '"We need your donations more than ever," said the charity\'s director, Tom Hale.'
    assert clean_text(raw) == raw


def test_repeated_paragraphs_given_as_boilerplate_are_dropped() -> None:
    from index.text.clean import paragraph_key

    raw = "Real news sentence one.\nFollow the Gazette on Mastodon for updates\nReal news two."
    cleaned = clean_text(raw, {paragraph_key("Follow the Gazette on Mastodon for updates")})
    assert cleaned == "Real news sentence one.\n\nReal news two."


def test_normalise_removes_invisible_and_control_characters() -> None:
    text = "A\u200bB\x07C\r\nD\u00a0 E\ufeff"
    assert normalise(text) == "AB C\nD E"


def test_glued_paragraphs_are_split_but_abbreviations_are_not() -> None:
    assert split_paragraphs("It was over.Then it began.") == ["It was over.", "Then it began."]
    assert split_paragraphs("The U.S.Army and St.Ives") == ["The U.S.Army and St.Ives"]
