"""Train the learned re-ranker (index/reranker.json) on squad-dev, with cross-validation by article.

For every question the candidate pool is scored twice: with the whole corpus (the passage holding
the answer is a positive, the rest negatives) and with the question's own article left out (all
negatives), so the model's log-odds also tell whether anything answers the question at all.
Cross-validation holds out whole articles, so the reported figures are for unseen articles.

    python bench/train_reranker.py [--limit N] [--data DIR] [--write]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import random
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from index import NewsIndex, load_questions  # noqa: E402
from index.evaluate import normalise_answer  # noqa: E402
from index.library import _sentences_in  # noqa: E402
from index.rerank import (  # noqa: E402
    FEATURES,
    SENTENCE_FEATURES,
    WEIGHTS_FILE,
    Query,
    features,
    sentence_features,
)

SQUAD = ROOT.parent / "shared" / "eval" / "squad-dev"


def _contains(answers: list[str], text: str) -> bool:
    hay = f" {normalise_answer(text)} "
    return any(f" {normalise_answer(a)} " in hay for a in answers)


def collect(
    idx: NewsIndex, questions: list, snap, con, queries: list, pools: list
) -> tuple[np.ndarray, ...]:  # type: ignore[no-untyped-def]
    """Feature rows, labels, question numbers, article groups and the setting (0 full, 1 held out).

    Fills ``queries`` and ``pools`` (the candidate rows of each question, full setting)."""
    ids_by_article: dict[str, list[int]] = {}
    for pid, aid in con.execute("SELECT id, article_id FROM passages"):
        ids_by_article.setdefault(aid, []).append(pid)
    all_ids = np.array(sorted(p for v in ids_by_article.values() for p in v), dtype=np.int64)
    vectors = idx._embedder.embed_queries([q.question for q in questions])
    xs, ys, qn, groups, setting = [], [], [], [], []
    for n, (q, vec) in enumerate(zip(questions, vectors, strict=True)):
        query = Query.build(q.question, vec, idx._lexical)
        queries.append(query)
        own = np.array(ids_by_article.get(q.article_id, []), dtype=np.int64)
        for held_out, allowed in ((0, None), (1, np.setdiff1d(all_ids, own))):
            cands, rows = idx._candidates(snap, con, query, allowed)
            if not held_out:
                pools.append(rows)
            bodies = [r["text"][r["start"] : r["end"]] for r in rows]
            xs.append(features(query, cands, bodies, [r["title"] for r in rows]))
            ys += [_contains(list(q.answers), b) for b in bodies]
            qn += [n] * len(cands)
            groups += [q.article_id] * len(cands)
            setting += [held_out] * len(cands)
    return np.vstack(xs), np.array(ys), np.array(qn), np.array(groups), np.array(setting)


def _per_question(
    scores: np.ndarray, y: np.ndarray, qn: np.ndarray, setting: np.ndarray
) -> dict[str, float]:
    """Top-1 hit rate (full corpus) and the best found-threshold trade-off."""
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
    # the threshold that keeps answerable questions found >= 97%
    threshold = float(np.quantile(full, 0.03))
    return {
        "passage_at_1": float(np.mean(top_hit)),
        "threshold_97": threshold,
        "unanswerable_found_at_threshold": float(np.mean(held_arr >= threshold)),
    }


def _linear(model, names: tuple[str, ...]) -> dict:  # type: ignore[no-untyped-def]
    return {
        "features": list(names),
        "weights": [round(float(w), 5) for w in model.coef_[0]],
        "bias": round(float(model.intercept_[0]), 5),
    }


def _top_hit(scores: np.ndarray, y: np.ndarray, qn: np.ndarray) -> float:
    hits = [bool(y[qn == n][int(np.argmax(scores[qn == n]))]) for n in np.unique(qn)]
    return float(np.mean(hits))


def sentence_rows(idx, questions, queries, pools, cv, qn, setting, top: int = 5):  # type: ignore[no-untyped-def]
    """Sentences of each question's best ``top`` passages (by cross-validated relevance)."""
    chosen = []
    for n, rows in enumerate(pools):
        rel = cv[(qn == n) & (setting == 0)]
        order = np.argsort(-rel)[:top]
        chosen.append([(float(rel[i]), rows[i]) for i in order])
    texts = sorted(
        {
            row["text"][a:b]
            for picks in chosen
            for _, row in picks
            for a, b in _sentences_in(row["text"], row["start"], row["end"])
        }
    )
    vectors = dict(zip(texts, idx._embedder.embed_documents(texts), strict=True))
    xs, ys, sq, groups = [], [], [], []
    for n, (q, query, picks) in enumerate(zip(questions, queries, chosen, strict=True)):
        rel, sent_texts, positions = [], [], []
        for relevance, row in picks:
            for i, (a, b) in enumerate(_sentences_in(row["text"], row["start"], row["end"])):
                rel.append(relevance)
                sent_texts.append(row["text"][a:b])
                positions.append(i)
        sims = np.array([vectors[t] @ query.vector for t in sent_texts])
        xs.append(sentence_features(query, rel, sims, sent_texts, positions))
        ys += [_contains(list(q.answers), t) for t in sent_texts]
        sq += [n] * len(sent_texts)
        groups += [q.article_id] * len(sent_texts)
    return np.vstack(xs), np.array(ys), np.array(sq), np.array(groups)


