"""Question latency at 10k, 100k and 1M passages, beside LangChain's FAISS, in one run.

For each size N it measures, each in a fresh process (so peak RSS is that process's own):

- ``newsbot``: ``NewsIndex.open`` on an index of N passages, then ``NewsIndex.ask(q, k=3)`` for
  each question (the whole path: embedding the question, dense and BM25 retrieval, SQLite,
  re-ranking, quoting); p50/p95, peak RSS; and a cProfile of the same questions, per stage;
- ``langchain``: ``FAISS.from_embeddings`` (the recipe's store, exact ``IndexFlatL2``) over the
  same N passages and vectors, with ``HuggingFaceEmbeddings`` on the same model, then
  ``similarity_search(q, k=3)``; p50/p95, peak RSS;
- recall@10 (and @50, what ``ask`` takes from the dense side) of newsbot's vector index (exact
  below 50k passages, IVF-SQ8 above) against exact search over the fp32 vectors;
- with ``--store milvus``: the index copied and migrated to a milvus-lite server started on this
  machine (``NewsIndex.migrate``), then the local index and the copy each asked by its own
  process in alternating rounds of the same questions: p50/p95, each asker's peak RSS, the
  server's RSS and CPU per ask, milvus/local (``query-milvus.json``).

And once: the time from starting a fresh ``newsbot ask`` process to its answer, on an index of
``samples/`` (the ONNX export already made by the ingest, as it is after ``make demo``).

How the passages are made: the articles of squad-dev and ``samples/`` are split into sentences
(``index.text.chunk``) and every sentence is embedded by the real model (the index's default
encoder). A synthetic article takes one base article and has 8 passages (one paragraph each) of
3 to 6 sentences drawn at random from that base article, in order; its headline is the base
headline with a number. A passage's vector is the mean of its sentences' vectors plus Gaussian
noise (cosine about 0.85 to the mean), normalised; its stored sentence vectors are the real ones.
So the text, the BM25 statistics and the vectors' clusters are realistic, and questions about
squad-dev have relevant passages; the vocabulary is smaller than a real corpus of that size, so
BM25's postings are longer (pessimistic for newsbot). The store's files are written directly
through ``Store.begin`` (SQLite rows, FAISS vectors) and the index's own publish step (BM25,
vector index type, manifest), because embedding 1M passages with the model would take hours.

    .venv/bin/python bench/query.py                       # 10k, 100k, 1M (about 30 minutes)
    .venv/bin/python bench/query.py --sizes 10000 --questions 50
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import json
import pstats
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from common import (
    RESULTS,
    ROOT,
    SAMPLES,
    load_articles,
    meta,
    milvus_server,
    offline,
    percentiles,
    recipe_embeddings,
    say,
    squad,
    table,
    write,
)

OUT = RESULTS / "query.json"
OUT_MILVUS = RESULTS / "query-milvus.json"  # --store milvus
SIZES = (10_000, 100_000, 1_000_000)
PER_ARTICLE = 8
NOISE = 0.03  # per dimension: cosine ~0.85 between a passage's vector and its sentences' mean
SOURCES = ("Harbour Gazette", "Meridian Daily", "Northfield Courier", "Tidewater Post", "Wire")
FIRST_QUESTION = "What did the harbour master say about the storm?"
# Where ask's time goes: (label, cProfile "file:function" suffix), measured cumulatively; in the
# order of index/ask/pipeline.py's stages (indented: part of the stage above).
STAGES = (
    ("embed question", "embed/loader.py:embed_queries"),
    ("retrieve (both + fusion)", "ask/retrieve.py:retrieve"),
    ("  dense (FAISS)", "storage/vectors.py:search"),
    ("  BM25", "storage/lexical.py:search"),
    ("candidate rows (SQLite)", "storage/catalog.py:passages"),
    ("passage sentences", "ask/sentences.py:passage_sentences"),
    ("  stored sentence vectors", "storage/catalog.py:sentence_vectors"),
    ("re-rank (features + trees)", "ask/rerank.py:rank"),
    ("  passage features", "ask/rerank.py:passage_features"),
    ("pick sentences (features + trees)", "ask/rerank.py:pick"),
    ("  sentence features", "ask/features.py:sentence_features"),
    ("trees (both models)", "ask/trees.py:score"),
    ("quotes", "ask/quotes.py:make_quotes"),
    ("  speakers", "text/speakers.py:attribute_speaker"),
)


# -- the synthetic corpus ------------------------------------------------------------------------
def _sentences(text: str) -> list[str]:
    from index.text.chunk import paragraph_spans, sentence_spans

    return [
        text[s:e]
        for a, b in paragraph_spans(text)
        for s, e in sentence_spans(text, a, b)
        if 20 <= e - s <= 400
    ]


def make_pool(work: Path) -> None:
    """Embed every sentence of squad-dev and the samples once: ``pool.json`` + ``pool.npy``."""
    from index.embed import load_embedder
    from index.text.clean import clean_text

    bases = [a for a in squad().articles + load_articles([SAMPLES]) if a.text.strip()]
    titles, groups = [], []
    for a in bases:
        sents = _sentences(clean_text(a.text))
        if len(sents) >= 6:
            titles.append(a.title)
            groups.append(sents)
    flat = [s for g in groups for s in g]
    say(f"pool: embedding {len(flat)} sentences of {len(groups)} articles")
    embedder = load_embedder(cache=work)
    vectors = embedder.embed_documents(flat)
    (work / "pool.json").write_text(json.dumps({"titles": titles, "sentences": groups}))
    np.save(work / "pool.npy", vectors.astype(np.float32), allow_pickle=False)


def _articles(work: Path, n_passages: int, seed: int) -> Iterator[tuple[int, dict[str, Any]]]:
    """Synthetic articles (see the module docstring), with passage and sentence vectors."""
    from index.text.chunk import paragraph_spans, sentence_spans

    pool = json.loads((work / "pool.json").read_text())
    vectors = np.load(work / "pool.npy")
    offsets = np.cumsum([0] + [len(g) for g in pool["sentences"]])
    lookup = {
        s: int(offsets[i] + j) for i, g in enumerate(pool["sentences"]) for j, s in enumerate(g)
    }
    rng = np.random.default_rng(seed)
    day0 = date(2015, 1, 1)
    for number in range(n_passages // PER_ARTICLE):
        base = int(rng.integers(len(pool["titles"])))
        group = pool["sentences"][base]
        paragraphs = []
        for _ in range(PER_ARTICLE):
            picked = np.sort(rng.choice(len(group), int(rng.integers(3, 7)), replace=False))
            paragraphs.append(" ".join(group[i] for i in picked))
        text = "\n".join(paragraphs)
        passages = []
        for start, end in paragraph_spans(text):
            spans = sentence_spans(text, start, end) or [(start, end)]
            rows = [lookup.get(text[s:e], -1) for s, e in spans]
            known = [r for r in rows if r >= 0] or [int(offsets[base])]
            mean = vectors[known].mean(axis=0)
            vec = mean / np.linalg.norm(mean) + rng.normal(0, NOISE, mean.shape)
            vec = (vec / np.linalg.norm(vec)).astype(np.float32)
            sents = np.stack([vectors[r] if r >= 0 else vec for r in rows])
            passages.append((start, end, [(s - start, e - start) for s, e in spans], vec, sents))
        yield (
            number,
            {
                "id": f"syn-{number:07d}",
                "title": f"{pool['titles'][base]}: report {number}",
                "source": SOURCES[number % len(SOURCES)],
                "published": (day0 + timedelta(days=int(rng.integers(3650)))).isoformat(),
                "text": text,
                "passages": passages,
            },
        )


def _term_weights(snapshot: Any) -> None:
    """What NewsIndex does with each generation it publishes: compute its term weights."""
    if snapshot is not None:
        _ = snapshot.lexical


def build(work: Path, size: int, seed: int) -> dict[str, Any]:
    """Write an index of ``size`` passages into ``work/index-<size>``; its fp32 vectors to npy."""
    from index import Article
    from index.embed import load_embedder
    from index.ingest import Writer
    from index.storage import Catalog, Store, content_hash, sentvec

    data = work / f"index-{size}"
    shutil.rmtree(data, ignore_errors=True)
    data.mkdir(parents=True)
    (data / "models").symlink_to(work / "models")  # the ONNX export, made once
    embedder = load_embedder(cache=work)
    store = Store(data)
    t0 = time.perf_counter()
    matrix = np.lib.format.open_memmap(
        work / f"vectors-{size}.npy",
        mode="w+",
        dtype=np.float32,
        shape=(size // PER_ARTICLE * PER_ARTICLE, embedder.dimension),
    )
    with store.writer():
        draft = store.begin(None, embedder.dimension)
        draft.db.execute("PRAGMA synchronous = OFF")  # a throwaway index: no fsync per page
        catalog = Catalog(draft.db)
        pid = 0
        chunk_ids: list[int] = []
        chunk_vecs: list[np.ndarray] = []
        with catalog.transaction():
            for _, a in _articles(work, size, seed):
                article = Article(
                    a["id"],
                    a["title"],
                    a["text"],
                    a["source"],
                    f"https://news.example/{a['id']}",
                    date.fromisoformat(a["published"]),
                )
                digest = content_hash(a["title"] + "\n" + a["text"])
                # stored as loaded: the synthetic text and headline need no cleaning
                catalog.add_article(article, a["text"], digest, a["title"])
                for start, end, spans, vec, sents in a["passages"]:
                    pid += 1
                    body = a["text"][start:end]
                    catalog.add_passage(
                        a["id"],
                        start,
                        end,
                        content_hash(f"{a['title']}\n{body}"),
                        sentvec.encode(spans, sents),
                        passage_id=pid,
                    )
                    matrix[pid - 1] = vec
                    chunk_ids.append(pid)
                    chunk_vecs.append(vec)
                if len(chunk_ids) >= 50_000:
                    draft.vectors.add_with_ids(np.stack(chunk_vecs), np.array(chunk_ids))
                    chunk_ids, chunk_vecs = [], []
                    say(f"  {size}: {pid} passages written")
            if chunk_ids:
                draft.vectors.add_with_ids(np.stack(chunk_vecs), np.array(chunk_ids))
        rows_s = time.perf_counter() - t0
        # BM25, the vector index type by size, manifest, publish
        Writer(store, embedder, published=_term_weights).publish(draft)
    matrix.flush()
    manifest = json.loads((store.load().path / "manifest.json").read_text())  # type: ignore[union-attr]
    return {
        "passages": pid,
        "articles": manifest["articles"],
        "vectors": manifest["vectors"],
        "rows_s": round(rows_s, 1),
        "build_s": round(time.perf_counter() - t0, 1),
        "disk_mb": round(store.size_bytes(store.load()) / 2**20),  # type: ignore[arg-type]
    }


# -- measurements (each in its own process) ------------------------------------------------------
def _questions(limit: int, seed: int) -> list[str]:
    return [q.question for q in squad(limit + 1, seed).questions]


def _peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def recall(work: Path, size: int, questions: Sequence[str]) -> dict[str, Any]:
    """Recall of the published vector index against exact search on the fp32 vectors."""
    from index.embed import load_embedder
    from index.storage import Store
    from index.storage.vectors import search

    snapshot = Store(work / f"index-{size}").load()
    assert snapshot is not None
    matrix = np.load(work / f"vectors-{size}.npy", mmap_mode="r")
    queries = load_embedder(cache=work).embed_queries(list(questions))
    out: dict[str, Any] = {}
    for k in (10, 50):
        hits = []
        for q in queries:
            _, ids = search(snapshot.vectors, q, k, None)
            sims = np.concatenate(
                [matrix[i : i + 200_000] @ q for i in range(0, len(matrix), 200_000)]
            )
            exact = set((np.argpartition(-sims, k)[:k] + 1).tolist())  # passage ids start at 1
            hits.append(len(exact & set(ids.tolist())) / k)
        out[f"recall_at_{k}"] = round(float(np.mean(hits)), 4)
    return out


def serve(work: Path, size: int, questions: Sequence[str]) -> dict[str, Any]:
    """``NewsIndex.ask`` latency and peak RSS on the index of ``size`` passages, then a profile."""
    from index import NewsIndex

    t0 = time.perf_counter()
    idx = NewsIndex.open(work / f"index-{size}")
    open_s = time.perf_counter() - t0
    first, rest = questions[0], questions[1:]
    t0 = time.perf_counter()
    idx.ask(first)  # loads the model and the re-ranker
    first_ms = (time.perf_counter() - t0) * 1000
    times, cpu, found = [], [], 0
    for q in rest:
        t0, c0 = time.perf_counter(), time.process_time()
        answer = idx.ask(q, k=3)
        times.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
        found += answer.found
    rss = _peak_rss_mb()
    profile = cProfile.Profile()
    profile.enable()
    for q in rest:
        idx.ask(q, k=3)
    profile.disable()
    stats = pstats.Stats(profile).stats  # type: ignore[attr-defined]
    stages = {}
    for label, where in STAGES:
        file, func = where.split(":")
        # the largest match: a wrapper of the same name (embed.py's lazy embedder) includes the rest
        total = max(
            (v[3] for (path, _, name), v in stats.items() if path.endswith(file) and name == func),
            default=0.0,
        )
        stages[label] = round(total * 1000 / len(rest), 2)
    p50, p95 = percentiles(times, 50, 95)
    return {
        "cpu_p50_ms": percentiles(cpu, 50)[0],
        "open_s": round(open_s, 2),
        "first_ask_ms": round(first_ms, 1),
        "p50_ms": p50,
        "p95_ms": p95,
        "found": round(found / len(rest), 3),
        "peak_rss_mb": rss,
        "profile_ms_per_ask": stages,
    }


def recipe(work: Path, size: int, questions: Sequence[str]) -> dict[str, Any]:
    """LangChain's FAISS store over the same passages and vectors: ``similarity_search``.

    The store is what ``FAISS.from_embeddings`` makes (an exact ``IndexFlatL2``, an
    ``InMemoryDocstore`` of one ``Document`` per passage, ids mapped by position), put together
    from the vectors in chunks: ``from_embeddings`` wants Python lists of floats, ~12 GB at 1M."""
    import faiss
    from langchain_community.docstore.in_memory import InMemoryDocstore
    from langchain_community.vectorstores import FAISS
    from langchain_core.documents import Document

    matrix = np.load(work / f"vectors-{size}.npy", mmap_mode="r")
    snapshot_dir = work / f"index-{size}"
    name = (snapshot_dir / "CURRENT").read_text().strip()
    t0 = time.perf_counter()
    with contextlib.closing(sqlite3.connect(snapshot_dir / name / "news.sqlite")) as con:
        docs = {
            str(i): Document(page_content=r[0], id=str(i))
            for i, r in enumerate(
                con.execute(
                    "SELECT substr(a.text, p.start + 1, p.end - p.start) FROM passages p "
                    "JOIN articles a ON a.id = p.article_id ORDER BY p.id"
                )
            )
        }
    index = faiss.IndexFlatL2(matrix.shape[1])
    for i in range(0, len(matrix), 100_000):
        index.add(np.ascontiguousarray(matrix[i : i + 100_000], dtype=np.float32))
    store = FAISS(
        recipe_embeddings(), index, InMemoryDocstore(docs), {i: str(i) for i in range(len(docs))}
    )
    build_s = time.perf_counter() - t0
    store.similarity_search(questions[0], k=3)
    times, cpu = [], []
    for q in questions[1:]:
        t0, c0 = time.perf_counter(), time.process_time()
        store.similarity_search(q, k=3)
        times.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
    p50, p95 = percentiles(times, 50, 95)
    return {
        "cpu_p50_ms": percentiles(cpu, 50)[0],
        "build_s": round(build_s, 1),
        "p50_ms": p50,
        "p95_ms": p95,
        "peak_rss_mb": _peak_rss_mb(),
    }


def migrate(work: Path, size: int, store: str) -> dict[str, Any]:
    """Copy the index of ``size`` passages and migrate the copy's vectors to ``store``."""
    from index import NewsIndex

    copy = work / f"index-{size}-milvus"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(work / f"index-{size}", copy, symlinks=True)
    t0 = time.perf_counter()
    copied = NewsIndex.open(copy, store=store).migrate(store)
    return {"copied": copied, "migrate_s": round(time.perf_counter() - t0, 1)}


