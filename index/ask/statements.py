"""Who said what: the sentences a person or organisation speaks across the index (found at
ingest, see ``text.speakers.statements``), newest first or ranked by a topic."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from datetime import date

import numpy as np

from ..embed import Embedder
from ..errors import NewsIndexError
from ..models import ArticleInfo, Quote
from ..storage import sentvec
from ..storage.catalog import Catalog
from ..storage.store import Snapshot
from ..text.asked import names_match
from ..text.tokens import tokenize

__all__ = ["SpeakerCount", "known_speakers", "statements_by"]

SpeakerCount = tuple[str, int]  # a speaker's name as the articles write it, and their sentences
_LEADING_THE = re.compile(r"^the\s+", re.I)
_NOT_STORED = (
    "this index was built before statements were stored: run `newsbot reindex` (or /reindex) "
    "once to list who said what"
)


def _name(speaker: str) -> str:
    """The name part of a speaker as shown ("Mark Rowley, Assistant Commissioner" -> "Mark
    Rowley")."""
    return speaker.split(",")[0].strip()


def _counts(catalog: Catalog) -> list[tuple[str, str, int]]:
    counts = catalog.speaker_counts()
    if counts is None:
        raise NewsIndexError(_NOT_STORED)
    return counts


def known_speakers(catalog: Catalog, typed: str = "", limit: int = 25) -> list[SpeakerCount]:
    """The names that speak in the index and how many sentences each speaks, the most quoted
    first; with ``typed``, only those it names (every word starts one of theirs)."""
    typed = _LEADING_THE.sub("", " ".join(typed.split()))
    totals: Counter[str] = Counter()
    for speaker, aka, n in _counts(catalog):
        if not typed or names_match(typed, f"{speaker} {aka}"):
            totals[_name(speaker)] += n
    return sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]


def statements_by(
    snapshot: Snapshot,
    embedder: Embedder,
    person: str,
    *,
    topic: str | None = None,
    source: str | None = None,
    since: date | None = None,
    until: date | None = None,
) -> list[Quote]:
    """Every sentence ``person`` speaks (by name, by a short form the article gives, or as one of
    an organisation's people the article names as such: "the Met" finds "Mark Rowley, Assistant
    Commissioner of the Metropolitan Police"), one per wording: newest first, or by relevance to
    ``topic``. Each is a one-sentence ``Quote``, its sentence highlighted."""
    catalog = Catalog(snapshot.reader(), snapshot)
    wanted = _LEADING_THE.sub("", " ".join(person.split()))
    if not wanted:
        return []
    speakers = sorted({s for s, aka, _ in _counts(catalog) if names_match(wanted, f"{s} {aka}")})
    rows = [r for r in catalog.statements_by(speakers) if _within(r[0], source, since, until)]
    rows.sort(key=lambda r: (r[0].published or date.min, r[0].id, -r[1]), reverse=True)
    seen: set[str] = set()
    quotes = []
    for info, start, _, sentence, speaker in rows:
        key = " ".join(tokenize(sentence))
        if key not in seen:  # a syndicated copy says it again: the newest is kept
            seen.add(key)
            quotes.append(_quote(info, start, sentence, speaker, 0.0))
    if topic and quotes:
        scores = _relevance(catalog, embedder, topic, quotes)
        quotes = [
            _quote(q.article, q.start, q.text, q.speaker, float(s))
            for s, q in sorted(zip(scores, quotes, strict=True), key=lambda sq: -sq[0])
        ]
    return quotes


def _within(info: ArticleInfo, source: str | None, since: date | None, until: date | None) -> bool:
    if source and info.source != source:
        return False
    if since and (info.published is None or info.published < since):
        return False
    return not (until and (info.published is None or info.published > until))


def _quote(
    info: ArticleInfo, start: int, sentence: str, speaker: str | None, score: float
) -> Quote:
    whole = (0, len(sentence))
    return Quote(sentence, whole, score, info, speaker, start, (whole,))


def _relevance(
    catalog: Catalog, embedder: Embedder, topic: str, quotes: Sequence[Quote]
) -> np.ndarray:
    """Each quote's cosine to ``topic`` plus the share of the topic's words it holds: the
    sentence vectors stored at ingest where there are any, else embedded now."""
    query = embedder.embed_queries([topic])[0]
    stored = _stored_vectors(catalog, embedder.dimension, {q.article.id for q in quotes})
    vectors = [stored.get((q.article.id, q.start)) for q in quotes]
    missing = [i for i, v in enumerate(vectors) if v is None]
    if missing:
        fresh = embedder.embed_documents([quotes[i].text for i in missing])
        for i, v in zip(missing, fresh, strict=True):
            vectors[i] = v
    words = set(tokenize(topic))
    held = [len(words & set(tokenize(q.text))) / len(words) if words else 0.0 for q in quotes]
    return np.array(vectors, dtype=np.float32) @ query + 0.35 * np.array(held)


def _stored_vectors(
    catalog: Catalog, dimension: int, article_ids: set[str]
) -> dict[tuple[str, int], np.ndarray]:
    """The stored vector of each sentence of ``article_ids``, by (article id, start)."""
    passages = catalog.passage_spans(sorted(article_ids))
    stored = catalog.sentence_vectors([pid for pid, _, _ in passages])
    found = {}
    for pid, article_id, start in passages:
        if pid not in stored:
            continue
        spans = sentvec.spans(stored[pid], start)
        vectors = sentvec.decode(stored[pid], [(a - start, b - start) for a, b in spans], dimension)
        if vectors is not None:
            found.update({(article_id, a): v for (a, _), v in zip(spans, vectors, strict=True)})
    return found
