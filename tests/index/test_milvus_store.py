"""The Milvus backend (``NEWSBOT_STORE=milvus://HOST:PORT/NAME``, index/storage/milvus.py) against
a real ``milvus-lite server`` on 127.0.0.1: the same answers as a local index, removal, re-index
and the alias, SIGKILLed writers, migration, two readers of one store, the doctor, a stopped
server and the command line. The fast fake embedder; each test its own collection name."""

from __future__ import annotations

import contextlib
import itertools
import json
import logging
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import index.library
from bot import config
from bot.cli import main
from bot.config import Settings, SettingsError
from index import (
    IndexMismatchError,
    NewsIndex,
    NewsIndexError,
    StoreUnavailableError,
    check_index,
    remote_from,
)
from index.storage.doctor import LEFTOVER
from index.storage.milvus import MilvusDraft, MilvusStore
from index.storage.store import Store
from tests.milvus_cli import FakeStoreIndex, WeightedHashEmbedder
from tests.milvus_server import MilvusServer, running, serve, start

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "root:Sw0rdfish-never-shown"
TOPICS = [
    ("ferry", "Harbour Gazette", "2024-01-15", "Ann Lee"),
    ("bakery", "Valley Post", "2024-02-20", "Tom Reyes"),
    ("bridge", "Süd Kurier", "2024-03-05", "Jürgen Weiß"),
    ("tram", "Harbour Gazette", "2024-04-11", "Priya Shah"),
    ("library", "Valley Post", "2024-05-30", "Lena Park"),
    ("orchard", "Süd Kurier", "2024-06-12", "Marta Novak"),
    ("stadium", "Harbour Gazette", "2024-06-28", "Omar Haddad"),
    ("market", "Valley Post", "2024-08-09", "Grace Kim"),
    ("hospital", "Süd Kurier", "2024-10-02", "Anja Berg"),
    ("school", "Harbour Gazette", "2024-11-19", "Dev Patel"),
    ("lighthouse", "Valley Post", None, "Ruth Okoro"),  # undated
    ("canal", "Süd Kurier", None, "Felix Braun"),  # undated
]
WORDS = (
    "weather signage lighting benches drainage cycling buses hedges funding wardens pensions "
    "schools flooding rents tourism litter paving trees markets sirens ramps kiosks meters"
).split()
QUESTIONS = [
    "how long will the ferry work take?",
    "what did residents near the bakery ask for?",
    "who leads the bridge repairs?",
    "when will the council vote on the lighthouse budget?",
    "how much will the hospital plan cost?",
]
FILTERS: list[dict[str, Any]] = [
    {},
    {"source": "Valley Post"},
    {"source": "Süd Kurier"},  # not ASCII: the Milvus filter must still match it
    {"since": date(2024, 6, 1)},
    {"until": date(2024, 6, 30)},
    {"since": date(2024, 3, 1), "until": date(2024, 8, 31)},
    {"source": "Harbour Gazette", "since": date(2024, 4, 1)},
]


def _article(n: int, topic: str, source: str, published: str | None, who: str) -> dict[str, Any]:
    def notes(p: int) -> str:  # words that differ from passage to passage: no two tie
        return " ".join(WORDS[(n * 5 + p * 11 + k) % len(WORDS)] for k in range(n + 2 * p + 1))

    paragraphs = [
        f"The council said on Monday that the {topic} plan would cost {n + 2} million pounds "
        f"and that work on the {topic} would start after the summer. Also raised: {notes(0)}.",
        f'"We expect the {topic} work to take {n % 9 + 2} weeks," said {who}, who leads the '
        f"{topic} repairs for the district. Also raised: {notes(1)}.",
        f"Residents near the {topic} asked for more notice about noise, parking and traffic, "
        f"and for a public meeting in the {topic} hall. Also raised: {notes(2)}.",
        f"The council will vote on the {topic} budget in spring, the mayor said, after a "
        f"consultation that closes at the end of the month. Also raised: {notes(3)}.",
    ]
    return {
        "id": f"{topic}-{n}",
        "source": source,
        "title": f"{topic.capitalize()} plan {n} approved",
        "text": "\n\n".join(paragraphs),
        "published": published,
    }


ROWS = [_article(n, *row) for n, row in enumerate(TOPICS)]
EXTRA = _article(99, "zeppelin", "Harbour Gazette", "2024-12-01", "Nils Holm")  # added later


