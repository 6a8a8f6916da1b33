"""Speakers: who is quoted in a passage, as the article names them (pure)."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable

from ..text.chunk import paragraph_spans

__all__ = ["attribute_speaker"]


_NAME_WORD = r"(?:[A-Z][a-zA-Z'’-]+|[A-Z]\.)"
_NAME = rf"(?!(?:He|She|They|It|We|I|You|The|A|An)\b){_NAME_WORD}(?:\s+(?:(?:de|van|von|da|di|del|la|le|bin|al)\s+)?{_NAME_WORD})*"
_TITLE = (
    r"(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof|Professor|Sir|Dame|Lord|Lady|Rev|Cllr|Councillor|Captain|Capt"
    r"|Inspector|Insp|Sergeant|Sgt|Detective|Det|DI|DS|DC|PC|Constable|Judge|Justice|Chief|Commander"
    r"|Superintendent|Supt)\.?"
)
_FEMALE_TITLES = frozenset({"Mrs", "Ms", "Miss", "Dame", "Lady"})
_MALE_TITLES = frozenset({"Mr", "Sir", "Lord"})
_VERB = (
    r"(?:said|says|told|added|adds|explained|warned|insisted|claimed|argued|stated|noted|"
    r"continued|wrote|admitted|confirmed|replied|recalled|urged|announced|suggested|stressed|"
    r"acknowledged|concluded|declared|remarked|agreed|joked|pointed out|went on)"
)
_PRONOUN = r"(?:he|she|He|She)"
_OPEN = '"“'
_CLOSE = '"”'
_WHO = rf"(?:(?P<who>(?:{_TITLE}\s+)?{_NAME})|(?P<pron>{_PRONOUN}))"
_QUOTED = (  # attributions of a quotation
    # "...," Mark Rowley, Assistant Commissioner of the Met, told / "...," he said
    re.compile(rf"[,.!?…-][{_CLOSE}]\s*{_WHO}(?:,[^\"“”]{{3,160}}?,)?\s+(?:has\s+)?{_VERB}\b"),
    # "...," said Mark Rowley
    re.compile(rf"[,.!?…-][{_CLOSE}]\s*{_VERB}\s+{_WHO}\b"),
    # Mr Rowley said: "... / He added: "... / Jane Doe told the paper: "...
    re.compile(rf"{_WHO}\s+(?:has\s+)?{_VERB}(?:\s+[^{_OPEN}{_CLOSE}:.]{{0,60}})?[:,]\s*[{_OPEN}]"),
)
# Mr Rowley said the public may notice... (reported speech opening a paragraph)
_REPORTED = re.compile(rf"^{_WHO}\s+(?:has\s+|had\s+)?{_VERB}\b")
_SPEECH = re.compile(rf"\b{_VERB}\b")  # every attribution has one
_MENTION = re.compile(
    rf"(?:(?P<title>{_TITLE})\s+)?(?P<name>{_NAME})(?P<role>,\s+[^\"“”\n.;:]{{3,160}}?,)?"
)
_NOT_PERSON_FIRST = frozenset(
    """The A An It This That These Those There Police Officials Critics Residents Witnesses
    Sources Experts Campaigners Officers Analysts Spokesman Spokeswoman Spokesperson Storm
    Monday Tuesday Wednesday Thursday Friday Saturday Sunday January February March April May
    June July August September October November December In On At For But And So Yet When""".split()
)
_NOT_PERSON_LAST = frozenset(
    """Power Council Police Bureau Service Services Ltd Limited Group Company Authority Trust
    Association Union Department Ministry Agency Office Board Commission Court University
    Hospital Bank Party Club Network Institute News Times Post Herald Gazette Courier Daily
    Alliance Coastguard Federation Foundation Society Railway Railways Airport Port Energy
    Inc Corp Plc Partnership Committee Government Parliament Church School College Centre
    Beach Head Junction Lane Street Road Avenue Pier Harbour Bay Island Hill Park Square Bridge
    Station Valley River Point Quay Way Green Estate Hall Museum Stadium""".split()
)


class _People:
    """Everyone named in an article: full names, roles, likely gender and where they are mentioned."""

    def __init__(self, text: str) -> None:
        self.full: dict[str, str] = {}  # surname -> "Full Name, role"
        self.gender: dict[str, str] = {}
        self.mentions: list[tuple[int, str]] = []  # (offset, surname) of each person mention
        found = [(m, self._person(m)) for m in _MENTION.finditer(text)]
        for m, words in found:
            if words and len(words) >= 2:
                surname = words[-1]
                role = (m.group("role") or "").strip(" ,")
                known = self.full.get(surname, "")
                if (
                    not known
                    or (role and "," not in known)
                    or len(words) > len(known.split(",")[0].split())
                ):
                    self.full[surname] = " ".join(words) + (f", {role}" if role else "")
        for m, words in found:
            if words and words[-1] in self.full:
                title = (m.group("title") or "").rstrip(".")
                if title in _FEMALE_TITLES | _MALE_TITLES:
                    self.gender[words[-1]] = "f" if title in _FEMALE_TITLES else "m"
                self.mentions.append((m.start("name"), words[-1]))

    @staticmethod
    def _person(m: re.Match[str]) -> list[str] | None:
        words = m.group("name").split()
        while words and re.fullmatch(_TITLE, words[0]):
            words = words[1:]
        if not words or words[0] in _NOT_PERSON_FIRST or words[-1] in _NOT_PERSON_LAST:
            return None
        return words

    def by_name(self, who: str) -> str | None:
        words = [w for w in who.split() if not re.fullmatch(_TITLE, w)]
        return self.full.get(words[-1]) if words else None

    def by_pronoun(self, pronoun: str, before: int) -> str | None:
        """The latest person mentioned before ``before`` whose known gender fits the pronoun."""
        want = "m" if pronoun.lower() == "he" else "f"
        for pos, surname in reversed(self.mentions):
            if pos < before and self.gender.get(surname, want) == want:
                return self.full[surname]
        return None


def _attribution(paragraph: str, offset: int, people: Callable[[], _People]) -> str | None:
    """The speaker a paragraph names for its quotation or reported speech, if any (the article's
    people are only gathered when a paragraph has an attribution to resolve)."""
    if not _SPEECH.search(paragraph):
        return None
    rules = (*_QUOTED, _REPORTED) if _has_quote(paragraph) else (_REPORTED,)
    for rule in rules:
        for m in rule.finditer(paragraph):
            if m.group("pron"):
                found = people().by_pronoun(m.group("pron"), offset + m.start("pron"))
            else:
                found = people().by_name(m.group("who"))
            if found:
                return found
    return None


def _has_quote(paragraph: str) -> bool:
    return any(c in paragraph for c in _OPEN + _CLOSE)


@functools.lru_cache(maxsize=256)
def _speakers(text: str) -> tuple[tuple[int, int, bool, str | None], ...]:
    """Each paragraph's span, whether it holds a quotation, and its speaker (once per article)."""
    people = functools.cache(functools.partial(_People, text))
    out = []
    context: str | None = None  # who was speaking in the paragraph before
    for p_start, p_end in paragraph_spans(text):
        paragraph = text[p_start:p_end]
        named = _attribution(paragraph, p_start, people)
        if named is None and paragraph[0] in _OPEN:
            named = context
        out.append((p_start, p_end, _has_quote(paragraph), named))
        context = named
    return tuple(out)


def attribute_speaker(text: str, start: int, end: int) -> str | None:
    """Who is quoted in ``text[start:end]``, as named in the article; None when unsure.

    Full names and roles are collected from the whole article, so "Mr Rowley said" resolves to
    "Mark Rowley, Assistant Commissioner..."; "he said" resolves to the latest person mentioned
    whose gender (from Mr/Ms titles) fits. A quotation paragraph with no attribution of its own
    continues the speaker of the paragraph before it.
    """
    first = text.rfind("\n", 0, start) + 1
    last = text.find("\n", end)
    if not _has_quote(text[first : last if last >= 0 else len(text)]):
        return None  # no quotation mark in the lines it touches: no need to scan the article
    for p_start, p_end, quoted, named in _speakers(text):
        if p_start >= end:
            break
        if p_end > start and quoted:
            return named
    return None
