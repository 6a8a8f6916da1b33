"""Pure rendering of index results as Discord messages: within limits, escaped, mention-safe."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import NamedTuple

import discord

from bot.recent import TTL
from index import (
    Answer,
    Article,
    ArticleInfo,
    FeedInfo,
    IndexStats,
    IngestReport,
    Quote,
    SourceInfo,
)

__all__ = [
    "CONTENT_LIMIT",
    "EMBED_TOTAL_LIMIT",
    "Reply",
    "answer_reply",
    "article_reply",
    "clip",
    "cooldown_text",
    "count_noun",
    "error_text",
    "escape",
    "feed_added_text",
    "feed_note",
    "feed_removed_text",
    "feeds_reply",
    "help_reply",
    "ingest_text",
    "latest_reply",
    "limit_problems",
    "no_statements_text",
    "progress_text",
    "quote_markdown",
    "reindex_done_text",
    "source_reply",
    "sources_reply",
    "statement_pages",
    "statements_reply",
    "stats_reply",
    "thread_intro_text",
    "thread_name",
    "understood_text",
]

CONTENT_LIMIT = 2000
TITLE_LIMIT = 256
DESCRIPTION_LIMIT = 4096
FIELD_NAME_LIMIT = 256
FIELD_VALUE_LIMIT = 1024
FIELD_COUNT_LIMIT = 25
FOOTER_LIMIT = 2048
AUTHOR_LIMIT = 256
EMBED_TOTAL_LIMIT = 6000
EMBED_COUNT_LIMIT = 10
QUOTE_LIMIT = 1500  # a readable quote; trimming always keeps the highlighted sentence
ELLIPSIS = "…"
ZWSP = "\u200b"
COLOUR = 0x3B6EA5

_URL = r"https?://[^\s<>\\]+[^\s<>\\.,:;\"')\]]"
_INLINE = re.compile(rf"(?P<url>{_URL})|(?P<md>[\\*_~|`\[\]])")
_LINE_START = re.compile(r"^(\s*)([>#+-])", re.MULTILINE)
_LIST_NUMBER = re.compile(r"^(\s*\d+)([.)])(?=\s)", re.MULTILINE)
_MENTION = re.compile(r"@(everyone|here)|<@", re.IGNORECASE)


class Reply(NamedTuple):
    """A message to send: ``content`` (may be empty) and up to ten embeds."""

    content: str
    embeds: list[discord.Embed]


# --- escaping and clipping ---------------------------------------------------------------------


def neutralise_mentions(text: str) -> str:
    """Break ``@everyone``, ``@here`` and ``<@...>`` with a zero-width space: they never resolve."""
    return _MENTION.sub(_break_mention, text)


def _break_mention(match: re.Match[str]) -> str:
    return "<@" + ZWSP if match.group(1) is None else "@" + ZWSP + match.group(1)


def escape(text: str) -> str:
    """Escape markdown (links stay clickable) and neutralise mentions, in linear time."""
    return neutralise_mentions(_escape_markdown(text))


def _escape_markdown(text: str) -> str:
    text = _INLINE.sub(lambda m: m.group("url") or "\\" + m.group("md"), text)
    text = _LINE_START.sub(r"\1\\\2", text)
    return _LIST_NUMBER.sub(r"\1\\\2", text)


def clip(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters, at a word boundary, ending in an ellipsis."""
    if len(text) <= limit:
        return text
    cut = text[: max(limit - 1, 0)]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip() + ELLIPSIS


def count_noun(n: int, noun: str, plural: str | None = None) -> str:
    """``1 article``, ``2 articles``, ``1,000 entries`` (given the plural)."""
    return f"{n:,} {noun if n == 1 else plural or noun + 's'}"


def _escaped_clip(text: str, limit: int) -> str:
    """Escape ``text`` and clip it so that the escaped form fits ``limit``."""
    room = limit
    while True:
        out = escape(clip(text, room))
        if len(out) <= limit:
            return out
        room -= len(out) - limit


