"""The same answers through Milvus: squad-dev asked of the local store and of Milvus, in one run.

A local index of squad-dev's 24 articles is built the way ``newsbot eval`` and
``quality_baseline.py`` build it (``NewsIndex.open`` with its default embedder, then ``ingest``),
or reused with ``--index``. Its data directory is copied, a milvus-lite server is started on
127.0.0.1 (gRPC, its data in a temporary folder) and the copy is migrated there
(``NewsIndex.migrate``: the same vectors, nothing re-embedded), then opened again as a bot with
``NEWSBOT_STORE`` set would open it. Every question is asked of both (``ask(q, k=3)``) and
scored by ``index.evaluate`` (answer-in-quote@1 and @3, as in quality_baseline.py); the full
answers (``Quote`` dataclasses: text, highlight, score, article, speaker, offsets) are compared.

For each question whose answers differ, the dense candidates (``Tuning.candidates``, 50) of the
two generations are compared for the same query vector: the same ids in another order or a
different set at the cut (ANN order, float ties: Milvus computes the inner products itself), the
same order with other float scores, or nothing different at all (unexplained: a bug).

The seed article with its 5 questions gets the same treatment (its own small index and collection).
Needs ``../shared``, the ``[milvus]`` extra; writes ``bench/results/store_parity.json``.

    .venv/bin/python bench/store_parity.py                    # about 10 minutes
    .venv/bin/python bench/store_parity.py --limit 300        # a quick look
    .venv/bin/python bench/store_parity.py --index DIR        # reuse a local index of squad-dev
"""

from __future__ import annotations

import argparse
import contextlib
import shutil
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from common import (
    RESULTS,
    SEEDS,
    Dataset,
    load_dataset,
    meta,
    milvus_server,
    offline,
    say,
    seed_article_paths,
    squad,
    table,
    write,
)

from index import Answer, NewsIndex, evaluate, remote_from
from index.embed import load_embedder
from index.evaluate import EvalQuestion
from index.storage import Store
from index.storage.vectors import search

OUT = RESULTS / "store_parity.json"


def build_local(data: Dataset, folder: Path) -> float:
    """Ingest the dataset into a fresh local index in ``folder`` (seconds taken)."""
    t0 = time.perf_counter()
    report = NewsIndex.open(folder).ingest([str(p) for p in data.paths])
    if report.failed:
        raise SystemExit(f"store_parity: could not ingest {report.failed}")
    return round(time.perf_counter() - t0, 1)


def to_milvus(local: Path, copy: Path, store: str) -> tuple[NewsIndex, dict[str, Any]]:
    """A copy of ``local`` migrated to ``store``, opened again as a reader would open it."""
    shutil.copytree(local, copy, symlinks=True)
    t0 = time.perf_counter()
    copied = NewsIndex.open(copy, store=store).migrate(store)
    migrate_s = time.perf_counter() - t0
    snapshot = Store(copy, remote=remote_from(store)).load()
    assert snapshot is not None
    return NewsIndex.open(copy, store=store), {
        "copied": copied,
        "migrate_s": round(migrate_s, 1),
        "vectors": snapshot.manifest["vectors"],
        "rows": snapshot.vectors.count(),
    }


def ask_all(idx: NewsIndex, questions: Sequence[EvalQuestion], k: int) -> tuple[Any, list[Answer]]:
    """``index.evaluate`` over ``idx``, keeping every answer."""
    answers: list[Answer] = []

    def ask(question: str, k: int) -> Answer:
        answers.append(idx.ask(question, k=k))
        return answers[-1]

    return evaluate(ask, questions, k=k), answers


def hits(question: EvalQuestion, answer: Answer, k: int) -> tuple[bool, bool]:
    """Whether this answer counts for @1 and @k (``index.evaluate`` on it alone)."""
    report = evaluate(lambda q, kk: answer, [question], k=k)
    return bool(report.at_1), bool(report.at_k)


