"""Pure: a question without its links, which say nothing of what is asked but would be searched
("how much do [ferry fares](https://...) rise?" -> "how much do ferry fares rise?")."""

from __future__ import annotations

import re

__all__ = ["without_links"]

_MARKDOWN_LINK = re.compile(r"!?\[([^\]]*)\]\((?:[^()\s]|\([^()\s]*\))*\)")
_URL = re.compile(r"<?\b(?:[a-z][a-z0-9+.-]*://|www\.)[^\s<>]*>?", re.I)
_SPACE_BEFORE_MARK = re.compile(r"\s+([?!.,;:])")


def without_links(text: str) -> str:
    """``text`` with markdown links reduced to their text and bare or <bracketed> URLs removed;
    ``text`` itself when it has none, or when nothing else is left."""
    plain = _URL.sub(" ", _MARKDOWN_LINK.sub(r"\1", text))
    if plain == text:
        return text
    plain = _SPACE_BEFORE_MARK.sub(r"\1", " ".join(plain.split()))
    return plain if plain.strip(" ?!.,;:") else text
