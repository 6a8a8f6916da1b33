"""Train the learned re-ranker (index/ask/reranker.json) on squad-dev and news-quiz-dev,
cross-validated by article (squad) and by quiz week (news).

Both models are gradient-boosted trees (LightGBM, in the [dev] and [bench] extras), stored as plain
arrays that ``index/ask/trees.py`` scores without LightGBM. Each set is asked of its own index
(the same model): squad-dev's articles (``--data``) and news-quiz-dev's 7,479 news pages
(``--news``), each built if missing (the news pages take about 50 minutes). For every question
the candidate pool is scored with the whole corpus (the passages holding the answer are
positives, the rest negatives); for a squad-dev question also as if its own article were removed
(all negatives; BM25 and the term weights rebuilt without it, as a real removal would), so the
passage model's log-odds also tell whether anything answers the question at all. (News questions
get no such pools: rebuilding BM25 for each of a thousand pages would take hours.) The ``found``
threshold is the one that keeps 97% of the answerable questions of both sets found in
cross-validation; ``unanswerable_found`` is measured on squad-dev's removed-article pools.

Cross-validation (5 folds) holds out whole groups: a squad-dev article ("squad:<article>") or a
news-quiz week ("news:<quiz date>", every question of that week), so the figures, reported per
set, are for unseen articles and unseen weeks (the news pages are one corpus: a page may still be
a candidate of questions in other weeks). ``--squad-only`` trains on squad-dev alone, as before
news-quiz-dev was added; given ``--news`` too, it also measures the models fitted on all of
squad-dev on news-quiz-dev, which they never saw (``not_trained_on``).

The pools are what ``ask`` sees: the stages of ``index/ask/pipeline.py`` (retrieve, the candidate
passages, their sentences, the re-ranker's features), called one by one.

    python bench/train_reranker.py [--limit N] [--data DIR] [--news DIR] [--news-limit N]
                                   [--squad-only] [--end-to-end] [--write]
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import random
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from index import DEFAULT_MODEL, Embedder, NewsIndex, evaluate, load_questions  # noqa: E402
from index.ask import pipeline  # noqa: E402
from index.ask.features import FEATURES, SENTENCE_FEATURES  # noqa: E402
from index.ask.query import Query  # noqa: E402
from index.ask.rerank import (  # noqa: E402
    WEIGHTS_FILE,
    Hit,
    Reranker,
    passage_features,
    sentence_matrix,
)
from index.ask.retrieve import retrieve  # noqa: E402
from index.ask.sentences import Sentences, passage_sentences  # noqa: E402
from index.ask.trees import Trees  # noqa: E402
from index.embed import load_embedder  # noqa: E402
from index.evaluate import normalise_answer  # noqa: E402
from index.storage import Catalog, LexicalModel, Passage, Snapshot, Store, build_bm25  # noqa: E402

FORMER_FEATURES = FEATURES[:12]  # before sentence and article features (ablation)
FOUND_KEEPS = 0.97  # share of answerable questions the found threshold keeps
PARAMS = {
    "objective": "binary",
    "learning_rate": 0.03,
    "num_leaves": 15,
    "min_data_in_leaf": 50,
    "feature_fraction": 0.8,
    "bagging_fraction": 0.8,
    "bagging_freq": 1,
    "lambda_l2": 1.0,
    "deterministic": True,
    "seed": 0,
    "verbose": -1,
    "num_threads": 1,  # deterministic results need a fixed thread count
    "force_col_wise": True,
}
ROUNDS = 400
SQUAD = ROOT.parent / "shared" / "eval" / "squad-dev"
NEWS = ROOT.parent / "shared" / "eval" / "news-quiz-dev"
TRAINED_ON = {
    "squad": "squad-dev (half of SQuAD v1.1 dev, CC BY-SA 4.0)",
    "news": "news-quiz-dev (RealTime QA news-quiz questions of 2022-2023 and their pages)",
}


def _contains(answers: list[str], text: str) -> bool:
    hay = f" {normalise_answer(text)} "
    return any(f" {normalise_answer(a)} " in hay for a in answers)


Pool = tuple[list[Passage], list[Sentences]]  # a question's candidate passages, their sentences


@dataclasses.dataclass
class Dataset:
    """One question set and the index it is asked of."""

    name: str  # "squad" or "news": the prefix of its groups and its key in the report
    snap: Snapshot
    embedder: Embedder
    tuning: pipeline.Tuning
    questions: list[Any]
    groups: list[str]  # each question's cross-validation group: "squad:<article>", "news:<week>"
    held_out: bool  # also score each question's pool as if its own article were removed
    train: bool = True  # False: only measured, with the models trained on the other sets


def collect(
    data: Dataset, con: Any, first: int = 0
) -> tuple[tuple[np.ndarray, ...], list[Query], list[Pool]]:
    """Feature rows, labels, question numbers (from ``first``), groups and the setting (0 full,
    1 held out); each question's query; and its full-setting pool."""
    snap, embedder, tuning, questions = data.snap, data.embedder, data.tuning, data.questions
    catalog = Catalog(con)
    ids_by_article: dict[str, list[int]] = {}
    all_ids = np.zeros(0, dtype=np.int64)
    texts: dict[int, str] = {}
    if data.held_out:
        for pid, aid in con.execute("SELECT id, article_id FROM passages"):
            ids_by_article.setdefault(aid, []).append(pid)
        all_ids = np.array(sorted(p for v in ids_by_article.values() for p in v), dtype=np.int64)
        texts = dict(catalog.embedded_passages())  # headline, newline, passage: what BM25 indexes
    removed: dict[str, tuple[Any, LexicalModel]] = {}

    def without(article_id: str, own: np.ndarray) -> tuple[Any, LexicalModel]:
        """The index as if the article were removed: its BM25 and term weights without it."""
        if article_id not in removed:
            keep = np.setdiff1d(all_ids, own)
            bm25 = build_bm25([texts[int(p)] for p in keep])
            view = dataclasses.replace(snap, bm25=bm25, bm25_ids=keep)
            removed[article_id] = (view, LexicalModel.from_bm25(bm25))
        return removed[article_id]

    vectors = embedder.embed_queries([q.question for q in questions])
    xs, ys, qn, groups, setting = [], [], [], [], []
    queries, pools = [], []
    for n, (q, group, vec) in enumerate(zip(questions, data.groups, vectors, strict=True), first):
        query = Query.build(q.question, vec, snap.lexical)
        queries.append(query)
        settings: list[tuple[int, Any, Query, np.ndarray | None]] = [(0, snap, query, None)]
        if data.held_out:
            own = np.array(ids_by_article.get(q.article_id, []), dtype=np.int64)
            view, lexical = without(q.article_id, own)
            held_query = Query.build(q.question, vec, lexical)
            settings.append((1, view, held_query, np.setdiff1d(all_ids, own)))
        for held_out, here, asked, allowed in settings:
            cands = retrieve(
                here, asked.vector, asked.tokens, n=tuning.candidates, pool=tuning.pool,
                allowed=allowed, lexical_weight=tuning.lexical_weight,
                names=sorted(asked.names), rare=tuning.rare_name,
            )  # fmt: skip
            passages = catalog.passages([c.passage_id for c in cands])
            sentences = passage_sentences(catalog, passages, asked.vector, embedder)
            x = passage_features(asked, cands, passages, sentences)
            if not held_out:
                pools.append((passages, sentences))
            xs.append(x)
            ys += [_contains(list(q.answers), p.text) for p in passages]
            qn += [n] * len(cands)
            groups += [group] * len(cands)
            setting += [held_out] * len(cands)
    arrays = (
        np.vstack(xs),
        np.array(ys),
        np.array(qn),
        np.array(groups),
        np.array(setting),
    )
    return arrays, queries, pools