def _plain(text: str, limit: int) -> str:
    """Text for places that show no markdown (footers, author names): clipped, mention-safe."""
    return clip(neutralise_mentions(" ".join(text.split())), limit)


def _day(day: date | None) -> str:
    return f"{day.day} {day:%b %Y}" if day else "undated"


def _link(url: str | None) -> str | None:
    return url if url and len(url) <= 2048 and re.fullmatch(_URL, url) else None


# --- quotes --------------------------------------------------------------------------------------


def _bold(text: str) -> str:
    """Bold each non-blank line of ``text``, keeping surrounding whitespace outside the markers."""
    lines = []
    for line in text.split("\n"):
        core = line.strip()
        if core:
            lead = line[: len(line) - len(line.lstrip())]
            trail = line[len(line.rstrip()) :]
            line = f"{lead}**{_escape_markdown(core)}**{trail}"
        lines.append(line)
    return "\n".join(lines)


def _quoted(text: str, lo: int, hi: int, hs: int, he: int) -> str:
    """``text[lo:hi]`` as a block quote with ``text[hs:he]`` in bold and ellipses where cut."""
    body = "".join(
        (
            ELLIPSIS if lo > 0 else "",
            _escape_markdown(text[lo:hs]),
            _bold(text[hs:he]),
            _escape_markdown(text[he:hi]),
        )
    ).rstrip() + (ELLIPSIS if hi < len(text) else "")
    body = neutralise_mentions(body)  # after joining: a mention may span the highlight's edge
    lines = (line.strip() for line in body.split("\n"))
    return "\n".join(f"> {line}" for line in lines if line)


def quote_markdown(
    text: str,
    highlight: tuple[int, int],
    sentences: Sequence[tuple[int, int]] = (),
    budget: int = QUOTE_LIMIT,
) -> str:
    """A block quote of ``text`` within ``budget`` characters with the highlight in bold.

    A quote too long for the budget loses whole sentences (``sentences``: their spans in
    ``text``, as the index cut them; none means the text is one) from its ends, those after the
    highlight kept first. The highlight is always kept, clipped only if it alone is too long.
    """
    n = len(text)
    hs = min(max(highlight[0], 0), n)
    he = min(max(highlight[1], hs), n)
    if n <= budget:
        whole = _quoted(text, 0, n, hs, he)
        if len(whole) <= budget:
            return whole
    if he - hs > budget or len(_quoted(text, hs, he, hs, he)) > budget:
        return _clipped_highlight(text, hs, he, budget)
    # Only white space before the first sentence or after the last: cut there, nothing is left
    # out, so no ellipsis is shown.
    lead, tail = n - len(text.lstrip()), len(text.rstrip())
    starts = iter(
        sorted({0 if s <= lead else s for s, _ in sentences if s < hs} | {0}, reverse=True)
    )
    ends = iter(sorted({n if e >= tail else e for _, e in sentences if e > he} | {n}))
    lo, hi = hs, he
    next_start, next_end = next(starts, None), next(ends, None)
    while next_start is not None or next_end is not None:
        if next_end is not None:
            if len(_quoted(text, lo, next_end, hs, he)) <= budget:
                hi, next_end = next_end, next(ends, None)
            else:
                next_end = None
        if next_start is not None:
            if len(_quoted(text, next_start, hi, hs, he)) <= budget:
                lo, next_start = next_start, next(starts, None)
            else:
                next_start = None
    return _quoted(text, lo, hi, hs, he)


def _clipped_highlight(text: str, hs: int, he: int, budget: int) -> str:
    """The highlight alone, cut at a word boundary so that its quote fits ``budget``."""
    low, high = 0, min(he - hs, budget)
    while low < high:  # the longest prefix whose quote fits
        mid = (low + high + 1) // 2
        if len(_quoted(text, hs, hs + mid, hs, hs + mid)) <= budget:
            low = mid
        else:
            high = mid - 1
    cut = hs + low
    space = text.rfind(" ", hs, cut)
    if cut < he and space > hs + low // 2:
        cut = space
    return _quoted(text, hs, cut, hs, cut)