def rounds(work: Path, size: int, questions: Sequence[str], store: str | None) -> dict[str, Any]:
    """Asker for ``--store milvus``: the index of ``size`` passages (its Milvus copy with
    ``store``); after a first question, prints ``{}`` and then asks the rest once for each
    ``round`` line read, printing that round's times; at ``end`` returns its peak RSS."""
    from index import NewsIndex

    t0 = time.perf_counter()
    idx = NewsIndex.open(work / f"index-{size}{'-milvus' if store else ''}", store=store)
    open_s = time.perf_counter() - t0
    idx.ask(questions[0])  # loads the model and the re-ranker
    print("{}", flush=True)
    found = asked = 0
    for line in sys.stdin:
        if line.strip() != "round":
            break
        times, cpu = [], []
        for q in questions[1:]:
            t0, c0 = time.perf_counter(), time.process_time()
            found += idx.ask(q, k=3).found
            times.append((time.perf_counter() - t0) * 1000)
            cpu.append((time.process_time() - c0) * 1000)
        asked += len(times)
        print(json.dumps({"ms": times, "cpu_ms": cpu}), flush=True)
    return {
        "open_s": round(open_s, 2),
        "found": round(found / max(1, asked), 3),
        "peak_rss_mb": _peak_rss_mb(),
    }


