"""NewsIndex behaviour with the fast deterministic embedder (the real model is in tests/integration)."""

from __future__ import annotations

import contextlib
import gc
import json
import os
import sqlite3
import threading
import weakref
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from index import (
    ArticleNotFoundError,
    BadQuestionError,
    HashEmbedder,
    IndexBusyError,
    IndexCorruptError,
    IndexMismatchError,
    NewsIndex,
    NewsIndexError,
)
from index.storage.store import Snapshot
from index.text.names import cased_names


def _write(folder: Path, name: str, title: str, *body: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text("\n".join([title, *body]) + "\n")
    return path


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    root = tmp_path / "in"
    _write(
        root / "Gazette",
        "2024-03-01-ferry.txt",
        "Ferry fares rise",
        "Ferry fares will rise by four percent in April, the operator said.",
        '"Fuel costs forced our hand," said Ann Lee, director of Bay Ferries.',
    )
    _write(
        root / "Courier",
        "2025-06-10-bakery.txt",
        "Bakery wins sourdough prize",
        "A village bakery won the national sourdough prize on Tuesday.",
        "The judges praised its rye loaf and its crust.",
    )
    _write(
        root / "Courier",
        "2025-07-01-bridge.txt",
        "Swing bridge closes for repairs",
        "The swing bridge will close for six weeks of repairs from Monday.",
        "Drivers are advised to use the ring road instead.",
    )
    return root


def _open(path: Path) -> NewsIndex:
    idx = NewsIndex.open(path, embedder=HashEmbedder())
    idx.tuning = replace(idx.tuning, found_threshold=-1e9)  # calibrated for the real model only
    return idx


def test_ingest_ask_and_quote_is_a_verbatim_slice(tmp_path: Path, corpus: Path) -> None:
    idx = _open(tmp_path / "data")
    report = idx.ingest([corpus])
    assert (report.added, report.updated, report.unchanged, report.failed) == (3, 0, 0, ())
    answer = idx.ask("how much will ferry fares rise?")
    assert answer.found
    best = answer.quotes[0]
    assert "four percent" in best.text
    article = idx.article(best.article.id)
    assert article.text[best.start : best.start + len(best.text)] == best.text
    assert best.highlighted in best.text and best.highlight[0] < best.highlight[1]
    assert best.article.source == "Gazette" and best.article.published == date(2024, 3, 1)


def test_reingest_unchanged_does_nothing_changed_file_is_replaced(
    tmp_path: Path, corpus: Path
) -> None:
    idx = _open(tmp_path / "data")
    idx.ingest([corpus])
    generation = idx.stats().generation
    again = idx.ingest([corpus])
    assert (again.added, again.updated, again.unchanged) == (0, 0, 3)
    assert idx.stats().generation == generation, "an unchanged ingest publishes nothing"
    _write(
        corpus / "Courier",
        "2025-06-10-bakery.txt",
        "Bakery wins sourdough prize",
        "A village bakery won the national baguette prize on Tuesday.",
    )
    changed = idx.ingest([corpus])
    assert (changed.added, changed.updated, changed.unchanged) == (0, 1, 2)
    assert idx.stats().articles == 3
    quote = idx.ask("which prize did the bakery win?").quotes[0]
    assert "baguette" in quote.text and "sourdough prize on" not in quote.text


def test_the_same_text_twice_is_stored_once(tmp_path: Path, corpus: Path) -> None:
    idx = _open(tmp_path / "data")
    idx.ingest([corpus])
    copy = (corpus / "Gazette" / "2024-03-01-ferry.txt").read_text()
    (corpus / "Gazette" / "copy-of-ferry.txt").write_text(copy)
    report = idx.ingest([corpus])
    assert report.unchanged == 4 and report.added == 0
    assert idx.stats().articles == 3


def test_remove_and_reindex(tmp_path: Path, corpus: Path) -> None:
    idx = _open(tmp_path / "data")
    idx.ingest([corpus])
    ferry = next(a for a in idx.articles() if a.title == "Ferry fares rise")
    assert idx.remove(ferry.id).title == "Ferry fares rise"
    assert all("Ferry" not in q.article.title for q in idx.ask("ferry fares").quotes)
    with pytest.raises(ArticleNotFoundError):
        idx.remove(ferry.id)
    stages: list[str] = []
    report = idx.reindex(progress=lambda stage, done, total: stages.append(stage))
    assert report.updated == 2
    assert {"clean", "bm25", "publish"} <= set(stages)
    assert idx.stats().articles == 2 and idx.ask("swing bridge repairs").found


def test_filters_by_source_and_date(tmp_path: Path, corpus: Path) -> None:
    idx = _open(tmp_path / "data")
    idx.ingest([corpus])
    assert {
        q.article.source for q in idx.ask("prize bridge ferry", k=5, source="Courier").quotes
    } == {"Courier"}
    recent = idx.ask("prize bridge ferry", k=5, since=date(2025, 6, 15))
    assert {q.article.title for q in recent.quotes} == {"Swing bridge closes for repairs"}
    old = idx.ask("prize bridge ferry", k=5, until=date(2024, 12, 31))
    assert {q.article.title for q in old.quotes} == {"Ferry fares rise"}
    with pytest.raises(NewsIndexError, match="no source named 'nobody'"):  # issue 18
        idx.ask("ferry", source="nobody")
    assert [s.name for s in idx.sources()] == ["Courier", "Gazette"]
    assert [a.title for a in idx.articles(limit=2)] == [
        "Swing bridge closes for repairs",
        "Bakery wins sourdough prize",
    ]
    later = _write(tmp_path / "later", "2025-08-02-pier.txt", "Pier reopens", "The pier reopened.")
    idx.ingest([later])  # a new generation filters by its own passages
    assert [q.article.title for q in idx.ask("pier", since=date(2025, 8, 1)).quotes] == [
        "Pier reopens"
    ]


@pytest.mark.parametrize("question", ["", "   \n\t", "x" * 1001])
def test_bad_questions_are_refused(tmp_path: Path, corpus: Path, question: str) -> None:
    idx = _open(tmp_path / "data")
    with pytest.raises(BadQuestionError):
        idx.ask(question)


def test_warm_loads_the_model_before_any_question(tmp_path: Path) -> None:
    class Counting(HashEmbedder):
        questions = 0

        def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
            Counting.questions += len(texts)
            return super().embed_queries(texts)

    idx = NewsIndex.open(tmp_path / "data", embedder=Counting())
    idx.warm()  # an empty index too: the model is loaded whatever the index holds
    assert Counting.questions == 1
    assert not idx.ask("anything").found


def test_empty_index_answers_not_found(tmp_path: Path) -> None:
    idx = _open(tmp_path / "data")
    assert not idx.ask("anything").found
    assert idx.stats().articles == 0 and idx.articles() == [] and idx.sources() == []


def test_writes_publish_atomically_to_a_new_generation(tmp_path: Path, corpus: Path) -> None:
    data = tmp_path / "data"
    idx = _open(data)
    idx.ingest([corpus / "Gazette"])
    first = (data / "CURRENT").read_text().strip()
    idx.ingest([corpus / "Courier"])
    second = (data / "CURRENT").read_text().strip()
    assert first != second and (data / second / "manifest.json").exists()
    manifest = json.loads((data / second / "manifest.json").read_text())
    assert manifest["model"] == "hash-256" and manifest["articles"] == 3
    assert not list(data.glob(".gen-*")), "no draft is left behind"
    reopened = _open(data)
    assert reopened.stats().articles == 3


def _open_files(path: Path) -> list[str]:
    """The files under ``path`` this process holds open (deleted ones too)."""
    links = [os.readlink(fd) for fd in Path("/proc/self/fd").iterdir() if fd.is_symlink()]
    return [link for link in links if link.startswith(str(path))]


def _generations(root: Path) -> list[Snapshot]:
    """The generations under ``root`` alive now (other tests' may be alive too). ``type(o)``, not
    ``isinstance``, which would make lazily imported modules among the objects warn."""
    return [o for o in gc.get_objects() if type(o) is Snapshot and o.path.is_relative_to(root)]


def test_a_replaced_generation_is_freed_without_the_garbage_collector(
    tmp_path: Path, corpus: Path
) -> None:
    """The bot hides its heap from the collector (bot/heap.py), so what a write replaces must be
    freed by reference counting alone: no reference cycles, and every thread's connection to
    the old generation closed, though the threads live on."""

    idx = _open(tmp_path / "data")
    idx.ingest([corpus / "Gazette"])
    gc.collect()
    gc.disable()
    try:
        with ThreadPoolExecutor(1) as worker:
            assert idx.ask("ferry fares").found
            assert worker.submit(idx.ask, "ferry fares").result().found
            (first,) = _generations(tmp_path)
            old_db = first.path / "news.sqlite"
            assert len(_open_files(old_db)) == 2, "one connection per asking thread"
            parts = [weakref.ref(p) for p in (first, first.bm25, first.vectors)]
            del first
            idx.ingest([corpus / "Courier"])
            idx.reindex()
            assert idx.ask("sourdough prize").found
            assert [p() for p in parts] == [None, None, None]
            assert len(_generations(tmp_path)) == 1
            assert _open_files(old_db) == []
    finally:
        gc.enable()


def test_each_thread_keeps_one_connection_to_a_generation(tmp_path: Path, corpus: Path) -> None:
    idx = _open(tmp_path / "data")
    idx.ingest([corpus / "Gazette"])
    (snap,) = _generations(tmp_path)  # the one the index answers from
    with ThreadPoolExecutor(1) as worker:
        other = worker.submit(snap.reader).result()
        assert worker.submit(snap.reader).result() is other
    assert snap.reader() is snap.reader() is not other
    for _ in range(5):
        assert idx.ask("ferry fares").found
    assert len(_open_files(snap.path / "news.sqlite")) == 2


def test_opening_with_another_model_says_what_to_run(tmp_path: Path, corpus: Path) -> None:
    _open(tmp_path / "data").ingest([corpus])
    with pytest.raises(IndexMismatchError, match="newsbot reindex"):
        NewsIndex.open(tmp_path / "data", embedder=HashEmbedder(dimension=128))
    rebuilt = NewsIndex.open(tmp_path / "data", embedder=HashEmbedder(dimension=128), rebuild=True)
    rebuilt.reindex()
    assert (
        NewsIndex.open(tmp_path / "data", embedder=HashEmbedder(dimension=128))
        .ask("ferry fares")
        .found
    )


def test_damaged_files_give_a_clear_error(tmp_path: Path, corpus: Path) -> None:
    data = tmp_path / "data"
    _open(data).ingest([corpus])
    current = data / (data / "CURRENT").read_text().strip()
    (current / "vectors.faiss").write_bytes(b"garbage")
    with pytest.raises(IndexCorruptError, match="newsbot reindex"):
        _open(data)


def test_one_writer_at_a_time(tmp_path: Path, corpus: Path) -> None:
    idx = _open(tmp_path / "data")
    idx.ingest([corpus / "Gazette"])
    started, release = threading.Event(), threading.Event()
    errors: list[Exception] = []

    def slow(stage: str, done: int, total: int) -> None:
        started.set()
        release.wait(5)

    worker = threading.Thread(target=lambda: idx.reindex(progress=slow))
    worker.start()
    started.wait(5)
    try:
        with pytest.raises(IndexBusyError):
            idx.ingest([corpus])
        assert idx.ask("ferry fares").found, "questions are answered while a write runs"
    except Exception as exc:  # pragma: no cover - reported below
        errors.append(exc)
    finally:
        release.set()
        worker.join()
    assert not errors


def test_the_first_quote_gets_more_room_than_the_others(tmp_path: Path) -> None:
    sentence = "The harbour board met on {} to discuss the ferry timetable and the pier repairs."
    days = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
    body = [" ".join(sentence.format(f"{d} {w}") for d in days) for w in ("morning", "evening")]
    for name in ("board", "council", "trust"):
        _write(
            tmp_path / "in" / "Gazette", f"2024-03-0{len(name)}-{name}.txt", f"The {name}", *body
        )
    idx = _open(tmp_path / "data")
    idx.ingest([tmp_path / "in"])
    t = idx.tuning
    quotes = idx.ask("when did the harbour board meet about the ferry?", k=3).quotes
    assert len(quotes) == 3
    assert t.quote_budget < len(quotes[0].text) <= t.first_quote_budget
    assert all(len(q.text) <= t.quote_budget for q in quotes[1:])


def test_a_syndicated_copy_gives_one_quote_not_two(tmp_path: Path, corpus: Path) -> None:
    idx = _open(tmp_path / "data")
    story = (corpus / "Gazette" / "2024-03-01-ferry.txt").read_text().split("\n")
    _write(
        corpus / "Wire",
        "2024-03-02-ferry.txt",
        "Ferry operator to raise fares",
        *story[1:],
        "Passengers have until March to renew season tickets at the old price.",
    )
    idx.ingest([corpus])
    assert idx.stats().articles == 4
    quotes = idx.ask("how much will ferry fares rise?", k=3).quotes
    assert sum("four percent" in q.text for q in quotes) == 1


def test_an_index_without_stored_sentences_answers_the_same(tmp_path: Path, corpus: Path) -> None:
    data = tmp_path / "data"
    idx = _open(data)
    idx.ingest([corpus])
    question = "how much will ferry fares rise?"
    before = idx.ask(question, k=3)
    published = data / (data / "CURRENT").read_text().strip() / "news.sqlite"
    with contextlib.closing(sqlite3.connect(published)) as db, db:
        assert db.execute("DELETE FROM sentence_vectors").rowcount > 0  # as made before them
    after = _open(data).ask(question, k=3)
    assert after.quotes == before.quotes and after.found


def test_names_stored_at_ingest_are_those_of_the_text_and_old_indexes_find_them(
    tmp_path: Path, corpus: Path
) -> None:
    data = tmp_path / "data"
    idx = _open(data)
    idx.ingest([corpus])
    question = "what did Ann Lee say about fares?"
    before = idx.ask(question, k=3)
    published = data / (data / "CURRENT").read_text().strip() / "news.sqlite"
    with contextlib.closing(sqlite3.connect(published)) as db:
        stored = dict(db.execute("SELECT text, names FROM articles"))
        assert {text: frozenset(names.split()) for text, names in stored.items()} == {
            text: cased_names(text) for text in stored
        }
        assert "lee" in next(n for t, n in stored.items() if "Ann Lee" in t).split()
        with db:
            db.execute("ALTER TABLE articles DROP COLUMN names")  # as made before them
    after = _open(data).ask(question, k=3)
    assert after.quotes == before.quotes and after.found
    _open(data).reindex()  # the next write stores them
    with contextlib.closing(
        sqlite3.connect(data / (data / "CURRENT").read_text().strip() / "news.sqlite")
    ) as db:
        assert db.execute("SELECT count(*) FROM articles WHERE names IS NULL").fetchone()[0] == 0


def test_every_write_releases_the_documents_runtime(tmp_path: Path, corpus: Path) -> None:
    """Between writes a process holds only what questions need (issue 23)."""

    class Releasing(HashEmbedder):
        released = 0

        def release_documents(self) -> None:
            self.released += 1

    embedder = Releasing()
    idx = NewsIndex.open(tmp_path / "data", embedder=embedder)
    idx.ingest([corpus])
    assert embedder.released == 1
    idx.reindex()
    idx.remove(idx.articles()[0].id)
    assert embedder.released == 3
    with pytest.raises(ArticleNotFoundError):
        idx.remove("no-such-article")
    assert embedder.released == 4  # a failed write too
    assert idx.stats().articles == 2
