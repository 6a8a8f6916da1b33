"""Autocomplete choices for slash-command options, searched off the event loop."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Iterable

from discord import app_commands

from bot import render
from index import NewsIndex, NewsIndexError

__all__ = ["article_choices", "feed_choices", "source_choices", "speaker_choices"]

MAX_CHOICES = 25  # Discord's limits: 25 choices, each name and value at most 100 characters
MAX_LENGTH = 100


def _choices(
    current: str, options: Iterable[tuple[str, str, tuple[str, ...]]]
) -> list[app_commands.Choice[str]]:
    """The first options, given as (name, value, texts to search), with a text containing what
    was typed. A value too long to send cannot be chosen, so it is left out."""
    needle = current.strip().lower()
    found = (
        app_commands.Choice(name=render.clip(name, MAX_LENGTH), value=value)
        for name, value, texts in options
        if len(value) <= MAX_LENGTH and any(needle in text.lower() for text in texts)
    )
    return list(itertools.islice(found, MAX_CHOICES))


async def article_choices(index: NewsIndex, current: str) -> list[app_commands.Choice[str]]:
    """Article ids by id or headline, among the newest articles."""
    articles = await asyncio.to_thread(index.articles, None, 500)
    return _choices(current, ((f"{a.title} · {a.source}", a.id, (a.id, a.title)) for a in articles))


async def source_choices(index: NewsIndex, current: str) -> list[app_commands.Choice[str]]:
    """Source names containing what was typed."""
    sources = await asyncio.to_thread(index.sources)
    return _choices(current, ((s.name, s.name, (s.name,)) for s in sources))


async def feed_choices(index: NewsIndex, current: str) -> list[app_commands.Choice[str]]:
    """Followed feeds by URL or source name."""
    feeds = await asyncio.to_thread(index.feeds)
    return _choices(current, ((f"{f.source} · {f.url}", f.url, (f.url, f.source)) for f in feeds))


async def speaker_choices(index: NewsIndex, current: str) -> list[app_commands.Choice[str]]:
    """Names the index knows that what was typed names, the most quoted first, each with its
    count ("Helena Marsh: 7 quotes")."""
    try:
        speakers = await asyncio.to_thread(index.speakers, current, MAX_CHOICES)
    except NewsIndexError:  # an index made before statements: nothing to offer until reindexed
        return []
    return [
        app_commands.Choice(name=_counted(name, count), value=name)
        for name, count in speakers
        if len(name) <= MAX_LENGTH
    ]


def _counted(name: str, count: int) -> str:
    """``name: N quotes`` within the limit, the name clipped so that the count always shows."""
    suffix = f": {render.count_noun(count, 'quote')}"
    return render.clip(name, MAX_LENGTH - len(suffix)) + suffix