def against_milvus(work: Path, size: int, args: argparse.Namespace) -> dict[str, Any]:
    """The local index and its copy migrated to a milvus-lite server on this machine, each asked
    by its own process, in alternating rounds of the same questions (who goes first swapped
    every round); the server's RSS apart."""
    import psutil

    with milvus_server(work / f"milvus-{size}") as server:
        store = server.uri("bench")
        out = {"migration": _run(work, "migrate", args, size, "--milvus", store)}
        askers = {
            name: subprocess.Popen(
                [*_cmd(work, "rounds", args, size), *extra],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
                cwd=ROOT,
            )
            for name, extra in (("local", []), ("milvus", ["--milvus", store]))
        }

        served = psutil.Process(server.process.pid)
        server_rss = []
        times: dict[str, list[float]] = {"local": [], "milvus": []}
        cpu: dict[str, list[float]] = {"local": [], "milvus": []}
        per_round = []
        # seconds of server CPU during each asker's rounds (the local's: its background work)
        server_cpu = {"local": 0.0, "milvus": 0.0}

        def reply(name: str) -> dict[str, Any]:
            line = askers[name].stdout.readline()  # type: ignore[union-attr]
            if not line:
                raise SystemExit(f"query: the {name} asker exited ({askers[name].wait()})")
            return dict(json.loads(line))

        try:
            for name in askers:
                reply(name)  # both warmed up before the first round
            for r in range(args.rounds):
                p50s = {}
                for name in ("local", "milvus") if r % 2 == 0 else ("milvus", "local"):
                    askers[name].stdin.write("round\n")  # type: ignore[union-attr]
                    askers[name].stdin.flush()  # type: ignore[union-attr]
                    c0 = sum(served.cpu_times()[:2])
                    got = reply(name)
                    server_cpu[name] += sum(served.cpu_times()[:2]) - c0
                    times[name] += got["ms"]
                    cpu[name] += got["cpu_ms"]
                    p50s[name] = percentiles(got["ms"], 50)[0]
                per_round.append(round(p50s["milvus"] / p50s["local"], 3))
                procs = [served, *served.children(recursive=True)]
                server_rss.append(sum(p.memory_info().rss for p in procs) / 2**20)
            for name in askers:
                askers[name].stdin.write("end\n")  # type: ignore[union-attr]
                askers[name].stdin.flush()  # type: ignore[union-attr]
                out[name] = reply(name)
                askers[name].wait()
                p50, p95 = percentiles(times[name], 50, 95)
                out[name].update(p50_ms=p50, p95_ms=p95, cpu_p50_ms=percentiles(cpu[name], 50)[0])
        finally:
            for asker in askers.values():
                if asker.poll() is None:  # the parent failed: stop its own askers
                    asker.kill()
        status = Path(f"/proc/{server.process.pid}/status").read_text()
        peak_kb = next(int(x.split()[1]) for x in status.splitlines() if x.startswith("VmHWM"))
    return {
        **out,
        "rounds": args.rounds,
        "asks_each": len(times["local"]),
        "p50_ratio": round(out["milvus"]["p50_ms"] / out["local"]["p50_ms"], 3),
        "p95_ratio": round(out["milvus"]["p95_ms"] / out["local"]["p95_ms"], 3),
        "p50_ratio_by_round": per_round,
        "server_cpu_ms_per_ask": round(server_cpu["milvus"] * 1000 / len(times["milvus"]), 2),
        "server_cpu_ms_idle": round(server_cpu["local"] * 1000 / len(times["local"]), 2),
        "server_rss_mb": round(max(server_rss), 1),  # sampled after each round
        # VmHWM: the migration included
        "server_peak_rss_mb": round(max(peak_kb / 1024, *server_rss), 1),
    }


