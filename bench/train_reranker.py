"""Train the learned re-ranker (index/ask/reranker.json) on squad-dev, cross-validated by article.

Both models are gradient-boosted trees (LightGBM, in the [dev] and [bench] extras), stored as plain
arrays that ``index/ask/trees.py`` scores without LightGBM. For every question the candidate pool
is scored twice: with the whole corpus (the passage holding the answer is a positive, the rest
negatives) and as if the question's own article were removed (all negatives; BM25 and the term
weights rebuilt without it, as a real removal would), so the passage model's
log-odds also tell whether anything answers the question at all; the ``found`` threshold is the
one that keeps 97% of answerable questions found in cross-validation. Cross-validation holds out
whole articles, so the reported figures are for unseen articles.

The pools are what ``ask`` sees: the stages of ``index/ask/pipeline.py`` (retrieve, the candidate
passages, their sentences, the re-ranker's features), called one by one.

    python bench/train_reranker.py [--limit N] [--data DIR] [--write]
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


def _contains(answers: list[str], text: str) -> bool:
    hay = f" {normalise_answer(text)} "
    return any(f" {normalise_answer(a)} " in hay for a in answers)


Pool = tuple[list[Passage], list[Sentences]]  # a question's candidate passages, their sentences


def collect(
    snap: Snapshot, embedder: Embedder, tuning: pipeline.Tuning, questions: list[Any], con: Any
) -> tuple[tuple[np.ndarray, ...], list[Query], list[Pool]]:
    """Feature rows, labels, question numbers, article groups and the setting (0 full, 1 held
    out); each question's query; and its full-setting pool."""
    catalog = Catalog(con)
    ids_by_article: dict[str, list[int]] = {}
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
    for n, (q, vec) in enumerate(zip(questions, vectors, strict=True)):
        query = Query.build(q.question, vec, snap.lexical)
        queries.append(query)
        own = np.array(ids_by_article.get(q.article_id, []), dtype=np.int64)
        view, lexical = without(q.article_id, own)
        held_query = Query.build(q.question, vec, lexical)
        for held_out, here, asked, allowed in (
            (0, snap, query, None),
            (1, view, held_query, np.setdiff1d(all_ids, own)),
        ):
            cands = retrieve(
                here, asked.vector, asked.tokens, n=tuning.candidates, allowed=allowed,
                lexical_weight=tuning.lexical_weight,
            )[: tuning.pool]  # fmt: skip
            passages = catalog.passages([c.passage_id for c in cands])
            sentences = passage_sentences(catalog, passages, asked.vector, embedder)
            x = passage_features(asked, cands, passages, sentences)
            if not held_out:
                pools.append((passages, sentences))
            xs.append(x)
            ys += [_contains(list(q.answers), p.text) for p in passages]
            qn += [n] * len(cands)
            groups += [q.article_id] * len(cands)
            setting += [held_out] * len(cands)
    arrays = (
        np.vstack(xs),
        np.array(ys),
        np.array(qn),
        np.array(groups),
        np.array(setting),
    )
    return arrays, queries, pools


def _per_question(
    scores: np.ndarray, y: np.ndarray, qn: np.ndarray, setting: np.ndarray
) -> dict[str, float]:
    """Top-1 hit rate (full corpus) and the found threshold's trade-off."""
    top_hit, top_full, top_held = [], [], []
    for n in np.unique(qn):
        for held in (0, 1):
            m = (qn == n) & (setting == held)
            if not m.any():
                continue
            i = int(np.argmax(scores[m]))
            if held:
                top_held.append(scores[m][i])
            else:
                top_hit.append(bool(y[m][i]))
                top_full.append(scores[m][i])
    full, held_arr = np.array(top_full), np.array(top_held)
    threshold = float(np.quantile(full, 1 - FOUND_KEEPS))
    return {
        "passage_at_1": round(float(np.mean(top_hit)), 4),
        "found_threshold": round(threshold, 4),
        "unanswerable_found": round(float(np.mean(held_arr >= threshold)), 4),
    }


def _top_hit(scores: np.ndarray, y: np.ndarray, qn: np.ndarray) -> float:
    hits = [bool(y[qn == n][int(np.argmax(scores[qn == n]))]) for n in np.unique(qn)]
    return round(float(np.mean(hits)), 4)


