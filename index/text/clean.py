"""Pure text cleaning: normalisation and removal of publisher furniture.

Furniture is recognised by rules that generalise, not by a list of one site's strings:
- ``FURNITURE_LINES``: whole paragraphs that are site chrome (share/follow/newsletter/comments...);
- appeals: paragraphs in the publisher's voice ("we", "our", "you") asking for support, donations or
  subscriptions, and the publisher-voice paragraphs sandwiched between two of them;
- glued paragraphs ("...all the difference.British police...") are split before the rules run;
- across a corpus, paragraphs repeated in many articles of one source are passed in as ``boilerplate``.
"""

from __future__ import annotations

import hashlib
import itertools
import re
import unicodedata
from collections.abc import Iterable

__all__ = [
    "FURNITURE_LINES",
    "clean_text",
    "normalise",
    "paragraph_key",
    "split_paragraphs",
]

# Whole paragraphs that are page furniture. Keep each rule general and anchored to the whole paragraph.
FURNITURE_LINES: tuple[re.Pattern[str], ...] = tuple(
    re.compile(p, re.IGNORECASE)
    for p in (
        r"comments?( \(\d+\))?",
        r"(view|show|load|read) (all )?comments.*",
        r"join (our|the) (commenting forum|conversation|discussion).*",
        r"join thought-provoking conversations.*",
        r"advertisement|advertising|sponsored( content)?|ad feature",
        r"(share|tweet|email|print)( this)?( article| story| page)?( on \w+)?:?",
        r"share (on|via|with) .*",
        r"follow us on .*",
        r"(read|see) (more|also)\b.{0,200}",
        r"related( articles?| stories| content)?:?.{0,200}",
        r"most (read|popular|viewed|shared)",
        r"(sign|signing) up (to|for) .{0,200}",
        r"(subscribe|register) (to|for|now|today|here)\b.{0,200}",
        r"(want|like) to (bookmark|save|read) .{0,200}",
        r".{0,60}\bnewsletter\b.{0,120}",
        r"(click|tap) here.{0,200}",
        r"(image|photo|picture)( credit)?: .{0,200}",
        r"(copyright|©) .{0,200}",
        r"all rights reserved.{0,100}",
        r"(this|the) (article|story) (is|was) (continued|updated) .{0,100}",
        r"(skip|jump) to (main )?content",
        r"cookies? (policy|settings|preferences).{0,200}",
        r"(we|this site) uses? cookies.{0,300}",
    )
)

# An appeal talks about supporting, paying for or subscribing to the publisher's journalism.
_APPEAL_CUE = re.compile(
    r"\b(your (support|donation|contribution|gift)s?|donat(e|es|ion|ions|ing)|paywalls?"
    r"|subscri(be|ber|bers|ption|ptions)|premium|membership|become a (member|supporter)"
    r"|support (us|our|independent|quality|local|trusted)\b|(our|independent|quality|local) journalism"
    r"|keep (our )?(reporting|journalism)|reader-funded|contribute)\b",
    re.IGNORECASE,
)
# The publisher's own voice addressing the reader; reporting rarely uses it outside quotation marks.
_PUBLISHER_VOICE = re.compile(r"\b(we|our|us|you|your)\b", re.IGNORECASE)
_QUOTE_MARKS = re.compile(r"[\"“”]")
# ".British" after a lower-case word: two paragraphs glued without a space.
_GLUE = re.compile(r"(?<=[a-z]{2}[.!?])(?=[A-Z][a-z])")
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_INVISIBLE = re.compile(r"[\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060-\u2064\ufeff]")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def normalise(text: str) -> str:
    """NFC, unified newlines, no control or invisible characters, single spaces, trimmed lines."""
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL.sub(" ", _INVISIBLE.sub("", text))
    lines = (_SPACES.sub(" ", line).strip() for line in text.split("\n"))
    return "\n".join(lines)


def split_paragraphs(text: str) -> list[str]:
    """Non-empty lines of normalised text, with glued paragraphs split apart."""
    out: list[str] = []
    for line in normalise(text).split("\n"):
        out.extend(part.strip() for part in _GLUE.split(line) if part.strip())
    return out


def paragraph_key(paragraph: str) -> str:
    """A short hash identifying a paragraph regardless of case and spacing."""
    folded = re.sub(r"\W+", " ", paragraph.casefold()).strip()
    return hashlib.blake2b(folded.encode(), digest_size=8).hexdigest()


def _is_furniture_line(paragraph: str) -> bool:
    bare = paragraph.strip(" .!:|>-–—•*#")
    return any(rule.fullmatch(bare) for rule in FURNITURE_LINES)


def _is_appeal(paragraph: str) -> bool:
    return (
        bool(_APPEAL_CUE.search(paragraph))
        and bool(_PUBLISHER_VOICE.search(paragraph))
        and not _QUOTE_MARKS.search(paragraph)
    )


def _is_publisher_voice(paragraph: str) -> bool:
    return bool(_PUBLISHER_VOICE.search(paragraph)) and not _QUOTE_MARKS.search(paragraph)


def clean_paragraphs(paragraphs: list[str], boilerplate: Iterable[str] = ()) -> list[str]:
    """Drop furniture and appeals from a list of paragraphs; ``boilerplate`` holds paragraph keys."""
    repeated = set(boilerplate)
    drop = [
        _is_furniture_line(p) or _is_appeal(p) or paragraph_key(p) in repeated for p in paragraphs
    ]
    appeals = [i for i, p in enumerate(paragraphs) if drop[i] and _is_appeal(p)]
    # Publisher-voice paragraphs between two appeals close by belong to the same appeal block.
    for a, b in itertools.pairwise(appeals):
        if b - a <= 4 and all(_is_publisher_voice(paragraphs[i]) for i in range(a + 1, b)):
            for i in range(a + 1, b):
                drop[i] = True
    # A short heading right before an appeal ("Your support helps us to tell the story").
    for a in appeals:
        heading = paragraphs[a - 1] if a > 0 and not drop[a - 1] else ""
        if heading and _is_publisher_voice(heading) and len(heading) <= 80:
            drop[a - 1] = not heading.endswith((".", '"'))
    return [p for p, d in zip(paragraphs, drop, strict=True) if not d]


def clean_text(text: str, boilerplate: Iterable[str] = ()) -> str:
    """The reporting in ``text``: paragraphs joined by blank lines, furniture removed."""
    return "\n\n".join(clean_paragraphs(split_paragraphs(text), boilerplate))
