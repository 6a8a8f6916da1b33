"""Answer quality of newsbot against the usual recipe and BM25 paragraphs, in one run.

Systems, all on the same articles, questions and bundled all-MiniLM-L6-v2 model:

- ``newsbot``: ``index.NewsIndex`` in a temporary directory, ``ask(question, k)``.
- ``langchain``: ``RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)`` +
  ``HuggingFaceEmbeddings`` + FAISS ``similarity_search(question, k)``; each chunk is one quote.
- ``bm25-paragraphs``: bm25s (English stop words, Snowball stemmer) over paragraphs (articles split
  on blank lines; an article with none, like the seed, on line breaks); the top k are the quotes.

Every system's results become ``index.Answer`` objects scored by ``index.evaluate``, so the metric
is the one ``newsbot eval`` reports. Needs the ``[bench]`` extra and ../shared (bench/README.md).

``--news`` adds news-quiz-dev's 7,479 pages with the seed article among them, asked the quiz
questions, the seed questions (``seeds-in-news``) and, for newsbot alone (the baselines have no
date filter), the quiz questions as of each quiz's date (``news-quiz-dev as of``: ``until=`` that
day, as a reader would have asked). ``--news-index DIR`` reuses newsbot's index of those pages
(``newsbot --data DIR ingest`` of both) instead of building it here (about 50 minutes).
"""

from __future__ import annotations

import argparse
import dataclasses
import re
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from common import (
    NEWS,
    RESULTS,
    SEEDS,
    SQUAD,
    Dataset,
    load_dataset,
    meta,
    offline,
    recipe_store,
    seed_article_paths,
    write,
)

from index import Answer, ArticleInfo, NewsIndex, Quote, evaluate, load_questions
from index.embed import DEFAULT_ENCODER, load_embedder

OUT = RESULTS / "quality_baseline.json"
SYSTEMS = ("newsbot", "langchain", "bm25-paragraphs")

Ask = Callable[[str, int], Answer]


def _quote(text: str, article: ArticleInfo, start: int, score: float) -> Quote:
    # The baselines have no highlighted sentence: an empty highlight, so highlight@1 is 0.
    return Quote(text=text, highlight=(0, 0), score=score, article=article, start=start)


# -- systems: each returns an ask(question, k) -> Answer ------------------------------------


def build_newsbot(data: Dataset, workdir: Path, embedder: Any) -> Ask:
    if data.index is not None:  # built before (the news pages take 50 minutes to ingest)
        idx = NewsIndex.open(data.index)
    else:
        idx = NewsIndex.open(workdir / f"newsbot-{data.name}", embedder=embedder)
        report = idx.ingest([str(p) for p in data.paths])
        if report.failed:
            raise SystemExit(f"quality_baseline: newsbot could not ingest {report.failed}")
    return lambda q, k, until=None: idx.ask(q, k=k, until=until)


def build_langchain(data: Dataset) -> Ask:
    store = recipe_store(data.articles)
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
    embedder = load_embedder()
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="newsbot-bench-") as tmp:
        for data in datasets:
            for system in systems:
                print(f"[{data.name}] {system}: building", file=sys.stderr, flush=True)
                t0 = time.perf_counter()
                if system == "newsbot":
                    ask = build_newsbot(data, Path(tmp), embedder)
                elif system == "langchain":
                    ask = build_langchain(data)
                else:
                    ask = build_bm25(data)
                build_s = time.perf_counter() - t0
                print(
                    f"[{data.name}] {system}: built in {build_s:.1f} s; "
                    f"asking {len(data.questions)} questions",
                    file=sys.stderr,
                    flush=True,
                )
                sets = {
                    data.name: (data.questions, False),
                    **{n: (q, False) for n, q in data.more.items()},
                }
                if data.as_of and system == "newsbot":  # the baselines have no date filter
                    sets[f"{data.name} as of"] = (data.questions, True)
                for name, (questions, as_of) in sets.items():
                    t0 = time.perf_counter()
                    row = evaluate(ask, questions, k=k, as_of=as_of).as_dict()
                    row["build_s"] = round(build_s, 2)
                    row["eval_s"] = round(time.perf_counter() - t0, 2)
                    if system != "newsbot":  # no highlighted sentence, always "found"
                        row["highlight_at_1"] = None
                        row["found"] = None
                    results.setdefault(name, {})[system] = row
    return results


