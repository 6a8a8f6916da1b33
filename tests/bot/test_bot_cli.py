"""The ``newsbot`` command line, in-process and as a subprocess, with the real model."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "data"
    assert main(["--data", str(path), "ingest", "--quiet", str(ROOT / "samples")]) == 0
    return path


def test_ingest_reports_counts_and_failures(
    data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    (tmp_path / "empty.txt").write_text("")
    code = main(["--data", str(data), "ingest", str(ROOT / "samples"), str(tmp_path / "empty.txt")])
    out, err = capsys.readouterr()
    assert code == 0
    assert "0 added, 0 updated" in out and "unchanged, 1 failed" in out
    assert "empty.txt: empty file" in err  # failures go to stderr


def test_ask_prints_the_quote_with_bold_highlight_and_citation(
    data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    code = main(["--data", str(data), "ask", "What did the harbour master say about the storm?"])
    out = capsys.readouterr().out
    assert code == 0
    assert out.startswith("**Q:** What did the harbour master say about the storm?")
    assert "\n> " in out and "**" in out.split("\n", 2)[2]
    assert "Harbour Gazette · 22 Nov 2024" in out


def test_ask_json_has_the_public_structure(data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    code = main(
        ["--data", str(data), "ask", "Why did the dockworkers strike?", "--json", "--k", "2"]
    )
    answer = json.loads(capsys.readouterr().out)
    assert code == 0 and answer["found"] is True and len(answer["quotes"]) == 2
    quote = answer["quotes"][0]
    assert set(quote) >= {"text", "highlight", "score", "speaker", "article"}
    assert set(quote["article"]) >= {"id", "title", "source", "url", "published", "author"}
    start, end = quote["highlight"]
    assert 0 <= start < end <= len(quote["text"])


def test_ask_since_and_until_keep_to_the_window(
    data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    question = "What did the harbour master say about the storm?"
    window = ["--since", "2024-11-22", "--until", "2024-11-22"]
    assert main(["--data", str(data), "ask", question, "--json", *window]) == 0
    quotes = json.loads(capsys.readouterr().out)["quotes"]
    assert quotes and {q["article"]["published"] for q in quotes} == {"2024-11-22"}
    assert main(["--data", str(data), "ask", question, "--json", "--until", "2024-11-21"]) in (0, 3)
    earlier = json.loads(capsys.readouterr().out)["quotes"]
    assert all(q["article"]["published"] <= "2024-11-21" for q in earlier)
    assert main(["--data", str(data), "ask", question, "--since", "2024-11-23", "--json"]) in (0, 3)
    later = json.loads(capsys.readouterr().out)["quotes"]
    assert all(q["article"]["published"] >= "2024-11-23" for q in later)


def test_no_answer_exits_3(data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--data", str(data), "ask", "What is the capital of Peru?"]) == 3
    assert "couldn't find a passage" in capsys.readouterr().out


def test_stats_articles_and_remove(data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert main(["--data", str(data), "articles", "--limit", "2"]) == 0
    first_id = capsys.readouterr().out.split()[0]
    assert main(["--data", str(data), "remove", first_id]) == 0
    assert f"removed {first_id}" in capsys.readouterr().out
    assert main(["--data", str(data), "stats"]) == 0
    assert "model       all-MiniLM-L6-v2" in capsys.readouterr().out
    assert main(["--data", str(data), "remove", first_id]) == 2
    assert f"no article with id '{first_id}'" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["ask", "   "], "newsbot: the question is empty"),
        (["ask", "x", "--since", "soon"], "newsbot: "),
        (["ask", "x", "--until", "7d"], "newsbot: until '7d' is not a date: use 2015-11-30"),
        (["ask", "x", "--since", "2025-02-01", "--until", "2025-01-01"], "is after until"),
        (["ingest", "/no/such/path"], "/no/such/path: no such file or folder"),
    ],
)
def test_errors_are_one_line_without_traceback(
    data: Path, tmp_path: Path, args: list[str], message: str
) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot", "--data", str(data), *args],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert result.returncode != 0
    assert "Traceback" not in result.stderr + result.stdout
    assert message in result.stderr + result.stdout


def test_a_first_ingest_into_a_fresh_directory_prints_only_its_report(tmp_path: Path) -> None:
    """The model export on first use logs library advice and DEBUG lines: none reach the user."""
    (tmp_path / "story.txt").write_text("Harbour reopens\nThe harbour opened again today.\n")
    result = subprocess.run(
        [sys.executable, "-m", "bot", "--data", str(tmp_path / "d"), "ingest", "story.txt"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=300,
    )
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == "Ingested: 1 added, 0 updated, 0 unchanged, 0 failed.\n"


def test_eval_of_given_articles_leaves_the_configured_index_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("NEWSBOT_DATA_DIR", str(tmp_path / "data"))
    articles = tmp_path / "articles.jsonl"
    articles.write_text(
        json.dumps({"id": "a1", "title": "Ferry fares", "text": "Ferry fares rise by 5% in May."})
    )
    questions = tmp_path / "questions.jsonl"
    questions.write_text(json.dumps({"question": "How much do ferry fares rise?", "expect": "5%"}))
    assert main(["eval", str(articles), str(questions), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["questions"] == 1
    assert not (tmp_path / "data").exists()


def test_source_finds_where_a_paraphrase_is_said(
    data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    claim = (
        "apparently the harbour master in Eastmere reckons it's the worst storm she's seen in "
        "her 31 years on the job"
    )
    assert main(["--data", str(data), "source", claim, "--k", "1"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"**Claim:** {claim}\n") and "not whether it is true" in out
    assert (
        "**Captain Ruth Calloway, Eastmere's harbour master, said the storm was the most severe "
        "she had seen in 31 years working on the harbour.**"
    ) in out
    assert "Harbour Gazette · 22 Nov 2024" in out
    assert main(["--data", str(data), "source", "@everyone " + claim, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["question"] == claim  # the mention left out


def test_source_says_plainly_when_nothing_says_the_claim(
    data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    claim = "NASA confirmed today that the Moon is made of green cheese"
    assert main(["--data", str(data), "source", claim]) == 3
    assert capsys.readouterr().out.startswith(f"No source found for **{claim}**")
    assert main(["--data", str(data), "source", "<@123> https://evil.example"]) == 2
    assert "no words to look up" in capsys.readouterr().err


def test_ask_follow_takes_what_it_leaves_out_from_the_last_question(
    data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ask = ["--data", str(data), "ask", "--k", "1"]
    assert main([*ask, "What did the harbour master say about the storm?"]) == 0
    capsys.readouterr()
    assert main([*ask, "--follow", "and what did she say about the pontoons?"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(
        "**Q:** and what did she say about the pontoons?\n"
        "Understood as: what did Ruth Calloway say about the pontoons?\n"
    )
    assert "— *Ruth Calloway, Eastmere's harbour master*" in out
    assert main([*ask, "--follow", "what about the power cuts?", "--json"]) in (0, 3)
    understood = json.loads(capsys.readouterr().out)["question"]
    assert understood == "what did Ruth Calloway say about the power cuts?"
    # without --follow, a question is asked as written
    assert main([*ask, "what about the harbour?", "--json"]) in (0, 3)
    assert json.loads(capsys.readouterr().out)["question"] == "what about the harbour?"


def test_ask_follow_after_the_window_asks_as_written(
    data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    kept = data / "followup.json"
    kept.write_text(json.dumps({"question": "What did the harbour master say?", "at": 0}))
    capsys.readouterr()
    code = main(["--data", str(data), "ask", "--follow", "what about the storm?", "--json"])
    out, err = capsys.readouterr()
    assert code in (0, 3) and json.loads(out)["question"] == "what about the storm?"
    assert "no question asked in the last 10 minutes to follow up" in err
    assert set(json.loads(kept.read_text())) == {"question", "at"}  # now this question


def test_quotes_lists_what_a_person_said_and_speakers_counts_them(
    data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert main(["--data", str(data), "quotes", "DHSU", "--json"]) == 0
    found = json.loads(capsys.readouterr().out)
    assert found and all(q["speaker"].startswith("Declan Ferris") for q in found)
    assert all(q["highlight"] == [0, len(q["text"])] for q in found)
    assert main(["--data", str(data), "quotes", "Declan Ferris", "--topic", "rent"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"**{len(found)} quotes by Declan Ferris**, best first for “rent”")
    assert "pay their rent" in out.split("\n\n", 2)[1]  # the first one listed
    assert "— *Declan Ferris, regional organiser for the DHSU*" in out
    assert main(["--data", str(data), "speakers", "ferris"]) == 0
    assert capsys.readouterr().out.split() == [str(len(found)), "Declan", "Ferris"]
    assert main(["--data", str(data), "quotes", "Zebedee Nobody"]) == 3
    assert "No quotes by Zebedee Nobody found" in capsys.readouterr().out
