"""``NewsIndex.ask`` latency of two versions of ``index`` in one process, asked alternately.

The question this answers: is ``ask`` p50 at 100k passages unchanged (within noise) by a change
to the ``index`` package? Both versions are imported into one Python process and ask the same
questions of the same on-disk index, one right after the other (old q1, new q1, old q2, new q2,
...), the version that goes first swapped every round; so the machine's load, the OS page cache
and CPU frequency drift hit both alike, which separate runs on a shared machine do not.

- the old version is a commit (``--old``, default: ``HEAD``, the last commit): its
  ``index/`` is extracted with ``git archive`` into a temporary folder as the package
  ``index_old`` (its imports are relative; absolute ``index`` imports are rewritten);
- the new version is the package ``index`` of a folder (``--new``, default: this repository's
  working tree), or a commit extracted the same way as ``index_new`` (``--new-ref``; a commit
  against itself is the check that the set-up has no bias of its own: ratio ~1, no mismatches);
- both ``NewsIndex.open`` the same index (``--index``, default ``--work``/index-``--size``;
  the on-disk format is the same) and ask ``--questions`` squad-dev questions (a fixed-seed
  sample) ``--rounds`` times (even: each version first as often), after a warm-up: ``--warmup``
  other questions, then ``--warmup-rounds`` untimed rounds of the same questions, so the model,
  the re-ranker and the caches (the tokenizer's, SQLite's, the OS's) are warm and the timed rounds
  do not drift; each ``ask(q, k=3)`` is timed with ``time.perf_counter`` (and
  ``time.process_time``);
- both answers to each question must be the same: ``found`` and, quote by quote, the text,
  highlight, score, article id, start and speaker; every pair that differs is a mismatch.

It prints p50, p95 and mean (ms) of each version, the ratio of the p50s (new/old) with a 95%
bootstrap interval (questions resampled), the median paired difference and the mismatches, and
writes ``bench/results/ask_pair.json`` (``--out``): the commits, the index's size, the date and
the machine's load average before and after.

Noise: the bootstrap interval covers the choice of questions only, not what differs from one
process to the next. Same against same (one commit as both, 300 questions x 4 rounds, 2-core
shared machine, load average 0.3-1.7) gave new/old p50 ratios of 0.962, 0.973, 0.995 and 0.997
(old loaded first, as here) and 0.984, 1.008 and 1.014 (new loaded first, by hand), several with
intervals excluding 1: the second-loaded copy may be favoured by ~1-2%. So read a ratio within
about 4% of 1 as unchanged, and run it two or three times before calling a smaller difference.

The index (synthetic passages, see ``bench/query.py``) is built once with the OLD commit's
``bench/query.py`` and its own ``index`` package, into ``--work`` (default ``/tmp/askpair-work``),
from the repository::

    .venv/bin/python bench/ask_pair.py --build --rounds 2   # builds it if missing, then runs

    # or by hand, the same steps:
    REPO=$PWD OLD=/tmp/askpair/newsbot-old
    mkdir -p $OLD && git archive OLD_COMMIT | tar -x -C $OLD
    ln -sfn $REPO/../shared /tmp/askpair/shared          # query.py reads its ROOT/../shared
    cd /tmp                                              # so that `import index` is the old one
    PYTHONPATH=$OLD $REPO/.venv/bin/python $OLD/bench/query.py --step pool --work /tmp/askpair-work
    PYTHONPATH=$OLD $REPO/.venv/bin/python $OLD/bench/query.py --step build --size 100000 \\
        --work /tmp/askpair-work          # ~1.5 minutes: /tmp/askpair-work/index-100000, 0.6 GB

Then::

    .venv/bin/python bench/ask_pair.py                      # base commit against the working tree
    .venv/bin/python bench/ask_pair.py --new-ref HEAD --rounds 2
    .venv/bin/python bench/ask_pair.py --new-ref OLD_COMMIT   # same against same
"""

