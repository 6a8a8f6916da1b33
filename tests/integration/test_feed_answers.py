"""A question only a feed's article can answer: unanswered before the poll, quoted after it."""

from __future__ import annotations

from pathlib import Path

import pytest

from index import Embedder, NewsIndex
from tests.conftest import SAMPLES
from tests.feedsite import FeedSite, Item, atom

pytestmark = pytest.mark.model

BEES = Item(
    "bees",
    "Rooftop bees thrive above the city library",
    (
        "Three hives placed on the roof of the city library last spring have produced their "
        "first harvest.",
        'Beekeeper Marta Quinn said: "The bees made sixty jars of honey from the lime trees '
        'along the river."',
        "The library will sell the honey at its summer fair to pay for new children's books.",
    ),
    published="2025-06-02T09:00:00+00:00",
)
QUESTION = "how many jars of honey did the library bees make?"


def test_a_question_is_answered_only_after_the_feed_brought_its_article(
    feed_site: FeedSite, tmp_path: Path, real_embedder: Embedder
) -> None:
    idx = NewsIndex.open(tmp_path / "data", embedder=real_embedder)
    assert idx.ingest([SAMPLES]).added >= 15  # other news, none about the bees
    assert not idx.ask(QUESTION).found

    feed_site.publish(BEES)
    url = feed_site.put("/feeds/atom.xml", atom(feed_site.base, [BEES]), "application/atom+xml")
    idx.add_feed(url, allow_private=True)
    [result] = idx.poll_feeds(allow_private=True)
    assert [a.title for a in result.new] == [BEES.title] and result.fallbacks == 0

    answer = idx.ask(QUESTION)
    assert answer.found
    best = answer.quotes[0]
    assert "sixty jars of honey" in best.highlighted
    assert best.article.url == BEES.link(feed_site.base)
    assert best.article.source == "Valley Times"  # the feed's title names the source
    assert best.speaker is not None and "Marta Quinn" in best.speaker
