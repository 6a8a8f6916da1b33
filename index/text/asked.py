"""Pure: whose words a question asks for ("what did the Met say about ports?"), and whether it
asks about now ("this week", "latest")."""

from __future__ import annotations

import re

__all__ = ["asked_speaker", "asks_for_recent", "names_match"]

_VERBS = r"(?:say|said|says|tell|told|think|thinks|claim|claimed|warn|warned|announce|announced|write|wrote|reveal|revealed|admit|admitted|mean|argue|argued|promise|promised|want|wanted)"
_WHO = r"(?P<who>[\w.'’ -]{2,60}?)"
_RULES = (
    # what did the Met say about ports? / what has Mark Rowley said?
    re.compile(rf"\bwhat (?:did|does|do|has|have|had|would|will) {_WHO} {_VERBS}\b", re.I),
    # according to Mark Rowley, ...? / ... according to the Met?
    re.compile(
        r"\b(?i:according to) (?P<who>(?:the )?[A-Z][\w.'’-]*(?:\s+(?:of\s+)?[A-Z][\w.'’-]*)*)"
    ),
    # how did the council respond? / what was Rowley's view?
    re.compile(rf"\bhow (?:did|does|has|have) {_WHO} (?:respond|react|describe|explain)\b", re.I),
    re.compile(
        rf"\bwhat (?:was|is|were|are) {_WHO}['’]s? (?:view|response|reaction|position|message|warning)\b",
        re.I,
    ),
)
_RECENT = re.compile(
    r"\b(?i:recent|recently|latest|newest|current|currently|this (?:week|month|year)|so far"
    r"|(?:to|yester)day|now)\b|\bnew\b"  # "new", not "New York"
)
_PRONOUNS = frozenset(
    {"he", "she", "they", "it", "you", "i", "we", "people", "officials", "police"}
)
_ARTICLE = re.compile(r"^(?:the|a|an)\s+", re.I)


def asked_speaker(question: str) -> str | None:
    """The person or organisation whose words ``question`` asks for, as written (without a
    leading "the"); None when it asks for nobody's in particular."""
    for rule in _RULES:
        m = rule.search(question)
        if m:
            who = _ARTICLE.sub("", m.group("who").strip(" ,"))
            if who and who.lower() not in _PRONOUNS:
                return who
    return None


def _words(text: str) -> list[str]:
    return re.findall(r"[A-Za-z][\w’'-]*", text)


def names_match(asked: str, speaker: str) -> bool:
    """Whether ``speaker`` (as the article names them: "Mark Rowley, Assistant Commissioner of
    the Metropolitan Police") is who ``asked`` names: every capitalised word asked for starts a
    word of the speaker's ("Met" starts "Metropolitan"), or, for a lower-case question, every
    word asked for is one of the speaker's."""
    wanted = [w for w in _words(asked) if w[0].isupper()] or _words(asked)
    have = [w.lower() for w in _words(speaker)]
    return bool(wanted) and all(
        any(h.startswith(w.lower()) if len(w) >= 3 else h == w.lower() for h in have)
        for w in wanted
    )


def asks_for_recent(question: str) -> bool:
    """Whether ``question`` asks about the latest news ("this week", "latest", "a new law")."""
    return bool(_RECENT.search(question))
