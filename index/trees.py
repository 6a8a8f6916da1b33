"""Gradient-boosted trees trained with LightGBM, evaluated with numpy.

``bench/train_reranker.py`` trains the re-ranker with LightGBM and stores its trees as plain
arrays; scoring them here keeps LightGBM (and the scikit-learn it imports, over a second of
start-up) out of the bot. ``tests/index/test_trees.py`` checks the scores equal LightGBM's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["Trees"]


@dataclass(frozen=True)
class Trees:
    """A sum of binary trees. Children >= 0 are inner nodes; a child ``c < 0`` is leaf ``~c``."""

    feature: np.ndarray  # (trees, inner nodes) feature tested at each inner node
    threshold: np.ndarray  # (trees, inner nodes) go left when the feature is <= threshold
    left: np.ndarray  # (trees, inner nodes)
    right: np.ndarray  # (trees, inner nodes)
    leaf: np.ndarray  # (trees, leaves) the value of each leaf
    root: np.ndarray  # (trees,) 0, or -1 for a tree that is a single leaf

    def score(self, x: np.ndarray) -> np.ndarray:
        """The summed leaf values (for a binary LightGBM model: the log-odds) of each row."""
        x = np.asarray(x, dtype=np.float64)
        trees = np.arange(len(self.root))
        node = np.broadcast_to(self.root, (len(x), len(self.root))).copy()
        while (inner := node >= 0).any():
            at = np.where(inner, node, 0)
            value = np.take_along_axis(x, self.feature[trees, at], axis=1)
            step = np.where(
                value <= self.threshold[trees, at], self.left[trees, at], self.right[trees, at]
            )
            node = np.where(inner, step, node)
        return self.leaf[trees, ~node].sum(axis=1)

    # -- storage -------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {
            "feature": self.feature.tolist(),
            "threshold": self.threshold.tolist(),
            "left": self.left.tolist(),
            "right": self.right.tolist(),
            "leaf": self.leaf.tolist(),
            "root": self.root.tolist(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Trees:
        return cls(
            np.array(data["feature"], dtype=np.int64),
            np.array(data["threshold"], dtype=np.float64),
            np.array(data["left"], dtype=np.int64),
            np.array(data["right"], dtype=np.int64),
            np.array(data["leaf"], dtype=np.float64),
            np.array(data["root"], dtype=np.int64),
        )

    @classmethod
    def from_lightgbm(cls, dump: dict[str, Any]) -> Trees:
        """From ``Booster.dump_model()`` of a model trained without missing values."""
        return cls._stack([_flatten(t["tree_structure"]) for t in dump["tree_info"]])

    @classmethod
    def _stack(cls, flat: Sequence[tuple[list[Any], ...]]) -> Trees:
        inner = max([1, *(len(f[0]) for f in flat)])
        leaves = max([1, *(len(f[4]) for f in flat)])

        def pad(i: int, width: int, fill: float) -> np.ndarray:
            return np.array([f[i] + [fill] * (width - len(f[i])) for f in flat])

        return cls(
            pad(0, inner, 0).astype(np.int64),
            pad(1, inner, 0.0).astype(np.float64),
            pad(2, inner, -1).astype(np.int64),
            pad(3, inner, -1).astype(np.int64),
            pad(4, leaves, 0.0).astype(np.float64),
            np.array([0 if f[0] else -1 for f in flat], dtype=np.int64),
        )


def _flatten(root: dict[str, Any]) -> tuple[list[Any], ...]:
    """One LightGBM tree as lists: feature, threshold, left, right and leaf values."""
    feature: list[int] = []
    threshold: list[float] = []
    left: list[int] = []
    right: list[int] = []
    leaf: list[float] = []

    def visit(node: dict[str, Any]) -> int:
        if "leaf_value" in node:
            leaf.append(float(node["leaf_value"]))
            return ~(len(leaf) - 1)
        if node.get("decision_type", "<=") != "<=":
            raise ValueError(f"unsupported split {node['decision_type']!r}")
        at = len(feature)
        feature.append(int(node["split_feature"]))
        threshold.append(float(node["threshold"]))
        left.append(0)
        right.append(0)
        left[at] = visit(node["left_child"])
        right[at] = visit(node["right_child"])
        return at

    visit(root)
    return feature, threshold, left, right, leaf
