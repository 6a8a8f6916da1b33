"""Small generated corpora and the checks every fault test makes of an index afterwards."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path

from index import HashEmbedder, NewsIndex
from index.storage.store import Store

TOPICS = ["ferry", "bakery", "bridge", "harbour", "library", "orchard", "tram", "lighthouse"]


def write_batch(folder: Path, batch: int, count: int) -> Path:
    """``count`` articles in ``folder/batch-N/``, each with a word no other article has."""
    root = folder / f"batch-{batch:03d}"
    root.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        n = batch * 1000 + i
        topic = TOPICS[n % len(TOPICS)]
        (root / f"2024-01-{1 + i % 28:02d}-story-{n}.txt").write_text(
            f"The {topic} story number {n}\n"
            f"Officials said on Monday that the {topic} plan marker{n} would go ahead.\n"
            f'"We expect the {topic} work to take {n % 9 + 2} weeks," said Ann Lee, who leads it.\n'
            + f"Residents of ward {n} asked for more notice. " * 3
            + f"\nThe council will vote on the {topic} budget in spring.\n"
        )
    return root


def open_fake(data: Path) -> NewsIndex:
    """The index with the fake embedder; every quote is shown (the threshold fits the real one)."""
    idx = NewsIndex.open(data, embedder=HashEmbedder())
    idx.tuning = replace(idx.tuning, found_threshold=-1e9)
    return idx


def published(idx: NewsIndex) -> dict[str, str]:
    """Every article of the index's published generation: id -> cleaned text."""
    return {a.id: idx.article(a.id).text for a in idx.articles()}


def assert_verbatim(idx: NewsIndex, question: str, texts: dict[str, str]) -> int:
    """Ask; every quote must be a slice of an article in ``texts``. Returns the quotes seen."""
    answer = idx.ask(question, k=3)
    for quote in answer.quotes:
        text = texts[quote.article.id]
        assert text[quote.start : quote.start + len(quote.text)] == quote.text, question
        a, b = quote.highlight
        assert 0 <= a < b <= len(quote.text)
    return len(answer.quotes)


def leftovers(data: Path) -> list[str]:
    return [p.name for p in Store(data).leftovers()]


def digest(folder: Path) -> dict[str, str]:
    """A hash of every file under ``folder``, by relative path."""
    return {
        str(f.relative_to(folder)): hashlib.sha256(f.read_bytes()).hexdigest()
        for f in sorted(folder.rglob("*"))
        if f.is_file()
    }
