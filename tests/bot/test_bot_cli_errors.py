"""What a new user trips over on the command line (issue 18): one clear line for every mistake,
output for a terminal, and settings read from where the user says. The fast fake model."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from pathlib import Path

import pytest

from bot import cli, client, config
from bot.cli import main
from bot.config import Settings
from tests.reliability.fakecli import FakeModelIndex

ROOT = Path(__file__).resolve().parents[2]
ROWS = [
    ("a1", "Aldovia Wire", "Ferry fares rise", "Ferry fares rise by five percent in May, the operator said."),
    ("a-much-longer-id-2", "Aldovia Wire", "Harbour reopens", "The harbour reopened on Monday after storm repairs."),
    ("a3", "Valley Post", "Bakery wins", "A village bakery won the regional prize for its bread."),
]  # fmt: skip
READING = [
    ["stats"],
    ["ask", "how much do ferry fares rise?"],
    ["articles"],
    ["remove", "a1"],
    ["reindex", "--quiet"],
]


@pytest.fixture(autouse=True)
def fake_model(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(config, "NewsIndex", FakeModelIndex)
    for name in ("NEWSBOT_DATA_DIR", "NEWSBOT_ALLOW_PRIVATE_URLS"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def data(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    rows = tmp_path / "wire.jsonl"
    rows.write_text(
        "\n".join(
            json.dumps({"id": i, "source": s, "title": t, "text": x, "published": "2025-05-01"})
            for i, s, t, x in ROWS
        )
    )
    path = tmp_path / "data"
    assert main(["--data", str(path), "ingest", "--quiet", str(rows)]) == 0
    capsys.readouterr()
    return path


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


# --- errors -----------------------------------------------------------------------------------


@pytest.mark.parametrize("args", [*READING, ["ingest", "x.txt"]], ids=lambda a: a[0])
def test_data_pointing_at_a_file_is_one_clear_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str]
) -> None:
    not_a_dir = tmp_path / "notes.txt"
    not_a_dir.write_text("a file, not an index\n")
    code, out, err = _run(capsys, "--data", str(not_a_dir), *args)
    assert code == 2 and out == ""
    assert err == (
        f"newsbot: {not_a_dir} is a file, not an index directory: point --data (or "
        "NEWSBOT_DATA_DIR) at a directory\n"
    )


def test_doctor_on_a_file_says_it_is_a_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    not_a_dir = tmp_path / "notes.txt"
    not_a_dir.write_text("a file\n")
    code, out, err = _run(capsys, "--data", str(not_a_dir), "doctor")
    assert code == 2 and "is a file, not an index directory" in err
    assert "holds no index" not in out + err


def test_an_os_error_is_one_line_too(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise NotADirectoryError(20, "Not a directory", "/somewhere/CURRENT")

    monkeypatch.setattr(cli, "open_index", broken)
    code, out, err = _run(capsys, "--data", str(tmp_path), "stats")
    assert (code, out) == (2, "")
    assert err == "newsbot: /somewhere/CURRENT: Not a directory\n"


@pytest.mark.parametrize("args", READING, ids=lambda a: a[0])
def test_reading_a_missing_index_says_there_is_none_and_creates_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str]
) -> None:
    typo = tmp_path / "dta"
    code, out, err = _run(capsys, "--data", str(typo), *args)
    assert code == 2 and out == ""
    assert err == (
        f"newsbot: no index in {typo}: run `newsbot --data {typo} ingest PATH...` to make one, "
        "or point --data (or NEWSBOT_DATA_DIR) at an existing index\n"
    )
    assert not typo.exists()


def test_only_writing_commands_create_an_index(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    story = tmp_path / "story.txt"
    story.write_text("Harbour reopens\nThe harbour reopened on Monday after storm repairs.\n")
    code, out, _ = _run(capsys, "--data", str(tmp_path / "new"), "ingest", "--quiet", str(story))
    assert code == 0 and out.startswith("Ingested: 1 added")
    assert _run(capsys, "--data", str(tmp_path / "new"), "stats")[0] == 0


def test_an_unknown_source_is_named_with_the_closest(
    data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _run(capsys, "--data", str(data), "ask", "ferry fares?", "--source", "Aldovia")
    assert code == 2 and out == ""
    assert err.startswith("newsbot: no source named 'Aldovia'") and "'Aldovia Wire'" in err
    code, out, err = _run(capsys, "--data", str(data), "articles", "--source", "valey post")
    assert code == 2 and "did you mean 'Valley Post'?" in err
    code, out, err = _run(
        capsys, "--data", str(data), "articles", "--latest", "--source", "Aldovia Wyre"
    )
    assert code == 2 and "'Aldovia Wire'" in err


def test_sources_match_without_regard_to_case(
    data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = _run(capsys, "--data", str(data), "articles", "--source", "aldovia wire")
    assert code == 0 and sorted(line.split()[0] for line in out.splitlines()) == [
        "a-much-longer-id-2",
        "a1",
    ]
    code, out, _ = _run(
        capsys, "--data", str(data), "ask", "how much do ferry fares rise?", "--source", "ALDOVIA WIRE", "--json"
    )  # fmt: skip
    quotes = json.loads(out)["quotes"]
    assert quotes and {q["article"]["source"] for q in quotes} == {"Aldovia Wire"}


def test_other_url_schemes_are_named_and_help_mentions_urls(
    data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _run(capsys, "--data", str(data), "ingest", "ftp://files.example.test/a.txt")
    assert code == 1 and out.startswith("Ingested: 0 added")
    assert "ftp://files.example.test/a.txt: only http and https URLs can be ingested" in err
    assert "no such file" not in err
    with pytest.raises(SystemExit):
        main(["ingest", "--help"])
    assert "http(s) URLs" in " ".join(capsys.readouterr().out.split())


def test_a_json_error_is_told_whole(
    data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "bad.jsonl").write_text('{"title": "Harbour reopens}\n')
    _, _, err = _run(capsys, "--data", str(data), "ingest", str(tmp_path / "bad.jsonl"))
    assert "bad.jsonl:1: malformed JSON: unterminated string starting at column 11" in err


def test_the_not_found_message_speaks_of_the_command_line(
    data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = _run(capsys, "--data", str(data), "ask", "zzz qqq xxx?")
    assert code == 3
    assert "couldn't find a passage" in out and "/sources" not in out
    assert "newsbot articles" in out and "--since" in out


def test_refusals_print_setting_names_without_discord_escapes(
    data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _run(capsys, "--data", str(data), "ingest", "http://127.0.0.1:9/story")
    assert code == 1 and out.startswith("Ingested: 0 added")
    assert "set NEWSBOT_ALLOW_PRIVATE_URLS=1 to allow" in err and "\\" not in err


def test_per_file_failures_go_to_stderr(
    data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "empty.txt").write_text("")
    (tmp_path / "good.txt").write_text("Tram line opens\nThe new tram line opened on Friday.\n")
    code, out, err = _run(
        capsys, "--data", str(data), "ingest", str(tmp_path / "good.txt"), str(tmp_path / "empty.txt")
    )  # fmt: skip
    assert code == 0
    assert out == "Ingested: 1 added, 0 updated, 0 unchanged, 1 failed.\n"
    assert err == f"newsbot: {tmp_path / 'empty.txt'}: empty file\n"


def test_decoded_files_are_noted(
    data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "old.txt").write_bytes("Café news\nThe café reopened.\n".encode("cp1252"))
    code, out, err = _run(capsys, "--data", str(data), "ingest", str(tmp_path / "old.txt"))
    assert code == 0 and out.startswith("Ingested: 1 added")
    assert err == f"newsbot: {tmp_path / 'old.txt'}: not UTF-8: read as cp1252\n"


@pytest.mark.parametrize("limit", ["0", "-3", "many"])
def test_articles_limit_must_be_positive(
    data: Path, capsys: pytest.CaptureFixture[str], limit: str
) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["--data", str(data), "articles", "--limit", limit])
    assert caught.value.code == 2
    assert "--limit: must be a whole number of at least 1" in capsys.readouterr().err


def test_articles_columns_line_up(data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "--data", str(data), "articles")
    lines = out.splitlines()
    assert code == 0 and len(lines) == 3
    assert len({line.index("2025-05-01") for line in lines}) == 1
    assert len({line.index(title) for line, title in zip(lines, _titles(lines), strict=True)}) == 1


def _titles(lines: list[str]) -> list[str]:
    return [next(t for _, _, t, _ in ROWS if line.endswith(t)) for line in lines]


# --- running it for real ----------------------------------------------------------------------


def test_env_file_option_reads_the_settings_from_that_file(
    data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    env = tmp_path / "newsbot.env"
    env.write_text(f"NEWSBOT_DATA_DIR={data}\n")
    code, out, _ = _run(capsys, "--env-file", str(env), "stats")
    assert code == 0 and "articles    3" in out
    code, _, err = _run(capsys, "--env-file", str(tmp_path / "missing.env"), "stats")
    assert code == 2 and err == f"newsbot: --env-file {tmp_path / 'missing.env'}: no such file\n"


def _start_and_stop(monkeypatch: pytest.MonkeyPatch) -> None:
    async def no_discord(bot: client.NewsBot, token: str) -> None:
        async with bot:  # sets up and closes, without a gateway
            pass

    monkeypatch.setattr(client, "_start", no_discord)


def _logs(caplog: pytest.LogCaptureFixture, level: int) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "newsbot" and r.levelno == level]


def test_run_logs_the_resolved_data_directory_and_index_size(
    data: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    _start_and_stop(monkeypatch)
    monkeypatch.chdir(data.parent)
    caplog.set_level(logging.INFO, logger="newsbot")
    settings = Settings(discord_token="x.y.z", data_dir=Path("data"))
    assert client.run_bot(settings) == 0
    [line] = [m for m in _logs(caplog, logging.INFO) if m.startswith("index ")]
    assert line.startswith(f"index {data.resolve()}: 3 articles, ")
    assert _logs(caplog, logging.WARNING) == []


def test_run_warns_when_the_index_is_empty(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    _start_and_stop(monkeypatch)
    monkeypatch.chdir(tmp_path)
    caplog.set_level(logging.INFO, logger="newsbot")
    assert client.run_bot(Settings(discord_token="x.y.z", data_dir=Path("data"))) == 0
    [warning] = _logs(caplog, logging.WARNING)
    assert f"the index in {(tmp_path / 'data').resolve()} is empty" in warning


def test_the_systemd_unit_runs_a_command_the_cli_accepts(
    capsys: pytest.CaptureFixture[str],
) -> None:
    unit = _unit(ROOT / "deploy" / "newsbot.service")
    service = unit["Service"]
    assert service["User"] not in ("", "root") and service["Restart"] == "on-failure"
    assert service["EnvironmentFile"].startswith("/")
    assert service["StandardOutput"] == service["StandardError"] == "journal"
    program, *args = service["ExecStart"].split()
    assert program.startswith("/") and Path(program).name == "newsbot"
    paths = [a for a in args if "/" in a]
    assert paths and all(p.startswith("/") for p in paths), "absolute paths only"
    assert service["WorkingDirectory"].startswith("/")
    with pytest.raises(SystemExit) as caught:
        main([*args, "--help"])
    assert caught.value.code == 0 and "usage: newsbot" in capsys.readouterr().out
    known = set(_example_settings()) | {"MALLOC_ARENA_MAX"}  # glibc's, for bot/heap.py
    for line in unit["Service"].get("Environment", "").split():
        assert line.partition("=")[0] in known


def test_the_docs_show_how_to_run_it_as_a_service() -> None:
    guide = (ROOT / "docs" / "discord.md").read_text()
    assert "## Run it as a service" in guide and "deploy/newsbot.service" in guide
    assert "journalctl -u newsbot" in guide


def _unit(path: Path) -> dict[str, dict[str, str]]:
    """A systemd unit as {section: {key: value}} (a repeated key keeps its values, joined)."""
    sections: dict[str, dict[str, str]] = {}
    current: dict[str, str] = {}
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            current = sections.setdefault(line.strip("[]"), {})
            continue
        key, _, value = line.partition("=")
        joined = f"{current[key]} {value}" if key in current else value
        current[key.strip()] = joined.strip()
    return sections


def _example_settings() -> list[str]:
    lines = (ROOT / ".env.example").read_text().splitlines()
    return [line.partition("=")[0] for line in lines if "=" in line and not line.startswith("#")]


def test_errors_stay_one_line_in_a_subprocess(tmp_path: Path) -> None:
    not_a_dir = tmp_path / "notes.txt"
    not_a_dir.write_text("x")
    result = subprocess.run(
        [sys.executable, "-m", "bot", "--data", str(not_a_dir), "stats"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1
