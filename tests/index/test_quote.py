from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from index.ask.quotes import grow
from index.load.loaders import iter_articles
from index.models import Article
from index.text.chunk import paragraph_spans
from index.text.clean import clean_text
from index.text.speakers import attribute_speaker, sentence_speaker
from tests.conftest import ROOT, SEED, need

LABELS = ROOT / "tests" / "data" / "speakers.jsonl"


@pytest.mark.parametrize("speaker_of", [sentence_speaker, attribute_speaker])
def test_speaker_attribution_on_hand_labelled_quotations(
    speaker_of: Callable[[str, int, int], str | None],
) -> None:
    """>= 90% correct, and None rather than a wrong name: wrong <= 2%. Each label is a quote
    of one sentence or a few (or a few quoted words): what quotes show is the speaker of their
    bold sentence (``sentence_speaker``); ``attribute_speaker`` names the one speaker of a
    span's sentences."""
    texts = [
        clean_text(a.text) for a in iter_articles([ROOT / "samples"]) if isinstance(a, Article)
    ]
    correct = wrong = 0
    rows = [json.loads(line) for line in LABELS.read_text().splitlines() if line.strip()]
    assert len(rows) >= 40
    for row in rows:
        text = next(t for t in texts if row["quote"] in t)
        start = text.index(row["quote"])
        predicted = speaker_of(text, start, start + len(row["quote"]))
        if row["speaker"] is None:
            correct += predicted is None
            wrong += predicted is not None
        elif predicted is not None:
            name = predicted.split(",")[0]
            correct += name.endswith(row["speaker"])
            wrong += not name.endswith(row["speaker"])
    assert correct / len(rows) >= 0.90
    assert wrong / len(rows) <= 0.02


def test_seed_speaker_resolves_surname_and_pronoun_to_full_name_and_role() -> None:
    text = clean_text(need(SEED).read_text().split("\n", 1)[1])
    full = "Mark Rowley, Assistant Commissioner of the Metropolitan Police"
    spans = paragraph_spans(text)

    def speaker_of(opening: str) -> str | None:
        a, b = next((a, b) for a, b in spans if text.startswith(opening, a))
        assert attribute_speaker(text, a, b) == sentence_speaker(text, a, a + 40)
        return attribute_speaker(text, a, b)

    assert speaker_of('"We are doing things like') == full  # after "Mr Rowley said ..."
    assert speaker_of('He added: "At the heart') == full
    assert speaker_of('"In July this year') == full  # a continued quotation
    assert speaker_of("Mr Rowley said the British public") == full  # reported speech
    assert speaker_of("He said the current threat level") == full
    assert speaker_of("The threat level was raised") is None  # reporting, not a quotation


def test_pronoun_needs_a_matching_person() -> None:
    text = 'Ms Ann Lee, a nurse, spoke first.\n\n"It was awful," he said.'
    assert attribute_speaker(text, text.index('"It'), len(text)) is None


def test_quote_window_keeps_best_sentence_and_grows_forward_within_budget() -> None:
    sentences = [(0, 10), (11, 30), (31, 40), (41, 100)]
    assert grow(sentences, 1, budget=30) == (1, 2)
    assert grow(sentences, 3, budget=10) == (3, 3)
    assert grow(sentences, 0, budget=1000) == (0, 3)
