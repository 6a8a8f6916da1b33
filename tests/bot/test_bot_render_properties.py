"""Property tests of bot.render over hostile text: limits, mentions, escaping, highlights."""

from __future__ import annotations

import itertools
import json
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from bot import render
from index import Answer, ArticleInfo, Quote
from tests.reliability.tally import Tally

MENTION = re.compile(r"@(everyone|here)|<@[!&]?\d")
PIECES = st.sampled_from(
    ["@everyone", "@here", "<@123>", "<@!42>", "<@&456>", "**", "__", "*", "_", "~~", "||", "`",
     "```", "[x](https://evil.example)", "> ", "# ", "-# ", "- ", "1. ", "\\", "\n", "\n\n", ". ",
     "! ", "? ", "\u200b", "\u202e", "https://example.com/a_b*c", "é", "👍", "\x00", " "]
)  # fmt: skip
TEXT = st.lists(st.one_of(PIECES, st.text(max_size=30)), max_size=60).map("".join)
LONG = st.one_of(TEXT, st.builds(lambda t, n: t * n, TEXT, st.integers(1, 400)))
RUNS = {"escape": 0, "answer": 0, "follow-up": 0, "statements": 0}


def _visible(markdown: str) -> str:
    return re.sub(r"\\(.)", r"\1", markdown, flags=re.DOTALL).replace("\u200b", "")


@given(TEXT)
@settings(max_examples=300, deadline=None)
def test_escaped_text_shows_exactly_the_original(text: str) -> None:
    assert _visible(render.escape(text)) == text.replace("\u200b", "")
    RUNS["escape"] += 1


@st.composite
def quotes(draw: st.DrawFn) -> Quote:
    text = draw(LONG)
    a, b = sorted(draw(st.tuples(st.integers(0, len(text)), st.integers(0, len(text)))))
    # Sentences as the index gives them: in order, not overlapping, the highlight one of them.
    cuts = draw(st.lists(st.integers(0, len(text)), max_size=30))
    edges = sorted({c for c in cuts if c <= a or c >= b} | {0, a, b, len(text)})
    spans = tuple((s, e) for s, e in itertools.pairwise(edges) if s < e)
    info = ArticleInfo(
        id=draw(st.text(max_size=20)),
        title=draw(LONG),
        source=draw(TEXT),
        url=draw(st.one_of(st.none(), TEXT, st.just("https://example.com/" + "p" * 3000))),
        published=None,
        author=draw(st.one_of(st.none(), LONG)),
    )
    speaker = draw(st.one_of(st.none(), LONG))
    return Quote(
        text, (a, b), 1.0, info, speaker=speaker, sentences=draw(st.sampled_from([(), spans]))
    )


@given(st.lists(quotes(), min_size=1, max_size=5), LONG)
@settings(max_examples=150, deadline=None)
def test_any_answer_fits_discord_and_pings_nobody(found: list[Quote], question: str) -> None:
    reply = render.answer_reply(Answer(question, tuple(found), True))
    assert render.limit_problems(*reply) == []
    payload = json.dumps([reply.content, *(e.to_dict() for e in reply.embeds)], ensure_ascii=False)
    assert not MENTION.search(payload)
    for quote, embed in zip(found, reply.embeds, strict=True):
        core = quote.highlighted.strip()
        if core and "\n" not in core and len(core) < 100:
            assert f"**{render.escape(core)}**" in (embed.description or "")
    RUNS["answer"] += 1


@given(st.lists(quotes(), max_size=5), LONG, LONG)
@settings(max_examples=100, deadline=None)
def test_any_follow_up_or_source_reply_fits_discord_and_pings_nobody(
    found: list[Quote], asked: str, understood: str
) -> None:
    answer = Answer(understood, tuple(found), bool(found))
    for reply in (render.answer_reply(answer, asked=asked), render.source_reply(answer)):
        assert render.limit_problems(*reply) == []
        payload = json.dumps(
            [reply.content, *(e.to_dict() for e in reply.embeds)], ensure_ascii=False
        )
        assert not MENTION.search(payload)
    name = render.thread_name(asked)
    assert 1 <= len(name) <= 100 and not MENTION.search(name)
    RUNS["follow-up"] += 1