def _segments(keys: np.ndarray) -> Iterator[tuple[int, np.ndarray]]:
    """Each key's rows in their order, keys ascending (as ``keys == key`` would select them)."""
    order = np.argsort(keys, kind="stable")
    unique, starts = np.unique(keys[order], return_index=True)
    yield from zip(unique.tolist(), np.split(order, starts[1:]), strict=True)


def _by_set(values: dict[str, Any], names: list[str]) -> Any:
    """One set's figure as it is; several sets' as {name: figure}."""
    return values[names[0]] if len(names) == 1 else {n: values[n] for n in names}


def _per_question(
    scores: np.ndarray,
    y: np.ndarray,
    qn: np.ndarray,
    setting: np.ndarray,
    which: np.ndarray,
    names: list[str],
) -> dict[str, Any]:
    """Top-1 hit rate (full corpus) of each set (``which``: each question's set, an index into
    ``names``) and the found threshold's trade-off, over all sets."""
    top_hit: dict[str, list[bool]] = {n: [] for n in names}
    top_full, top_held = [], []
    for key, rows in _segments(qn * 2 + setting):
        i = rows[int(np.argmax(scores[rows]))]
        if key % 2:
            top_held.append(scores[i])
        else:
            top_hit[names[which[key // 2]]].append(bool(y[i]))
            top_full.append(scores[i])
    full, held_arr = np.array(top_full), np.array(top_held)
    threshold = float(np.quantile(full, 1 - FOUND_KEEPS))
    at_1 = {n: round(float(np.mean(hits)), 4) for n, hits in top_hit.items() if hits}
    return {
        "passage_at_1": _by_set(at_1, [n for n in names if n in at_1]),
        "found_threshold": round(threshold, 4),
        "unanswerable_found": round(float(np.mean(held_arr >= threshold)), 4),
    }


def _top_hit(
    scores: np.ndarray, y: np.ndarray, qn: np.ndarray, which: np.ndarray, names: list[str]
) -> Any:
    hits: dict[str, list[bool]] = {n: [] for n in names}
    for n, rows in _segments(qn):
        hits[names[which[n]]].append(bool(y[rows[int(np.argmax(scores[rows]))]]))
    rates = {n: round(float(np.mean(h)), 4) for n, h in hits.items() if h}
    return _by_set(rates, [n for n in names if n in rates])


# Weight of a news-quiz-dev row against a squad-dev row in training (--news-weight): news
# questions are about a tenth of the rows.
NEWS_WEIGHT = 1.0


def _weights(groups: np.ndarray) -> np.ndarray:
    return np.where(np.char.startswith(groups.astype(str), "news:"), NEWS_WEIGHT, 1.0)


def _fit(x: np.ndarray, y: np.ndarray, groups: np.ndarray) -> Any:
    import lightgbm

    data = lightgbm.Dataset(x, y.astype(float), weight=_weights(groups))
    return lightgbm.train(PARAMS, data, num_boost_round=ROUNDS)


def _logistic(x: np.ndarray, y: np.ndarray, groups: np.ndarray) -> Any:
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=1.0, max_iter=3000).fit(x, y, sample_weight=_weights(groups))


def _cross_validated(x: np.ndarray, y: np.ndarray, groups: np.ndarray, fit: Any) -> np.ndarray:
    """Out-of-fold log-odds, folds grouped by article (squad) or quiz week (news)."""
    from sklearn.model_selection import GroupKFold

    out = np.zeros(len(y))
    for train, test in GroupKFold(n_splits=5).split(x, y, groups):
        model = fit(x[train], y[train], groups[train])
        if hasattr(model, "decision_function"):
            out[test] = model.decision_function(x[test])
        else:
            out[test] = model.predict(x[test], raw_score=True)
    return out


def sentence_rows(
    questions: list[Any],
    question_groups: list[str],
    queries: list[Query],
    pools: list[Pool],
    relevance: list[np.ndarray],
    top: int = 5,
) -> tuple[np.ndarray, ...]:
    """Sentences of each question's best ``top`` passages (by cross-validated relevance)."""
    xs, ys, sq, groups = [], [], [], []
    for n, (q, group, query, (passages, sentences), rel) in enumerate(
        zip(questions, question_groups, queries, pools, relevance, strict=True)
    ):
        order = np.argsort(-rel)[:top]
        hits = [
            Hit(float(rel[i]), passages[i], sentences[i].spans, sentences[i].sims) for i in order
        ]
        x, texts = sentence_matrix(hits, query)
        xs.append(x)
        ys += [_contains(list(q.answers), t) for t in texts]
        sq += [n] * len(texts)
        groups += [group] * len(texts)
    return np.vstack(xs), np.array(ys), np.array(sq), np.array(groups)


def end_to_end_cv(
    datasets: list[Dataset],
    passages: tuple[np.ndarray, ...],
    sentences: tuple[np.ndarray, np.ndarray, np.ndarray],
    cv: np.ndarray,
    which: np.ndarray,
) -> dict[str, Any]:
    """``ask`` as shipped, each fold's questions answered (on their own set's index) by models
    fitted on the other folds (the found threshold too, from the other folds' out-of-fold
    scores): the figures to expect on articles and weeks the models have never seen.
    ``unanswerable_found`` (sets with held-out pools): the share of the fold's questions still
    found with their own article removed (its left-out pools, which score as a real removal
    does), at the same threshold."""
    from sklearn.model_selection import GroupKFold

    x, y, qn, groups, setting = passages
    sx, sy, sgroups = sentences
    names = [d.name for d in datasets]
    totals: dict[str, dict[str, float]] = {d.name: {} for d in datasets}
    still_found = asked = 0
    for train_rows, test_rows in GroupKFold(n_splits=5).split(x, y, groups):
        held = set(groups[test_rows].tolist())
        seen = ~np.isin(sgroups, list(held))
        threshold = _per_question(
            cv[train_rows], y[train_rows], qn[train_rows], setting[train_rows], which, names
        )["found_threshold"]
        passage = Trees.from_lightgbm(
            _fit(x[train_rows], y[train_rows], groups[train_rows]).dump_model()
        )
        reranker = Reranker(
            passage,
            Trees.from_lightgbm(_fit(sx[seen], sy[seen], sgroups[seen]).dump_model()),
            threshold,
        )
        for data in datasets:

            def ask(
                question: str, k: int, reranker: Reranker = reranker, data: Dataset = data
            ) -> Any:
                """``NewsIndex.ask`` with this fold's models: the same pipeline, the same knobs."""
                return pipeline.ask(data.snap, data.embedder, reranker, data.tuning, question, k)

            fold = [q for q, g in zip(data.questions, data.groups, strict=True) if g in held]
            if not fold:
                continue
            result = evaluate(ask, fold).as_dict()
            for key in ("at_1", "at_k", "highlight_at_1", "mean_chars_k", "found"):
                totals[data.name][key] = totals[data.name].get(key, 0.0) + result[key] * len(fold)
        left_out = test_rows[setting[test_rows] == 1]
        scores, numbers = passage.score(x[left_out]), qn[left_out]
        tops = [scores[numbers == n].max() for n in np.unique(numbers)]
        still_found += sum(top >= threshold for top in tops)
        asked += len(tops)
    reports = {}
    for data in datasets:
        count = len(data.questions)
        reports[data.name] = {k: round(v / count, 4) for k, v in totals[data.name].items()}
        if data.held_out:
            reports[data.name]["unanswerable_found"] = round(still_found / max(1, asked), 4)
    return _by_set(reports, names)


def open_dataset(path: Path, corpus: Path, source: str | None) -> tuple[Snapshot, Embedder, Any]:
    """The index in ``path`` (``corpus`` ingested when it is empty), the embedder NewsIndex.open
    would load (the index's model and encoder), and the index's tuning."""
    store = Store(path)
    built = store.load()
    manifest = built.manifest if built else {}
    embedder = load_embedder(
        manifest.get("model") or DEFAULT_MODEL,
        manifest.get("encoder", "torch" if built else None),
        cache=path,
    )
    idx = NewsIndex.open(path, embedder=embedder)
    tuning = idx.tuning
    if idx.stats().articles == 0:
        print(f"ingesting {corpus} into {path}", flush=True)
        idx.ingest([corpus], source=source)
    del idx, built
    snap = store.load()
    assert snap is not None
    return snap, embedder, tuning


def news_questions(snap: Snapshot, limit: int) -> tuple[list[Any], list[str]]:
    """news-quiz-dev's questions whose page is in the index, each with its quiz week's group."""
    path = NEWS / "questions.jsonl"
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    weeks = [json.loads(line)["date"] for line in lines]
    with contextlib.closing(snap.connect()) as con:
        pages = {row[0] for row in con.execute("SELECT id FROM articles")}
    asked = [
        (q, f"news:{week}")
        for q, week in zip(load_questions(path), weeks, strict=True)
        if q.article_id in pages
    ]
    random.Random(0).shuffle(asked)
    if limit:
        asked = asked[:limit]
    return [q for q, _ in asked], [g for _, g in asked]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--limit", type=int, default=0, help="random squad-dev questions")
    parser.add_argument("--data", help="an index of squad-dev articles (built if missing)")
    parser.add_argument(
        "--news", help="an index of news-quiz-dev's pages (built if missing: about 50 minutes)"
    )
    parser.add_argument("--news-limit", type=int, default=0, help="random news-quiz questions")
    parser.add_argument(
        "--squad-only",
        action="store_true",
        help="train on squad-dev alone (with --news: also measure news-quiz-dev, unseen)",
    )
    parser.add_argument(
        "--news-weight", type=float, default=1.0, help="weight of a news row against a squad row"
    )
    parser.add_argument("--pool", type=int, help="candidates re-ranked (default: the tuning's)")
    parser.add_argument("--write", action="store_true", help=f"write {WEIGHTS_FILE.name}")
    parser.add_argument(
        "--end-to-end",
        action="store_true",
        help="also measure ask end to end with models fitted without each question's group",
    )
    args = parser.parse_args()
    global NEWS_WEIGHT
    NEWS_WEIGHT = args.news_weight

    questions = load_questions(SQUAD / "questions.jsonl")
    random.Random(0).shuffle(questions)
    if args.limit:
        questions = questions[: args.limit]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(args.data or Path(tmp) / "squad")
        snap, embedder, tuning = open_dataset(path, SQUAD / "articles.jsonl", "squad")
        if args.pool:
            tuning = dataclasses.replace(tuning, pool=args.pool)
        groups = [f"squad:{q.article_id}" for q in questions]
        datasets = [Dataset("squad", snap, embedder, tuning, questions, groups, held_out=True)]
        if args.news or not args.squad_only:
            path = Path(args.news or Path(tmp) / "news")
            snap, embedder, tuning = open_dataset(path, NEWS / "articles", None)
            if args.pool:
                tuning = dataclasses.replace(tuning, pool=args.pool)
            if snap.manifest["model"] != datasets[0].snap.manifest["model"]:
                raise SystemExit("the squad-dev and news-quiz-dev indexes use different models")
            asked, groups = news_questions(snap, args.news_limit)
            news = Dataset("news", snap, embedder, tuning, asked, groups, held_out=False)
            datasets.append(dataclasses.replace(news, train=not args.squad_only))
        return train(datasets, write=args.write, end_to_end=args.end_to_end)


def not_trained_on(
    datasets: list[Dataset],
    rows: tuple[np.ndarray, ...],
    queries: list[Query],
    pools: list[Pool],
    which: np.ndarray,
    reranker: Reranker,
    end_to_end: bool,
) -> dict[str, Any]:
    """The figures, on sets the models were not trained on, of the models fitted on all the
    training sets (and their found threshold): every question is out of sample. ``which``: each
    question's set, an index into ``datasets``."""
    x, y, qn, setting = rows
    names = [d.name for d in datasets]
    first = int(qn.min())  # the number of these sets' first question
    full = setting == 0
    scores = reranker.passage.score(x)
    report: dict[str, Any] = {
        "passage_at_1": _top_hit(scores[full], y[full], qn[full], which, names)
    }
    questions = [q for d in datasets for q in d.questions]
    groups = [g for d in datasets for g in d.groups]
    relevance = [scores[(qn == n) & full] for n in range(first, first + len(questions))]
    sx, sy, sq, _ = sentence_rows(questions, groups, queries, pools, relevance)
    report["sentence_at_1"] = _top_hit(reranker.sentence.score(sx), sy, sq, which[first:], names)
    if end_to_end:
        figures = {}
        for data in datasets:

            def ask(question: str, k: int, data: Dataset = data) -> Any:
                """``NewsIndex.ask`` with these models: the same pipeline, the same knobs."""
                return pipeline.ask(data.snap, data.embedder, reranker, data.tuning, question, k)

            result = evaluate(ask, data.questions).as_dict()
            figures[data.name] = {
                key: round(result[key], 4)
                for key in ("at_1", "at_k", "highlight_at_1", "mean_chars_k", "found")
            }
        report["end_to_end"] = _by_set(figures, names)
    return report


def train(datasets: list[Dataset], *, write: bool, end_to_end: bool) -> int:
    """Collect, cross-validate, fit on everything, report, and maybe write the models. Sets not
    ``train``ed on (after those that are) are only measured, with the models fitted on all."""
    trained = [d for d in datasets if d.train]
    assert trained and datasets[: len(trained)] == trained, "training sets come first"
    names = [d.name for d in trained]
    parts, queries, pools, which = [], [], [], []
    for number, data in enumerate(datasets):
        t0 = time.perf_counter()
        with contextlib.closing(data.snap.connect()) as con:
            arrays, asked, pooled = collect(data, con, first=len(queries))
        parts.append(arrays)
        queries += asked
        pools += pooled
        which += [number] * len(data.questions)
        print(
            f"{data.name}: {len(data.questions)} questions, {len(arrays[1])} candidates, "
            f"{time.perf_counter() - t0:.0f} s",
            flush=True,
        )
    x, y, qn, groups, setting = (np.concatenate(column) for column in zip(*parts, strict=True))
    del parts
    which_arr = np.array(which)
    # the training sets' questions and rows come first; the others' are kept aside
    asked = sum(len(d.questions) for d in trained)
    split = int(np.searchsorted(qn, asked))
    unseen = (x[split:], y[split:], qn[split:], setting[split:])
    unseen_pools, unseen_queries = pools[asked:], queries[asked:]
    x, y, qn, groups, setting = x[:split], y[:split], qn[:split], groups[:split], setting[:split]
    questions = [q for d in trained for q in d.questions]
    question_groups = [g for d in trained for g in d.groups]
    queries, pools = queries[:asked], pools[:asked]

    def per_question(scores: np.ndarray) -> dict[str, Any]:
        return _per_question(scores, y, qn, setting, which_arr, names)

    former = [FEATURES.index(f) for f in FORMER_FEATURES]
    fused = x[:, FEATURES.index("dense")] + 0.35 * x[:, FEATURES.index("bm25_rel")]
    cv = _cross_validated(x, y, groups, _fit)
    report: dict[str, Any] = {
        "questions": _by_set({d.name: len(d.questions) for d in trained}, names),
        "encoder": _by_set(
            {
                d.name: f"{d.snap.manifest['model']} ({d.snap.manifest.get('encoder')})"
                for d in trained
            },
            names,
        ),
        "passage": {
            "fused_score": per_question(fused),
            "logistic_former_features": per_question(
                _cross_validated(x[:, former], y, groups, _logistic)
            ),
            "trees_former_features": per_question(_cross_validated(x[:, former], y, groups, _fit)),
            "trees": per_question(cv),
        },
    }
    relevance = [cv[(qn == n) & (setting == 0)] for n in range(len(questions))]
    sx, sy, sq, sgroups = sentence_rows(questions, question_groups, queries, pools, relevance)
    del pools
    report["sentence_at_1"] = {
        "logistic": _top_hit(
            _cross_validated(sx, sy, sgroups, _logistic), sy, sq, which_arr, names
        ),
        "trees": _top_hit(_cross_validated(sx, sy, sgroups, _fit), sy, sq, which_arr, names),
    }
    if end_to_end:
        t0 = time.perf_counter()
        report["end_to_end_cv"] = end_to_end_cv(
            trained, (x, y, qn, groups, setting), (sx, sy, sgroups), cv, which_arr
        )
        print(f"end to end: {time.perf_counter() - t0:.0f} s", flush=True)
    passage = Trees.from_lightgbm(_fit(x, y, groups).dump_model())
    sentence = Trees.from_lightgbm(_fit(sx, sy, sgroups).dump_model())
    threshold = report["passage"]["trees"]["found_threshold"]
    if len(trained) < len(datasets):
        others = datasets[len(trained) :]
        measured = not_trained_on(
            others, unseen, unseen_queries, unseen_pools, which_arr - len(trained),
            Reranker(passage, sentence, threshold), end_to_end,
        )  # fmt: skip
        report["not_trained_on"] = {"+".join(d.name for d in others): measured}
    weights = {
        "passage": {"features": list(FEATURES), "trees": passage.to_dict()},
        "sentence": {"features": list(SENTENCE_FEATURES), "trees": sentence.to_dict()},
        "found_threshold": threshold,
        "trained_on": " and ".join(TRAINED_ON[n] for n in names) + ", bench/train_reranker.py",
        "cross_validation": report,
    }
    print(json.dumps(report, indent=2))
    if write:
        WEIGHTS_FILE.write_text(json.dumps(weights, separators=(",", ":")) + "\n")
        print(f"wrote {WEIGHTS_FILE}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
