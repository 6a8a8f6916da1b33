"""Pure: what kind of answer a question expects, and whether a sentence holds one."""

from __future__ import annotations

import re

__all__ = ["ANSWER_TYPES", "expected_type", "has_type"]

ANSWER_TYPES = ("number", "date", "person")

_MONTHS = (
    "january|february|march|april|may|june|july|august|september|october|november|december"
    "|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec"
)
_NUMBER_WORDS = (
    "one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty"
    "|hundred|hundreds|thousand|thousands|million|millions|billion|dozen|dozens|half|double"
)
_QUESTION_TYPES = (
    (
        "number",
        re.compile(
            r"\b(how (many|much|long|far|old|big|large|high|often|tall|fast)|what (percentage|percent|proportion|number|amount|age|size))\b",
            re.I,
        ),
    ),
    (
        "date",
        re.compile(
            r"\b(when|what (year|date|day|month|time|decade|century)|which (year|date|day|month|decade|century))\b",
            re.I,
        ),
    ),
    ("person", re.compile(r"\b(who|whom|whose)\b", re.I)),
)
_HAS = {
    "number": re.compile(rf"\d|\b({_NUMBER_WORDS})\b", re.I),
    "date": re.compile(
        rf"\b(1[0-9]{{3}}|20[0-9]{{2}}|({_MONTHS})\b|monday|tuesday|wednesday|thursday|friday|saturday|sunday"
        r"|yesterday|today|tomorrow|(last|next|this) (week|month|year|summer|winter|spring|autumn)"
        r"|\d+(st|nd|rd|th) century|\d{1,2}(am|pm|:\d\d))",
        re.I,
    ),
    # a capitalised word that does not start the sentence: a likely name
    "person": re.compile(r"(?<=[a-z,;] )[A-Z][a-z]+"),
}


def expected_type(question: str) -> str | None:
    """``number``, ``date`` or ``person`` when the question's wording asks for one."""
    return next((kind for kind, rule in _QUESTION_TYPES if rule.search(question)), None)


def has_type(kind: str | None, sentence: str) -> bool:
    """Whether ``sentence`` contains something of ``kind`` (always False for None)."""
    return kind is not None and bool(_HAS[kind].search(sentence))
