"""Damaged and foreign index files: one clear line naming the problem and the fix; doctor and
reindex repair what can be repaired, from the stored articles."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from bot import cli, config
from index import HashEmbedder, IndexMismatchError, NewsIndex, NewsIndexError, check_index
from tests.reliability.corpus import assert_verbatim, open_fake, published, write_batch
from tests.reliability.fakecli import FakeModelIndex
from tests.reliability.tally import Tally


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """An index of two generations (so there is a previous one) and its articles."""
    root = tmp_path_factory.mktemp("damage")
    idx = open_fake(root / "data")
    idx.ingest([write_batch(root / "in", 0, 12)])
    idx.ingest([write_batch(root / "in", 1, 12)])
    return root / "data", published(idx)


@pytest.fixture
def data(built: tuple[Path, dict[str, str]], tmp_path: Path) -> Path:
    shutil.copytree(built[0], tmp_path / "data")
    return tmp_path / "data"


@pytest.fixture(autouse=True)
def fake_cli(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(config, "NewsIndex", FakeModelIndex)


def _gen(data: Path) -> Path:
    return data / (data / "CURRENT").read_text().strip()


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _manifest(data: Path, **changes: object) -> None:
    path = _gen(data) / "manifest.json"
    path.write_text(json.dumps({**json.loads(path.read_text()), **changes}))


def _other_vectors(data: Path) -> None:
    """The previous generation's vectors in place of the current ones (a foreign file)."""
    previous = sorted(data.glob("gen-*"))[0]
    shutil.copy(previous / "vectors.faiss", _gen(data) / "vectors.faiss")


def _sqlite_header(data: Path) -> None:
    db = _gen(data) / "news.sqlite"
    db.write_bytes(b"\xde\xad" * 50 + db.read_bytes()[100:])


def _sqlite_pages(data: Path) -> None:
    db = _gen(data) / "news.sqlite"
    raw = db.read_bytes()
    db.write_bytes(raw[:4096] + bytes(len(raw) - 4096))


# Damage that ``newsbot reindex`` repairs from the stored articles: (file named, how).
REPAIRABLE: dict[str, tuple[str, Callable[[Path], None]]] = {
    "vectors truncated": ("vectors.faiss", lambda d: _truncate(_gen(d) / "vectors.faiss")),
    "vectors deleted": ("vectors.faiss", lambda d: (_gen(d) / "vectors.faiss").unlink()),
    "vectors of another generation": ("vectors.faiss", _other_vectors),
    "BM25 deleted": ("bm25", lambda d: shutil.rmtree(_gen(d) / "bm25")),
    "BM25 truncated": ("bm25", lambda d: _truncate(_gen(d) / "bm25" / "ids.npy")),
    "manifest deleted": ("manifest.json", lambda d: (_gen(d) / "manifest.json").unlink()),
    "manifest not JSON": ("manifest.json", lambda d: (_gen(d) / "manifest.json").write_text("{")),
    "manifest incomplete": ("manifest.json", lambda d: _manifest(d, passages="many")),
    "CURRENT garbage": ("CURRENT", lambda d: (d / "CURRENT").write_text("gen-\x00\x01")),
}
# Damage reindex cannot repair: the message names another fix.
FATAL: dict[str, tuple[str, str, Callable[[Path], None]]] = {
    "SQLite header overwritten": ("news.sqlite", "ingest them again", _sqlite_header),
    "SQLite pages zeroed": ("news.sqlite", "ingest them again", _sqlite_pages),
    "foreign manifest": ("manifest.json", "--data", lambda d: _manifest(d, format="other-app")),
    "manifest of another schema": ("schema", "new --data", lambda d: _manifest(d, schema=99)),
}


def _one_line_error(data: Path, capsys: pytest.CaptureFixture[str], *args: str) -> str:
    code = cli.main(["--data", str(data), *args])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("newsbot: ") and err.count("\n") == 1, (code, err)
    return err


