"""Pure tests of bot.render: limits, escaping, mention safety, trimming around the highlight."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import date

import pytest

from bot import render
from index import Answer, Article, ArticleInfo, IndexStats, IngestReport, Quote, SourceInfo

INFO = ArticleInfo(
    "a1",
    "Police step up port checks",
    "Daily Test",
    "https://example.com/a1",
    date(2015, 11, 16),
    "Jo Reporter",
)
HIGHLIGHT = "We are strengthening our policing of ports."


def _sentences(text: str) -> tuple[tuple[int, int], ...]:
    """The sentence spans of these tests' texts: each runs to a full stop, as the index's would."""
    return tuple((m.start(), m.end()) for m in re.finditer(r"[^\s.][^.]*\.?", text))


def _quote(text: str, sentence: str = HIGHLIGHT, info: ArticleInfo = INFO, **kw: object) -> Quote:
    start = text.index(sentence)
    highlight = (start, start + len(sentence))
    return Quote(text, highlight, 0.9, info, sentences=_sentences(text), **kw)  # type: ignore[arg-type]


def _joined(*sentences: str) -> tuple[str, tuple[tuple[int, int], ...]]:
    """The sentences joined by spaces, and their spans."""
    spans, at = [], 0
    for sentence in sentences:
        spans.append((at, at + len(sentence)))
        at += len(sentence) + 1
    return " ".join(sentences), tuple(spans)


def _visible(markdown: str) -> str:
    """What Discord shows of escaped markdown (backslash escapes removed)."""
    return re.sub(r"\\(.)", r"\1", markdown)


def test_quote_is_a_block_quote_with_the_highlight_in_bold_and_citation() -> None:
    text = f"The commander spoke on Monday. {HIGHLIGHT} More patrols will follow."
    reply = render.answer_reply(
        Answer("what about ports?", (_quote(text, speaker="Jane Holt"),), True)
    )
    assert reply.content == "**Q:** what about ports?"
    (embed,) = reply.embeds
    assert embed.description is not None
    assert embed.description.startswith("> The commander spoke on Monday. **We are")
    assert f"**{render.escape(HIGHLIGHT)}**" in embed.description
    assert embed.description.endswith("\n— *Jane Holt*")
    assert embed.title == "Police step up port checks"
    assert embed.url == "https://example.com/a1"
    assert embed.footer.text == "Daily Test · 16 Nov 2015 · by Jo Reporter"
    assert render.limit_problems(*reply) == []


def test_no_answer_is_kind_and_echoes_the_escaped_question() -> None:
    reply = render.answer_reply(Answer("who said **@everyone** <@123>?", (), False))
    assert reply.embeds == []
    assert "couldn't find a passage" in reply.content
    assert "@everyone" not in reply.content and "<@1" not in reply.content
    assert "\\*\\*" in reply.content


@pytest.mark.parametrize("hostile", ["@everyone", "@here", "<@123>", "<@!123>", "<@&456>"])
def test_mentions_are_visibly_neutralised_everywhere(hostile: str) -> None:
    text = f"Intro {hostile} sentence. {HIGHLIGHT} Also {hostile}."
    info = ArticleInfo("x", f"Title {hostile}", f"Source {hostile}", None, None, f"{hostile}")
    reply = render.answer_reply(
        Answer(f"q {hostile}", (_quote(text, info=info, speaker=hostile),), True)
    )
    payload = json.dumps([reply.content] + [e.to_dict() for e in reply.embeds], ensure_ascii=False)
    assert hostile not in payload
    assert hostile.replace("@", "@\u200b") in payload  # still visible, just inert


@pytest.mark.parametrize(
    "markdown",
    [
        "**bold**",
        "__under__",
        "*it*",
        "~~gone~~",
        "||spoiler||",
        "`code`",
        "[click](https://evil.example)",
        "# Heading",
        "> quote",
        "- item",
        "1. item",
        "-# small",
        "\\**escaped**",
    ],
)
def test_markdown_in_article_text_cannot_format(markdown: str) -> None:
    escaped = render.escape(markdown)
    assert _visible(escaped) == markdown
    unescaped_marks = re.sub(r"\\.", "", escaped)
    assert not re.search(r"[*_~|`\[\]]", unescaped_marks)
    assert not re.match(r"\s*([>#-]|\d+\.)", escaped)


def test_links_stay_clickable() -> None:
    assert (
        render.escape("see https://example.com/a_b*c today")
        == "see https://example.com/a_b*c today"
    )


def test_escape_is_linear_on_hostile_input() -> None:
    # discord.utils.escape_markdown is quadratic on runs of '*'; ours must not be.
    assert len(render.escape("*" * 200_000)) == 400_000


def test_long_quote_is_trimmed_at_sentences_keeping_the_highlight() -> None:
    before = " ".join(f"Earlier sentence number {i} says little." for i in range(100))
    after = " ".join(f"Later sentence number {i} says less." for i in range(100))
    quote = _quote(f"{before} {HIGHLIGHT} {after}")
    md = render.quote_markdown(quote.text, quote.highlight, quote.sentences, 600)
    assert len(md) <= 600
    assert f"**{HIGHLIGHT}**" in md
    assert md.startswith("> …Earlier sentence") and md.endswith("less.…")
    assert "Earlier sentence number 99 says little." in md and "Later sentence number 0 says" in md
    shown = md.removeprefix("> …").removesuffix("…").replace("**", "")
    start = quote.text.index(shown)  # verbatim, from the start of a sentence to the end of one
    assert start in {s for s, _ in quote.sentences}
    assert start + len(shown) in {e for _, e in quote.sentences}


def test_the_trim_keeps_the_index_sentences_whole_whatever_their_full_stops() -> None:
    """Cuts fall only between the sentences the index gives, never at a full stop inside one."""
    first = "Dr. A. B. Jones of St. Mary's in St. Ives spoke first, on Monday."
    last = 'He told Mr. C. D. Smith: "Enough!" and left.'
    text, spans = _joined(first, HIGHLIGHT, last)
    alone = f"> …**{HIGHLIGHT}**…"
    with_last = f"> …**{HIGHLIGHT}** {last}"
    assert render.quote_markdown(text, spans[1], spans, len(with_last) - 1) == alone
    assert render.quote_markdown(text, spans[1], spans, len(with_last)) == with_last
    assert (
        render.quote_markdown(text, spans[1], spans, len(text) + 6)
        == f"> {first} **{HIGHLIGHT}** {last}"
    )


def test_the_sentence_after_the_highlight_is_kept_before_the_one_before() -> None:
    text, spans = _joined("The one before it.", HIGHLIGHT, "The one after it.", "The very end.")
    md = render.quote_markdown(text, spans[1], spans, len(f"> …**{HIGHLIGHT}** The one after it.…"))
    assert md == f"> …**{HIGHLIGHT}** The one after it.…"


def test_without_sentence_spans_the_text_is_one_sentence() -> None:
    """A quote made by hand, without spans: only the highlight and the text's ends are cuts."""
    text = "Filler words of no interest. " * 60 + HIGHLIGHT + " The end."
    start = text.index(HIGHLIGHT)
    md = render.quote_markdown(text, (start, start + len(HIGHLIGHT)), (), 600)
    assert md == f"> …**{HIGHLIGHT}** The end."


