"""Golden answers: what ``NewsIndex.ask`` returns over the samples and a squad-dev subset.

Recorded with ``python -m tests.golden.answers --write`` before a refactor and compared, byte for
byte, by tests/integration/test_golden.py after it. Vectors depend on the CPU's kernels, so the
file also records a fingerprint of the embedder: on a machine whose vectors differ the test skips.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

from index import Answer, Embedder, NewsIndex
from tests.conftest import SAMPLES, SQUAD

GOLDEN = Path(__file__).with_name("golden.json")
SQUAD_EVERY = 12  # every 12th squad-dev question: 414 of 4,961, from all 48 articles

# Questions over samples/: plain, lower-case, who-said, numbers, dates, unanswerable, and the
# filters and options that take other paths through ask.
SAMPLE_ASKS: list[dict[str, Any]] = [
    {"q": "What did the harbour master say about the storm?"},
    {"q": "what did the harbour master say about the storm"},
    {"q": "Why did the dockworkers go on strike?"},
    {"q": "How much did the museum refit cost?"},
    {"q": "How much will energy bills rise?"},
    {"q": "How many people are waiting for hospital treatment in Meridian?"},
    {"q": "What does the bacterium digest?"},
    {"q": "How many jobs will Quillstone Software cut?"},
    {"q": "How much faster will the trains to Valecross be?"},
    {"q": "Who was injured in the hit-and-run?"},
    {"q": "By how much will council tax rise in Northfield?"},
    {"q": "Which school was rated outstanding?"},
    {"q": "What did islanders say about the ferry cuts?"},
    {"q": "Who was jailed for stealing from the lifeboat fund?"},
    {"q": "What did the coastguard warn about?"},
    {"q": "How many homes were flooded in Valecross?"},
    {"q": "How many hectares has the wildfire burned?"},
    {"q": "Who was elected mayor of Valecross?"},
    {"q": "Who did Valecross Rovers sign?"},
    {"q": "What did the central bank do to interest rates?"},
    {"q": "Which bridge was closed?"},
    {"q": "What is the capital of Peru?"},
    {"q": "What did the police say?", "k": 5},
    {"q": "What did the police say?", "source": "Northfield Courier"},
    {"q": "What happened to prices?", "since": "2025-01-01"},
    {"q": "What happened to prices?", "until": "2024-12-31", "k": 2},
    {"q": "storm damage", "prefer_recent": True},
    {"q": "council vote", "prefer_recent": True, "k": 10},
]


def _answer(answer: Answer, *, texts: bool) -> dict[str, Any]:
    return {
        "question": answer.question,
        "found": answer.found,
        "quotes": [
            {
                "text": q.text if texts else hashlib.sha256(q.text.encode()).hexdigest(),
                "highlight": list(q.highlight),
                "score": q.score,
                "speaker": q.speaker,
                "article": q.article.id,
                "start": q.start,
            }
            for q in answer.quotes
        ],
    }


def fingerprint(embedder: Embedder) -> str:
    """A hash of a few vectors: equal when this machine's embedder makes the recorded vectors."""
    vectors = embedder.embed_documents(["The harbour master warned boat owners.", "Storm Idris"])
    return hashlib.sha256(vectors.tobytes()).hexdigest()


def sample_answers(idx: NewsIndex) -> list[dict[str, Any]]:
    out = []
    for ask in SAMPLE_ASKS:
        idx.tuning = type(idx.tuning)(prefer_recent=bool(ask.get("prefer_recent")))
        answer = idx.ask(
            ask["q"],
            k=ask.get("k", 3),
            source=ask.get("source"),
            since=date.fromisoformat(ask["since"]) if "since" in ask else None,
            until=date.fromisoformat(ask["until"]) if "until" in ask else None,
        )
        out.append(_answer(answer, texts=True))
    idx.tuning = type(idx.tuning)()
    return out


def squad_questions() -> list[str]:
    lines = (SQUAD / "questions.jsonl").read_text().splitlines()
    return [json.loads(line)["question"] for line in lines[::SQUAD_EVERY]]


def squad_answers(idx: NewsIndex) -> list[dict[str, Any]]:
    return [_answer(idx.ask(q), texts=False) for q in squad_questions()]


def record(embedder: Embedder, work: Path) -> dict[str, Any]:
    samples = NewsIndex.open(work / "samples", embedder=embedder)
    samples.ingest([SAMPLES])
    squad = NewsIndex.open(work / "squad", embedder=embedder)
    squad.ingest([SQUAD / "articles.jsonl"])
    return {
        "embedder": fingerprint(embedder),
        "samples": sample_answers(samples),
        "squad": squad_answers(squad),
    }


def dumps(golden: dict[str, Any]) -> str:
    return json.dumps(golden, indent=1, ensure_ascii=False, sort_keys=True) + "\n"


def main() -> None:
    from index.embed import load_embedder

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--write", action="store_true", help=f"write {GOLDEN}")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        text = dumps(record(load_embedder(), Path(work)))
    if args.write:
        GOLDEN.write_text(text)
    print(f"{len(text):,} characters" + (f" written to {GOLDEN}" if args.write else ""))


if __name__ == "__main__":
    main()
