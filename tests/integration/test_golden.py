"""Refactors keep behaviour: the answers recorded in tests/golden/golden.json, byte for byte."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from index import Embedder
from tests.conftest import SQUAD, need
from tests.golden.answers import GOLDEN, dumps, fingerprint, record


def test_answers_are_byte_identical_to_the_golden_ones(
    tmp_path: Path, real_embedder: Embedder
) -> None:
    need(SQUAD)
    golden = json.loads(GOLDEN.read_text())
    if fingerprint(real_embedder) != golden["embedder"]:
        pytest.skip("this CPU's kernels make other vectors than the machine that recorded them")
    assert dumps(record(real_embedder, tmp_path)) == GOLDEN.read_text()
