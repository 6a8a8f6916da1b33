"""The numpy tree evaluator scores exactly as LightGBM does."""

from __future__ import annotations

import json

import numpy as np
import pytest

from index.ask.trees import Trees

lgb = pytest.importorskip("lightgbm")


def _train(x: np.ndarray, y: np.ndarray, rounds: int, leaves: int):  # type: ignore[no-untyped-def]
    params = {"objective": "binary", "verbose": -1, "num_leaves": leaves, "min_data_in_leaf": 5}
    return lgb.train(params, lgb.Dataset(x, y), num_boost_round=rounds)


@pytest.mark.parametrize(("rounds", "leaves"), [(1, 2), (40, 7), (120, 31)])
def test_scores_equal_lightgbm_raw_scores(rounds: int, leaves: int) -> None:
    rng = np.random.default_rng(rounds)
    x = rng.normal(size=(2000, 6)).astype(np.float32)
    y = ((x[:, 0] + x[:, 1] * x[:, 2] - 0.5 * x[:, 5]) > 0).astype(float)
    booster = _train(x, y, rounds, leaves)
    trees = Trees.from_dict(
        json.loads(json.dumps(Trees.from_lightgbm(booster.dump_model()).to_dict()))
    )
    probe = rng.normal(size=(300, 6)).astype(np.float32)
    probe[:10] = x[:10]  # values exactly on learned thresholds go the same way
    expected = booster.predict(probe, raw_score=True)
    np.testing.assert_allclose(trees.score(probe), expected, rtol=1e-6, atol=1e-9)


def test_a_tree_without_splits_scores_its_single_leaf() -> None:
    x = np.zeros((50, 2), dtype=np.float32)
    y = np.array([0.0, 1.0] * 25)
    booster = _train(x, y, 3, 4)  # nothing to split on
    trees = Trees.from_lightgbm(booster.dump_model())
    np.testing.assert_allclose(trees.score(x[:3]), booster.predict(x[:3], raw_score=True))