class Dense:
    """The dense candidates of the two generations (as the stores load them) for a question."""

    def __init__(self, local: Path, copy: Path, store: str, n: int) -> None:
        self.snapshots = [Store(local).load(), Store(copy, remote=remote_from(store)).load()]
        manifest = self.snapshots[0].manifest  # type: ignore[union-attr]
        self.embedder = load_embedder(manifest["model"], manifest.get("encoder"), cache=local)
        self.n = n

    def diff(self, question: str) -> dict[str, Any]:
        """Both lists for the same query vector, compared."""
        query = self.embedder.embed_queries([question])[0]
        lists = [search(s.vectors, query, self.n, None) for s in self.snapshots]  # type: ignore[union-attr]
        (ls, li), (rs, ri) = ((s, i.tolist()) for s, i in lists)
        common = set(li) & set(ri)
        by_l, by_r = dict(zip(li, ls, strict=True)), dict(zip(ri, rs, strict=True))
        score_diff = max((abs(float(by_l[i]) - float(by_r[i])) for i in common), default=0.0)
        first = next((r for r, (a, b) in enumerate(zip(li, ri, strict=False)) if a != b), None)
        if li == ri:
            kind = "dense scores only" if score_diff else "nothing (unexplained)"
        else:
            kind = "dense order" if set(li) == set(ri) else "dense set at the cut"
        return {
            "kind": kind,
            "first_rank_differing": first,
            # how close the local scores are where the order first differs (a float tie)
            "gap_at_first": (
                None
                if first is None
                else round(abs(float(ls[first]) - float(by_l.get(ri[first], 0))), 8)
            ),
            "max_score_diff": score_diff,
            "local_top": li[:10],
            "milvus_top": ri[:10],
        }


def compare(
    questions: Sequence[EvalQuestion],
    local: list[Answer],
    remote: list[Answer],
    dense: Dense,
    k: int,
) -> dict[str, Any]:
    """Which answers differ, and why (see the module docstring)."""
    differing = []
    for q, a, b in zip(questions, local, remote, strict=True):
        if a == b:
            continue
        (l1, lk), (r1, rk) = hits(q, a, k), hits(q, b, k)
        differing.append(
            {
                "question": q.question,
                "same_quote_texts": [x.text for x in a.quotes] == [x.text for x in b.quotes],
                "same_found": a.found == b.found,
                "local_at_1": l1,
                "local_at_k": lk,
                "milvus_at_1": r1,
                "milvus_at_k": rk,
                "local_quotes": [(x.article.id, x.start, x.score) for x in a.quotes],
                "milvus_quotes": [(x.article.id, x.start, x.score) for x in b.quotes],
                **dense.diff(q.question),
            }
        )
    kinds: dict[str, int] = {}
    for d in differing:
        kinds[d["kind"]] = kinds.get(d["kind"], 0) + 1
    n = len(questions)
    return {
        "questions": n,
        "same_answers": n - len(differing),
        "same_share": round((n - len(differing)) / max(1, n), 4),
        "differing": len(differing),
        "why": kinds,
        "at_1_flips": sum(d["local_at_1"] != d["milvus_at_1"] for d in differing),
        "at_k_flips": sum(d["local_at_k"] != d["milvus_at_k"] for d in differing),
        "details": differing,
    }