def _fit(x: np.ndarray, y: np.ndarray) -> Any:
    import lightgbm

    return lightgbm.train(PARAMS, lightgbm.Dataset(x, y.astype(float)), num_boost_round=ROUNDS)


def _logistic(x: np.ndarray, y: np.ndarray) -> Any:
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=1.0, max_iter=3000).fit(x, y)


def _cross_validated(x: np.ndarray, y: np.ndarray, groups: np.ndarray, fit: Any) -> np.ndarray:
    """Out-of-fold log-odds, folds grouped by article."""
    from sklearn.model_selection import GroupKFold

    out = np.zeros(len(y))
    for train, test in GroupKFold(n_splits=5).split(x, y, groups):
        model = fit(x[train], y[train])
        if hasattr(model, "decision_function"):
            out[test] = model.decision_function(x[test])
        else:
            out[test] = model.predict(x[test], raw_score=True)
    return out


def sentence_rows(
    questions: list[Any],
    queries: list[Query],
    pools: list[Pool],
    relevance: list[np.ndarray],
    top: int = 5,
) -> tuple[np.ndarray, ...]:
    """Sentences of each question's best ``top`` passages (by cross-validated relevance)."""
    xs, ys, sq, groups = [], [], [], []
    for n, (q, query, (passages, sentences), rel) in enumerate(
        zip(questions, queries, pools, relevance, strict=True)
    ):
        order = np.argsort(-rel)[:top]
        hits = [
            Hit(float(rel[i]), passages[i], sentences[i].spans, sentences[i].sims) for i in order
        ]
        x, texts = sentence_matrix(hits, query)
        xs.append(x)
        ys += [_contains(list(q.answers), t) for t in texts]
        sq += [n] * len(texts)
        groups += [q.article_id] * len(texts)
    return np.vstack(xs), np.array(ys), np.array(sq), np.array(groups)


def end_to_end_cv(
    snap: Snapshot,
    embedder: Embedder,
    tuning: pipeline.Tuning,
    questions: list[Any],
    passages: tuple[np.ndarray, ...],
    sentences: tuple[np.ndarray, np.ndarray, np.ndarray],
    cv: np.ndarray,
) -> dict[str, float]:
    """``ask`` as shipped, each fold's questions answered by models fitted on the other folds
    (the found threshold too, from the other folds' out-of-fold scores): the figures to expect
    on articles the models have never seen. ``unanswerable_found``: the share of the fold's
    questions still found with their own article removed (its left-out pools, which score as
    a real removal does), at the same threshold."""
    from sklearn.model_selection import GroupKFold

    x, y, qn, groups, setting = passages
    sx, sy, sgroups = sentences
    totals: dict[str, float] = {}
    still_found = asked = 0
    for train_rows, test_rows in GroupKFold(n_splits=5).split(x, y, groups):
        held = set(groups[test_rows].tolist())
        seen = ~np.isin(sgroups, list(held))
        threshold = _per_question(
            cv[train_rows], y[train_rows], qn[train_rows], setting[train_rows]
        )["found_threshold"]
        passage = Trees.from_lightgbm(_fit(x[train_rows], y[train_rows]).dump_model())
        reranker = Reranker(
            passage, Trees.from_lightgbm(_fit(sx[seen], sy[seen]).dump_model()), threshold
        )

        def ask(question: str, k: int, reranker: Reranker = reranker) -> Any:
            """``NewsIndex.ask`` with this fold's models: the same pipeline, the same knobs."""
            return pipeline.ask(snap, embedder, reranker, tuning, question, k)

        fold = [q for q in questions if q.article_id in held]
        result = evaluate(ask, fold).as_dict()
        left_out = test_rows[setting[test_rows] == 1]
        scores, numbers = passage.score(x[left_out]), qn[left_out]
        tops = [scores[numbers == n].max() for n in np.unique(numbers)]
        still_found += sum(top >= threshold for top in tops)
        asked += len(tops)
        for key in ("at_1", "at_k", "highlight_at_1", "mean_chars_k", "found"):
            totals[key] = totals.get(key, 0.0) + result[key] * len(fold)
    report = {key: round(value / len(questions), 4) for key, value in totals.items()}
    report["unanswerable_found"] = round(still_found / max(1, asked), 4)
    return report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--limit", type=int, default=0, help="random questions (default all)")
    parser.add_argument("--data", help="an index of squad-dev articles (built if missing)")
    parser.add_argument("--write", action="store_true", help=f"write {WEIGHTS_FILE.name}")
    parser.add_argument(
        "--end-to-end",
        action="store_true",
        help="also measure ask end to end with models fitted without each question's article",
    )
    args = parser.parse_args()

    questions = load_questions(SQUAD / "questions.jsonl")
    random.Random(0).shuffle(questions)
    if args.limit:
        questions = questions[: args.limit]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(args.data or tmp)
        # the embedder NewsIndex.open would load (the index's model and encoder), shared with it
        store = Store(path)
        built = store.load()
        manifest = built.manifest if built else {}
        embedder = load_embedder(
            manifest.get("model") or DEFAULT_MODEL,
            manifest.get("encoder", "torch" if built else None),
            cache=path,
        )
        idx = NewsIndex.open(path, embedder=embedder)
        if idx.stats().articles == 0:
            idx.ingest([SQUAD / "articles.jsonl"], source="squad")
        snap = store.load()
        assert snap is not None
        return train(
            snap, embedder, idx.tuning, questions, write=args.write, end_to_end=args.end_to_end
        )