from __future__ import annotations

import argparse
import importlib
import io
import json
import os
import platform
import random
import re
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
QUESTIONS = SHARED / "eval" / "squad-dev" / "questions.jsonl"
OUT = ROOT / "bench" / "results" / "ask_pair.json"
WORK = Path("/tmp/askpair-work")
K = 3
# absolute imports of the package inside itself, which a renamed copy must not keep
_FROM = re.compile(r"^(\s*)from\s+index(?=[.\s])", re.MULTILINE)
_IMPORT_AS = re.compile(r"^(\s*)import\s+index((?:\.\w+)*\s+as\s+\w+)", re.MULTILINE)
_IMPORT_BARE = re.compile(r"^(\s*)import\s+index\s*$", re.MULTILINE)
_IMPORT_ANY = re.compile(r"^\s*import\s+index\b", re.MULTILINE)


def say(*parts: object) -> None:
    """Progress on stderr (the table goes to stdout)."""
    print(*parts, file=sys.stderr, flush=True)


def git(repo: Path, *cmd: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), *cmd], capture_output=True, text=True, check=True
    ).stdout.strip()


# -- the two versions ------------------------------------------------------------------------------
@dataclass
class Version:
    """One version of the ``index`` package, imported under ``module.__name__``."""

    label: str
    module: ModuleType
    source: dict[str, Any]
    index: Any = None  # its NewsIndex on the shared on-disk index
    ms: list[list[float]] = field(default_factory=list)  # [round][question]
    cpu_ms: list[list[float]] = field(default_factory=list)
    first: list[bool] = field(default_factory=list)  # [round]: asked before the other


def _extract(repo: Path, ref: str, tmp: Path, name: str) -> tuple[Path, int]:
    """``index/`` of ``ref`` as the package ``tmp/name``; how many absolute imports were rewritten."""
    tar = subprocess.run(
        ["git", "-C", str(repo), "archive", "--format=tar", ref, "index"],
        capture_output=True,
        check=True,
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(tar)) as archive:
        archive.extractall(tmp, filter="data")
    package = tmp / name
    (tmp / "index").rename(package)
    rewritten = 0
    for path in package.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        new, n1 = _FROM.subn(rf"\1from {name}", text)
        new, n2 = _IMPORT_AS.subn(rf"\1import {name}\2", new)
        new, n3 = _IMPORT_BARE.subn(rf"\1import {name} as index", new)
        if _IMPORT_ANY.search(new):
            raise SystemExit(f"ask_pair: {path}: an `import index.x` this script cannot rewrite")
        if n1 + n2 + n3:
            path.write_text(new, encoding="utf-8")
            rewritten += n1 + n2 + n3
    return package, rewritten


def from_commit(repo: Path, ref: str, tmp: Path, name: str, label: str) -> Version:
    """Import ``index/`` of the commit ``ref`` as the package ``name``."""
    commit = git(repo, "rev-parse", "--verify", f"{ref}^{{commit}}")
    folder = tmp / label
    folder.mkdir()
    package, rewritten = _extract(repo, commit, folder, name)
    sys.path.insert(0, str(folder))
    module = importlib.import_module(name)
    assert Path(module.__file__ or "").resolve().parent == package.resolve(), module.__file__
    source = {"ref": ref, "commit": commit, "package": name, "imports_rewritten": rewritten}
    return Version(label, module, source)


def from_folder(folder: Path, label: str) -> Version:
    """Import the package ``index`` of ``folder`` (a checkout or working tree) as itself."""
    folder = folder.resolve()
    if "index" in sys.modules:
        raise SystemExit("ask_pair: `index` was imported before --new could choose it")
    sys.path.insert(0, str(folder))
    module = importlib.import_module("index")
    where = Path(module.__file__ or "").resolve().parent
    if where != folder / "index":
        raise SystemExit(f"ask_pair: `import index` found {where}, not {folder / 'index'}")
    source: dict[str, Any] = {"path": str(folder), "package": "index", "commit": None}
    try:
        source["commit"] = git(folder, "rev-parse", "HEAD")
        source["index_dirty"] = bool(git(folder, "status", "--porcelain", "--", "index"))
    except (OSError, subprocess.CalledProcessError):
        pass  # not a git checkout
    return Version(label, module, source)


