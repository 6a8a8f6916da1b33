"""Ingest throughput of newsbot and of the LangChain recipe on one news-like corpus, in one run.

The corpus (``--mb``, default 6 MB of article text, one JSON-lines file) is made from the
articles of squad-dev and ``samples/``: each corpus article takes one base article and keeps a
window of 4 to 12 consecutive paragraphs of it, starting at a random paragraph, with one of them
left out; its headline is the base headline and a number, its source one of 8 names, its date
random within 2015-2024. So the text is real prose in news-sized articles (about 4 KB each); a
paragraph recurs in several articles, as syndicated copy does, but no two articles are the same.

Each system runs in a fresh process, timed from before loading the model to the last file
written:

- ``newsbot/<encoder>``: ``NewsIndex.open(dir, encoder=...).ingest([corpus.jsonl])`` (load,
  clean, chunk, embed passages and their sentences, SQLite, FAISS, BM25, publish). The ONNX
  export is made beforehand (once per data directory; its time is reported apart);
- ``langchain``: read the same file, ``RecursiveCharacterTextSplitter(1000, 200)`` +
  ``HuggingFaceEmbeddings`` (same bundled model, sentence-transformers on torch) +
  ``FAISS.from_documents`` + ``save_local``.

Then, on the first newsbot index: ingesting the unchanged corpus again; ``reindex()`` when
nothing changed; and ``reindex()`` after a cleaning rule changes 5% of the articles (the first
paragraph of every 20th article dropped), which re-embeds only the passages that changed.

    .venv/bin/python bench/ingest.py                       # about 15 minutes
    .venv/bin/python bench/ingest.py --mb 1 --encoders openvino
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from common import (
    RESULTS,
    ROOT,
    SAMPLES,
    load_articles,
    meta,
    offline,
    recipe_store,
    say,
    squad,
    table,
    write,
)

OUT = RESULTS / "ingest.json"
SOURCES = (
    "Harbour Gazette",
    "Meridian Daily",
    "Northfield Courier",
    "Tidewater Post",
    "Valecross Herald",
    "Kestrel Bay Chronicle",
    "Wire",
    "Evening Standard",
)
CHANGED_EVERY = 20  # the cleaning rule change touches every 20th article


def make_corpus(path: Path, mb: float, seed: int) -> dict[str, Any]:
    """Write the corpus (see the module docstring); return its size."""
    bases = [a for a in squad().articles + load_articles([SAMPLES]) if a.text.strip()]
    paragraphs = [[p for p in a.text.split("\n") if p.strip()] for a in bases]
    rng = random.Random(seed)
    target = int(mb * 1_000_000)
    chars = n = 0
    with path.open("w", encoding="utf-8") as out:
        while chars < target:
            b = n % len(bases)
            paras = paragraphs[b]
            width = min(len(paras), rng.randint(4, 12))
            first = rng.randrange(len(paras) - width + 1)
            window = paras[first : first + width]
            if len(window) > 3:
                del window[rng.randrange(len(window))]
            text = "\n\n".join(window)
            article = {
                "id": f"corpus-{n:05d}",
                "title": f"{bases[b].title}: report {n}",
                "source": SOURCES[rng.randrange(len(SOURCES))],
                "published": f"{rng.randint(2015, 2024)}-{rng.randint(1, 12):02d}-"
                f"{rng.randint(1, 28):02d}",
                "text": text,
            }
            out.write(json.dumps(article, ensure_ascii=False) + "\n")
            chars += len(text)
            n += 1
    return {"articles": n, "chars": chars, "mb": round(chars / 1e6, 2), "bases": len(bases)}


def _peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


class _Changed:
    """A cleaning rule change: the first paragraph of every 20th article goes."""

    def __init__(self, clean_text: Any) -> None:
        self._clean_text = clean_text

    def __call__(self, text: str, *args: Any, **kwargs: Any) -> str:
        cleaned: str = self._clean_text(text, *args, **kwargs)
        if sum(text.encode()) % CHANGED_EVERY == 0:  # stable across processes, unlike hash()
            paragraphs = cleaned.split("\n")
            return "\n".join(paragraphs[1:]) if len(paragraphs) > 1 else cleaned
        return cleaned


def newsbot_step(corpus: Path, data: Path, encoder: str, again: bool) -> dict[str, Any]:
    """Ingest into ``data`` (the export already there); with ``again``, the repeat measurements."""
    from index import NewsIndex
    from index.text import clean  # the writer calls clean.clean_text (index/ingest/writer.py)

    def counting(stage: str, done: int, total: int) -> None:
        if stage == "embed":
            embedded[0] = total

    embedded = [0]
    t0 = time.perf_counter()
    idx = NewsIndex.open(data, encoder=encoder)
    report = idx.ingest([corpus], progress=counting)
    out: dict[str, Any] = {
        "seconds": round(time.perf_counter() - t0, 2),
        "added": report.added,
        "failed": len(report.failed),
        "passages": idx.stats().passages,
        "embedded": embedded[0],
        "peak_rss_mb": _peak_rss_mb(),
    }
    if again:
        t0 = time.perf_counter()
        repeat = idx.ingest([corpus])
        out["reingest_s"] = round(time.perf_counter() - t0, 3)
        out["reingest_unchanged"] = repeat.unchanged
        embedded[0] = 0
        t0 = time.perf_counter()
        idx.reindex(progress=counting)
        out["reindex_same_s"] = round(time.perf_counter() - t0, 2)
        out["reindex_same_embedded"] = embedded[0]
        original = clean.clean_text
        clean.clean_text = _Changed(original)  # type: ignore[assignment]
        try:
            embedded[0] = 0
            t0 = time.perf_counter()
            idx.reindex(progress=counting)
            out["reindex_changed_s"] = round(time.perf_counter() - t0, 2)
            out["reindex_changed_embedded"] = embedded[0]
        finally:
            clean.clean_text = original  # type: ignore[assignment]
    return out


def recipe_step(corpus: Path, data: Path) -> dict[str, Any]:
    t0 = time.perf_counter()
    articles = load_articles([corpus])
    store = recipe_store(articles)
    store.save_local(str(data))
    return {
        "seconds": round(time.perf_counter() - t0, 2),
        "chunks": int(store.index.ntotal),
        "peak_rss_mb": _peak_rss_mb(),
    }


def export_step(data: Path, encoder: str) -> dict[str, Any]:
    """Make the ONNX export in ``data`` (what the first ``newsbot ingest`` does once)."""
    from index.embed import DEFAULT_MODEL
    from index.embed.runtimes import ensure_export

    t0 = time.perf_counter()
    if encoder != "torch":
        ensure_export(data, DEFAULT_MODEL, encoder)
    return {"seconds": round(time.perf_counter() - t0, 2)}


def _run(step: str, *args: str) -> dict[str, Any]:
    say(f"{step} {' '.join(args[1:])}")
    cmd = [sys.executable, __file__, "--step", step, *args]
    done = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True, cwd=ROOT)
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=6.0, help="MB of article text (6)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--encoders", default="openvino,torch", help="newsbot encoders to run")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--step", choices=("newsbot", "newsbot-again", "recipe", "export"))
    parser.add_argument("args", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    offline()
    if args.step:
        where = [Path(a) for a in args.args[:2]]
        if args.step == "recipe":
            result = recipe_step(*where)
        elif args.step == "export":
            result = export_step(where[0], args.args[1])
        else:
            result = newsbot_step(*where, args.args[2], args.step == "newsbot-again")
        print(json.dumps(result))
        return 0
    started = time.time()
    encoders = [e.strip() for e in args.encoders.split(",") if e.strip()]
    with tempfile.TemporaryDirectory(prefix="newsbot-ingest-") as tmp:
        corpus = Path(tmp) / "corpus.jsonl"
        made = make_corpus(corpus, args.mb, args.seed)
        say(f"corpus: {made}")
        results: dict[str, Any] = {}
        for i, encoder in enumerate(encoders):
            data = Path(tmp) / f"newsbot-{encoder}"
            export = _run("export", str(data), encoder)
            step = "newsbot-again" if i == 0 else "newsbot"
            results[f"newsbot/{encoder}"] = {
                "export_s": export["seconds"],
                **_run(step, str(corpus), str(data), encoder),
            }
        results["langchain"] = _run("recipe", str(corpus), str(Path(tmp) / "langchain"))
    recipe_s = results["langchain"]["seconds"]
    rows = []
    for name, r in results.items():
        rows.append(
            {
                "system": name,
                "seconds": r["seconds"],
                "articles_per_s": round(made["articles"] / r["seconds"], 1),
                "mb_per_s": round(made["mb"] / r["seconds"], 4),
                "vs_recipe": round(recipe_s / r["seconds"], 2),
                "vectors": r.get("passages", r.get("chunks")),
                "rss": r["peak_rss_mb"],
            }
        )
    columns = [
        ("system", "system"),
        ("seconds", "seconds"),
        ("articles_per_s", "articles/s"),
        ("mb_per_s", "MB/s"),
        ("vs_recipe", "x recipe"),
        ("vectors", "vectors"),
        ("rss", "peak RSS MB"),
    ]
    print(f"corpus: {made['articles']:,} articles, {made['mb']} MB of text")
    print(table(columns, rows))
    first = results[f"newsbot/{encoders[0]}"]
    repeat_rows = [
        {
            "what": f"first ingest ({encoders[0]})",
            "seconds": first["seconds"],
            "embedded": first["embedded"],
        },
        {
            "what": "ingest the unchanged corpus again",
            "seconds": first["reingest_s"],
            "embedded": 0,
            "faster": round(first["seconds"] / first["reingest_s"], 1),
        },
        {
            "what": "reindex, nothing changed",
            "seconds": first["reindex_same_s"],
            "embedded": first["reindex_same_embedded"],
            "faster": round(first["seconds"] / first["reindex_same_s"], 1),
        },
        {
            "what": f"reindex, a cleaning rule changed 1 in {CHANGED_EVERY} articles",
            "seconds": first["reindex_changed_s"],
            "embedded": first["reindex_changed_embedded"],
            "faster": round(first["seconds"] / first["reindex_changed_s"], 1),
        },
    ]
    print()
    print(
        table(
            [
                ("what", "what"),
                ("seconds", "seconds"),
                ("embedded", "passages embedded"),
                ("faster", "x faster than first"),
            ],
            repeat_rows,
        )
    )
    write(
        args.out,
        {
            "meta": meta(
                "bench/ingest.py",
                argv,
                started,
                corpus=made,
                seed=args.seed,
                notes=(
                    "each system in a fresh process, timed from opening (model load) to the "
                    "last file written; the ONNX export (export_s) is a one-time cost per data "
                    "directory, made before the timing; shared 2-core machine: compare within "
                    "this run"
                ),
            ),
            "results": results,
            "table": rows,
            "repeat": repeat_rows,
        },
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