def train(
    snap: Snapshot,
    embedder: Embedder,
    tuning: pipeline.Tuning,
    questions: list[Any],
    *,
    write: bool,
    end_to_end: bool,
) -> int:
    """Collect, cross-validate, fit on everything, report, and maybe write the models."""
    t0 = time.perf_counter()
    with contextlib.closing(snap.connect()) as con:
        (x, y, qn, groups, setting), queries, pools = collect(
            snap, embedder, tuning, questions, con
        )
    print(f"{len(questions)} questions, {len(y)} candidates, {time.perf_counter() - t0:.0f} s")

    former = [FEATURES.index(f) for f in FORMER_FEATURES]
    fused = x[:, FEATURES.index("dense")] + 0.35 * x[:, FEATURES.index("bm25_rel")]
    cv = _cross_validated(x, y, groups, _fit)
    report: dict[str, Any] = {
        "questions": len(questions),
        "encoder": f"{snap.manifest['model']} ({snap.manifest.get('encoder')})",
        "passage": {
            "fused_score": _per_question(fused, y, qn, setting),
            "logistic_former_features": _per_question(
                _cross_validated(x[:, former], y, groups, _logistic), y, qn, setting
            ),
            "trees_former_features": _per_question(
                _cross_validated(x[:, former], y, groups, _fit), y, qn, setting
            ),
            "trees": _per_question(cv, y, qn, setting),
        },
    }
    relevance = [cv[(qn == n) & (setting == 0)] for n in range(len(questions))]
    sx, sy, sq, sgroups = sentence_rows(questions, queries, pools, relevance)
    report["sentence_at_1"] = {
        "logistic": _top_hit(_cross_validated(sx, sy, sgroups, _logistic), sy, sq),
        "trees": _top_hit(_cross_validated(sx, sy, sgroups, _fit), sy, sq),
    }
    if end_to_end:
        report["end_to_end_cv"] = end_to_end_cv(
            snap, embedder, tuning, questions, (x, y, qn, groups, setting), (sx, sy, sgroups), cv
        )
    weights = {
        "passage": {
            "features": list(FEATURES),
            "trees": Trees.from_lightgbm(_fit(x, y).dump_model()).to_dict(),
        },
        "sentence": {
            "features": list(SENTENCE_FEATURES),
            "trees": Trees.from_lightgbm(_fit(sx, sy).dump_model()).to_dict(),
        },
        "found_threshold": report["passage"]["trees"]["found_threshold"],
        "trained_on": "squad-dev (half of SQuAD v1.1 dev, CC BY-SA 4.0), bench/train_reranker.py",
        "cross_validation": report,
    }
    print(json.dumps(report, indent=2))
    if write:
        WEIGHTS_FILE.write_text(json.dumps(weights, separators=(",", ":")) + "\n")
        print(f"wrote {WEIGHTS_FILE}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
