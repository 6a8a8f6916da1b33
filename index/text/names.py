"""Pure: the names a text writes with a capital inside a sentence, so that "the Met" is a name and
the verb "met" is not."""

from __future__ import annotations

import re
from functools import lru_cache

__all__ = ["cased_names"]

_WORD = re.compile(r"[A-Za-z][\w’'-]*")
_POSSESSIVE = re.compile(r"[’']s?$")
# What may end a sentence (or open a quoted one) before a word: a capital after one of these
# starts a sentence. Not a bracket: "the Harbour Staff Union (DHSU)" introduces a name.
_OPENERS = frozenset(".?!:\"“‘'\n")


@lru_cache(maxsize=4096)
def cased_names(text: str, *, headline: bool = False) -> frozenset[str]:
    """The lower-cased words that ``text`` capitalises where a sentence does not start, without a
    possessive ("Rowley's" -> "rowley"); in a ``headline``, every capitalised word (its first
    word is as likely a name as not). Cached: an article's text recurs across candidates."""
    names = set()
    for m in _WORD.finditer(text):
        word = m.group()
        if not word[0].isupper() or len(word) == 1:
            continue
        i = m.start() - 1
        while i >= 0 and text[i] in " \t":
            i -= 1
        if not headline and (i < 0 or text[i] in _OPENERS):
            continue
        names.add(_POSSESSIVE.sub("", word).lower())
    return frozenset(names)