def table(results: dict[str, Any], k: int) -> str:
    """The results as a plain-text table."""
    head = (
        f"{'dataset':<14} {'system':<16} {'n':>5} {'@1':>6} {f'@{k}':>6} {'hl@1':>6} "
        f"{f'chars@{k}':>8} {'found':>6} {'p50 ms':>7} {'p95 ms':>7}"
    )
    lines = [head, "-" * len(head)]

    def fmt(value: float | None) -> str:
        return "-" if value is None else f"{value:.3f}"

    for name, systems in results.items():
        for system, r in systems.items():
            lines.append(
                f"{name:<14} {system:<16} {r['questions']:>5} {r['at_1']:>6.3f} {r['at_k']:>6.3f} "
                f"{fmt(r['highlight_at_1']):>6} {r['mean_chars_k']:>8.0f} {fmt(r['found']):>6} "
                f"{r['p50_ms']:>7.1f} {r['p95_ms']:>7.1f}"
            )
    return "\n".join(lines)


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
    parser.add_argument(
        "--news",
        action="store_true",
        help="also news-quiz-dev: its 7,479 pages with the seed article among them, its "
        "questions and the seed questions (about an hour more)",
    )
    parser.add_argument(
        "--news-index",
        type=Path,
        help="newsbot's index of those pages and the seed, built before (else built here)",
    )
    parser.add_argument("--no-squad", action="store_true", help="skip squad-dev")
    parser.add_argument("--out", type=Path, default=OUT, help=f"JSON results (default {OUT})")
    args = parser.parse_args(argv)
    offline()  # before anything imports huggingface_hub (nothing above does)

    systems = [s.strip() for s in args.systems.split(",") if s.strip()]
    if unknown := set(systems) - set(SYSTEMS):
        parser.error(f"unknown systems {sorted(unknown)}; choose from {', '.join(SYSTEMS)}")
    datasets = []
    if not args.no_squad:
        squad = load_dataset("squad-dev", [args.articles], args.questions, args.limit, args.seed)
        datasets.append(squad)
    seeds = seed_article_paths(args.seeds)
    if not args.no_seeds:
        datasets.append(load_dataset("seeds", seeds, args.seeds / "questions.jsonl", None, 0))
    if args.news:
        news = load_dataset(
            "news-quiz-dev", [NEWS / "articles", *seeds], NEWS / "questions.jsonl", None, 0
        )
        news.more["seeds-in-news"] = load_questions(args.seeds / "questions.jsonl")
        datasets.append(dataclasses.replace(news, index=args.news_index, as_of=True))

    started = time.time()
    results = run(datasets, systems, args.k)
    print(table(results, args.k))
    payload = {
        "meta": meta(
            "bench/quality_baseline.py",
            argv,
            started,
            k=args.k,
            limit=args.limit,
            seed=args.seed,
            encoder=DEFAULT_ENCODER,
            datasets={
                d.name: {
                    "articles": len(d.articles),
                    "questions": len(d.questions),
                    "paths": [str(p) for p in d.paths],
                }
                for d in datasets
            },
            notes=(
                "answer-in-quote@k as in index.evaluate (squad-dev/SOURCE.md); chars = mean "
                "characters in the first k quotes; latency is per ask() call on a shared 2-core "
                "machine, so noisy; baselines have no highlight and always answer "
                "(highlight_at_1, found = null)."
            ),
        ),
        "results": results,
    }
    write(args.out, payload)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
