"""Precision and recall of ``NewsIndex.quotes`` (``/quotes``, ``newsbot quotes``) against the
hand-written speaker labels.

Two label sets, each over its own index of the labelled articles:

- ``tests/data/speakers-2.jsonl``: 416 sentences of the 20 articles in tests/data/speakers/, each
  with the speaker's name as the question would give it (a surname, "Margaret Ellison", an
  organisation) or none (narration);
- ``tests/data/speakers.jsonl``: 106 quotations of samples/ with the speaker's full name.

For each name labelled, ``quotes(name)`` is asked; a returned sentence is judged when it is
labelled (its text, whitespace folded, equals or holds the label's): right when the label is
that name; one of an organisation's people when the label is someone else whom the article
names by a role in that organisation ("Ann Cole, Westmoor Water's chief executive" asked as
Westmoor Water, as ``/quotes`` means to do); wrong otherwise (another speaker, or narration).
Precision is right / judged, and (right + an organisation's people) / judged;
recall is the labelled sentences of that name returned / all labelled with it. Returned
sentences that no label covers are counted, not judged. Statements do not depend on the
embedder, so the fast HashEmbedder builds the indexes::

    .venv/bin/python bench/quotes.py        # ~10 s; bench/results/quotes.json
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from common import RESULTS, ROOT, SAMPLES, meta, table, write

from index import HashEmbedder, NewsIndex
from index.text.asked import names_match

SETS = {
    "speakers-2 (tests/data/speakers/)": (
        ROOT / "tests" / "data" / "speakers-2.jsonl",
        ROOT / "tests" / "data" / "speakers",
        "sentence",
    ),
    "speakers (samples/)": (ROOT / "tests" / "data" / "speakers.jsonl", SAMPLES, "quote"),
}


def _fold(text: str) -> str:
    return " ".join(text.split())


def measure(labels: Path, articles: Path, field: str, work: Path) -> dict[str, Any]:
    rows = [json.loads(line) for line in labels.read_text().splitlines() if line.strip()]
    said: dict[str, str | None] = {_fold(r[field]): r["speaker"] for r in rows}
    index = NewsIndex.open(work, embedder=HashEmbedder())
    index.ingest([articles])
    names = sorted({r["speaker"] for r in rows if r["speaker"]})
    right = wrong = theirs = unlabelled = found = 0
    wrong_examples = []
    per_name: dict[str, int] = defaultdict(int)
    for name in names:
        for quote in index.quotes(name):
            text = _fold(quote.text)
            label = next((s for t, s in said.items() if t == text or t in text), ...)
            if label is ...:
                unlabelled += 1
            elif label == name:
                right += 1
                per_name[name] += 1
            elif label and names_match(name, quote.speaker.partition(",")[2]):
                theirs += 1  # "Ann Cole, Westmoor Water's chief executive" for Westmoor Water
            else:
                wrong += 1
                wrong_examples.append({"asked": name, "label": label, "sentence": text[:120]})
    for name in names:
        found += min(per_name[name], sum(1 for s in said.values() if s == name))
    labelled = sum(1 for s in said.values() if s)
    return {
        "names": len(names),
        "labelled": labelled,
        "judged": right + wrong + theirs,
        "right": right,
        "theirs": theirs,
        "wrong": wrong,
        "unlabelled": unlabelled,
        "precision": right / (right + wrong + theirs) if right + wrong + theirs else None,
        "precision_theirs_right": (right + theirs) / (right + wrong + theirs)
        if right + wrong + theirs
        else None,
        "recall": found / labelled if labelled else None,
        "wrong_examples": wrong_examples,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=RESULTS / "quotes.json")
    args = parser.parse_args(argv)
    started = time.time()
    results = []
    for name, (labels, articles, field) in SETS.items():
        with tempfile.TemporaryDirectory() as work:
            results.append({"set": name, **measure(labels, articles, field, Path(work) / "data")})
    print(
        table(
            [
                ("set", "set"),
                ("names", "names asked"),
                ("labelled", "labelled sentences"),
                ("judged", "returned, judged"),
                ("theirs", "an organisation's people"),
                ("wrong", "wrong"),
                ("unlabelled", "returned, unlabelled"),
                ("precision", "precision"),
                ("precision_theirs_right", "counting its people"),
                ("recall", "recall"),
            ],
            results,
        )
    )
    for r in results:
        for w in r["wrong_examples"]:
            print(
                f"  wrong ({r['set']}): asked {w['asked']!r}, label {w['label']!r}: {w['sentence']}"
            )
    write(args.out, {"meta": meta("bench/quotes.py", argv, started), "results": results})
    return 0


if __name__ == "__main__":
    sys.exit(main())