def _jsonl(folder: Path, name: str, rows: Sequence[dict[str, Any]]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n")
    return path


def _open(data: Path, uri: str | None = None, **kw: Any) -> NewsIndex:
    """The index with the fake embedder; every quote is shown (the threshold fits the real one)."""
    kw.setdefault("embedder", WeightedHashEmbedder())
    idx = NewsIndex.open(data, store=uri, **kw)
    idx.tuning = replace(idx.tuning, found_threshold=-1e9)
    return idx


class Close(float):
    """A score equal to those within 1e-5 of it (FAISS and Milvus add up in their own order)."""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, float) and abs(self - other) <= 1e-5

    __hash__ = float.__hash__


Quoted = tuple[str, int, str, tuple[int, int], str | None, Close]


def _answers(idx: NewsIndex, question: str, **filters: Any) -> list[Quoted]:
    """The quotes of an answer: article, where, text, highlight, speaker and score."""
    return [
        (q.article.id, q.start, q.text, q.highlight, q.speaker, Close(q.score))
        for q in idx.ask(question, k=5, **filters).quotes
    ]


def _all_answers(idx: NewsIndex) -> dict[str, list[Quoted]]:
    return {question: _answers(idx, question) for question in QUESTIONS}


def _grid(idx: NewsIndex) -> dict[tuple[str, int], list[Quoted]]:
    """The quotes of every question under every filter."""
    return {
        (question, i): _answers(idx, question, **filters)
        for question in QUESTIONS
        for i, filters in enumerate(FILTERS)
    }


def _current(data: Path) -> str:
    return (data / "CURRENT").read_text().strip()


def _manifest(data: Path) -> dict[str, Any]:
    return dict(json.loads((data / _current(data) / "manifest.json").read_text()))


def _passage_ids(data: Path, article_id: str | None = None) -> set[int]:
    """The passage ids of the published generation's catalog (of one article, or all)."""
    with contextlib.closing(sqlite3.connect(data / _current(data) / "news.sqlite")) as con:
        if article_id is None:
            return {r[0] for r in con.execute("SELECT id FROM passages")}
        rows = con.execute("SELECT id FROM passages WHERE article_id = ?", (article_id,))
        return {r[0] for r in rows}


class Milvus:
    """One test's view of the server: its collection name, and pymilvus to look inside."""

    def __init__(self, server: MilvusServer, name: str) -> None:
        self.server = server
        self.name = name
        self.uri = server.uri(name)
        self.client = server.client()

    def collection(self, generation: int) -> str:
        return f"{self.name}_g{generation:06d}"

    def collections(self) -> list[str]:
        """This index's collections (``<name>_gNNNNNN``) on the server."""
        return sorted(c for c in self.client.list_collections() if c.startswith(self.name + "_g"))

    def alias_target(self) -> str:
        return str(self.client.describe_alias(self.name)["collection_name"])

    def rows(self, collection: str, where: str = "id >= 0") -> dict[int, int]:
        """Passage id -> gen of the rows of ``collection`` matching ``where``."""
        found = self.client.query(collection, filter=where, output_fields=["gen"])
        ids = [int(r["id"]) for r in found]
        assert len(ids) == len(set(ids)), "a passage id is in the collection twice"
        return {int(r["id"]): int(r["gen"]) for r in found}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MilvusServer]:
    """One ``milvus-lite server`` for the module, on a free port, killed at the end."""
    yield from serve(tmp_path_factory.mktemp("milvus"))


_names = itertools.count(1)


@pytest.fixture
def milvus(server: MilvusServer, request: pytest.FixtureRequest) -> Milvus:
    """This test's own collection name on the shared server."""
    name = f"t{next(_names)}_" + re.sub(r"\W+", "_", request.node.name)[:40].strip("_")
    return Milvus(server, name)


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    return _jsonl(tmp_path / "in", "wire.jsonl", ROWS)