# -- the index and the questions -------------------------------------------------------------------
def build_index(repo: Path, ref: str, work: Path, size: int) -> None:
    """Build ``work/index-<size>`` with ``ref``'s own ``bench/query.py`` and ``index`` package."""
    with tempfile.TemporaryDirectory(prefix="askpair-build-") as tmp:
        tree = Path(tmp) / "newsbot"
        tree.mkdir()
        tar = subprocess.run(
            ["git", "-C", str(repo), "archive", "--format=tar", ref],
            capture_output=True,
            check=True,
        ).stdout
        with tarfile.open(fileobj=io.BytesIO(tar)) as archive:
            archive.extractall(tree, filter="data")
        (Path(tmp) / "shared").symlink_to(SHARED)  # query.py reads its ROOT/../shared
        env = {**os.environ, "PYTHONPATH": str(tree)}
        work.mkdir(parents=True, exist_ok=True)
        steps = ["build"] if (work / "pool.npy").is_file() else ["pool", "build"]
        for step in steps:
            say(f"build: query.py --step {step} --size {size} ({ref})")
            cmd = [sys.executable, str(tree / "bench" / "query.py"), "--step", step]
            cmd += ["--size", str(size), "--work", str(work)]
            subprocess.run(cmd, check=True, env=env, cwd=tmp, stdout=subprocess.DEVNULL)


def manifest(path: Path) -> dict[str, Any]:
    """The published generation's manifest of the index in ``path``."""
    current = (path / "CURRENT").read_text().strip()
    loaded: dict[str, Any] = json.loads((path / current / "manifest.json").read_text())
    return loaded


def questions(n: int, warmup: int, seed: int) -> tuple[list[str], list[str]]:
    """``warmup`` and then ``n`` other squad-dev questions, a fixed-seed sample."""
    with QUESTIONS.open(encoding="utf-8") as fh:
        every = [json.loads(line)["question"] for line in fh if line.strip()]
    picked = random.Random(seed).sample(every, min(len(every), warmup + n))
    return picked[:warmup], picked[warmup:]


# -- measuring -------------------------------------------------------------------------------------
def digest(answer: Any) -> tuple[Any, ...]:
    """What must be the same in both versions' answers."""
    return (
        bool(answer.found),
        tuple(
            (q.text, tuple(q.highlight), q.score, q.article.id, q.start, q.speaker)
            for q in answer.quotes
        ),
    )


def _timed_ask(version: Version, question: str) -> tuple[tuple[Any, ...], float, float]:
    t0, c0 = time.perf_counter(), time.process_time()
    answer = version.index.ask(question, k=K)
    ms = (time.perf_counter() - t0) * 1000
    return digest(answer), ms, (time.process_time() - c0) * 1000


def run(
    old: Version,
    new: Version,
    warm: Sequence[str],
    asked: Sequence[str],
    rounds: int,
    warmup_rounds: int,
) -> list[dict[str, Any]]:
    """Warm both up (``warm``, then ``warmup_rounds`` untimed rounds of ``asked``), then
    ``rounds`` timed rounds of alternate asks; the mismatching pairs."""
    for r, qs in enumerate([warm] + [asked] * warmup_rounds):
        for q in qs:
            for v in (old, new) if r % 2 == 0 else (new, old):
                v.index.ask(q, k=K)
    mismatches = []
    for r in range(rounds):
        order = (old, new) if r % 2 == 0 else (new, old)
        for v in (old, new):
            v.ms.append([])
            v.cpu_ms.append([])
            v.first.append(v is order[0])
        for i, q in enumerate(asked):
            got = {}
            for v in order:
                got[v.label], ms, cpu = _timed_ask(v, q)
                v.ms[-1].append(ms)
                v.cpu_ms[-1].append(cpu)
            if got["old"] != got["new"]:
                mismatches.append({"round": r, "question": i, "text": q, **got})
        say(
            f"round {r + 1}/{rounds} ({order[0].label} first): p50 old "
            f"{np.median(old.ms[-1]):.1f} ms, new {np.median(new.ms[-1]):.1f} ms, "
            f"{len(mismatches)} mismatches so far"
        )
    return mismatches


