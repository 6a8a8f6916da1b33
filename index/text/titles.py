"""Headlines without publisher furniture: the " | CNN" and "Opinion | " a source repeats.

A headline's affixes are the text after its last separator and before its first one. Which of
them are furniture is learned per source, as repeated paragraphs are: an affix that a source's
headlines share is not news (``furniture``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["MIN_REPEATS", "affixes", "clean_title"]

MIN_REPEATS = 3  # headlines of a source that share an affix before it counts as furniture
_SEPARATOR = re.compile(r"\s+[|\-–—]\s+")
_ELLIPSIS = re.compile(r"\s*(?:\.{3}|…)$")  # a search engine's or feed's truncated headline
_MAX_SUFFIX = 40
_MAX_PREFIX = 25


def _trimmed(title: str) -> str:
    return _ELLIPSIS.sub("", " ".join(title.split()))


def affixes(title: str) -> set[str]:
    """The headline's candidate furniture: its last separator and what follows, its first
    separator and what precedes (each short)."""
    text = _trimmed(title)
    found = list(_SEPARATOR.finditer(text))
    if not found:
        return set()
    out = set()
    suffix = text[found[-1].start() :]
    if len(suffix) <= _MAX_SUFFIX:
        out.add(suffix)
    prefix = text[: found[0].end()]
    if len(prefix) <= _MAX_PREFIX:
        out.add(prefix)
    return out


def clean_title(title: str, furniture: Iterable[str]) -> str:
    """``title`` without a trailing ellipsis and without the ``furniture`` it starts or ends
    with; the headline as given when nothing would be left."""
    text = _trimmed(title)
    known = set(furniture)
    changed = True
    while changed:
        changed = False
        for affix in affixes(text) & known:
            shorter = text.removesuffix(affix) if text.endswith(affix) else text[len(affix) :]
            if shorter.strip():
                text, changed = _trimmed(shorter.strip()), True
    return text or " ".join(title.split())
