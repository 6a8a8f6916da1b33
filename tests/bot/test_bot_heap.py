"""Settling the heap: settled objects escape the collector until ``collect`` walks everything."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from bot import heap


class Node:
    """An object in a reference cycle: only the garbage collector can free it."""

    def __init__(self) -> None:
        self.me = self


@pytest.fixture(autouse=True)
def released() -> Iterator[None]:
    yield
    heap.release()


def test_a_settled_cycle_waits_for_a_full_collection() -> None:
    node = Node()
    alive = weakref.ref(node)
    heap.settle()
    del node
    gc.collect()
    assert alive() is not None, "settled: the usual passes do not see it"
    assert heap.collect() >= 1
    assert alive() is None
    assert gc.get_freeze_count() > 0, "and what is alive is settled again"


def test_release_gives_everything_back() -> None:
    heap.settle()
    assert gc.get_freeze_count() > 0
    heap.release()
    assert gc.get_freeze_count() == 0
