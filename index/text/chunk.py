"""Pure segmentation: paragraphs, sentences and passages as character spans of the cleaned text."""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = [
    "PassageSpan",
    "Span",
    "estimate_tokens",
    "paragraph_spans",
    "passages",
    "sentence_spans",
    "sentences_in",
]

Span = tuple[int, int]

_ABBREVIATIONS = frozenset(
    """mr mrs ms dr prof st mt gen col lt sgt capt cpl maj adm gov sen rep rev hon jr sr inc
    ltd co corp plc bros vs etc al approx dept est fig vol op cf eg ie jan feb mar apr jun
    jul aug sep sept oct nov dec u.s u.k u.n e.g i.e a.m p.m""".split()
)
# A sentence ends at . ! ? or an ellipsis, optionally followed by closing quotes or brackets.
_END = re.compile(r"(?:[.!?]+|…)[\"'”’)\]]*(?=\s+|$)")
_NEXT_START = re.compile(r"\s+[\"'“‘(\[]?[A-Z0-9]")
_LAST_WORD = re.compile(r"([\w.]+)[.!?…\"'”’)\]]*$")
_TOKEN = re.compile(r"\w+|[^\w\s]")


def estimate_tokens(text: str) -> int:
    """Approximate word pieces: words and punctuation, plus a margin for long words."""
    tokens = _TOKEN.findall(text)
    return len(tokens) + sum(len(t) // 7 for t in tokens)


def paragraph_spans(text: str) -> list[Span]:
    """Spans of the non-empty lines of ``text``."""
    spans: list[Span] = []
    pos = 0
    for line in text.split("\n"):
        stripped = line.strip()
        if stripped:
            start = pos + line.index(stripped)
            spans.append((start, start + len(stripped)))
        pos += len(line) + 1
    return spans


def _is_boundary(text: str, end: int, stop: int) -> bool:
    match_word = _LAST_WORD.search(text, max(0, end - 12), end)
    word = match_word.group(1).rstrip(".").lower() if match_word else ""
    ends_with_period = text[end - 1] == "." or (
        text[end - 1] in "\"'”’)]" and "." in text[end - 3 : end]
    )
    if ends_with_period and (word in _ABBREVIATIONS or (len(word) == 1 and word.isalpha())):
        return False
    return bool(_NEXT_START.match(text, end, stop)) or end >= stop


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[Span]:
    """Sentence spans inside ``text[start:end]`` (a paragraph); they tile it, less whitespace."""
    stop = len(text) if end is None else end
    spans: list[Span] = []
    begin = start
    for m in _END.finditer(text, start, stop):
        if m.end() >= stop or _is_boundary(text, m.end(), stop):
            if text[begin : m.end()].strip():
                spans.append((begin, m.end()))
            begin = m.end()
            while begin < stop and text[begin].isspace():
                begin += 1
    while stop > begin and text[stop - 1].isspace():
        stop -= 1
    if begin < stop:
        spans.append((begin, stop))
    return spans


def sentences_in(text: str, start: int, end: int) -> list[Span]:
    """The sentences of ``text`` inside ``[start, end)`` (the whole range when none fits); only
    the paragraphs that overlap the range are split."""
    found = [
        s
        for a, b in paragraph_spans(text)
        if a < end and b > start
        for s in sentence_spans(text, a, b)
        if s[0] >= start and s[1] <= end
    ]
    return found or [(start, end)]


@dataclass(frozen=True)
class PassageSpan:
    """A passage: whole sentences of one or more consecutive paragraphs."""

    start: int
    end: int
    sentences: tuple[Span, ...]


def passages(text: str, max_tokens: int = 120, min_tokens: int = 40) -> list[PassageSpan]:
    """Group sentences into passages of at most ``max_tokens`` (estimated), never splitting one.

    A passage never spans a paragraph break unless its paragraph is shorter than ``min_tokens``,
    so short news paragraphs travel with their neighbour. A single over-long sentence stands alone.
    """
    out: list[PassageSpan] = []
    current: list[Span] = []
    size = 0

    def flush() -> None:
        nonlocal current, size
        if current:
            out.append(PassageSpan(current[0][0], current[-1][1], tuple(current)))
        current, size = [], 0

    for p_start, p_end in paragraph_spans(text):
        if current and size >= min_tokens:
            flush()
        for s in sentence_spans(text, p_start, p_end):
            n = estimate_tokens(text[s[0] : s[1]])
            if current and size + n > max_tokens:
                flush()
            current.append(s)
            size += n
    flush()
    return out