@given(st.lists(quotes(), min_size=1, max_size=12), LONG, st.one_of(st.none(), LONG))
@settings(max_examples=100, deadline=None)
def test_any_page_of_statements_fits_discord_and_pings_nobody(
    found: list[Quote], person: str, topic: str | None
) -> None:
    for page in range(render.statement_pages(len(found))):
        reply = render.statements_reply(person, found, page, topic)
        assert render.limit_problems(*reply) == []
        payload = json.dumps(
            [reply.content, *(e.to_dict() for e in reply.embeds)], ensure_ascii=False
        )
        assert not MENTION.search(payload)
    for known in ([], [person] * 3):
        text = render.no_statements_text(person, known, filtered=False)
        assert len(text) <= render.CONTENT_LIMIT and not MENTION.search(text)
    RUNS["statements"] += 1


WORD = st.sampled_from(
    ["the", "ferry", "port", "said", "Holt", "on", "Monday", "Mr.", "St.", "x" * 80]
)
SENTENCE = st.lists(WORD, min_size=1, max_size=25).map(lambda words: " ".join(words) + ".")


@given(st.lists(SENTENCE, min_size=1, max_size=40), st.data(), st.integers(10, 1600))
@settings(max_examples=300, deadline=None)
def test_a_trimmed_quote_is_whole_sentences_around_the_highlight_as_many_as_fit(
    sentences: list[str], data: st.DataObject, budget: int
) -> None:
    text, spans, at = " ".join(sentences), [], 0
    for sentence in sentences:
        spans.append((at, at + len(sentence)))
        at += len(sentence) + 1
    k = data.draw(st.integers(0, len(spans) - 1))
    md = render.quote_markdown(text, spans[k], spans, budget)
    assert len(md) <= budget and md.startswith("> ")

    def size(i: int, j: int) -> int:  # of sentences i to j quoted: plain words need no escapes
        return 2 + (i > 0) + spans[j][1] - spans[i][0] + 4 + (j < len(spans) - 1)

    body = md[2:].removeprefix("…").removesuffix("…")
    shown = body.replace("**", "")
    if size(k, k) > budget:  # the highlight alone is too long: clipped, nothing around it
        assert text[spans[k][0] : spans[k][1]].startswith(shown) and md.endswith("…")
        return
    start = spans[k][0] - body.index("**")
    assert text[start : start + len(shown)] == shown  # verbatim
    i = [s for s, _ in spans].index(start)  # from the start of a sentence to the end of one
    j = [e for _, e in spans].index(start + len(shown))
    assert (
        i <= k <= j and md.startswith("> …") == (i > 0) and md.endswith("…") == (j < len(spans) - 1)
    )
    assert i == 0 or size(i - 1, j) > budget  # as many sentences as fit, on either side
    assert j == len(spans) - 1 or size(i, j + 1) > budget


def test_tally(tally: Tally) -> None:
    """Runs after the properties above and records their examples for docs/reliability.md."""
    assert all(RUNS.values())
    tally("hostile input", "markdown, mentions and control text escaped by render", RUNS["escape"],
          "shows exactly the original text")  # fmt: skip
    tally("hostile input", "answers of 1-5 hostile quotes rendered for Discord", RUNS["answer"],
          "within Discord's limits, no pings, highlight kept in bold")  # fmt: skip
    tally("hostile input", "follow-up answers, Find the source replies and thread names of "
          "hostile text", RUNS["follow-up"], "within Discord's limits, no pings")  # fmt: skip
    tally("hostile input", "/quotes pages of 1-12 hostile statements, and its no-quotes "
          "answer", RUNS["statements"], "within Discord's limits, no pings")  # fmt: skip
