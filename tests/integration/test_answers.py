"""The real bundled model, real FAISS and real SQLite, on the samples, the seed and distractors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from index import Embedder, NewsIndex
from tests.conftest import SAMPLES, SEED, SEED_QUESTIONS, SQUAD, need


def _seed_questions() -> list[dict[str, str]]:
    lines = need(SEED_QUESTIONS).read_text().splitlines()
    return [json.loads(line) for line in lines if line.strip()]


@pytest.fixture(scope="module")
def samples_index(tmp_path_factory: pytest.TempPathFactory, real_embedder: Embedder) -> NewsIndex:
    idx = NewsIndex.open(tmp_path_factory.mktemp("samples"), embedder=real_embedder)
    report = idx.ingest([SAMPLES])
    assert report.added >= 15 and not report.failed
    return idx


@pytest.fixture(scope="module")
def distractor_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Thousands of unrelated short articles: squad-dev's paragraphs, two sentences each."""
    out = tmp_path_factory.mktemp("distractors") / "distractors.jsonl"
    rows = []
    for line in need(SQUAD / "articles.jsonl").read_text().splitlines():
        article = json.loads(line)
        for p, paragraph in enumerate(article["text"].split("\n\n")):
            sentences = paragraph.replace(". ", ".\n").split("\n")
            for s in range(0, len(sentences), 2):
                text = " ".join(sentences[s : s + 2]).strip()
                if len(text) > 40:
                    rows.append(
                        {
                            "id": f"{article['id']}-{p}-{s}",
                            "title": article["title"],
                            "text": text,
                            "source": "encyclopedia",
                        }
                    )
    assert len(rows) >= 2000
    out.write_text("\n".join(json.dumps(r) for r in rows))
    return out


def test_demo_question_is_answered_from_the_samples(samples_index: NewsIndex) -> None:
    answer = samples_index.ask("What did the harbour master say about the storm?")
    assert answer.found
    best = answer.quotes[0]
    assert "harbour" in best.article.title.lower()
    assert best.speaker is not None and "Ruth Calloway" in best.speaker


def test_unrelated_question_finds_nothing_in_the_samples(samples_index: NewsIndex) -> None:
    answer = samples_index.ask("What is the capital of Peru?")
    assert not answer.found and answer.quotes == ()


def test_furniture_never_reaches_a_quote(samples_index: NewsIndex) -> None:
    for question in (
        "How can I support your journalism?",
        "Sign up to the newsletter",
        "Share this article",
    ):
        for quote in samples_index.ask(question, k=5).quotes:
            lowered = quote.text.lower()
            assert "newsletter" not in lowered and "share this article" not in lowered
            assert "donat" not in lowered


def test_seed_questions_answered_in_the_first_quote(samples_index: NewsIndex) -> None:
    samples_index.ingest([need(SEED)])
    for row in _seed_questions():
        answer = samples_index.ask(row["question"])
        assert answer.found, row["question"]
        assert row["expect"] in answer.quotes[0].text, row["question"]


def test_seed_questions_hold_among_thousands_of_distractors(
    tmp_path: Path, real_embedder: Embedder, distractor_corpus: Path
) -> None:
    idx = NewsIndex.open(tmp_path / "data", embedder=real_embedder)
    report = idx.ingest([SAMPLES, need(SEED), distractor_corpus])
    assert report.added >= 2000
    for row in _seed_questions():
        first = idx.ask(row["question"]).quotes[0]
        assert row["expect"] in first.text, row["question"]
    stored_text = "\n".join(idx.article(a.id).text for a in idx.articles(source="seeds"))
    for phrase in (
        "Your support helps us",
        "Subscribe to Independent Premium",
        "Join our commenting forum",
    ):
        assert phrase not in stored_text
