"""Pure: the names a text writes with a capital inside a sentence, so that "the Met" is a name and
the verb "met" is not."""

from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache

__all__ = ["cased_names", "introduced_names"]

_WORD = re.compile(r"[A-Za-z][\w’'-]*")
# A word that starts a sentence (or a quoted one, or a line): after one of these and spaces.
# Not a bracket: "the Harbour Staff Union (DHSU)" introduces a name.
_FIRST = re.compile(r"(?:\A|(?<=[.?!:\"“‘'\n]))[ \t]*([A-Za-z][\w’'-]*)")
_POSSESSIVE = re.compile(r"[’']s?$")


@lru_cache(maxsize=4096)
def cased_names(text: str, *, headline: bool = False) -> frozenset[str]:
    """The lower-cased words that ``text`` capitalises where a sentence does not start, without a
    possessive ("Rowley's" -> "rowley"); in a ``headline``, every capitalised word (its first
    word is as likely a name as not). Cached: an article's text recurs across candidates.

    Counted, not visited word by word (this runs on every candidate's article): a capitalised
    word is a name when it occurs more often than it starts a sentence."""
    capitalised = Counter(w for w in _WORD.findall(text) if w[0].isupper() and len(w) > 1)
    if not headline:
        capitalised.subtract(_FIRST.findall(text))
    return frozenset(_POSSESSIVE.sub("", w).lower() for w, n in capitalised.items() if n > 0)


# A name of capitalised words (small joining words inside) and the short form in brackets
# after it: "the Harbour Staff Union (DHSU)", "the Federal Reserve (the Fed)".
_INTRODUCED = re.compile(
    r"((?:[A-Z][\w’'.&-]*\s+)(?:(?:of|and|for|the|on|de|&)\s+|[A-Z][\w’'.&-]*\s+){0,7})"
    r"\((?:the\s+)?([A-Z][A-Za-z.&-]{1,11})\)"
)


def introduced_names(text: str) -> list[tuple[str, str]]:
    """The short forms ``text`` introduces for a name, as (short, full): the initials of its
    capitalised words, in order and ending with the last ("DHSU"), or the start of its first
    word ("Fed")."""
    found = []
    for m in _INTRODUCED.finditer(text):
        full = " ".join(w for w in m.group(1).split() if w != "The")
        words = [w for w in full.split() if w[0].isupper()]
        if words and _abbreviates(m.group(2).replace(".", ""), words):
            found.append((m.group(2), full))
    return found


def _abbreviates(short: str, words: list[str]) -> bool:
    if len(short) >= 3 and words[0].lower().startswith(short.lower()) and len(words) > 1:
        return True
    letters = [c for c in short if c.isupper()]
    if len(letters) < 2 or letters[-1] != words[-1][0]:
        return False
    initials = iter(w[0] for w in words)  # in order; a word may be skipped ("U.S.")
    return all(any(c == i for i in initials) for c in letters)
