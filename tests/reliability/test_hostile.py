"""Hostile text through loaders, cleaner, chunker and quoting (hypothesis): nothing crashes, every
offset stays verbatim, and what reaches Discord fits its limits and pings nobody."""

from __future__ import annotations

import itertools
import json
import re
import tempfile
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot import render
from index import Article, HashEmbedder, LoadError, NewsIndex, NewsIndexError, Quote
from index.ask.quotes import grow
from index.load.loaders import LoadFailure, article_from_html, load_file
from index.text.chunk import paragraph_spans, passages, sentence_spans
from index.text.clean import clean_text, normalise, split_paragraphs
from index.text.speakers import attribute_speaker
from tests.reliability.tally import Tally

PIECES = st.sampled_from(
    ["@everyone", "@here", "<@123>", "<@!42>", "<@&456>", "<#9>", "**", "__", "*", "_", "~~",
     "||", "`", "```", "[x](https://evil.example)", "[y](javascript:alert(1))", "> ", "# ", "-# ",
     "\n", "\n\n", "\r\n", "\r", ". ", "! ", "? ", "…", '"', "“", "”", " said ", "Mr. ", "Dr ",
     "\x00", "\x01", "\x1b[31m", "\x7f", "\t", "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff",
     "\u202e", "\u202b", "\u200f", "\u061c", "\u2028", "\u2029", "e\u0301", "👩‍👩‍👧", "ﷺ",
     "\U0001f1fa\U0001f1f8", "<script>alert(1)</script>", "&amp;", "&#0;", "\\", "Ann Lee",
     "She said", " ", "Z̸̡̛̤͎̈́", "word " * 40, "x" * 3000]
)  # fmt: skip
TEXT = st.lists(st.one_of(PIECES, st.text(max_size=40)), max_size=40).map("".join)
HUGE = st.builds(
    lambda t, n: (t or "a") * min(n, 100_000 // len(t or "a")), TEXT, st.integers(1, 5000)
)
ANY_TEXT = st.one_of(TEXT, HUGE)
INVISIBLE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u200b-\u200f\u2028\u2029\u202a-\u202e\ufeff]")
SUFFIXES = (".txt", ".md", ".html", ".jsonl")
RUNS: dict[str, int] = {}


def _count(name: str) -> None:
    RUNS[name] = RUNS.get(name, 0) + 1


@given(ANY_TEXT)
@settings(max_examples=100, deadline=None)
def test_cleaning_only_drops_paragraphs_and_leaves_no_invisible_characters(text: str) -> None:
    once = normalise(text)
    assert normalise(once) == once
    cleaned = clean_text(text)
    assert not INVISIBLE.search(cleaned)
    kept = set(split_paragraphs(text))
    assert all(p in kept for p in cleaned.split("\n\n") if p)
    _count("cleaner")


@given(ANY_TEXT)
@settings(max_examples=100, deadline=None)
def test_chunks_are_ordered_verbatim_spans(raw: str) -> None:
    for text in (raw, clean_text(raw)):
        for a, b in paragraph_spans(text):
            assert 0 <= a < b <= len(text) and text[a:b] == text[a:b].strip()
            assert "\n" not in text[a:b]
            for s, e in sentence_spans(text, a, b):
                assert a <= s < e <= b and text[s:e].strip()
        last = 0
        for p in passages(text, max_tokens=120, min_tokens=40):
            assert last <= p.start < p.end <= len(text)
            assert p.sentences[0][0] == p.start and p.sentences[-1][1] == p.end
            assert all(s < e for s, e in p.sentences)
            assert all(e1 <= s2 for (_, e1), (s2, _) in itertools.pairwise(p.sentences))
            last = p.end
    _count("chunker")


@given(ANY_TEXT, st.integers(0, 10_000), st.integers(1, 1000))
@settings(max_examples=100, deadline=None)
def test_quote_windows_and_speakers(raw: str, pick: int, budget: int) -> None:
    text = clean_text(raw)
    sentences = [s for a, b in paragraph_spans(text) for s in sentence_spans(text, a, b)]
    if not sentences:
        return
    best = pick % len(sentences)
    first, last = grow(sentences, best, budget)
    assert first <= best <= last
    width = sentences[last][1] - sentences[first][0]
    assert (first, last) == (best, best) or width <= budget
    speaker = attribute_speaker(text, sentences[first][0], sentences[last][1])
    assert speaker is None or (speaker.strip() and "\n" not in speaker)
    _count("quote selection")


def _loaded(items: list[Article | LoadFailure]) -> None:
    for item in items:
        if isinstance(item, Article):
            assert item.title.strip() and item.text.strip() and item.id
        else:
            assert item.reason and "\n" not in item.reason[:200]