def _round2(x: float) -> float:
    return round(float(x), 2)


def summary(v: Version) -> dict[str, Any]:
    ms, cpu = np.array(v.ms), np.array(v.cpu_ms)
    first = np.array(v.first)
    return {
        "p50_ms": _round2(np.percentile(ms, 50)),
        "p95_ms": _round2(np.percentile(ms, 95)),
        "mean_ms": _round2(ms.mean()),
        "cpu_p50_ms": _round2(np.percentile(cpu, 50)),
        "p50_ms_by_round": [_round2(np.median(r)) for r in ms],
        "p50_ms_asked_first": _round2(np.median(ms[first])) if first.any() else None,
        "p50_ms_asked_second": _round2(np.median(ms[~first])) if (~first).any() else None,
    }


def compare(old: Version, new: Version, seed: int, resamples: int = 2000) -> dict[str, Any]:
    """The p50 ratio with a bootstrap interval over questions, and the paired differences."""
    a, b = np.array(old.ms), np.array(new.ms)  # [round][question]
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, a.shape[1], size=(resamples, a.shape[1]))
    ratios = [np.median(b[:, p]) / np.median(a[:, p]) for p in picks]
    low, high = np.percentile(ratios, [2.5, 97.5])
    diff = b - a
    return {
        "p50_ratio": round(float(np.median(b) / np.median(a)), 4),
        "p50_ratio_ci95": [round(float(low), 4), round(float(high), 4)],
        "mean_ratio": round(float(b.mean() / a.mean()), 4),
        "paired_median_diff_ms": _round2(np.median(diff)),
        "new_faster_share": round(float((diff < 0).mean()), 3),
    }


def table(rows: Sequence[Sequence[str]]) -> str:
    """A plain-text table: the first row is the header; the first column left-aligned."""
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = [
        "  ".join(
            c.ljust(w) if i == 0 else c.rjust(w)
            for i, (c, w) in enumerate(zip(r, widths, strict=True))
        )
        for r in rows
    ]
    lines.insert(1, "-" * len(lines[0]))
    return "\n".join(lines)


