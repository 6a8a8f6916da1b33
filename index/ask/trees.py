"""Gradient-boosted trees trained with LightGBM, evaluated with numpy.

``bench/train_reranker.py`` trains the re-ranker with LightGBM and stores its trees as plain
arrays; scoring them here keeps LightGBM (and the scikit-learn it imports, over a second of
start-up) out of the bot. ``tests/index/test_trees.py`` checks the scores equal LightGBM's.
"""

from __future__ import annotations

import functools
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
        """The summed leaf values (for a binary LightGBM model: the log-odds) of each row.

        Every split of every tree is tested at once; a split that sends a row right rules out
        the leaves on its left, and the row's leaf in each tree is the leftmost one left (the
        QuickScorer method), so there is no walk down the trees. Arrays are laid out split by
        split, so ruling out is an OR of whole (rows, trees) planes in the narrowest bit width.
        """
        feature, threshold, left_leaves = self._by_split
        x = np.asarray(x, dtype=np.float64)
        right = ~(x[:, feature] <= threshold)  # (rows, inner nodes, trees)
        ruled = np.bitwise_or.reduce(right * left_leaves, axis=1)  # (rows, trees)
        leftmost = np.bitwise_count(ruled & ~(ruled + ruled.dtype.type(1)))  # trailing ones
        values = self.leaf.ravel()[leftmost + self._leaf_offset]
        return values.sum(axis=1)

    @functools.cached_property
    def _by_split(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Features, thresholds and left-subtree leaf bit masks, (inner nodes, trees) each."""
        leaves = self.leaf.shape[1]
        if leaves > 64:
            raise ValueError("trees of more than 64 leaves are not supported")
        width = next(
            t for t in (np.uint8, np.uint16, np.uint32, np.uint64) if np.iinfo(t).bits >= leaves
        )
        masks = np.zeros(self.feature.shape, dtype=np.uint64)  # padding rules nothing out
        for t, root in enumerate(self.root):
            if root >= 0:
                _mask_left(self.left[t], self.right[t], int(root), masks[t])
        return (
            np.ascontiguousarray(self.feature.T),
            np.ascontiguousarray(self.threshold.T),
            np.ascontiguousarray(masks.T.astype(width)),
        )

    @functools.cached_property
    def _leaf_offset(self) -> np.ndarray:
        """Where each tree's leaves start in ``leaf.ravel()``."""
        return np.arange(len(self.root)) * self.leaf.shape[1]

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


def _mask_left(left: np.ndarray, right: np.ndarray, node: int, out: np.ndarray) -> int:
    """Fill ``out[n]`` for the splits under ``node`` (one tree) with the bit mask of the leaves
    in each split's left subtree; return the bit mask of the leaves under ``node``."""
    if node < 0:
        return 1 << ~node
    on_left = _mask_left(left, right, int(left[node]), out)
    out[node] = np.uint64(on_left)
    return on_left | _mask_left(left, right, int(right[node]), out)


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
