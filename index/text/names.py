"""Pure: the names a text writes with a capital inside a sentence, so that "the Met" is a name and
the verb "met" is not."""

from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache

__all__ = ["cased_names"]

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
