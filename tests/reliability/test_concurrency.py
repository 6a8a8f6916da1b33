"""Questions from threads while ingests, updates, removals and re-indexes publish: never torn."""

from __future__ import annotations

import threading
from pathlib import Path

from index import Answer, NewsIndex
from tests.reliability.corpus import open_fake, published, write_batch
from tests.reliability.tally import Tally

READERS = 4
QUESTIONS = [
    "when will the plan go ahead?",
    "what did Ann Lee expect?",
    "how many weeks will the ferry work take?",
    "when will the council vote on the budget?",
]


def _consistent(answer: Answer, generations: list[dict[str, str]]) -> bool:
    """Whether one published generation holds every quote of ``answer``, verbatim."""
    return any(
        all(
            q.article.id in texts and texts[q.article.id][q.start : q.start + len(q.text)] == q.text
            for q in answer.quotes
        )
        for texts in generations
    )


def _edit(batch: Path) -> None:
    """Change every article of ``batch`` (same files, so the same ids: updates)."""
    for file in batch.iterdir():
        file.write_text(file.read_text().replace("would go ahead", "was postponed again"))


def test_questions_during_writes_never_see_a_torn_index(tmp_path: Path, tally: Tally) -> None:
    idx = open_fake(tmp_path / "data")
    first = write_batch(tmp_path / "in", 0, 20)
    idx.ingest([first])
    generations = [published(idx)]
    answers: list[Answer] = []
    errors: list[BaseException] = []
    done = threading.Event()

    def ask(reader: int) -> None:
        i = reader
        while not done.is_set():
            try:
                answers.append(idx.ask(QUESTIONS[i % len(QUESTIONS)], k=3))
                idx.stats()
                idx.articles(limit=5)
            except BaseException as exc:  # reported below, with the others
                errors.append(exc)
                return
            i += 1

    def writes(index: NewsIndex) -> list[str]:
        steps = []
        for n in range(1, 5):
            index.ingest([write_batch(tmp_path / "in", n, 15)])
            steps.append("ingest")
            generations.append(published(index))
        _edit(first)
        index.ingest([first])
        generations.append(published(index))
        index.remove(next(iter(generations[-1])))
        generations.append(published(index))
        for _ in range(2):
            index.reindex()
            generations.append(published(index))
        return [*steps, "update", "remove", "reindex", "reindex"]

    readers = [threading.Thread(target=ask, args=(r,)) for r in range(READERS)]
    for thread in readers:
        thread.start()
    try:
        steps = writes(idx)
    finally:
        done.set()
        for thread in readers:
            thread.join()
    assert errors == []
    assert len(answers) >= READERS and all(a.quotes for a in answers)
    torn = [a for a in answers if not _consistent(a, generations)]
    assert torn == [], torn[:1]
    quotes = sum(len(a.quotes) for a in answers)
    tally(
        "concurrency",
        f"questions from {READERS} threads during {len(steps)} writes "
        f"({', '.join(sorted(set(steps)))})",
        len(answers),
        f"no exception; all {quotes:,} quotes verbatim from one published generation",
    )
