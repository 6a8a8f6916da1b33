"""Retrieval's name channel: a rare name of the question brings its passages into the pool."""

from __future__ import annotations

from pathlib import Path

import pytest

from index import HashEmbedder, NewsIndex
from index.ask.retrieve import retrieve
from index.storage.store import Snapshot, Store
from index.text.tokens import tokenize

QUESTION = "What did Quillfeather say about the harbour ferry port strike?"


@pytest.fixture
def snapshot(tmp_path: Path) -> Snapshot:
    """Twelve articles on the harbour strike, and one that names Quillfeather in passing."""
    folder = tmp_path / "in"
    folder.mkdir()
    for i in range(12):
        (folder / f"strike-{i}.txt").write_text(
            f"Harbour strike day {i}\n\nThe harbour ferry port strike went on, day {i}. "
            "Ferry port workers at the harbour kept up the strike.\n"
        )
    (folder / "council.txt").write_text(
        "Council notes\n\nCouncillor Quillfeather spoke about parking on the high street.\n"
    )
    idx = NewsIndex.open(tmp_path / "data", embedder=HashEmbedder())
    assert not idx.ingest([str(folder)]).failed
    snap = Store(tmp_path / "data").load()
    assert snap is not None
    return snap


def _pool(snap: Snapshot, names: list[str], rare: int = 40) -> set[str]:
    vector = HashEmbedder().embed_queries([QUESTION])[0]
    found = retrieve(snap, vector, tokenize(QUESTION), n=50, pool=4, names=names, rare=rare)
    assert len(found) == 4
    con = snap.connect()
    return {
        con.execute(
            "SELECT a.title FROM passages p JOIN articles a ON a.id = p.article_id WHERE p.id = ?",
            (c.passage_id,),
        ).fetchone()[0]
        for c in found
    }


def test_a_rare_name_brings_its_passage_into_a_full_pool(snapshot: Snapshot) -> None:
    assert "Council notes" not in _pool(snapshot, [])
    assert "Council notes" in _pool(snapshot, list(tokenize("Quillfeather")))


def test_a_common_name_brings_nothing(snapshot: Snapshot) -> None:
    # "harbour" is in twelve articles' passages: more than `rare`, so it is no name to chase
    assert "Council notes" not in _pool(snapshot, list(tokenize("Quillfeather")), rare=0)
    assert "Council notes" not in _pool(snapshot, list(tokenize("Harbour")), rare=5)
