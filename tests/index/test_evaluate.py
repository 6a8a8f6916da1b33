"""Answer-quality measurement: the metric and the own-article-removed (unanswerable) check."""

from __future__ import annotations

from collections.abc import Iterable

from index import Answer, Article, ArticleInfo, Quote, evaluate, unanswerable_found
from index.errors import ArticleNotFoundError
from index.evaluate import EvalQuestion


class _Shelf:
    """An index stand-in: an article answers a question when it holds the question's last word."""

    def __init__(self, articles: Iterable[Article]) -> None:
        self.articles = {a.id: a for a in articles}
        self.asked_without: list[tuple[str, frozenset[str]]] = []

    def article(self, article_id: str) -> Article:
        if article_id not in self.articles:
            raise ArticleNotFoundError(article_id)
        return self.articles[article_id]

    def remove(self, article_id: str) -> object:
        return self.articles.pop(article_id)

    def ingest_articles(self, articles: Iterable[Article]) -> object:
        self.articles.update((a.id, a) for a in articles)
        return None

    def ask(self, question: str, k: int = 3) -> Answer:
        self.asked_without.append((question, frozenset(self.articles)))
        word = question.split()[-1]
        hits = [a for a in self.articles.values() if word in a.text]
        quotes = tuple(
            Quote(a.text, (0, len(a.text)), 1.0, ArticleInfo(a.id, a.title, a.source))
            for a in hits[:k]
        )
        return Answer(question, quotes, bool(quotes))


def _article(article_id: str, text: str) -> Article:
    return Article(article_id, article_id.title(), text, "test")


def test_each_question_is_asked_without_its_article_which_comes_back() -> None:
    shelf = _Shelf([_article("a", "ferry harbour"), _article("b", "bakery harbour")])
    questions = [
        EvalQuestion("where is the ferry", ("x",), "a"),
        EvalQuestion("what is near the harbour", ("x",), "a"),
        EvalQuestion("who won with the bakery", ("x",), "b"),
        EvalQuestion("no article id", ("x",), None),
        EvalQuestion("an article not indexed", ("x",), "zzz"),
    ]
    asked, found = unanswerable_found(shelf, questions, limit=10)
    assert asked == 3
    assert found == 1 / 3  # only "harbour" is also in the other article
    assert set(shelf.articles) == {"a", "b"}
    for question, present in shelf.asked_without:
        own = next(q.article_id for q in questions if q.question == question)
        assert own not in present and present


def test_the_limit_takes_questions_from_every_article_in_turn() -> None:
    shelf = _Shelf([_article("a", "one"), _article("b", "two")])
    questions = [EvalQuestion(f"q{i} one", ("x",), "a") for i in range(5)]
    questions.append(EvalQuestion("q two", ("x",), "b"))
    asked, _ = unanswerable_found(shelf, questions, limit=2)
    assert asked == 2
    assert {q for q, _ in shelf.asked_without} == {"q0 one", "q two"}


def test_answer_in_quote_counts_only_quotes_shown() -> None:
    shelf = _Shelf([_article("a", "The Denver Broncos won"), _article("b", "Panthers lost")])
    questions = [
        EvalQuestion("who won", ("Denver Broncos",)),
        EvalQuestion("who lost", ("Broncos",)),  # the quote shown says Panthers
        EvalQuestion("who tied", ("nobody",)),  # nothing found
    ]
    report = evaluate(lambda q, k: shelf.ask(q, k), questions, k=3)
    assert (report.at_1, report.at_k, report.found) == (1 / 3, 1 / 3, 2 / 3)
    assert report.highlight_at_1 == 1 / 3


def test_as_of_asks_each_question_on_its_date(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from datetime import date

    from index import load_questions

    path = tmp_path / "q.jsonl"
    path.write_text(
        '{"question": "who won", "answers": ["Ann"], "date": "2023/04/13"}\n'
        '{"question": "who lost", "answers": ["Bo"]}\n'
    )
    questions = load_questions(path)
    assert [q.date for q in questions] == [date(2023, 4, 13), None]
    asked: list[tuple[str, date | None]] = []

    def ask(question: str, k: int, until: date | None = None) -> Answer:
        asked.append((question, until))
        return Answer(question)

    evaluate(ask, questions, as_of=True)
    evaluate(ask, questions)
    assert asked == [
        ("who won", date(2023, 4, 13)),
        ("who lost", None),
        ("who won", None),
        ("who lost", None),
    ]