@pytest.fixture
def follow_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Readers look for a newer generation on every question."""
    monkeypatch.setattr(index.library, "RECHECK_SECONDS", 0.0)


@pytest.fixture
def never_follow(monkeypatch: pytest.MonkeyPatch) -> None:
    """Readers stay on the generation they opened (as one does between its looks)."""
    monkeypatch.setattr(index.library, "RECHECK_SECONDS", 1e9)


# --- 1. the same answers as a local index ----------------------------------------------------


def test_answers_are_those_of_a_local_index_with_every_filter(
    tmp_path: Path, corpus: Path, milvus: Milvus
) -> None:
    local = _open(tmp_path / "local")
    remote = _open(tmp_path / "remote", milvus.uri)
    assert local.ingest([corpus]).added == remote.ingest([corpus]).added == len(ROWS)
    assert _manifest(tmp_path / "remote")["vectors"]["collection"] == milvus.collection(1)
    assert not (tmp_path / "remote" / _current(tmp_path / "remote") / "vectors.faiss").exists()
    assert len(milvus.rows(milvus.collection(1))) == local.stats().passages > len(ROWS)
    for question in QUESTIONS:
        for filters in FILTERS:
            quotes = _answers(remote, question, **filters)
            assert quotes == _answers(local, question, **filters), (question, filters)
            assert quotes or filters, question
    # the filters did filter, in Milvus as in Facets.where (an undated article passes no
    # since/until filter)
    lighthouse = QUESTIONS[3]
    assert _answers(remote, lighthouse)[0][0] == "lighthouse-10"
    undated = {"lighthouse-10", "canal-11"}
    for filters in ({"since": date(2000, 1, 1)}, {"until": date(2100, 1, 1)}):
        ids = {q[0] for q in _answers(remote, lighthouse, **filters)}
        assert ids and not ids & undated, filters
    sued = remote.ask(QUESTIONS[2], k=5, source="süd kurier").quotes  # as typed in Discord
    assert sued and {q.article.source for q in sued} == {"Süd Kurier"}
    june = remote.ask(QUESTIONS[0], k=5, since=date(2024, 6, 1), until=date(2024, 6, 30)).quotes
    assert {q.article.id for q in june} == {"orchard-5", "stadium-6"}


# --- 2. remove and update ----------------------------------------------------------------------


def test_a_removed_article_leaves_the_collection_and_is_never_quoted(
    tmp_path: Path, corpus: Path, milvus: Milvus
) -> None:
    data = tmp_path / "data"
    idx = _open(data, milvus.uri)
    idx.ingest([corpus])
    gone = _passage_ids(data, "ferry-0")
    assert gone and set(milvus.rows(milvus.collection(1), f"id in {sorted(gone)}")) == gone
    assert set(milvus.rows(milvus.collection(1), 'article == "ferry-0"')) == gone
    assert _answers(idx, QUESTIONS[0])[0][0] == "ferry-0"
    idx.remove("ferry-0")
    assert milvus.rows(milvus.collection(1), f"id in {sorted(gone)}") == {}
    assert set(milvus.rows(milvus.collection(1))) == _passage_ids(data)
    assert sorted(_manifest(data)["vectors"]["removed"]) == sorted(gone)
    for reader in (idx, _open(data, milvus.uri)):
        for question in [*QUESTIONS, "ferry ferry ferry"]:
            assert all(q[0] != "ferry-0" for q in _answers(reader, question)), question
    assert milvus.collections() == [milvus.collection(1)]


def test_an_updated_article_has_only_its_new_passages(
    tmp_path: Path, corpus: Path, milvus: Milvus
) -> None:
    data = tmp_path / "data"
    idx = _open(data, milvus.uri)
    idx.ingest([corpus])
    old = _passage_ids(data, "bakery-1")
    changed = dict(ROWS[1], text=ROWS[1]["text"].replace("noise, parking", "sourdough, rye"))
    report = idx.ingest([_jsonl(tmp_path / "in2", "update.jsonl", [changed])])
    assert (report.added, report.updated) == (0, 1)
    new = _passage_ids(data, "bakery-1")
    rows = milvus.rows(milvus.collection(1))
    assert not old & set(rows) and new <= set(rows) and not old & new
    assert {rows[i] for i in new} == {2}, "the new passages are tagged with their generation"
    assert set(rows) == _passage_ids(data)
    quoted = [q[2] for q in _answers(idx, "what did residents near the bakery ask for?")]
    assert "sourdough, rye" in quoted[0]
    assert not any("noise, parking and traffic, and for a public meeting in the bakery" in t
                   for t in quoted)  # fmt: skip


def test_a_writer_killed_after_publishing_leaves_no_removed_passage_to_readers(
    tmp_path: Path, corpus: Path, milvus: Milvus, monkeypatch: pytest.MonkeyPatch
) -> None:
    """CURRENT names the new generation but the removed passages' rows are still in Milvus
    (the writer died before deleting them, or another process reads in between)."""
    data = tmp_path / "data"
    idx = _open(data, milvus.uri)
    idx.ingest([corpus])
    gone = _passage_ids(data, "ferry-0")

    def killed(self: MilvusStore, *args: Any) -> None:
        raise KeyboardInterrupt  # what a SIGKILL leaves: nothing after this point runs

    with monkeypatch.context() as patch:
        patch.setattr(MilvusStore, "published", killed)
        with pytest.raises(KeyboardInterrupt):
            idx.remove("ferry-0")
    assert _current(data) == "gen-000002"
    assert set(milvus.rows(milvus.collection(1), f"id in {sorted(gone)}")) == gone  # not yet
    reader = _open(data, milvus.uri)
    assert reader.stats().generation == 2
    for question in [*QUESTIONS, "ferry ferry ferry"]:
        for filters in ({}, {"source": "Harbour Gazette"}):
            quotes = _answers(reader, question, **filters)
            assert quotes and all(q[0] != "ferry-0" for q in quotes), question
    [left] = check_index(data, remote=remote_from(milvus.uri))
    assert f"{len(gone)} vectors of passages removed" in left.problem and left.fix == LEFTOVER
    _open(data, milvus.uri).ingest([_jsonl(tmp_path / "in2", "extra.jsonl", [EXTRA])])
    assert milvus.rows(milvus.collection(1), f"id in {sorted(gone)}") == {}
    assert set(milvus.rows(milvus.collection(1))) == _passage_ids(data)
    assert check_index(data, remote=remote_from(milvus.uri)) == []


# --- 3. re-index: a new collection, the alias, readers of the previous generation -------------


def test_reindex_fills_a_new_collection_and_moves_the_alias_after_publishing(
    tmp_path: Path, corpus: Path, milvus: Milvus, never_follow: None
) -> None:
    data = tmp_path / "data"
    writer = _open(data, milvus.uri)
    writer.ingest([corpus])
    assert milvus.alias_target() == milvus.collection(1)
    before = _all_answers(writer)
    old_reader = _open(data, milvus.uri)  # opened before the re-index: on generation 1
    snapshot = Store(data, remote=remote_from(milvus.uri)).load()  # held, as a reader holds it
    assert snapshot is not None and snapshot.vectors.collection == milvus.collection(1)
    query = WeightedHashEmbedder().embed_queries([QUESTIONS[0]])[0]
    old_hits = snapshot.vectors.search(query, 5)[1].tolist()
    during: list[str] = []
    insert = MilvusDraft.insert

    def watched(draft: MilvusDraft, facets: Any) -> None:
        insert(draft, facets)  # the new collection is filled, not yet published
        assert milvus.collections() == [milvus.collection(1), milvus.collection(2)]
        assert milvus.alias_target() == milvus.collection(1)
        assert _all_answers(old_reader) == before
        assert _all_answers(_open(data, milvus.uri)) == before  # a reader opening meanwhile
        during.append(draft.collection)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(MilvusDraft, "insert", watched)
        writer.reindex()
    assert during == [milvus.collection(2)]
    assert _manifest(data)["vectors"]["collection"] == milvus.collection(2)
    assert milvus.alias_target() == milvus.collection(2)
    assert milvus.client.list_aliases(milvus.collection(2))["aliases"] == [milvus.name]
    assert set(milvus.rows(milvus.collection(2)).values()) == {2}
    assert set(milvus.rows(milvus.collection(2))) == _passage_ids(data)
    # the previous generation's collection stays while a reader may be on it
    assert milvus.collections() == [milvus.collection(1), milvus.collection(2)]
    assert old_reader.stats().generation == 1 and _all_answers(old_reader) == before
    assert snapshot.vectors.search(query, 5)[1].tolist() == old_hits
    assert writer.stats().generation == 2 and _all_answers(writer) == before
    # the next write drops it: no generation on disk reads it any more
    writer.ingest([_jsonl(tmp_path / "in2", "extra.jsonl", [EXTRA])])
    assert milvus.collections() == [milvus.collection(2)]
    assert milvus.alias_target() == milvus.collection(2)
    assert check_index(data, remote=remote_from(milvus.uri)) == []


def test_a_reader_left_behind_moves_on_when_its_collection_is_dropped(
    tmp_path: Path, corpus: Path, milvus: Milvus, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "data"
    monkeypatch.setattr(index.library, "RECHECK_SECONDS", 1e9)
    writer = _open(data, milvus.uri)
    writer.ingest([corpus])
    reader = _open(data, milvus.uri)
    writer.reindex()
    writer.ingest([_jsonl(tmp_path / "in2", "extra.jsonl", [EXTRA])])
    assert milvus.collections() == [milvus.collection(2)]
    monkeypatch.setattr(index.library, "RECHECK_SECONDS", 0.0)
    quotes = _answers(reader, "what did Nils Holm say about the zeppelin work?")
    assert reader.stats().generation == 3 and quotes[0][0] == EXTRA["id"]


# --- 4. SIGKILL mid-write ----------------------------------------------------------------------


def _stalled(data: Path, uri: str, point: str, *command: str) -> None:
    """Run ``newsbot ... command`` until it reaches ``point`` (tests/milvus_cli.py), then
    SIGKILL it."""
    signal_file = data.parent / f"stalled-{point}"
    env = {**os.environ, "NEWSBOT_STORE": uri}
    env.pop("NEWSBOT_DATA_DIR", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.milvus_cli", "--stall", point, str(signal_file),
         "--data", str(data), *command],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while not signal_file.exists():
            assert proc.poll() is None, proc.communicate()[1].decode()[-3000:]
            assert time.monotonic() < deadline, "the write never reached " + point
            time.sleep(0.05)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.communicate()
    assert proc.returncode == -signal.SIGKILL


@pytest.mark.parametrize("point", ["insert", "current", "published"])
def test_sigkill_during_a_reindex_keeps_the_published_generation_and_the_next_write_tidies(
    tmp_path: Path, corpus: Path, milvus: Milvus, point: str
) -> None:
    data = tmp_path / "data"
    idx = _open(data, milvus.uri)
    idx.ingest([corpus])
    passages = idx.stats().passages
    before = _all_answers(idx)
    _stalled(data, milvus.uri, point, "reindex", "--quiet")

    assert milvus.collections() == [milvus.collection(1), milvus.collection(2)]
    filled = len(milvus.rows(milvus.collection(2)))
    assert milvus.alias_target() == milvus.collection(1)
    if point == "insert":
        assert 0 < filled < passages, "killed with the new collection half-filled"
        assert _current(data) == "gen-000001" and (data / ".gen-000002.tmp").is_dir()
    elif point == "current":
        assert filled == passages
        assert _current(data) == "gen-000001" and (data / "gen-000002").is_dir()
    else:
        assert filled == passages and _current(data) == "gen-000002"
    # the published generation answers exactly as before, from its own collection
    reader = _open(data, milvus.uri)
    assert _all_answers(reader) == before
    problems = check_index(data, remote=remote_from(milvus.uri))
    assert all(p.fix == LEFTOVER for p in problems), problems
    assert bool(problems) == (point != "published")

    # the next write removes what the killed one left, and the collection list is clean
    idx = _open(data, milvus.uri)
    assert idx.ingest([_jsonl(tmp_path / "in2", "extra.jsonl", [EXTRA])]).added == 1
    live = milvus.collection(2 if point == "published" else 1)
    assert milvus.collections() == [live]
    assert milvus.alias_target() == live
    assert _manifest(data)["vectors"]["collection"] == live
    assert set(milvus.rows(live)) == _passage_ids(data)
    assert check_index(data, remote=remote_from(milvus.uri)) == []
    assert not [p for p in data.iterdir() if p.name.startswith(".gen-")]
    assert _answers(idx, "what did Nils Holm say about the zeppelin work?")[0][0] == EXTRA["id"]


def test_sigkill_during_an_ingest_leaves_rows_no_reader_sees_and_the_next_writer_deletes(
    tmp_path: Path, corpus: Path, milvus: Milvus
) -> None:
    data = tmp_path / "data"
    idx = _open(data, milvus.uri)
    idx.ingest([corpus])
    before = _all_answers(idx)
    passages = set(milvus.rows(milvus.collection(1)))
    more = [_article(90 + i, t, "Valley Post", "2024-12-02", "Ida Moss") for i, t in
            enumerate(["kite", "glacier", "volcano", "meadow"])]  # fmt: skip
    killed = _jsonl(tmp_path / "in2", "killed.jsonl", more)
    _stalled(data, milvus.uri, "insert", "ingest", "--quiet", str(killed))

    orphans = milvus.rows(milvus.collection(1), "gen == 2")
    assert len(orphans) > 3 and not set(orphans) & passages, "the killed ingest's rows are in"
    assert _current(data) == "gen-000001"
    reader = _open(data, milvus.uri)
    assert _all_answers(reader) == before
    for question in ("who is Ida Moss?", "kite glacier volcano meadow"):
        assert all(q[0] not in {a["id"] for a in more} for q in _answers(reader, question))
    problems = check_index(data, remote=remote_from(milvus.uri))
    assert problems and all(p.fix == LEFTOVER for p in problems), problems

    # the next writer deletes them before it writes (its own new passages take the same ids)
    report = _open(data, milvus.uri).ingest([_jsonl(tmp_path / "in3", "extra.jsonl", [EXTRA])])
    assert report.added == 1
    rows = milvus.rows(milvus.collection(1))
    assert set(rows) == _passage_ids(data) and set(rows) & set(orphans)
    assert check_index(data, remote=remote_from(milvus.uri)) == []
    assert milvus.collections() == [milvus.collection(1)]
    assert all(q[0] != "kite-90" for q in _answers(_open(data, milvus.uri), "kite Ida Moss"))


# --- 5. migrate --------------------------------------------------------------------------------


class CountingEmbedder(WeightedHashEmbedder):
    """``WeightedHashEmbedder`` that counts the texts of articles it embeds (passages and their
    sentences; questions are not counted)."""

    def __init__(self) -> None:
        super().__init__()
        self.embedded = 0

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        self.embedded += len(texts)
        return super().embed_documents(texts)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return WeightedHashEmbedder.embed_documents(self, texts)


def test_migrate_copies_the_vectors_without_embedding_and_later_writes_go_to_milvus(
    tmp_path: Path, corpus: Path, milvus: Milvus
) -> None:
    data = tmp_path / "data"
    embedder = CountingEmbedder()
    idx = _open(data, embedder=embedder)
    idx.ingest([corpus])
    assert embedder.embedded > 0
    before = _grid(idx)
    passages = idx.stats().passages

    # opened with the store set but not migrated: it reads its local vectors, refuses writes
    unmigrated = _open(data, milvus.uri)
    assert _all_answers(unmigrated) == _all_answers(idx)
    with pytest.raises(IndexMismatchError, match="newsbot migrate"):
        unmigrated.ingest([_jsonl(tmp_path / "in2", "extra.jsonl", [EXTRA])])
    assert _current(data) == "gen-000001" and milvus.collections() == []

    embedder.embedded = 0
    stages: list[str] = []
    copied = idx.migrate(milvus.uri, progress=lambda stage, done, total: stages.append(stage))
    assert copied == passages and embedder.embedded == 0, "nothing is embedded again"
    assert "copy" in stages
    assert idx.stats().generation == 2 and idx.stats().passages == passages
    assert _manifest(data)["vectors"]["collection"] == milvus.collection(2)
    assert not (data / "gen-000002" / "vectors.faiss").exists()
    assert milvus.collections() == [milvus.collection(2)]
    assert milvus.alias_target() == milvus.collection(2)
    assert set(milvus.rows(milvus.collection(2))) == _passage_ids(data)
    for reader in (idx, _open(data, milvus.uri)):
        assert _grid(reader) == before
    assert check_index(data, remote=remote_from(milvus.uri)) == []

    # later writes go to Milvus; the index no longer opens without the store
    idx.ingest([_jsonl(tmp_path / "in2", "extra.jsonl", [EXTRA])])
    new = _passage_ids(data, EXTRA["id"])
    assert new and {milvus.rows(milvus.collection(2))[i] for i in new} == {3}
    assert _manifest(data)["vectors"]["collection"] == milvus.collection(2)
    with pytest.raises(IndexMismatchError, match="NEWSBOT_STORE"):
        _open(data)


# --- 6. two processes share one store ---------------------------------------------------------


def test_a_reader_sees_what_another_process_writes_to_the_shared_store(
    tmp_path: Path, corpus: Path, milvus: Milvus, follow_at_once: None
) -> None:
    data = tmp_path / "data"
    reader = _open(data, milvus.uri)  # the bot: opened on an empty directory
    other = _open(data, milvus.uri)  # a second bot on the same data and store
    assert reader.stats().articles == 0
    env = {**os.environ, "NEWSBOT_STORE": milvus.uri}
    env.pop("NEWSBOT_DATA_DIR", None)
    cli = subprocess.run(
        [sys.executable, "-m", "tests.milvus_cli", "--data", str(data), "ingest",
         "--quiet", str(corpus)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert cli.returncode == 0, cli.stderr
    assert _manifest(data)["vectors"]["collection"] == milvus.collection(1)
    before = _all_answers(reader)
    assert reader.stats().articles == len(ROWS) and before[QUESTIONS[0]][0][0] == "ferry-0"
    assert _all_answers(other) == before
    other.remove("ferry-0")
    assert reader.stats().generation == 2
    assert all(q[0] != "ferry-0" for q in _answers(reader, QUESTIONS[0]))
    other.reindex()
    assert reader.stats().generation == 3
    assert _all_answers(reader) == _all_answers(other)
    other.ingest([_jsonl(tmp_path / "in2", "extra.jsonl", [EXTRA])])
    quotes = _answers(reader, "what did Nils Holm say about the zeppelin work?")
    assert quotes[0][0] == EXTRA["id"]


# --- 7. the doctor -----------------------------------------------------------------------------


def test_the_doctor_checks_the_collection_and_says_what_to_run(
    tmp_path: Path, corpus: Path, milvus: Milvus
) -> None:
    data = tmp_path / "data"
    idx = _open(data, milvus.uri)
    idx.ingest([corpus])
    before = _all_answers(idx)
    remote = remote_from(milvus.uri)
    assert check_index(data, remote=remote) == []
    [unset] = check_index(data)
    assert milvus.collection(1) in unset.problem and "NEWSBOT_STORE" in unset.fix

    one = min(_passage_ids(data))
    milvus.client.delete(milvus.collection(1), filter=f"id in [{one}]")
    [short] = check_index(data, remote=remote)
    assert f"holds {idx.stats().passages - 1} vectors" in short.problem
    assert "newsbot reindex" in short.fix

    milvus.client.drop_collection(milvus.collection(1))
    [missing] = check_index(data, remote=remote)
    assert milvus.collection(1) in missing.problem and "missing" in missing.problem
    assert "newsbot reindex" in missing.fix
    # doing what it says mends the index
    _open(data, milvus.uri, rebuild=True).reindex()
    assert check_index(data, remote=remote) == []
    assert _all_answers(_open(data, milvus.uri)) == before


# --- 8. the server stopped ---------------------------------------------------------------------


def test_a_stopped_server_is_one_clear_error_that_never_shows_the_token(
    tmp_path: Path,
    corpus: Path,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data = tmp_path / "data"
    with running(tmp_path / "milvus") as own:  # its own server: this test stops it
        uri = own.uri("stopped")
        idx = _open(data, uri, store_token=TOKEN)
        idx.ingest([corpus])
        assert idx.ask(QUESTIONS[0]).quotes
        own.stop()
        caplog.set_level(logging.DEBUG)
        errors = []
        for call in (
            lambda: idx.ask(QUESTIONS[0]),
            lambda: idx.ask(QUESTIONS[0], source="Süd Kurier"),
            lambda: idx.ingest([_jsonl(tmp_path / "in2", "extra.jsonl", [EXTRA])]),
            lambda: idx.remove("ferry-0"),
            lambda: idx.reindex(),
            lambda: _open(data, uri, store_token=TOKEN),
        ):
            with pytest.raises(StoreUnavailableError) as raised:
                call()
            assert isinstance(raised.value, NewsIndexError)
            errors.append(str(raised.value))
        assert _current(data) == "gen-000001" and Store(data).leftovers() == []
        for message in errors:
            assert "Milvus" in message and "NEWSBOT_STORE" in message and "\n" not in message
            assert "MilvusException" not in message and "grpc" not in message.lower()
        logged = "\n".join(r.getMessage() for r in caplog.records)
        assert TOKEN not in "\n".join(errors) + logged
        assert TOKEN not in repr(remote_from(uri, TOKEN)) + str(remote_from(uri, TOKEN))

        # the command line: one line and exit code 2
        monkeypatch.setattr(config, "NewsIndex", FakeStoreIndex)
        monkeypatch.setenv("NEWSBOT_STORE", uri)
        monkeypatch.setenv("NEWSBOT_MILVUS_TOKEN", TOKEN)
        capsys.readouterr()
        assert main(["--data", str(data), "ask", QUESTIONS[0]]) == 2
        out, err = capsys.readouterr()
        assert out == "" and err.startswith("newsbot: ") and "Milvus" in err
        assert TOKEN not in out + err


def test_after_the_server_restarts_the_same_reader_and_a_new_one_answer_again(
    tmp_path: Path, corpus: Path
) -> None:
    data = tmp_path / "data"
    with running(tmp_path / "milvus") as own:
        idx = _open(data, own.uri("restarted"))
        idx.ingest([corpus])
        before = [idx.ask(q) for q in QUESTIONS]
        own.stop()  # a restarted server holds the collection, but not loaded for searching
        own.process = start(own.data, own.port).process
        assert [idx.ask(q) for q in QUESTIONS] == before
        own.client().release_collection("restarted_g000001")
        assert [_open(data, own.uri("restarted")).ask(q) for q in QUESTIONS] == before


# --- 9. the command line and the setting -------------------------------------------------------


def test_newsbot_migrate_then_ask_with_newsbot_store(
    tmp_path: Path,
    corpus: Path,
    milvus: Milvus,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(config, "NewsIndex", FakeStoreIndex)
    for name in ("NEWSBOT_DATA_DIR", "NEWSBOT_STORE", "NEWSBOT_MILVUS_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    data = str(tmp_path / "data")
    assert main(["--data", data, "ingest", "--quiet", str(corpus)]) == 0
    question = [QUESTIONS[1], "--json", "--k", "3"]
    capsys.readouterr()
    assert main(["--data", data, "ask", *question]) == 0
    local = json.loads(capsys.readouterr().out)

    assert main(["--data", data, "migrate", "--to", "redis://localhost/x"]) == 2
    assert "not a Milvus address" in capsys.readouterr().err
    assert main(["--data", data, "migrate", "--to", milvus.uri, "--quiet"]) == 0
    out = capsys.readouterr().out
    passages = len(_passage_ids(Path(data)))
    assert f"copied {passages} passage vectors" in out and f"NEWSBOT_STORE={milvus.uri}" in out
    assert milvus.collections() == [milvus.collection(2)]

    assert main(["--data", data, "ask", *question]) == 2  # NEWSBOT_STORE not set yet
    assert "NEWSBOT_STORE" in capsys.readouterr().err
    monkeypatch.setenv("NEWSBOT_STORE", milvus.uri)
    assert main(["--data", data, "ask", *question]) == 0
    assert json.loads(capsys.readouterr().out) == local
    assert main(["--data", data, "doctor"]) == 0
    capsys.readouterr()
    extra = _jsonl(tmp_path / "in2", "extra.jsonl", [EXTRA])
    assert main(["--data", data, "ingest", "--quiet", str(extra)]) == 0
    assert main(["--data", data, "reindex", "--quiet"]) == 0
    assert milvus.collections() == [milvus.collection(2), milvus.collection(4)]
    assert milvus.alias_target() == milvus.collection(4)
    capsys.readouterr()
    assert (
        main(["--data", data, "ask", "what did Nils Holm say about the zeppelin?", "--json"]) == 0
    )
    assert json.loads(capsys.readouterr().out)["quotes"][0]["article"]["id"] == EXTRA["id"]


@pytest.mark.parametrize(
    "value",
    ["redis://localhost:6379/x", "milvus:///newsbot", "milvus://host:19530/9lives",
     "milvus://host:19530/bad-name", "localhost:19530"],
)  # fmt: skip
def test_a_bad_newsbot_store_is_refused_at_start_naming_the_variable(value: str) -> None:
    with pytest.raises(SettingsError, match="NEWSBOT_STORE"):
        Settings.from_mapping({"NEWSBOT_STORE": value})


def test_newsbot_store_and_its_token_are_read() -> None:
    s = Settings.from_mapping(
        {"NEWSBOT_STORE": " milvus://db.internal:19530/news ", "NEWSBOT_MILVUS_TOKEN": TOKEN}
    )
    assert (s.store, s.store_token) == ("milvus://db.internal:19530/news", TOKEN)
    assert TOKEN not in repr(s)
    assert Settings.from_mapping({}).store is None
    remote = remote_from("milvus+https://db.internal/news")
    assert (remote.uri, remote.name) == ("https://db.internal:19530", "news")
    assert remote_from("milvus://db.internal:1234").name == "newsbot"
    assert Settings.from_mapping({"NEWSBOT_STORE": "vectors/news.db"}).store == "vectors/news.db"
    assert remote_from("vectors/news.db") == remote_from("vectors/news.db", None)
