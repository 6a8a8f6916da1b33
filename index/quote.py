"""Pure quote making: pick a window of sentences around the best one, and attribute its speaker."""

from __future__ import annotations

import re
from collections.abc import Sequence

from .chunk import Span, paragraph_spans

__all__ = ["attribute_speaker", "quote_window"]


def quote_window(sentences: Sequence[Span], best: int, budget: int) -> tuple[int, int]:
    """Indexes ``[first, last]`` of the sentences to show: the best one, then its followers, then
    its predecessors, while the whole stays within ``budget`` characters."""
    first = last = best
    size = sentences[best][1] - sentences[best][0]
    grew = True
    while grew:
        grew = False
        if last + 1 < len(sentences):
            extra = sentences[last + 1][1] - sentences[last][1]
            if size + extra <= budget:
                last, size, grew = last + 1, size + extra, True
        if first > 0:
            extra = sentences[first][0] - sentences[first - 1][0]
            if size + extra <= budget:
                first, size, grew = first - 1, size + extra, True
    return first, last


# -- speakers -----------------------------------------------------------------------------------
_NAME = r"(?!(?:He|She|They|It|We|I|You)\b)(?:[A-Z][a-zA-Z'’-]+|[A-Z]\.)(?:\s+(?:(?:de|van|von|da|di|del|la|le|bin|al)\s+)?(?:[A-Z][a-zA-Z'’-]+|[A-Z]\.))*"
_TITLE = r"(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof|Professor|Sir|Dame|Lord|Lady|Rev|Cllr|Councillor|Chief|Inspector|Sgt|Det)\.?"
_VERB = (
    r"(?:said|says|told|added|adds|explained|warned|insisted|claimed|argued|stated|noted|"
    r"continued|wrote|admitted|confirmed|replied|recalled|urged|announced|suggested|stressed|"
    r"acknowledged|concluded|declared|remarked)"
)
_PRONOUN = r"(?:he|she|they|He|She|They)"
_OPEN = '"“'
_CLOSE = '"”'
_ROLE = r"(?:[^\"“”.;:]{3,120}?)"
# "...," Mark Rowley, Assistant Commissioner of the Met, told / said
_AFTER_QUOTE_NAME = re.compile(
    rf"[{_CLOSE}]\s*(?:(?P<who>(?:{_TITLE}\s+)?{_NAME})(?:,\s*(?P<role>{_ROLE}),)?|(?P<pron>{_PRONOUN}))\s+{_VERB}\b"
)
# "...," said Mark Rowley, Assistant Commissioner of the Met.
_AFTER_QUOTE_VERB = re.compile(
    rf"[{_CLOSE}]\s*{_VERB}\s+(?:(?P<who>(?:{_TITLE}\s+)?{_NAME})(?:,\s*(?P<role>{_ROLE})[.,])?|(?P<pron>{_PRONOUN})\b)"
)
# Mr Rowley said: "... / He added: "... / Jane Doe, a nurse, told the paper: "...
_BEFORE_QUOTE = re.compile(
    rf"(?:(?P<who>(?:{_TITLE}\s+)?{_NAME})(?:,\s*(?P<role>{_ROLE}),)?|(?P<pron>{_PRONOUN}))\s+{_VERB}"
    rf"(?:\s+[^{_OPEN}{_CLOSE}:]{{0,60}})?[:,]\s*[{_OPEN}]"
)
# Mr Rowley said the British public... (reported speech at the start of a paragraph)
_REPORTED = re.compile(
    rf"^(?:(?P<who>(?:{_TITLE}\s+)?{_NAME})(?:,\s*(?P<role>{_ROLE}),)?|(?P<pron>{_PRONOUN}))\s+(?:has\s+|had\s+)?{_VERB}\b"
)
# Full names with roles anywhere: "Mark Rowley, Assistant Commissioner of the Metropolitan Police,"
_INTRODUCTION = re.compile(rf"(?P<who>{_NAME}),\s*(?P<role>{_ROLE}),\s+(?:has\s+|had\s+)?{_VERB}")
_NOT_NAMES = frozenset(
    """The A An It This That These Those There Police Officials Critics Residents Witnesses
    Sources Experts Campaigners Officers Analysts Spokesman Spokeswoman Spokesperson""".split()
)


class _People:
    """Who has been named so far in an article, to resolve surnames and pronouns."""

    def __init__(self) -> None:
        self.full: dict[str, str] = {}  # surname -> "Full Name, role"
        self.last: str | None = None

    def add(self, who: str, role: str | None) -> str | None:
        words = re.sub(rf"^{_TITLE}\s+", "", who).split()
        if not words or words[0] in _NOT_NAMES:
            return None
        surname = words[-1]
        if len(words) == 1 and who.split()[0].rstrip(".") not in _TITLES_BARE:
            return None  # a lone capitalised word ("Officials") is not a name
        if len(words) >= 2 and (surname not in self.full or role):
            self.full[surname] = " ".join(words) + (f", {role.strip()}" if role else "")
        known = self.full.get(surname)
        if known:
            self.last = known
        return known

    def resolve(self, who: str | None, role: str | None, pronoun: str | None) -> str | None:
        if pronoun:
            return self.last if pronoun.lower() in ("he", "she") else None
        return self.add(who, role) if who else None


_TITLES_BARE = frozenset(t.rstrip(".") for t in _TITLE[3:-4].split("|"))


def _attribution(paragraph: str, people: _People) -> str | None:
    """The speaker a paragraph names for its quotation, updating ``people`` as names appear."""
    found: str | None = None
    for rule in (_AFTER_QUOTE_NAME, _AFTER_QUOTE_VERB, _BEFORE_QUOTE, _REPORTED):
        m = rule.search(paragraph)
        if m:
            found = people.resolve(m.group("who"), m.group("role"), m.group("pron"))
            if found:
                break
    for m in _INTRODUCTION.finditer(paragraph):
        label = people.add(m.group("who"), m.group("role"))
        found = found or label
    return found


def _has_quote(paragraph: str) -> bool:
    return any(c in paragraph for c in _OPEN + _CLOSE)


def attribute_speaker(text: str, start: int, end: int) -> str | None:
    """Who is quoted in ``text[start:end]``, as named earlier in the article; None when unsure.

    Reads the article's paragraphs in order, tracking who has been named (full name and role), so
    "Mr Rowley said" and "he said" resolve to the person introduced before. A quotation paragraph
    with no attribution of its own continues the quotation of the paragraph before it.
    """
    people = _People()
    context: str | None = None  # who was speaking in the paragraph before
    for p_start, p_end in paragraph_spans(text):
        if p_start >= end:
            break
        paragraph = text[p_start:p_end]
        named = _attribution(paragraph, people)
        continues = paragraph[0] in _OPEN
        if named is None and continues:
            named = context
        if p_end > start and _has_quote(paragraph):
            return named
        context = named
    return None
