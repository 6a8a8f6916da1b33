"""The ask pipeline, in one straight line: question → query → retrieve → rank → pick sentences →
quotes → recency → Answer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from ..embed import Embedder
from ..errors import BadQuestionError
from ..models import Answer
from ..storage.catalog import Catalog
from ..storage.store import Snapshot
from ..text.asked import asks_for_recent
from .query import Query
from .quotes import make_quotes
from .recency import prefer_recent
from .rerank import Reranker
from .retrieve import retrieve
from .sentences import passage_sentences

__all__ = ["MAX_QUESTION_CHARS", "Tuning", "ask"]

MAX_QUESTION_CHARS = 1000


@dataclass(frozen=True)
class Tuning:
    """Retrieval and quoting knobs, measured in docs/quality.md."""

    candidates: int = 50  # from each retriever
    pool: int = 20  # fused candidates scored by the learned re-ranker
    rerank: int = 5  # best re-ranked passages whose sentences are scored
    lexical_weight: float = 0.35  # BM25 (scaled to the best hit) added to the dense cosine
    rare_name: int = 40  # a name of the question in at most this many passages brings them in
    typed_answers: tuple[str, ...] = ("number",)  # question kinds whose answer must be typed
    type_bonus: float = 2.0  # log-odds added to sentences holding such an answer
    speaker_bonus: float = 4.0  # log-odds added to sentences spoken by whom the question names
    speaker_margin: float = 1.0  # how much lower the found bar is when the first quote is theirs
    order_relevance: float = 0.5  # weight of the passage's log-odds in ordering the quotes
    # characters per quote, the highlighted sentence always kept whole; the first quote, the
    # likeliest answer, gets more room than the others
    first_quote_budget: int = 700
    quote_budget: int = 300
    found_threshold: float | None = None  # passage log-odds below which nothing is shown
    # (None: the threshold trained with the re-ranker, in ask/reranker.json)
    # among quotes scoring within recent_margin, newer articles first (always for a question
    # about now: "this week", "latest")
    prefer_recent: bool = False
    recent_margin: float = 0.5


def question_text(question: str) -> str:
    """The question with its whitespace collapsed; raises ``BadQuestionError`` for an empty or
    over-long one."""
    question = " ".join(str(question).split())
    if not question:
        raise BadQuestionError("the question is empty: ask something about the news")
    if len(question) > MAX_QUESTION_CHARS:
        raise BadQuestionError(f"the question is too long (over {MAX_QUESTION_CHARS} characters)")
    return question


def ask(
    snapshot: Snapshot | None,
    embedder: Embedder,
    reranker: Reranker,
    tuning: Tuning,
    question: str,
    k: int = 3,
    source: str | None = None,
    since: date | None = None,
    until: date | None = None,
) -> Answer:
    """Up to ``k`` quotes that answer ``question`` from one generation, best first."""
    question, k, t = question_text(question), max(1, min(int(k), 10)), tuning
    if snapshot is None or not snapshot.manifest["passages"]:
        return Answer(question)
    catalog = Catalog(snapshot.reader(), snapshot)
    allowed = snapshot.facets.where(source, since, until)
    if allowed is not None and not len(allowed):
        return Answer(question)
    query = Query.build(question, embedder.embed_queries([question])[0], snapshot.lexical)
    candidates = retrieve(
        snapshot, query.vector, query.tokens, n=t.candidates, pool=t.pool, allowed=allowed,
        filters=(source, since, until), lexical_weight=t.lexical_weight,
        names=sorted(query.names), rare=t.rare_name,
    )  # fmt: skip
    passages = catalog.passages([c.passage_id for c in candidates])
    sentences = passage_sentences(catalog, passages, query.vector, embedder)
    hits = reranker.rank(query, candidates, passages, sentences)
    picks = reranker.pick(
        hits[: t.rerank], query, typed_answers=t.typed_answers, type_bonus=t.type_bonus,
        speaker_bonus=t.speaker_bonus, order_relevance=t.order_relevance,
    )  # fmt: skip
    quotes = make_quotes(picks, k, t.first_quote_budget, t.quote_budget)
    if t.prefer_recent or asks_for_recent(question):
        quotes = prefer_recent(quotes, t.recent_margin)
    found = bool(quotes) and reranker.found(hits, picks, t.found_threshold, t.speaker_margin)
    return Answer(question, tuple(quotes) if found else (), found)