def test_a_highlight_longer_than_the_budget_is_clipped_at_a_word() -> None:
    text = "Start. " + "word " * 2000 + "end."
    md = render.quote_markdown(text, (7, len(text)), _sentences(text), 500)
    assert len(md) <= 500
    assert md.startswith("> …**word") and md.endswith("**…")


def test_multiline_quote_keeps_every_line_quoted_and_bold_per_line() -> None:
    text = "First paragraph.\n\nSecond line one.\nSecond line two."
    md = render.quote_markdown(text, (text.index("Second"), len(text)))
    assert md == "> First paragraph.\n> **Second line one.**\n> **Second line two.**"


def test_huge_answer_stays_within_every_limit() -> None:
    huge = "<@123> **@everyone** " * 500 + HIGHLIGHT + " `x`_y_" * 3000
    info = ArticleInfo("h", "T" * 1000, "S" * 5000, "https://e.com/" + "p" * 3000, None, "A" * 5000)
    quotes = tuple(_quote(huge, info=info, speaker="Q" * 1000) for _ in range(10))
    reply = render.answer_reply(Answer("?" * 5000, quotes, True))
    assert render.limit_problems(*reply) == []
    assert len(reply.embeds) == 5
    assert all(e.url is None for e in reply.embeds)  # an over-long url is dropped, not sent


