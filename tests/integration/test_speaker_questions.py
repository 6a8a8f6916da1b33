"""Questions that ask for someone's words get theirs first: people and organisations by short
name, over the samples mixed with articles of the same topic (real model, real FAISS)."""

from __future__ import annotations

import pytest

from index import Embedder, NewsIndex
from tests.conftest import ROOT, SAMPLES

DISTRACTORS = ROOT / "tests" / "data" / "distractors" / "strikes.jsonl"
# (who, topic): a person quoted in samples/, and something they spoke about
PEOPLE = [
    ("Ruth Calloway", "the storm"), ("Fatima Olawale", "the volunteers"),
    ("Helena Marsh", "the strike"), ("Declan Ferris", "working conditions"),
    ("Aled Brannigan", "the strike"), ("Leon Barrowcliffe", "energy bills"),
    ("Nadia Rahimi", "the price cap"), ("Imogen Tsai", "the bacterium"),
    ("Simon Achterberg", "the new timetable"), ("Marcus Holt", "the hit-and-run"),
    ("Graham Pettifer", "the budget"), ("Anjali Desai", "council tax"),
    ("Jenna Carbis", "the paddleboarders"), ("Daniel Iwu", "the flooding"),
    ("Joan Hartigan", "the wildfire"), ("Owen Pritchard", "the fire"),
    ("Grace Oyelaran", "the election"), ("Harriet Lomax", "interest rates"),
    ("Natasha Greaves", "the treasurer"), ("Captain Calloway", "the smaller boats"),
]  # fmt: skip


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory, real_embedder: Embedder) -> NewsIndex:
    idx = NewsIndex.open(tmp_path_factory.mktemp("speakers"), embedder=real_embedder)
    assert not idx.ingest([SAMPLES, DISTRACTORS]).failed
    return idx


def test_what_someone_said_is_answered_with_their_words_first(index: NewsIndex) -> None:
    theirs = 0
    for who, topic in PEOPLE:
        quote = index.ask(f"What did {who} say about {topic}?").quotes[0]
        theirs += bool(quote.speaker and who.split()[-1] in quote.speaker)
    assert theirs / len(PEOPLE) >= 0.9


def test_an_organisation_asked_by_its_short_name_is_found_among_others_on_the_topic(
    index: NewsIndex,
) -> None:
    quote = index.ask("What did the DHSU say about the pay offer?").quotes[0]
    assert quote.speaker is not None and "DHSU" in quote.speaker
    assert quote.article.id != "strike-holm-bay"  # another union's article on the same topic