def first_answer(work: Path, runs: int = 3) -> dict[str, Any]:
    """Seconds from starting ``newsbot ask`` to its exit with the answer, on ``samples/``."""
    data = work / "samples-index"
    newsbot = [str(Path(sys.executable).with_name("newsbot")), "--data", str(data)]
    subprocess.run([*newsbot, "ingest", str(SAMPLES)], check=True, capture_output=True)
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        done = subprocess.run(
            [*newsbot, "ask", FIRST_QUESTION], check=True, capture_output=True, text=True
        )
        times.append(time.perf_counter() - t0)
        assert "harbour" in done.stdout.lower(), done.stdout
    return {"runs_s": [round(t, 2) for t in times], "median_s": round(float(np.median(times)), 2)}


def _step(args: argparse.Namespace) -> int:
    """Run one measurement in this process and print its JSON."""
    questions = _questions(args.questions, args.seed)
    if args.step == "pool":
        result: dict[str, Any] = {}
        make_pool(args.work)
    elif args.step == "build":
        result = build(args.work, args.size, args.seed)
    elif args.step == "recall":
        result = recall(args.work, args.size, questions[: args.recall_questions])
    elif args.step == "serve":
        result = serve(args.work, args.size, questions)
    elif args.step == "migrate":
        result = migrate(args.work, args.size, args.milvus)
    elif args.step == "rounds":
        result = rounds(args.work, args.size, questions, args.milvus)
    else:
        result = recipe(args.work, args.size, questions)
    print(json.dumps(result))
    return 0