@given(st.sampled_from(SUFFIXES), ANY_TEXT, st.binary(max_size=200))
@settings(max_examples=100, deadline=None)
def test_loaders_take_anything(suffix: str, text: str, junk: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        for i, data in enumerate([text.encode("utf-8", "surrogatepass"), junk]):
            path = Path(tmp) / f"2024-01-0{i + 1}-story{suffix}"
            path.write_bytes(data)
            _loaded(list(load_file(path)))
    _count(f"loader {suffix}")


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | ANY_TEXT,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(TEXT, children, max_size=4),
    max_leaves=10,
)
FIELDS = st.fixed_dictionaries(
    {"title": ANY_TEXT, "text": ANY_TEXT},
    optional={k: JSON for k in ("id", "url", "source", "published", "author")},
)


@given(st.lists(st.one_of(FIELDS, JSON, TEXT), max_size=8))
@settings(max_examples=60, deadline=None)
def test_jsonl_lines_of_anything(lines: list[object]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "feed.jsonl"
        body = "\n".join(line if isinstance(line, str) else json.dumps(line) for line in lines)
        path.write_text(body, encoding="utf-8", errors="surrogatepass")
        _loaded(list(load_file(path)))
    _count("loader .jsonl (JSON values)")


@given(st.integers(1, 5000), st.sampled_from(["div", "p", "span", "b", "table", "ul"]), TEXT)
@example(1, "div", "")  # once gave an Article with a headline and no text
@settings(max_examples=40, deadline=None)
def test_deeply_nested_html(depth: int, tag: str, text: str) -> None:
    html = f"<html><body>{f'<{tag}>' * depth}<p>{text} {'lorem ipsum ' * 30}</p>"
    html += f"{f'</{tag}>' * depth}</body></html>"
    try:
        article = article_from_html(html, name="deep.html")
    except LoadError as exc:
        assert "deep.html" in str(exc)
    else:
        assert article.title.strip() and article.text.strip()
    _count("deeply nested HTML (depth 1-5000)")


@st.composite
def _articles(draw: st.DrawFn) -> list[dict[str, object]]:
    n = draw(st.integers(1, 4))
    return [
        {
            "id": f"a{i}",
            "title": draw(ANY_TEXT) or "t",
            # a quote of hostile text for /quotes to list, when the text before lets it stand
            "text": f'{draw(ANY_TEXT)} ferry port.\n"{draw(TEXT)} at the port," said Ann Lee.',
        }
        for i in range(n)
    ]


@given(_articles(), ANY_TEXT)
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_hostile_articles_and_questions_end_to_end(
    articles: list[dict[str, object]], question: str
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "in.jsonl"
        corpus.write_text("\n".join(json.dumps(a) for a in articles), errors="surrogatepass")
        idx = NewsIndex.open(Path(tmp) / "data", embedder=HashEmbedder())
        idx.tuning = replace(idx.tuning, found_threshold=-1e9)
        idx.ingest([corpus])
        for asked in (question, "what about the ferry port?"):
            try:
                answer = idx.ask(asked, k=5)
            except NewsIndexError as exc:  # an empty or over-long question, said plainly
                assert "question" in str(exc)
                continue
            _verbatim(idx, answer.quotes)
            _sendable(render.answer_reply(answer))
        for name, _ in idx.speakers():  # /quotes, ranked by the hostile question as its topic
            said = idx.quotes(name, topic=question)
            _verbatim(idx, said)
            for page in range(render.statement_pages(len(said))):
                _sendable(render.statements_reply(name, said, page, question))
    _count("articles, questions and speakers through ingest, ask, quotes and render")


def _verbatim(idx: NewsIndex, quotes: Sequence[Quote]) -> None:
    """Each quote is a slice of its article with its highlight inside."""
    for quote in quotes:
        text = idx.article(quote.article.id).text
        assert text[quote.start : quote.start + len(quote.text)] == quote.text
        assert 0 <= quote.highlight[0] < quote.highlight[1] <= len(quote.text)


def _sendable(reply: render.Reply) -> None:
    """Within Discord's limits, and no mention in it could ping."""
    assert render.limit_problems(*reply) == []
    payload = json.dumps([reply.content, *(e.to_dict() for e in reply.embeds)])
    assert not re.search(r"@(everyone|here)|<@[!&]?\d", payload)


def test_tally_hostile_inputs(tally: Tally) -> None:
    """Runs after the properties above (same module, in order) and records their examples."""
    assert RUNS, "the property tests ran first"
    for name, n in sorted(RUNS.items()):
        tally("hostile input", name, n, _RESULTS.get(name.split(" (")[0], _CRASH_FREE))


_CRASH_FREE = "no crash: an Article or a LoadFailure with its reason"
_RESULTS = {
    "cleaner": "no crash; idempotent normalising; only whole paragraphs dropped; no control, zero-width or bidi characters left",
    "chunker": "no crash; paragraphs, sentences and passages are ordered, in-bounds, verbatim spans",
    "quote selection": "no crash; window holds the best sentence within budget; speaker one line or none",
    "articles, questions and speakers through ingest, ask, quotes and render": "no crash; quotes verbatim; highlight inside; Discord limits kept; no pings",
}
