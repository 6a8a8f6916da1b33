"""Pure: a follow-up question made whole from the previous exchange, by a few rules.

After an answer quoting Mark Rowley, "and what did he say about the threat level?" asks "what did
Mark Rowley say about the threat level?"; after "what did the Met say about ports?", "what about
Manchester?" asks "what did the Met say about Manchester?". A question that leaves nothing out
(it names its own subject, or has no pronoun and no "what about") is asked as it is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from index import Answer

__all__ = ["Exchange", "is_question", "rewrite"]


@dataclass(frozen=True)
class Exchange:
    """What a follow-up may lean on: the previous question, as understood, and the speaker of
    its answer's first quote (their name only)."""

    question: str
    speaker: str | None = None

    @classmethod
    def of(cls, answer: Answer) -> Exchange:
        first = answer.quotes[0].speaker if answer.found and answer.quotes else None
        # "Mark Rowley, Assistant Commissioner of the Metropolitan Police" -> "Mark Rowley"
        name = first.split(",")[0].strip() if first else ""
        return cls(answer.question, name or None)


_WORD = re.compile(r"[A-Za-z][\w’'-]*")
_OPENER = r"(?:(?:and|but|so|also|then|ok|okay|well)\b[,\s]*)"
_QUESTION_WORDS = frozenset(
    "what who whom whose when where why how which is are was were did does do has have had can "
    "could will would should tell explain".split()
)
# A pronoun is resolved only when nothing but these comes before it: "and what did he say",
# "what was his role", "tell me more about her". "What did the harbour master say about her
# boat?" names its own subject, so its "her" is left alone.
_LEAD = _QUESTION_WORDS | frozenset(
    "and but so also then ok okay well else exactly really me us more about of from to with by "
    "for on in at".split()
)
_SINGULAR = frozenset({"he", "him", "his", "she", "her", "hers"})
_PLURAL = frozenset({"they", "them", "their", "theirs"})
_POSSESSIVE = frozenset({"his", "their"})
# after which "her" is an object ("ask her about"), not a possessive ("her role")
_NOT_OWNED = frozenset(
    "about and or but to for with from in on at by of say said says think thinks if when".split()
)
_WHAT_ABOUT = re.compile(
    rf"^{_OPENER}?(?:what|how)(?:['’]s|\s+is)?\s+about\s+(?P<topic>.+?)[\s?!.]*$", re.I
)
_AND_TOPIC = re.compile(r"^(?:and|but)\s+(?P<topic>.+?)\s*\?[\s?!.]*$", re.I)
_PREPOSITION = r"(?:in|on|at|for|from|with|over|against|during|near|across|around|into)"
_LAST_ABOUT = re.compile(r"^(?P<head>.*\babout\s+)\S", re.I | re.S)
_LAST_PREPOSITION = re.compile(rf"^(?P<head>.*\b{_PREPOSITION}\s+)\S", re.I | re.S)
_STARTS_WITH_PREPOSITION = re.compile(rf"^{_PREPOSITION}\b", re.I)
_SAY = (
    r"(?:say|said|says|tell|told|think|claim|warn|announce|write|wrote|reveal|admit|mean|argue|"
    r"promise|want|respond|react|describe|explain|do)"
)
_NAMED = (
    re.compile(
        rf"\b(?:what|how)\s+(?:did|does|do|has|have|had|would|will)\s+(?P<who>.+?)\s+{_SAY}\b",
        re.I,
    ),
    re.compile(r"\baccording to\s+(?P<who>[^,?!.]+)", re.I),
    # "Why did Mark Rowley resign?": a run of capitalised words after the first word
    re.compile(r"(?<=\s)(?P<who>(?:the\s+)?[A-Z][\w’'-]*(?:\s+[A-Z][\w’'-]*)*)"),
)


def is_question(text: str) -> bool:
    """Whether a message reads as a question (a question mark, or a question word first), so
    that "thanks!" in reply to an answer is not searched."""
    words = _WORD.findall(re.sub(rf"^\s*{_OPENER}", "", text, flags=re.I))
    return bool(words) and ("?" in text or _bare(words[0]) in _QUESTION_WORDS)


def rewrite(question: str, previous: Exchange | None) -> str:
    """``question`` with what it leaves out taken from ``previous``; ``question`` itself when it
    leaves nothing out, or when nothing in ``previous`` fits."""
    if previous is None:
        return question
    asked = " ".join(question.split())
    topic = _topic(asked)
    if topic is not None:
        return _reframed(previous.question, topic) or question
    return _with_person(asked, previous) or question


def _topic(question: str) -> str | None:
    """What "what about X?" or "and X?" asks about instead, or None."""
    m = _WHAT_ABOUT.match(question)
    if m and len(_WORD.findall(m.group("topic"))) <= 8:  # longer: a question of its own
        return m.group("topic")
    m = _AND_TOPIC.match(question)
    if m:
        words = _WORD.findall(m.group("topic"))
        # "and what did he say?" is a question of its own; "and Manchester?" is a topic
        if words and len(words) <= 4 and _bare(words[0]) not in _LEAD | _SINGULAR | _PLURAL:
            return m.group("topic")
    return None


def _reframed(frame: str, topic: str) -> str | None:
    """The previous question with ``topic`` in place of what it was about, or None."""
    frame = frame.rstrip(" ?!.")
    if _STARTS_WITH_PREPOSITION.match(topic):  # "and in Manchester?": a narrower place or time
        return f"{frame} {topic}?"
    for slot in (_LAST_ABOUT, _LAST_PREPOSITION):
        m = slot.match(frame)
        if m:
            return f"{m.group('head')}{topic}?"
    return None


def _with_person(question: str, previous: Exchange) -> str | None:
    """``question`` with the pronoun that opens it replaced by whom it stands for, or None."""
    for m in _WORD.finditer(question):
        word = m.group().lower()
        if word in _SINGULAR or word in _PLURAL:
            break
        if _bare(word) not in _LEAD:
            return None
    else:
        return None
    named = _named(previous.question)
    # "he" and "she" are people: the one quoted first; "they" may be the Met, as asked about
    who = (previous.speaker or named) if word in _SINGULAR else (named or previous.speaker)
    if who is None:
        return None
    if word in _POSSESSIVE or (word == "her" and _owns(question[m.end() :])):
        who += "'s"
    whole = question[: m.start()] + who + question[m.end() :]
    return re.sub(rf"^{_OPENER}", "", whole, flags=re.I)


def _bare(word: str) -> str:
    """A word in lower case without what follows an apostrophe ("What's" -> "what")."""
    return re.split(r"[’']", word.lower(), maxsplit=1)[0]


def _owns(rest: str) -> bool:
    """Whether "her" followed by ``rest`` is a possessive ("her role") rather than an object."""
    following = _WORD.match(rest.lstrip())
    return following is not None and following.group().lower() not in _NOT_OWNED


def _named(question: str) -> str | None:
    """Whom a question asks about ("what did the Met say" -> "the Met"), or None."""
    for rule in _NAMED:
        m = rule.search(question)
        if m:
            who = m.group("who").strip()
            if who.lower() not in _SINGULAR | _PLURAL | {"you", "i", "we", "it"}:
                return who
    return None
