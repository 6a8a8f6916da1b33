"""Search terms: lower-cased, stop-word-free, Snowball-stemmed words."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

__all__ = ["tokenize"]

_WORD = re.compile(r"\w\w+|\d")
# Question words and fillers that carry no topic; BM25's English list plus the ones questions add.
_STOPWORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for
    from further had has have having he her here hers herself him himself his how i if in
    into is it its itself just me more most my myself no nor not now of off on once only or
    other our ours ourselves out over own same she should so some such than that the their
    theirs them themselves then there these they this those through to too under until up
    very was we were what when where which while who whom why will with would you your yours
    yourself yourselves also say said says tell told many much""".split()
)


@lru_cache(maxsize=1)
def _stemmer() -> Any:
    import Stemmer

    return Stemmer.Stemmer("english")


@lru_cache(maxsize=16384)
def tokenize(text: str) -> tuple[str, ...]:
    """Lower-cased, stop-word-free, Snowball-stemmed words (cached: passages recur)."""
    words = [w for w in _WORD.findall(text.lower()) if w not in _STOPWORDS]
    return tuple(_stemmer().stemWords(words)) if words else ()
