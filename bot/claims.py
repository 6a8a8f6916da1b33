"""Pure: the words of a Discord message to look up as a claim, without the mentions, links,
emoji and markdown that say nothing of what it claims."""

from __future__ import annotations

import re

__all__ = ["MAX_CLAIM_CHARS", "claim_text"]

MAX_CLAIM_CHARS = (
    1000  # NewsIndex.ask refuses longer questions; a long paste is looked up by its start
)

_MARKDOWN_LINK = re.compile(r"!?\[([^\]]*)\]\([^)\s]*\)")
_URL = re.compile(r"<?\b(?:[a-z][a-z0-9+.-]*://|www\.)[^\s<>]*>?", re.I)
# user, role and channel mentions, custom emoji, timestamps, @everyone and @here
_TOKENS = re.compile(r"<(?:@[!&]?|#)\d+>|<a?:\w*:\d+>|<t:-?\d+(?::\w)?>|@(?:everyone|here)\b", re.I)
_MARKUP = re.compile(r"[*~|`]+|(?<!\w)_+|_+(?!\w)|^\s*(?:>+|#{1,3}|-#)\s", re.M)


def claim_text(content: str) -> str:
    """``content`` as plain words on one line, at most ``MAX_CLAIM_CHARS`` long (cut at a
    word); empty when nothing but mentions, links, markup and punctuation was there."""
    text = _MARKDOWN_LINK.sub(r" \1 ", content)
    for noise in (_URL, _TOKENS, _MARKUP):
        text = noise.sub(" ", text)
    text = " ".join(text.split())
    if len(text) > MAX_CLAIM_CHARS:
        head = text[: MAX_CLAIM_CHARS + 1]
        text = head.rsplit(" ", 1)[0] if " " in head else head[:MAX_CLAIM_CHARS]
    return text if re.search(r"\w", text) else ""
