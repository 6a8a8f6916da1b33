"""Each passage's source and publication day, held in memory so that a question's filters
(source, since, until) cost a vector comparison rather than a join over every passage."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

__all__ = ["UNDATED", "Facets", "ordinal"]

UNDATED = -1  # below every day: an undated article passes no since/until filter


@dataclass(frozen=True)
class Facets:
    """Passage ids with their article's source (an index into ``sources``) and day (ordinal)."""

    ids: np.ndarray
    days: np.ndarray
    source_of: np.ndarray
    sources: tuple[str, ...]

    @classmethod
    def build(cls, rows: list[tuple[int, str, str | None]]) -> Facets:
        """From (passage id, source, published) rows."""
        sources = tuple(sorted({source for _, source, _ in rows}))
        number = {source: i for i, source in enumerate(sources)}
        return cls(
            np.array([r[0] for r in rows], dtype=np.int64),
            np.array([ordinal(r[2]) for r in rows], dtype=np.int32),
            np.array([number[r[1]] for r in rows], dtype=np.int32),
            sources,
        )

    def where(
        self, source: str | None, since: date | None, until: date | None
    ) -> np.ndarray | None:
        """The ids of the passages of articles from ``source`` published in ``[since, until]``;
        None when nothing is filtered."""
        if not (source or since or until):
            return None
        keep = np.ones(len(self.ids), dtype=bool)
        if source:
            if source not in self.sources:
                return np.empty(0, dtype=np.int64)
            keep &= self.source_of == self.sources.index(source)
        if since:
            keep &= self.days >= since.toordinal()
        if until:
            keep &= (self.days <= until.toordinal()) & (self.days != UNDATED)
        return self.ids[keep]


def ordinal(published: str | None) -> int:
    """The day of an ISO date as an ordinal, or ``UNDATED``."""
    try:
        return date.fromisoformat(published[:10]).toordinal() if published else UNDATED
    except ValueError:
        return UNDATED