def _cmd(work: Path, step: str, args: argparse.Namespace, size: int) -> list[str]:
    cmd = [sys.executable, __file__, "--step", step, "--work", str(work), "--size", str(size)]
    cmd += ["--questions", str(args.questions), "--seed", str(args.seed)]
    return [*cmd, "--recall-questions", str(args.recall_questions)]


def _run(
    work: Path, step: str, args: argparse.Namespace, size: int = 0, *extra: str
) -> dict[str, Any]:
    say(f"{step} {size or ''}")
    cmd = [*_cmd(work, step, args, size), *extra]
    done = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True, cwd=ROOT)
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


MILVUS_COLUMNS = [
    ("passages", "passages"),
    ("p50", "local p50 ms"),
    ("p95", "local p95 ms"),
    ("rss", "local RSS MB"),
    ("m_p50", "milvus p50 ms"),
    ("m_p95", "milvus p95 ms"),
    ("m_rss", "milvus client RSS MB"),
    ("s_cpu", "server CPU ms/ask"),
    ("s_rss", "server RSS MB"),
    ("s_peak", "server peak MB"),
    ("ratio", "milvus/local p50"),
    ("ratio95", "milvus/local p95"),
]


def _milvus_row(r: dict[str, Any]) -> dict[str, Any]:
    m = r["milvus"]
    return {
        "passages": r["passages"],
        "p50": m["local"]["p50_ms"],
        "p95": m["local"]["p95_ms"],
        "rss": m["local"]["peak_rss_mb"],
        "m_p50": m["milvus"]["p50_ms"],
        "m_p95": m["milvus"]["p95_ms"],
        "m_rss": m["milvus"]["peak_rss_mb"],
        "s_cpu": m["server_cpu_ms_per_ask"],
        "s_rss": m["server_rss_mb"],
        "s_peak": m["server_peak_rss_mb"],
        "ratio": m["p50_ratio"],
        "ratio95": m["p95_ratio"],
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes", default=",".join(map(str, SIZES)), help="passages, comma-separated"
    )
    parser.add_argument("--questions", type=int, default=200, help="squad-dev questions asked")
    parser.add_argument("--recall-questions", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--work", type=Path, help="keep the indexes here (default: a temp dir)")
    parser.add_argument("--no-recipe", action="store_true", help="skip LangChain")
    parser.add_argument(
        "--store",
        choices=("local", "milvus"),
        default="local",
        help="milvus: also the index migrated to a milvus-lite server on this machine, asked "
        "in alternating rounds with the local one (default out: query-milvus.json)",
    )
    parser.add_argument("--rounds", type=int, default=3, help="--store milvus: rounds of asks")
    parser.add_argument("--out", type=Path, help=f"default {OUT}")
    parser.add_argument(
        "--step", choices=("pool", "build", "recall", "serve", "recipe", "migrate", "rounds")
    )
    parser.add_argument("--size", type=int, default=0)
    parser.add_argument("--milvus", help="(--step) the NEWSBOT_STORE of the Milvus copy")
    args = parser.parse_args(argv)
    offline()
    if args.step:
        return _step(args)
    started = time.time()
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    with contextlib.ExitStack() as stack:
        work = args.work or Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="nb-q-")))
        work.mkdir(parents=True, exist_ok=True)
        if not (work / "pool.npy").is_file():
            _run(work, "pool", args)
        rows = []
        for size in sizes:
            built = _run(work, "build", args, size)
            row: dict[str, Any] = {"passages": size, "index": built["vectors"]["type"]}
            row["build"] = built
            row.update(_run(work, "recall", args, size))
            row["newsbot"] = _run(work, "serve", args, size)
            if not args.no_recipe:
                row["langchain"] = _run(work, "recipe", args, size)
            if args.store == "milvus":
                say(f"local and milvus {size}")
                row["milvus"] = against_milvus(work, size, args)
            rows.append(row)
            if args.work is None:  # 1M passages take 6 GB of disk
                shutil.rmtree(work / f"index-{size}")
                shutil.rmtree(work / f"index-{size}-milvus", ignore_errors=True)
                shutil.rmtree(work / f"milvus-{size}", ignore_errors=True)
                (work / f"vectors-{size}.npy").unlink()
        say("first answer")
        start = first_answer(work)
    flat = [
        {
            "passages": r["passages"],
            "index": r["index"],
            "p50": r["newsbot"]["p50_ms"],
            "p95": r["newsbot"]["p95_ms"],
            "cpu": r["newsbot"]["cpu_p50_ms"],
            "rss": r["newsbot"]["peak_rss_mb"],
            "lc_p50": r.get("langchain", {}).get("p50_ms"),
            "lc_p95": r.get("langchain", {}).get("p95_ms"),
            "lc_cpu": r.get("langchain", {}).get("cpu_p50_ms"),
            "lc_rss": r.get("langchain", {}).get("peak_rss_mb"),
            "r10": r["recall_at_10"],
            "r50": r["recall_at_50"],
        }
        for r in rows
    ]
    columns = [
        ("passages", "passages"),
        ("index", "index"),
        ("p50", "ask p50 ms"),
        ("p95", "ask p95 ms"),
        ("cpu", "ask CPU p50 ms"),
        ("rss", "peak RSS MB"),
        ("lc_p50", "LangChain p50 ms"),
        ("lc_p95", "LangChain p95 ms"),
        ("lc_cpu", "LangChain CPU p50 ms"),
        ("lc_rss", "LangChain RSS MB"),
        ("r10", "recall@10"),
        ("r50", "recall@50"),
    ]
    print(table(columns, flat))
    print()
    stage_rows = [
        {
            "stage": label,
            **{str(r["passages"]): r["newsbot"]["profile_ms_per_ask"][label] for r in rows},
        }
        for label, _ in STAGES
    ]
    print("where ask's time goes (cProfile, ms per ask, cumulative; profiling adds overhead)")
    print(
        table(
            [("stage", "stage")] + [(str(r["passages"]), f"{r['passages']:,}") for r in rows],
            stage_rows,
        )
    )
    if args.store == "milvus":
        print()
        print("local store against milvus-lite on this machine (alternating rounds, each asker")
        print("its own process; RSS: the asking process's peak, the server's after each round)")
        print(table(MILVUS_COLUMNS, [_milvus_row(r) for r in rows]))
    print()
    print(f"start to first answer (newsbot ask on samples/): {start['runs_s']} s")
    write(
        args.out or (OUT_MILVUS if args.store == "milvus" else OUT),
        {
            "meta": meta(
                "bench/query.py",
                argv,
                started,
                questions=args.questions,
                seed=args.seed,
                store=args.store,
                notes=(
                    "synthetic passages from squad-dev and samples/ sentences (see the "
                    "script's docstring); each measurement in a fresh process; shared 2-core "
                    "machine: compare newsbot and LangChain within this run"
                ),
            ),
            "results": rows,
            "first_answer": start,
        },
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