def run_dataset(
    data: Dataset, work: Path, server: Any, k: int, index: Path | None
) -> dict[str, Any]:
    local_dir = index or work / f"local-{data.name}"
    build_s = None if index else build_local(data, local_dir)
    say(f"[{data.name}] local index ready ({build_s or 'reused'} s); migrating a copy")
    store = server.uri(data.name.replace("-", "_"))
    copy = work / f"milvus-{data.name}"
    remote, migrated = to_milvus(local_dir, copy, store)
    local = NewsIndex.open(local_dir)
    say(f"[{data.name}] {migrated}; asking {len(data.questions)} questions of each")
    out: dict[str, Any] = {"build_s": build_s, "migration": migrated}
    answers = {}
    for kind, idx in (("local", local), ("milvus", remote)):
        t0 = time.perf_counter()
        report, answers[kind] = ask_all(idx, data.questions, k)
        out[kind] = {**report.as_dict(), "eval_s": round(time.perf_counter() - t0, 1)}
        say(f"[{data.name}] {kind}: @1 {report.at_1:.4f} @{k} {report.at_k:.4f}")
    dense = Dense(local_dir, copy, store, local.tuning.candidates)
    out["parity"] = compare(data.questions, answers["local"], answers["milvus"], dense, k)
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, help="a local index of squad-dev built before")
    parser.add_argument("--limit", type=int, help="a random subset of N squad-dev questions")
    parser.add_argument("--seed", type=int, default=0, help="random seed for --limit (default 0)")
    parser.add_argument("--k", type=int, default=3)
    parser.add_argument("--no-seeds", action="store_true", help="skip the seed questions")
    parser.add_argument("--work", type=Path, help="keep the indexes here (default: a temp dir)")
    parser.add_argument("--out", type=Path, default=OUT, help=f"JSON results (default {OUT})")
    args = parser.parse_args(argv)
    offline()
    started = time.time()
    datasets = [(squad(args.limit, args.seed), args.index)]
    if not args.no_seeds:
        seeds = load_dataset("seeds", seed_article_paths(SEEDS), SEEDS / "questions.jsonl", None, 0)
        datasets.append((seeds, None))
    results: dict[str, Any] = {}
    with contextlib.ExitStack() as stack:
        work = args.work or Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="nb-sp-")))
        work.mkdir(parents=True, exist_ok=True)
        server = stack.enter_context(milvus_server(work / "milvus-lite"))
        for data, index in datasets:
            results[data.name] = run_dataset(data, work, server, args.k, index)
    k = args.k
    rows = [
        {
            "dataset": name,
            "store": store,
            "n": r[store]["questions"],
            "at_1": r[store]["at_1"],
            "at_k": r[store]["at_k"],
            "hl": r[store]["highlight_at_1"],
            "found": r[store]["found"],
            "p50": r[store]["p50_ms"],
            "p95": r[store]["p95_ms"],
            "same": f"{r['parity']['same_answers']}/{r['parity']['questions']}"
            if store == "milvus"
            else None,
        }
        for name, r in results.items()
        for store in ("local", "milvus")
    ]
    print(
        table(
            [
                ("dataset", "dataset"),
                ("store", "store"),
                ("n", "n"),
                ("at_1", "@1"),
                ("at_k", f"@{k}"),
                ("hl", "hl@1"),
                ("found", "found"),
                ("p50", "p50 ms"),
                ("p95", "p95 ms"),
                ("same", "same answers"),
            ],
            rows,
        )
    )
    why = [
        {
            "dataset": name,
            "differing": r["parity"]["differing"],
            **r["parity"]["why"],
            "flips1": r["parity"]["at_1_flips"],
            "flipsk": r["parity"]["at_k_flips"],
        }
        for name, r in results.items()
    ]
    kinds = sorted({key for r in results.values() for key in r["parity"]["why"]})
    print()
    print(
        table(
            [("dataset", "dataset"), ("differing", "answers differing")]
            + [(kind, kind) for kind in kinds]
            + [("flips1", "@1 changed"), ("flipsk", f"@{k} changed")],
            why,
        )
    )
    squad_parity = results["squad-dev"]["parity"]
    verdict = {
        "same_share_at_least_0.99": squad_parity["same_share"] >= 0.99,
        "all_differences_from_dense_order": all(
            kind.startswith("dense") for r in results.values() for kind in r["parity"]["why"]
        ),
    }
    if "seeds" in results:
        seeds_milvus = results["seeds"]["milvus"]
        verdict["seeds_milvus_at_1"] = round(seeds_milvus["at_1"] * seeds_milvus["questions"])
        verdict["seeds_milvus_at_k"] = round(seeds_milvus["at_k"] * seeds_milvus["questions"])
    print()
    print(" ".join(f"{key}={value}" for key, value in verdict.items()))
    write(
        args.out,
        {
            "meta": meta(
                "bench/store_parity.py",
                argv,
                started,
                k=args.k,
                limit=args.limit,
                seed=args.seed,
                store="milvus-lite server on 127.0.0.1 (gRPC), started by the script",
                notes=(
                    "same answers = Answer equality (found and every Quote field); for each "
                    "answer that differs, the dense candidates of both generations for the "
                    "same query vector (see the script's docstring); latency is per ask() on "
                    "a shared 2-core machine, the two stores asked one after the other"
                ),
            ),
            "verdict": verdict,
            "results": results,
        },
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
