"""Speed and answer quality of each encoder, on one fixed subset of squad-dev, in one run.

Variants (same articles, same questions, same bundled all-MiniLM-L6-v2):

- ``torch/per-question``: PyTorch fp32, sentences of the top passages embedded for every
  question (newsbot before sentence vectors were stored);
- ``torch``, ``onnx``, ``onnx-int8``, ``openvino``: each encoder with sentence vectors stored at
  ingest.

It reports ingest time (squad-dev's 24 articles), answer-in-quote@1/@3, highlight@1 and ask
latency, all from ``index.evaluate`` (the metric of ``newsbot eval``). Default: 1,000 questions
drawn with seed 0 (``--limit``, ``--seed``).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from common import RESULTS, meta, offline, say, squad, table, write

from index import NewsIndex, evaluate
from index.embed import load_embedder

OUT = RESULTS / "encoders.json"
VARIANTS = ("torch/per-question", "torch", "onnx", "onnx-int8", "openvino")


class _NoSpans:
    """An embedder without sentence vectors: ask() embeds the sentences of each answer."""

    def __init__(self, embedder: Any) -> None:
        self._embedder = embedder
        self.name = embedder.name
        self.encoder = embedder.encoder

    @property
    def dimension(self) -> int:
        return int(self._embedder.dimension)

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        return np.asarray(self._embedder.embed_documents(texts))

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return np.asarray(self._embedder.embed_queries(texts))


def _asker(idx: NewsIndex) -> Any:
    return lambda q, k: idx.ask(q, k=k)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=1000, help="squad-dev questions (1000)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--variants", default=",".join(VARIANTS), help="comma-separated")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    offline()
    started = time.time()
    data = squad(args.limit, args.seed)
    chars = sum(len(a.text) for a in data.articles)
    rows = []
    with tempfile.TemporaryDirectory(prefix="newsbot-encoders-") as tmp:
        for variant in [v.strip() for v in args.variants.split(",") if v.strip()]:
            encoder = variant.split("/")[0]
            embedder: Any = load_embedder(encoder=encoder, cache=Path(tmp))
            embedder.embed_queries(["warm up"])  # export (ONNX) and load outside the timing
            if variant.endswith("/per-question"):
                embedder = _NoSpans(embedder)
            say(f"{variant}: ingesting {len(data.articles)} articles")
            idx = NewsIndex.open(Path(tmp) / variant.replace("/", "-"), embedder=embedder)
            t0 = time.perf_counter()
            idx.ingest_articles(data.articles)
            ingest_s = time.perf_counter() - t0
            say(f"{variant}: asking {len(data.questions)} questions")
            report = evaluate(_asker(idx), data.questions, k=3).as_dict()
            rows.append(
                {
                    "variant": variant,
                    "ingest_s": round(ingest_s, 2),
                    "chars_per_s": round(chars / ingest_s),
                    **report,
                }
            )
    columns = [
        ("variant", "variant"),
        ("ingest_s", "ingest s"),
        ("chars_per_s", "chars/s"),
        ("at_1", "@1"),
        ("at_k", "@3"),
        ("highlight_at_1", "hl@1"),
        ("found", "found"),
        ("p50_ms", "ask p50 ms"),
        ("p95_ms", "ask p95 ms"),
    ]
    print(table(columns, rows))
    write(
        args.out,
        {
            "meta": meta(
                "bench/encoders.py",
                argv,
                started,
                questions=len(data.questions),
                limit=args.limit,
                seed=args.seed,
                articles=len(data.articles),
                chars=chars,
                notes=(
                    "one fixed random subset of squad-dev questions (seed) for every variant; "
                    "ingest times include cleaning, chunking, BM25 and SQLite; shared 2-core "
                    "machine, so compare within one run"
                ),
            ),
            "results": rows,
        },
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