def main() -> int:
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GroupKFold

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--limit", type=int, default=0, help="random questions (default all)")
    parser.add_argument("--data", help="an index of squad-dev articles (built if missing)")
    parser.add_argument("--write", action="store_true", help=f"write {WEIGHTS_FILE.name}")
    args = parser.parse_args()

    questions = load_questions(SQUAD / "questions.jsonl")
    random.Random(0).shuffle(questions)
    if args.limit:
        questions = questions[: args.limit]
    with tempfile.TemporaryDirectory() as tmp:
        idx = NewsIndex.open(args.data or tmp)
        if idx.stats().articles == 0:
            idx.ingest([SQUAD / "articles.jsonl"], source="squad")
        t0 = time.perf_counter()
        snap = idx._snapshot
        with contextlib.closing(snap.connect()) as con:
            queries: list = []
            pools: list = []
            x, y, qn, groups, setting = collect(idx, questions, snap, con, queries, pools)
    print(f"{len(questions)} questions, {len(y)} candidates, {time.perf_counter() - t0:.0f} s")

    baseline = x[:, FEATURES.index("dense")] + 0.35 * x[:, FEATURES.index("bm25_rel")]
    cv = np.zeros(len(y))
    for train, test in GroupKFold(n_splits=5).split(x, y, groups):
        model = LogisticRegression(C=1.0, max_iter=2000).fit(x[train], y[train])
        cv[test] = model.decision_function(x[test])
    report = {
        "questions": len(questions),
        "fused_score": _per_question(baseline, y, qn, setting),
        "reranker_cv_by_article": _per_question(cv, y, qn, setting),
    }
    sx, sy, sq, sgroups = sentence_rows(idx, questions, queries, pools, cv, qn, setting)
    scv = np.zeros(len(sy))
    for train, test in GroupKFold(n_splits=5).split(sx, sy, sgroups):
        smodel = LogisticRegression(C=1.0, max_iter=2000).fit(sx[train], sy[train])
        scv[test] = smodel.decision_function(sx[test])
    types = sx[:, 5] + sx[:, 6] + sx[:, 7]
    hand = sx[:, 0] + 0.5 * (sx[:, 1] + 0.3 * sx[:, 3] + 0.2 * types)  # the former formula
    report["sentence_at_1_former_formula"] = _top_hit(hand, sy, sq)
    report["sentence_at_1_cv_by_article"] = _top_hit(scv, sy, sq)
    model = LogisticRegression(C=1.0, max_iter=2000).fit(x, y)
    smodel = LogisticRegression(C=1.0, max_iter=2000).fit(sx, sy)
    weights = {
        "passage": _linear(model, FEATURES),
        "sentence": _linear(smodel, SENTENCE_FEATURES),
        "trained_on": "squad-dev (half of SQuAD v1.1 dev, CC BY-SA 4.0), bench/train_reranker.py",
        "cross_validation": report,
    }
    print(json.dumps(report, indent=2))
    for part, names in (("passage", FEATURES), ("sentence", SENTENCE_FEATURES)):
        for name, w in zip(names, weights[part]["weights"], strict=True):
            print(f"  {part} {name:<15} {w:+.3f}")
    if args.write:
        WEIGHTS_FILE.write_text(json.dumps(weights, indent=1) + "\n")
        print(f"wrote {WEIGHTS_FILE}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