def test_five_quotes_share_the_total_fairly() -> None:
    text = (
        " ".join(f"Sentence {i} is filler text of some length." for i in range(300))
        + " "
        + HIGHLIGHT
    )
    reply = render.answer_reply(Answer("q", tuple(_quote(text) for _ in range(5)), True))
    assert render.limit_problems(*reply) == []
    assert sum(len(e) for e in reply.embeds) > 4500
    assert all(f"**{HIGHLIGHT}**" in (e.description or "") for e in reply.embeds)


def test_sources_article_stats_help_and_texts_render_within_limits() -> None:
    sources = [
        SourceInfo(f"Source {i} @everyone", i, date(2020, 1, 1) if i else None) for i in range(400)
    ]
    reply = render.sources_reply(sources)
    assert render.limit_problems(*reply) == []
    assert "more" in (reply.embeds[0].description or "") and "@everyone" not in str(reply)
    assert "empty" in render.sources_reply([]).content

    article = Article("a1", "Head", "Line one.\n" * 500, "", None, None, None)
    reply = render.article_reply(article)
    assert render.limit_problems(*reply) == []
    assert [f.name for f in reply.embeds[0].fields] == ["Source", "Published", "ID"]

    stats = IndexStats(12, 80, 2, "all-MiniLM-L6-v2", 384, 3_500_000, 4, "2024-05-01T10:00:00")
    fields = {f.name: f.value for f in render.stats_reply(stats).embeds[0].fields}
    assert fields["Articles"] == "12" and fields["Size"] == "3.3 MB"

    assert render.limit_problems(*render.help_reply([("ask", "Ask a question")] * 100)) == []
    failed = tuple((f"file{i}.txt", "bad <@1> " * 50) for i in range(100))
    text = render.ingest_text(IngestReport(1, 0, 2, failed))
    assert len(text) <= render.CONTENT_LIMIT and text.startswith("Ingested: 1 added")


def test_progress_shows_stage_counts_rate_and_time_left() -> None:
    assert render.progress_text("embed", 100, 400, 10.0) == (
        "Re-indexing… **embed** 100/400 (25%) · 10/s · about 30 s left"
    )
    assert render.progress_text("publish", 0, 0, 1.0) == "Re-indexing… **publish**"
    assert "ref ABCD1234" in render.error_text("ABCD1234")
    assert "3 s" in render.cooldown_text(2.2)


def test_a_rewritten_follow_up_shows_the_question_as_written_and_as_understood() -> None:
    text = f"The commander spoke on Monday. {HIGHLIGHT}"
    understood = "what did Jane Holt say about ports?"
    found = Answer(understood, (_quote(text),), True)
    reply = render.answer_reply(found, asked="and what did  she say about ports?")
    assert reply.content == (
        "**Q:** and what did she say about ports?\nUnderstood as: what did Jane Holt say about ports?"
    )
    assert render.answer_reply(found, asked=understood).content == f"**Q:** {understood}"
    missing = render.answer_reply(Answer(understood), asked="what about **@everyone**?")
    assert missing.content.startswith(
        "**Q:** what about \\*\\*@\u200beveryone\\*\\*?\nUnderstood as: what did Jane Holt say "
        "about ports?\nI couldn't find a passage that answers it."
    )


def test_source_reply_says_where_it_is_said_never_whether_it_is_true() -> None:
    text = f"The commander spoke on Monday. {HIGHLIGHT}"
    found = render.source_reply(
        Answer("the Met is policing ports harder", (_quote(text, speaker="Jane Holt"),), True)
    )
    assert found.content.startswith("**Claim:** the Met is policing ports harder\n")
    assert "not whether it is true" in found.content
    (embed,) = found.embeds
    assert f"**{render.escape(HIGHLIGHT)}**" in (embed.description or "")
    assert (embed.description or "").endswith("— *Jane Holt*")
    assert embed.footer.text == "Daily Test · 16 Nov 2015 · by Jo Reporter"
    missing = render.source_reply(Answer("the moon is **cheese** @everyone " + "x " * 900))
    assert missing.content.startswith("No source found for **the moon is \\*\\*cheese\\*\\*")
    assert missing.embeds == [] and "@everyone" not in missing.content
    assert missing.content.endswith("That is no verdict on whether it is true.")
    assert render.limit_problems(*missing) == []


