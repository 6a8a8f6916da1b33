"""One generation on disk: the catalog (all SQL), FAISS vectors, BM25, sentence vectors, publish."""

from __future__ import annotations

from .catalog import Catalog, Passage, content_hash
from .doctor import IndexProblem, check_index
from .lexical import LexicalModel, build_bm25
from .store import Draft, Snapshot, Store, require_writable, write_error

__all__ = [
    "Catalog",
    "Draft",
    "IndexProblem",
    "LexicalModel",
    "Passage",
    "Snapshot",
    "Store",
    "build_bm25",
    "check_index",
    "content_hash",
    "require_writable",
    "write_error",
]
