"""Answer-quality measurement: answer-in-quote@k, highlight@1, characters shown, found, latency."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from typing import Any, Protocol

from .errors import ArticleNotFoundError, LoadError
from .models import Answer, Article

__all__ = [
    "EvalQuestion",
    "EvalReport",
    "evaluate",
    "load_questions",
    "normalise_answer",
    "unanswerable_found",
]

_PUNCT = re.compile(r"[^\w\s]|_")


def normalise_answer(text: str) -> str:
    """Lower-cased, punctuation folded to spaces, whitespace collapsed (squad-dev/SOURCE.md)."""
    return " ".join(_PUNCT.sub(" ", text.lower()).split())


@dataclass(frozen=True)
class EvalQuestion:
    question: str
    answers: tuple[str, ...]
    article_id: str | None = None
    date: date | None = None  # when it was asked (a news quiz's date)


def load_questions(path: str | Path) -> list[EvalQuestion]:
    """Questions in squad-dev's format (``answers``) or the seeds' (``expect``)."""
    out = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            answers = row.get("answers") or [row["expect"]]
            asked = (
                date.fromisoformat(row["date"][:10].replace("/", "-")) if row.get("date") else None
            )
            out.append(EvalQuestion(row["question"], tuple(answers), row.get("article_id"), asked))
        except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
            raise LoadError(f"{path}:{number}: not a question line ({exc})") from exc
    return out


@dataclass(frozen=True)
class EvalReport:
    questions: int
    k: int
    at_1: float
    at_k: float
    highlight_at_1: float
    mean_chars_k: float
    found: float
    p50_ms: float
    p95_ms: float

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _contains(answers: Iterable[str], text: str) -> bool:
    hay = f" {normalise_answer(text)} "
    return any(f" {normalise_answer(a)} " in hay for a in answers if normalise_answer(a))


def _percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


def evaluate(
    ask: Callable[..., Answer],
    questions: Sequence[EvalQuestion],
    k: int = 3,
    *,
    as_of: bool = False,
) -> EvalReport:
    """Ask every question (``ask(question, k)``) and score the quotes against its answer strings.
    ``as_of``: ask as a reader would have on the question's date, ``ask(question, k, date)``,
    so that only articles published by then can answer."""
    hit1 = hitk = hl = found = 0
    chars: list[int] = []
    times: list[float] = []
    for q in questions:
        t0 = time.perf_counter()
        answer = ask(q.question, k, q.date) if as_of else ask(q.question, k)
        times.append((time.perf_counter() - t0) * 1000)
        quotes = answer.quotes[:k]
        found += answer.found
        chars.append(sum(len(x.text) for x in quotes))
        if quotes:
            hit1 += _contains(q.answers, quotes[0].text)
            hitk += any(_contains(q.answers, x.text) for x in quotes)
            hl += _contains(q.answers, quotes[0].highlighted)
    n = max(1, len(questions))
    return EvalReport(
        questions=len(questions),
        k=k,
        at_1=hit1 / n,
        at_k=hitk / n,
        highlight_at_1=hl / n,
        mean_chars_k=sum(chars) / n,
        found=found / n,
        p50_ms=_percentile(times, 0.5),
        p95_ms=_percentile(times, 0.95),
    )


class _Index(Protocol):
    def article(self, article_id: str) -> Article: ...
    def remove(self, article_id: str) -> object: ...
    def ingest_articles(self, articles: Iterable[Article]) -> object: ...
    def ask(self, question: str, k: int = 3) -> Answer: ...


def unanswerable_found(
    index: _Index, questions: Sequence[EvalQuestion], limit: int
) -> tuple[int, float]:
    """How many questions were asked, and the share still ``found``, with each question's own
    article removed from ``index`` (it is put back afterwards). Up to ``limit`` questions, taken
    in turn from each article so that every article counts."""
    by_article: dict[str, list[EvalQuestion]] = {}
    for q in questions:
        if q.article_id:
            by_article.setdefault(q.article_id, []).append(q)
    chosen: dict[str, list[EvalQuestion]] = {a: [] for a in by_article}
    for turn in range(max((len(v) for v in by_article.values()), default=0)):
        for article_id, qs in by_article.items():
            if turn < len(qs) and sum(map(len, chosen.values())) < limit:
                chosen[article_id].append(qs[turn])
    asked = found = 0
    for article_id, qs in chosen.items():
        if not qs:
            continue
        try:
            article = index.article(article_id)
        except ArticleNotFoundError:
            continue
        index.remove(article_id)
        try:
            found += sum(index.ask(q.question, k=1).found for q in qs)
            asked += len(qs)
        finally:
            index.ingest_articles([article])
    return asked, found / max(1, asked)