def test_a_thread_is_named_after_the_question_within_discords_limit() -> None:
    assert render.thread_name("what did the  Met say\nabout ports?") == (
        "what did the Met say about ports?"
    )
    name = render.thread_name("@everyone " + "why " * 100)
    assert len(name) <= 100 and name.startswith("@\u200beveryone") and name.endswith("…")
    assert render.thread_name("   ") == "Follow-up questions"
    assert "no need to mention me" in render.thread_intro_text()


def test_help_tells_of_find_the_source_and_follow_ups() -> None:
    (embed,) = render.help_reply([("ask", "Ask a question")]).embeds
    assert "**Apps** → **Find the source**" in (embed.description or "")
    assert "never whether it is true" in (embed.description or "")
    assert "“what about Manchester?”" in (embed.description or "")
    assert "For 10 minutes" in (embed.description or "")


def _statement(text: str, day: date | None = date(2015, 11, 16), **kw: object) -> Quote:
    """A statement as ``NewsIndex.quotes`` gives it: one sentence, all of it highlighted."""
    info = replace(INFO, published=day, **kw)  # type: ignore[arg-type]
    whole = (0, len(text))
    return Quote(text, whole, 0.0, info, "Helena Marsh, chief executive", 0, (whole,))


def test_statements_show_five_a_page_in_bold_with_speaker_headline_source_and_date() -> None:
    said = [_statement(f"We said thing {i}.", date(2024, 1, 28 - i)) for i in range(12)]
    first = render.statements_reply("Helena  Marsh", said)
    assert first.content == "**12 quotes by Helena Marsh**, newest first · page 1/3"
    (embed,) = first.embeds
    blocks = (embed.description or "").split("\n\n")
    assert len(blocks) == 5
    assert blocks[0] == (
        "> **We said thing 0.**\n— *Helena Marsh, chief executive* · "
        "[Police step up port checks](<https://example.com/a1>) · Daily Test · 28 Jan 2024"
    )
    last = render.statements_reply("Helena Marsh", said, page=2)
    assert last.content.endswith("page 3/3")
    assert (last.embeds[0].description or "").count("> **") == 2
    assert render.statements_reply("Helena Marsh", said, page=9) == last  # clamped
    assert [render.statement_pages(n) for n in (0, 1, 5, 6, 12)] == [1, 1, 1, 2, 3]


def test_statements_ranked_by_a_topic_say_so_and_one_page_has_no_counter() -> None:
    reply = render.statements_reply("DHSU", [_statement("Pay must rise.")], topic="pay")
    assert reply.content == "**1 quote by DHSU**, best first for “pay”"
    undated = render.statements_reply("X", [_statement("Hello.", None, url=None)])
    assert (undated.embeds[0].description or "").endswith(
        "· **Police step up port checks** · Daily Test · undated"
    )


def test_hostile_statements_fit_one_description_and_ping_no_one() -> None:
    huge = "@everyone <@123> **win** [x](https://evil.example) " * 300
    said = [
        _statement(
            huge,
            title="<@&456> " + "T" * 1000,
            source="@here " + "S" * 500,
            url="https://e.com/" + "p" * i * 100,  # the longer ones lose their link
        )
        for i in range(5)
    ]
    reply = render.statements_reply("<@123> " + "n" * 500, said, topic="@everyone " * 100)
    assert render.limit_problems(*reply) == []
    text = reply.content + (reply.embeds[0].description or "")
    assert not re.search(r"@(everyone|here)|<@[!&]?\d", text)
    assert text.count("> **") == 5 and text.count("](<https://e.com/") == 3


def test_no_statements_suggest_names_or_how_to_find_one() -> None:
    assert render.no_statements_text("Hellena  Marsh", ["Helena Marsh"], filtered=False) == (
        "No quotes by **Hellena Marsh** found. Names I know like it: **Helena Marsh**."
    )
    nobody = render.no_statements_text("@everyone", [], filtered=False)
    assert nobody.startswith("No quotes by **@\u200beveryone** found. Try a surname alone")
    filtered = render.no_statements_text("Helena Marsh", ["Helena Marsh"], filtered=True)
    assert "Names" not in filtered and "Try without `source` or `since`" in filtered