# -- main ------------------------------------------------------------------------------------------
def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--old", default="HEAD", help="the old commit (default: %(default)s)")
    newer = parser.add_mutually_exclusive_group()
    newer.add_argument("--new", type=Path, default=ROOT, help="folder of the new `index` package")
    newer.add_argument("--new-ref", help="the new version as a commit instead of a folder")
    parser.add_argument("--repo", type=Path, default=ROOT, help="git repository of the commits")
    parser.add_argument("--size", type=int, default=100_000, help="passages in the index")
    parser.add_argument("--work", type=Path, default=WORK, help="where the index is built")
    parser.add_argument("--index", type=Path, help="a built index (default: WORK/index-SIZE)")
    parser.add_argument("--build", action="store_true", help="build the index if it is missing")
    parser.add_argument("--questions", type=int, default=300, help="squad-dev questions asked")
    parser.add_argument("--warmup", type=int, default=10, help="other questions asked first")
    parser.add_argument(
        "--warmup-rounds", type=int, default=1, help="untimed rounds of the questions first"
    )
    parser.add_argument("--rounds", type=int, default=4, help="even: each version first as often")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    started, load_before = time.time(), os.getloadavg()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    path = args.index or args.work / f"index-{args.size}"
    if not (path / "CURRENT").is_file():
        if not args.build:
            raise SystemExit(f"ask_pair: no index in {path}: see --build or the docstring")
        build_index(args.repo, args.old, args.work, args.size)
    info = manifest(path)
    if info["passages"] != args.size:
        say(f"note: {path} has {info['passages']} passages, not --size {args.size}")
    warm, asked = questions(args.questions, args.warmup, args.seed)

    with tempfile.TemporaryDirectory(prefix="askpair-") as tmp:
        old = from_commit(args.repo, args.old, Path(tmp), "index_old", "old")
        if args.new_ref:
            new = from_commit(args.repo, args.new_ref, Path(tmp), "index_new", "new")
        else:
            new = from_folder(args.new, "new")
        for v in (old, new):
            say(f"{v.label}: {v.module.__file__} ({v.source.get('commit')})")
            v.index = v.module.NewsIndex.open(path)
        say(
            f"{len(asked)} questions x {args.rounds} rounds x 2 versions, after {args.warmup} "
            f"warm-up questions and {args.warmup_rounds} untimed round(s)"
        )
        mismatches = run(old, new, warm, asked, args.rounds, args.warmup_rounds)

    asks = len(asked) * args.rounds
    stats = {v.label: summary(v) for v in (old, new)}
    paired = compare(old, new, args.seed)
    rows = [["version", "source", "p50 ms", "p95 ms", "mean ms", "CPU p50 ms"]]
    for v in (old, new):
        s = stats[v.label]
        where = v.source["commit"][:7] if v.source.get("commit") else "?"
        if "path" in v.source:
            where = f"{v.source['path']} @ {where}" + (
                "+dirty" if v.source.get("index_dirty") else ""
            )
        nums = (s["p50_ms"], s["p95_ms"], s["mean_ms"], s["cpu_p50_ms"])
        rows.append([v.label, where, *(f"{x:.2f}" for x in nums)])
    print(
        f"NewsIndex.ask(k={K}) on {path}: {info['passages']:,} passages "
        f"({info['vectors']['type']}), {len(asked)} squad-dev questions x {args.rounds} rounds, "
        f"old and new alternately"
    )
    print(table(rows))
    low, high = paired["p50_ratio_ci95"]
    print(
        f"new/old p50: {paired['p50_ratio']:.3f} (95% bootstrap CI {low:.3f}-{high:.3f}); "
        f"paired median difference {paired['paired_median_diff_ms']:+.2f} ms; "
        f"mismatches: {len(mismatches)} of {asks} asks"
    )
    load_after = os.getloadavg()
    print(f"load average before {load_before[0]:.2f}, after {load_after[0]:.2f}")

    args.out.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "meta": {
            "script": "bench/ask_pair.py",
            "argv": sys.argv[1:] if argv is None else list(argv),
            "when": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "seconds": round(time.time() - started, 1),
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "load_average_before": [round(x, 2) for x in load_before],
            "load_average_after": [round(x, 2) for x in load_after],
        },
        "old": old.source,
        "new": new.source,
        "index": {
            "path": str(path),
            "passages": info["passages"],
            "articles": info.get("articles"),
            "vectors": info.get("vectors"),
        },
        "questions": len(asked),
        "warmup": args.warmup,
        "warmup_rounds": args.warmup_rounds,
        "rounds": args.rounds,
        "seed": args.seed,
        "k": K,
        "old_stats": stats["old"],
        "new_stats": stats["new"],
        "paired": paired,
        "mismatches": len(mismatches),
        "mismatch_examples": [
            {k: v for k, v in m.items() if k in ("round", "question", "text")}
            | {"old": repr(m["old"])[:2000], "new": repr(m["new"])[:2000]}
            for m in mismatches[:5]
        ],
    }
    args.out.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    say(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
