"""Quotes: the one place a quote's window grows, around the best sentence of each pick."""

from __future__ import annotations

from collections.abc import Sequence

from ..models import Quote
from ..text.chunk import Span, sentences_in
from ..text.clean import paragraph_key
from ..text.speakers import sentence_speaker
from .rerank import Pick

__all__ = ["grow", "make_quotes", "window"]


def make_quotes(picks: Sequence[Pick], k: int, first_budget: int, budget: int) -> list[Quote]:
    """Up to ``k`` quotes, one per pick in order: its best sentence grown into a window of the
    article's sentences (``first_budget`` characters for the first quote, the likeliest answer;
    ``budget`` for the others). No sentence is shown twice, and syndicated copies of a quote
    shown are dropped."""
    quotes: list[Quote] = []
    shown: list[tuple[str, int, int]] = []
    seen: set[str] = set()  # the sentences shown, to drop syndicated copies of a story
    for pick in picks:
        article = pick.passage.article
        text = article.text
        taken = [(s, e) for a, s, e in shown if a == article.id]
        grown = window(text, pick.sentences, pick.best, budget if quotes else first_budget, taken)
        if grown is None:
            continue
        sents, best = grown
        start, end = sents[0][0], sents[-1][1]
        keys = {paragraph_key(text[a:b]) for a, b in sents}
        hs, he = sents[best]
        if paragraph_key(text[hs:he]) in seen or len(keys & seen) * 2 > len(keys):
            continue
        shown.append((article.id, start, end))
        seen |= keys
        quotes.append(
            Quote(
                text=text[start:end],
                highlight=(hs - start, he - start),
                score=round(pick.score, 4),
                article=article.info,
                speaker=sentence_speaker(text, hs, he),  # who speaks the bold sentence
                start=start,
                sentences=tuple((a - start, b - start) for a, b in sents),
            )
        )
        if len(quotes) == k:
            break
    return quotes


def window(
    text: str,
    sentences: Sequence[Span],
    best: int,
    budget: int,
    taken: Sequence[Span] = (),
) -> tuple[list[Span], int] | None:
    """The sentences of a quote and where its best one is among them: ``sentences[best]``, then
    its followers, then its predecessors, while the whole stays within ``budget`` characters.
    A quote may run on into the neighbouring passages' sentences, but never into a sentence
    already ``taken`` by a quote shown; None when the best sentence itself is taken."""
    wider = sentences_in(text, max(0, sentences[0][0] - budget), sentences[-1][1] + budget)
    if sentences[best] not in wider:
        wider = list(sentences)
    best = wider.index(sentences[best])

    def free(i: int) -> bool:
        return not any(wider[i][0] < e and s < wider[i][1] for s, e in taken)

    if not free(best):
        return None
    lo = hi = best
    while lo > 0 and free(lo - 1):
        lo -= 1
    while hi + 1 < len(wider) and free(hi + 1):
        hi += 1
    first, last = grow(wider[lo : hi + 1], best - lo, budget)
    return wider[lo + first : lo + last + 1], best - lo - first


def grow(sentences: Sequence[Span], best: int, budget: int) -> tuple[int, int]:
    """Indexes ``[first, last]`` of the sentences to show: the best one, then its followers, then
    its predecessors, while the whole stays within ``budget`` characters."""
    first = last = best
    size = sentences[best][1] - sentences[best][0]
    grew = True
    while grew:
        grew = False
        if last + 1 < len(sentences):
            extra = sentences[last + 1][1] - sentences[last][1]
            if size + extra <= budget:
                last, size, grew = last + 1, size + extra, True
        if first > 0:
            extra = sentences[first][0] - sentences[first - 1][0]
            if size + extra <= budget:
                first, size, grew = first - 1, size + extra, True
    return first, last