@pytest.mark.parametrize("case", REPAIRABLE)
def test_damage_is_named_and_reindex_rebuilds_from_the_stored_articles(
    case: str,
    data: Path,
    built: tuple[Path, dict[str, str]],
    capsys: pytest.CaptureFixture[str],
    tally: Tally,
) -> None:
    named, damage = REPAIRABLE[case]
    damage(data)
    with pytest.raises(NewsIndexError, match="newsbot reindex") as raised:
        open_fake(data)
    assert named in str(raised.value) and "\n" not in str(raised.value)
    assert named in _one_line_error(data, capsys, "ask", "when will the plan go ahead?")
    problems = check_index(data)
    assert any(named in p.problem and "newsbot reindex" in p.fix for p in problems), problems
    assert cli.main(["--data", str(data), "doctor"]) == 1
    assert capsys.readouterr().out.count("\n") == len(problems)

    assert cli.main(["--data", str(data), "reindex", "--quiet"]) == 0
    assert capsys.readouterr().out.startswith("reindexed 24 articles")
    idx = open_fake(data)
    assert published(idx) == built[1], "every stored article is back, unchanged"
    assert assert_verbatim(idx, "when will the plan go ahead?", built[1])
    assert check_index(data) == []
    assert cli.main(["--data", str(data), "doctor"]) == 0
    assert capsys.readouterr().out.startswith("ok: 24 articles")
    tally("damage", case, 1, f"names {named} and `newsbot reindex`; reindex rebuilt all articles")


@pytest.mark.parametrize("case", FATAL)
def test_damage_reindex_cannot_repair_names_the_fix(
    case: str, data: Path, capsys: pytest.CaptureFixture[str], tally: Tally
) -> None:
    named, fix, damage = FATAL[case]
    damage(data)
    with pytest.raises(NewsIndexError) as raised:
        open_fake(data)
    message = str(raised.value)
    assert named in message and fix in message and "\n" not in message, message
    assert fix in _one_line_error(data, capsys, "stats")
    assert fix in _one_line_error(data, capsys, "reindex", "--quiet")
    problems = check_index(data)
    assert [p for p in problems if named in p.problem and fix in p.fix], problems
    if named == "news.sqlite":  # the previous generation is offered
        assert "write gen-000001 into CURRENT" in problems[-1].fix
    tally("damage", case, 1, f"one line naming {named} and the fix ({fix!r}); doctor agrees")


def test_another_model_says_what_to_run(data: Path, tally: Tally) -> None:
    with pytest.raises(IndexMismatchError, match="run `newsbot reindex`") as raised:
        NewsIndex.open(data, embedder=HashEmbedder(dimension=64))
    assert "hash-256" in str(raised.value) and "EMBEDDING_MODEL=hash-256" in str(raised.value)
    (problem,) = check_index(data, model="all-MiniLM-L6-v2")
    assert "hash-256" in problem.problem and "EMBEDDING_MODEL=hash-256" in problem.fix
    tally("damage", "index built with another model", 1, "names both models, `newsbot reindex`")


def test_a_deleted_current_falls_back_to_the_newest_generation(
    data: Path, built: tuple[Path, dict[str, str]], tally: Tally
) -> None:
    (data / "CURRENT").unlink()
    assert [p.problem for p in check_index(data)] == [
        "CURRENT is missing (the newest generation is used)"
    ]
    idx = open_fake(data)
    assert published(idx) == built[1]
    idx.ingest([write_batch(data.parent / "in", 5, 3)])
    assert idx.stats().generation == 3 and (data / "CURRENT").read_text() == "gen-000003\n"
    assert len(published(open_fake(data))) == 27, "no generation was overwritten"
    tally("damage", "CURRENT deleted", 1, "newest generation used; the next write restores it")


def test_doctor_on_a_directory_without_an_index(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (problem,) = check_index(tmp_path / "nothing")
    assert "holds no index" in problem.problem and "newsbot ingest" in problem.fix
    assert cli.main(["--data", str(tmp_path / "nothing"), "doctor"]) == 1
    assert capsys.readouterr().out.count("\n") == 1
    assert not (tmp_path / "nothing").exists(), "doctor changes nothing"
