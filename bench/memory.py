"""What the bot's process holds after each kind of work, with and without giving memory back.

Each variant runs in a fresh process, on its own copy of an index, the steps of a bot's day in
the order issue 23 measured them: open the index and ask; 300 questions on 30 threads (as the
bot's question threads do); a re-index; an ingest of 20 new articles. After each step it reads
the process's RSS (``/proc/self/status``), then does what the variant's bot does when the step
ends, and reads it again:

- ``before``: nothing (the bot as it was: its embedder never releases the documents' runtime);
- ``release``: the documents' runtime is released after each write, as the library now does
  for every caller (the command line too);
- ``+ trim``: and ``bot.heap.trim()`` (``malloc_trim``), as the bot now does after each write
  and once questions pause;
- ``+ arenas``: and ``bot.heap.fewer_arenas()`` at start-up, as ``newsbot run`` does.

The index: ``--index`` (default: 500 news-quiz-dev pages, built into ``--work`` if missing, with
the bundled model, ~4 minutes); the 20 new articles are the next 20 pages of news-quiz-dev::

    .venv/bin/python bench/memory.py                    # ~6 minutes; bench/results/memory.json
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from common import NEWS, RESULTS, meta, say, table, write

VARIANTS = ("before", "release", "+ trim", "+ arenas")
PAGES = NEWS / "articles" / "part01.jsonl"


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def questions(n: int) -> list[str]:
    rows = [json.loads(line) for line in (NEWS / "questions.jsonl").open()]
    return [r["question"] for r in rows[:n]]


class Keeping:
    """An embedder that keeps its documents' runtime for good, as every embedder did before."""

    def __init__(self, embedder: Any) -> None:
        self._embedder = embedder
        self.name, self.encoder = embedder.name, embedder.encoder

    @property
    def dimension(self) -> int:
        return int(self._embedder.dimension)

    def embed_documents(self, texts: Any) -> Any:
        return self._embedder.embed_documents(texts)

    def embed_queries(self, texts: Any) -> Any:
        return self._embedder.embed_queries(texts)

    def embed_passages(self, texts: Any, spans: Any) -> Any:
        return self._embedder.embed_passages(texts, spans)


def run_variant(variant: str, index: Path, extra: Path) -> list[dict[str, Any]]:
    """The steps in this process (``--variant``): RSS after each, and after giving back."""
    from bot import heap
    from index import NewsIndex
    from index.embed import load_embedder

    if variant == "+ arenas":
        heap.fewer_arenas()
    give_back = heap.trim if variant in ("+ trim", "+ arenas") else lambda: False
    steps: list[dict[str, Any]] = []

    def step(name: str, work: Any) -> None:
        started = time.perf_counter()
        work()
        after = rss_mb()
        give_back()
        steps.append(
            {"step": name, "seconds": time.perf_counter() - started, "rss": after, "then": rss_mb()}
        )
        say(f"[{variant}] {name}: {after:.0f} MB, then {steps[-1]['then']:.0f} MB")

    embedder = load_embedder()
    idx = NewsIndex.open(index, embedder=Keeping(embedder) if variant == "before" else embedder)
    step("open the index, ask", lambda: idx.ask("What did the Met say about ports?"))
    asked = questions(300)
    with ThreadPoolExecutor(30) as pool:
        step("300 questions on 30 threads", lambda: list(pool.map(idx.ask, asked)))
    step("reindex", idx.reindex)
    step("ingest 20 articles", lambda: idx.ingest([extra]))
    return steps


def build(index: Path) -> None:
    if (index / "CURRENT").exists():
        return
    say(f"building {index} from {PAGES.name} (about 4 minutes)")
    subprocess.run(
        [sys.executable, "-m", "bot", "--data", str(index), "ingest", "--quiet", str(PAGES)],
        check=True,
        cwd=Path(__file__).resolve().parent.parent,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index", type=Path, help="an index to copy for each variant")
    parser.add_argument("--work", type=Path, default=Path("/tmp/newsbot-memory"))
    parser.add_argument("--variant", choices=VARIANTS, help=argparse.SUPPRESS)  # child process
    parser.add_argument("--extra", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, default=RESULTS / "memory.json")
    args = parser.parse_args(argv)
    if args.variant:
        print(json.dumps(run_variant(args.variant, args.index, args.extra)))
        return 0
    started = time.time()
    index = args.index or args.work / "index-500"
    build(index)
    results: dict[str, list[dict[str, Any]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        extra = Path(tmp) / "extra.jsonl"  # the next 20 pages: new to the index
        lines = (NEWS / "articles" / "part02.jsonl").read_text().splitlines()[:20]
        extra.write_text("\n".join(lines) + "\n")
        for variant in VARIANTS:
            copy = Path(tmp) / variant.strip("+ ")
            shutil.copytree(index, copy)
            done = subprocess.run(
                [
                    *(sys.executable, __file__, "--variant", variant, "--index", str(copy)),
                    "--extra",
                    str(extra),
                ],
                check=True,
                capture_output=True,
                text=True,
                env={**os.environ, "TOKENIZERS_PARALLELISM": "false"},
            )
            results[variant] = json.loads(done.stdout.strip().splitlines()[-1])
            shutil.rmtree(copy)
    rows = []
    for i, first in enumerate(results["before"]):
        row: dict[str, Any] = {"step": first["step"]}
        for variant in VARIANTS:
            row[f"{variant} rss"] = round(results[variant][i]["rss"])
            row[f"{variant} then"] = round(results[variant][i]["then"])
        rows.append(row)
    columns = [("step", "step (RSS MB after it / after giving back)")]
    for variant in VARIANTS:
        columns += [(f"{variant} rss", variant), (f"{variant} then", "then")]
    print(table(columns, rows))
    write(args.out, {"meta": meta("bench/memory.py", argv, started), "variants": results})
    return 0


if __name__ == "__main__":
    sys.exit(main())