class _QuoteParts(NamedTuple):
    title: str
    footer: str
    speaker: str


def _quote_parts(quote: Quote) -> _QuoteParts:
    """Everything of a quote's embed but the quote itself (at most 256 + 300 + 206 characters)."""
    article = quote.article
    byline = [article.source, _day(article.published)]
    if article.author:
        byline.append(f"by {article.author}")
    return _QuoteParts(
        title=_escaped_clip(article.title or "Untitled", TITLE_LIMIT),
        footer=_plain(" · ".join(byline), 300),
        speaker=f"\n— *{_escaped_clip(quote.speaker, 200)}*" if quote.speaker else "",
    )


def _quote_embeds(quotes: Sequence[Quote]) -> list[discord.Embed]:
    """One embed per quote; the quotes share what the 6000-character total leaves them."""
    parts = [_quote_parts(quote) for quote in quotes]
    fixed = sum(len(p.title) + len(p.footer) + len(p.speaker) for p in parts)
    share = min(QUOTE_LIMIT, (EMBED_TOTAL_LIMIT - fixed) // max(len(quotes), 1))
    embeds = []
    for quote, part in zip(quotes, parts, strict=True):
        embed = discord.Embed(
            title=part.title,
            url=_link(quote.article.url),
            description=quote_markdown(quote.text, quote.highlight, quote.sentences, share)
            + part.speaker,
            colour=COLOUR,
        )
        embed.set_footer(text=part.footer)
        embeds.append(embed)
    return embeds


# --- replies -------------------------------------------------------------------------------------


def answer_reply(answer: Answer, asked: str | None = None) -> Reply:
    """The reply to a question: one embed per quote, best first, or a kind no-answer message.
    ``asked`` is the question as written when it was understood as another (a follow-up): then
    both are shown."""
    question = _escaped_clip(" ".join(answer.question.split()), 1500)
    understood = understood_text(asked, answer.question)
    if not answer.found or not answer.quotes:
        head, what = (understood + "\n", "it") if understood else ("", f"**{question}**")
        return Reply(
            f"{head}I couldn't find a passage that answers {what}. Try other words, a wider "
            "`since` / `until`, or `/sources` to see what is indexed.",
            [],
        )
    return Reply(understood or f"**Q:** {question}", _quote_embeds(answer.quotes[:5]))


def understood_text(asked: str | None, question: str) -> str:
    """The question as written and as understood, when a follow-up was rewritten; else ""."""
    written = " ".join((asked or "").split())
    understood = " ".join(question.split())
    if not written or written == understood:
        return ""
    return f"**Q:** {_escaped_clip(written, 900)}\nUnderstood as: {_escaped_clip(understood, 900)}"


def source_reply(answer: Answer) -> Reply:
    """Where a claim (``answer.question``) is said, closest first, or plainly that no source was
    found. Never whether it is true: a passage shows only that someone said it."""
    claim = _escaped_clip(" ".join(answer.question.split()), 1000)
    if not answer.found or not answer.quotes:
        return Reply(
            f"No source found for **{claim}**: nothing in the articles I have indexed says it or "
            "anything close to it. That is no verdict on whether it is true.",
            [],
        )
    return Reply(
        f"**Claim:** {claim}\nThe closest passages in the articles I have indexed, best first. "
        "They show where it is said, if it is, not whether it is true.",
        _quote_embeds(answer.quotes[:5]),
    )


def sources_reply(sources: Sequence[SourceInfo]) -> Reply:
    """Each source with its article count and newest date."""
    if not sources:
        return Reply(_EMPTY_INDEX, [])
    lines = [
        f"**{_escaped_clip(s.name, 200)}** — {count_noun(s.articles, 'article')}"
        f", newest {_day(s.newest)}"
        for s in sources
    ]
    description = _join_within(lines, DESCRIPTION_LIMIT)
    embed = discord.Embed(
        title=f"Sources ({len(sources):,})", description=description, colour=COLOUR
    )
    return Reply("", [embed])


def article_reply(article: Article) -> Reply:
    """Headline (linked), source, date, author, id and the opening lines of one article."""
    opening = " ".join(article.text.split("\n", 6)[:6])
    embed = discord.Embed(
        title=_escaped_clip(article.title or "Untitled", TITLE_LIMIT),
        url=_link(article.url),
        description=_escaped_clip(opening, 700) or "*(no text)*",
        colour=COLOUR,
    )
    embed.add_field(name="Source", value=_escaped_clip(article.source, FIELD_VALUE_LIMIT) or "—")
    embed.add_field(name="Published", value=_day(article.published))
    if article.author:
        embed.add_field(name="Author", value=_escaped_clip(article.author, FIELD_VALUE_LIMIT))
    embed.add_field(name="ID", value=_escaped_clip(article.id, FIELD_VALUE_LIMIT), inline=False)
    embed.set_footer(text=f"{len(article.text):,} characters")
    return Reply("", [embed])


def stats_reply(stats: IndexStats) -> Reply:
    """Articles, passages, model, size and last update of the published index."""
    embed = discord.Embed(title="Index", colour=COLOUR)
    for name, value in (
        ("Articles", f"{stats.articles:,}"),
        ("Passages", f"{stats.passages:,}"),
        ("Sources", f"{stats.sources:,}"),
        ("Model", _escaped_clip(f"{stats.model} ({stats.dimension} dimensions)", 500)),
        ("Size", _size(stats.size_bytes)),
        ("Last update", _escaped_clip(stats.updated_at or "never", FIELD_VALUE_LIMIT)),
    ):
        embed.add_field(name=name, value=value)
    embed.set_footer(text=f"generation {stats.generation}")
    content = _EMPTY_INDEX if stats.articles == 0 else ""
    return Reply(content, [embed])


def latest_reply(articles: Sequence[ArticleInfo], source: str | None = None) -> Reply:
    """The newest articles, one line each: linked headline, source and date."""
    if not articles:
        text = f"No articles from **{_escaped_clip(source, 100)}**." if source else _EMPTY_INDEX
        return Reply(text, [])
    lines = [
        f"• {_headline(a.title, _link(a.url), 200)} — {_escaped_clip(a.source, 100)} · "
        f"{_day(a.published)}"
        for a in articles
    ]
    heading = f"Latest from {_plain(source, 200)}" if source else "Latest articles"
    embed = discord.Embed(
        title=heading, description=_join_within(lines, DESCRIPTION_LIMIT), colour=COLOUR
    )
    return Reply("", [embed])


def _headline(title: str, link: str | None, limit: int) -> str:
    """A headline linked to its article (without a preview), or in bold when it has no link."""
    text = _escaped_clip(title or "Untitled", limit)
    # "@" percent-encoded: the same address, and no "@everyone" in the message's text
    return f"[{text}](<{link.replace('@', '%40')}>)" if link else f"**{text}**"


# --- statements (/quotes) ------------------------------------------------------------------------

STATEMENTS_PER_PAGE = 5
STATEMENT_LIMIT = 700  # a sentence is rarely longer; a longer one is clipped
CITED_URL_LIMIT = 300  # five citations must leave room for their statements in one description


def statement_pages(count: int) -> int:
    """How many pages ``count`` statements fill (at least one)."""
    return max(1, math.ceil(count / STATEMENTS_PER_PAGE))


def statements_reply(
    person: str, quotes: Sequence[Quote], page: int = 0, topic: str | None = None
) -> Reply:
    """Page ``page`` (from 0) of what ``person`` is quoted saying: a header saying who, how many
    and in what order, then each statement in bold with who said it, where and when."""
    pages = statement_pages(len(quotes))
    page = min(max(page, 0), pages - 1)
    shown = quotes[page * STATEMENTS_PER_PAGE : (page + 1) * STATEMENTS_PER_PAGE]
    who = _escaped_clip(" ".join(person.split()), 200)
    order = f"best first for “{_escaped_clip(topic, 200)}”" if topic else "newest first"
    header = f"**{count_noun(len(quotes), 'quote')} by {who}**, {order}"
    if pages > 1:
        header += f" · page {page + 1}/{pages}"
    embed = discord.Embed(description=_statements_markdown(shown), colour=COLOUR)
    return Reply(header, [embed])


def _statements_markdown(quotes: Sequence[Quote]) -> str:
    """Each statement in bold over its citation; the statements share what the citations leave
    of the description."""
    citations = [_citation(quote) for quote in quotes]
    gaps = 3 * len(quotes)  # a newline before each citation, a blank line between statements
    room = DESCRIPTION_LIMIT - sum(map(len, citations)) - gaps
    share = min(STATEMENT_LIMIT, room // max(len(quotes), 1))
    return "\n\n".join(
        quote_markdown(quote.text, quote.highlight, quote.sentences, share) + "\n" + citation
        for quote, citation in zip(quotes, citations, strict=True)
    )


def _citation(quote: Quote) -> str:
    """Who said it, where and when: "— *speaker* · [headline](url) · source · date", in at most
    730 characters."""
    article = quote.article
    link = _link(article.url)
    parts = [
        _headline(article.title, link if link and len(link) <= CITED_URL_LIMIT else None, 150),
        _escaped_clip(article.source, 100),
        _day(article.published),
    ]
    if quote.speaker:
        parts.insert(0, f"*{_escaped_clip(quote.speaker, 150)}*")
    return "— " + " · ".join(parts)


def no_statements_text(person: str, known: Sequence[str], *, filtered: bool) -> str:
    """The answer when no statement by ``person`` was found: when ``filtered`` (by source or
    date), that the filters may be why; else up to three ``known`` names like it, or how to
    find one."""
    head = f"No quotes by **{_escaped_clip(' '.join(person.split()), 200)}** found"
    if filtered:
        return f"{head} in the articles from that source or dates. Try without `source` or `since`."
    if known:
        names = ", ".join(f"**{_escaped_clip(name, 100)}**" for name in known[:3])
        return f"{head}. Names I know like it: {names}."
    return (
        f"{head}. Try a surname alone, or start typing in `person` to choose from the names I know."
    )


def _ago(moment: datetime | None, empty: str) -> str:
    """A Discord timestamp each reader sees in their own words ("in 5 minutes")."""
    return f"<t:{int(moment.timestamp())}:R>" if moment else empty


def feeds_reply(feeds: Sequence[FeedInfo], interval_minutes: int) -> Reply:
    """Each followed feed: source, URL, articles, last and next poll, channel, last error."""
    if not feeds:
        return Reply("No feeds yet. Follow one with `/feeds add`.", [])
    lines = []
    for f in feeds:
        parts = [
            count_noun(f.articles, "article"),
            f"last poll {_ago(f.last_polled, 'never')}",
            f"next {_ago(f.next_poll, 'now')}",
        ]
        if f.channel_id:
            parts.append(f"news to <#{f.channel_id}>")
        line = f"**{_escaped_clip(f.source, 100)}** — {_escaped_clip(f.url, 300)}\n" + " · ".join(
            parts
        )
        if f.last_error:
            failed = count_noun(f.failures, "failed poll")
            line += f"\n⚠ {failed} in a row: {_escaped_clip(f.last_error, 300)}"
        lines.append(line)
    embed = discord.Embed(
        title=f"Feeds ({len(feeds):,})",
        description=_join_within(lines, DESCRIPTION_LIMIT),
        colour=COLOUR,
    )
    embed.set_footer(
        text=f"Polled every {interval_minutes} min; a failing feed waits 2, 4, 8… times longer, "
        "up to a day."
    )
    return Reply("", [embed])


def feed_added_text(feed: FeedInfo, interval_minutes: int) -> str:
    """The answer to /feeds add."""
    where = f" and announced in <#{feed.channel_id}>" if feed.channel_id else ""
    return (
        f"Following {_escaped_clip(feed.url, 500)} as **{_escaped_clip(feed.source, 100)}**: "
        f"its new articles are added every {interval_minutes} min{where}. The first poll starts now."
    )


def feed_removed_text(feed: FeedInfo) -> str:
    """The answer to /feeds remove."""
    return (
        f"Stopped following {_escaped_clip(feed.url, 500)}. The "
        f"{count_noun(feed.articles, 'article')} it brought stay in the index."
    )


FEED_NOTE_ITEMS = 5


def feed_note(feed: FeedInfo, articles: Sequence[ArticleInfo]) -> str:
    """The short note posted to a feed's channel when a poll brings new articles."""
    lines = [
        f"📰 {count_noun(len(articles), 'new article')} from **{_escaped_clip(feed.source, 100)}**:"
    ]
    for a in articles[:FEED_NOTE_ITEMS]:
        link = _link(a.url)
        lines.append(
            f"• {_escaped_clip(a.title or 'Untitled', 200)}" + (f" <{link}>" if link else "")
        )
    if len(articles) > FEED_NOTE_ITEMS:
        lines.append(f"…and {len(articles) - FEED_NOTE_ITEMS:,} more: see `/latest`.")
    return _join_within(lines, CONTENT_LIMIT)


def help_reply(commands: Iterable[tuple[str, str]]) -> Reply:
    """What the bot does and its commands, given as (name, description) pairs."""
    lines = [f"`/{name}` — {escape(description)}" for name, description in commands]
    description = (
        "I answer questions about the news by quoting the articles I have indexed: the sentence "
        "that answers best is in **bold**, with its headline, source and date.\n\n"
        + "\n".join(lines)
        + "\n\nYou can also mention me with a question, e.g. "
        "`@newsbot what did the Met say about ports?`\n\n"
        "**Find the source**: right-click a message (long-press on a phone), then **Apps** → "
        "**Find the source**: I quote the passages closest to what it says, best first. That "
        "shows where it is said, never whether it is true.\n\n"
        f"**Follow-ups**: {_FOLLOW_UPS}"
    )
    embed = discord.Embed(
        title="newsbot", description=clip(description, DESCRIPTION_LIMIT), colour=COLOUR
    )
    return Reply("", [embed])


# --- short texts ---------------------------------------------------------------------------------

_FOLLOW_UPS = (
    "reply to my answer, ask in the thread I open under an answer to a mention, or ask again "
    f"with `/ask` or a mention. For {TTL / 60:.0f} minutes, what a question leaves out comes from your previous "
    "question in that channel: “and what did he say about the threat level?”, “what about "
    "Manchester?”. The answer shows how I understood it."
)


def thread_name(question: str) -> str:
    """The name of the thread opened under an answer: the question, within Discord's 100."""
    return _plain(question, 100) or "Follow-up questions"


def thread_intro_text() -> str:
    """The first message of a thread the bot opens under an answer."""
    return (
        f"Ask follow-up questions here, no need to mention me. For {TTL / 60:.0f} minutes, what "
        "a question leaves out (“what did she say about…”, “what about…”) comes from your "
        "previous one."
    )


_EMPTY_INDEX = (
    "The index is empty. An admin can add articles with `/ingest`, "
    "or run `newsbot ingest samples/` on the bot's machine."
)


def ingest_text(report: IngestReport) -> str:
    """One line of counts, then each failed input with its reason, and each input read in
    another encoding than UTF-8."""
    head = (
        f"Ingested: {report.added} added, {report.updated} updated, "
        f"{report.unchanged} unchanged, {len(report.failed)} failed."
    )
    lines = [head] + [
        f"• {_escaped_clip(source, 200)}: {_escaped_clip(reason, 300)}"
        for source, reason in (*report.failed, *report.notes)
    ]
    return _join_within(lines, CONTENT_LIMIT)


def progress_text(stage: str, done: int, total: int, seconds: float) -> str:
    """Re-index progress: stage, done/total, rate and time left (``seconds`` spent in the stage)."""
    head = f"Re-indexing… **{_escaped_clip(stage, 100)}**"
    if total <= 0:
        return head
    parts = [f"{head} {done:,}/{total:,} ({100 * done // total}%)"]
    if done > 0 and seconds > 0:
        rate = done / seconds
        parts.append(f"{rate:,.1f}/s" if rate < 10 else f"{rate:,.0f}/s")
        parts.append(f"about {_duration(max(total - done, 0) / rate)} left")
    return " · ".join(parts)


def reindex_done_text(stats: IndexStats, seconds: float) -> str:
    """The final edit of a re-index."""
    return (
        f"Re-index finished in {_duration(seconds)}: {stats.articles:,} articles, "
        f"{stats.passages:,} passages (generation {stats.generation}). "
        "Questions now use the new index."
    )


def outcome_text(job: str, text: str, name: str | None = None) -> str:
    """An admin job's outcome as a new message, when its response can no longer be edited:
    addressed to ``name`` in a channel (as text, never a ping), plain in a direct message."""
    head = f"For {escape(name)} — {job}:" if name is not None else f"{job}:"
    return clip(f"{head} {text}".rstrip(), CONTENT_LIMIT)


def cooldown_text(retry_after: float) -> str:
    """The friendly answer to someone asking too quickly."""
    return f"You're asking quickly — please wait {math.ceil(retry_after)} s and ask again."


def error_text(ref: str) -> str:
    """The only thing a user sees of an unexpected error."""
    return f"Something went wrong (ref {ref}). It has been logged; please try again in a moment."


def limit_problems(content: str, embeds: Sequence[discord.Embed]) -> list[str]:
    """Every Discord limit the message would break (empty when it can be sent)."""
    problems = []
    if len(content) > CONTENT_LIMIT:
        problems.append(f"content {len(content)} > {CONTENT_LIMIT}")
    if not content.strip() and not embeds:
        problems.append("empty message")
    if len(embeds) > EMBED_COUNT_LIMIT:
        problems.append(f"{len(embeds)} embeds > {EMBED_COUNT_LIMIT}")
    total = 0
    for i, embed in enumerate(embeds):
        total += len(embed)
        checks = [
            ("title", len(embed.title or ""), TITLE_LIMIT),
            ("description", len(embed.description or ""), DESCRIPTION_LIMIT),
            ("fields", len(embed.fields), FIELD_COUNT_LIMIT),
            ("footer", len(embed.footer.text or ""), FOOTER_LIMIT),
            ("author", len(embed.author.name or ""), AUTHOR_LIMIT),
        ]
        for field in embed.fields:
            checks.append(("field name", len(field.name or ""), FIELD_NAME_LIMIT))
            checks.append(("field value", len(field.value or ""), FIELD_VALUE_LIMIT))
        problems += [
            f"embed {i} {what} {size} > {limit}" for what, size, limit in checks if size > limit
        ]
    if total > EMBED_TOTAL_LIMIT:
        problems.append(f"embeds total {total} > {EMBED_TOTAL_LIMIT}")
    return problems


def _join_within(lines: Sequence[str], limit: int) -> str:
    """Join lines with newlines; if too long, keep the head and say how many lines were left out."""
    text = "\n".join(lines)
    if len(text) <= limit:
        return text
    reserve = len(f"…and {len(lines):,} more") + 1
    out: list[str] = []
    size = 0
    for line in lines:
        if size + len(line) + 1 + reserve > limit:
            break
        out.append(line)
        size += len(line) + 1
    return "\n".join([*out, f"…and {len(lines) - len(out):,} more"])


def _size(size: int) -> str:
    value = float(size)
    for unit in ("B", "KB", "MB"):
        if value < 1024:
            return f"{size:,} B" if unit == "B" else f"{value:,.1f} {unit}"
        value /= 1024
    return f"{value:,.1f} GB"


def _duration(seconds: float) -> str:
    total = max(round(seconds), 0)
    if total < 60:
        return f"{total} s"
    minutes, secs = divmod(total, 60)
    if minutes < 60:
        return f"{minutes} min {secs} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"
