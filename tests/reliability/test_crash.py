"""SIGKILL ``newsbot ingest`` and ``newsbot reindex`` at random moments: nothing published is lost."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from index import check_index
from index.storage.doctor import LEFTOVER
from tests.reliability.corpus import assert_verbatim, leftovers, open_fake, published, write_batch
from tests.reliability.tally import Tally

ROOT = Path(__file__).resolve().parents[2]
ROUNDS = 24  # each: start the CLI, kill it, check the index, rerun the command
BATCH = 25  # articles per ingest


def _start(data: Path, command: list[str]) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.reliability.fakecli", "--data", str(data), *command],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stdout.readline() == b"ready\n"
    return proc


def test_sigkill_at_random_moments_loses_nothing_published(tmp_path: Path, tally: Tally) -> None:
    data, inputs = tmp_path / "data", tmp_path / "in"
    rng = random.Random(20240607)
    idx = open_fake(data)
    idx.ingest([write_batch(inputs, 0, BATCH)])
    before = published(idx)
    # A run takes: starting the command (settings, opening the index; timed once with `stats`),
    # then the write itself (timed by each in-process rerun). Kills fall anywhere in 1.2 times that.
    stats = _start(data, ["stats"])
    started = time.monotonic()
    assert stats.wait() == 0
    opening = time.monotonic() - started
    seconds = {"ingest": 0.2, "reindex": 0.2}
    outcomes: Counter[str] = Counter()
    quotes = 0
    for round_ in range(1, ROUNDS + 1):
        kind = "reindex" if round_ % 3 == 0 else "ingest"
        batch = write_batch(inputs, round_, BATCH) if kind == "ingest" else None
        command = [kind, "--quiet"] + ([str(batch)] if batch else [])
        generation = idx.stats().generation
        proc = _start(data, command)
        time.sleep(rng.uniform(0, 1.2 * (opening + seconds[kind])))
        proc.send_signal(signal.SIGKILL)
        _, err = proc.communicate()
        assert proc.returncode in (0, -signal.SIGKILL), err.decode()
        left = leftovers(data)
        problems = check_index(data)  # doctor: nothing wrong but what the kill left behind
        assert [p.problem.split()[0] for p in problems] == left
        assert all(p.fix == LEFTOVER for p in problems)

        idx = open_fake(data)  # the index opens after every kill...
        after = published(idx)
        now = idx.stats().generation
        assert now in (generation, generation + 1)  # ...on the last published generation,
        assert before.items() <= after.items(), "no published article is lost or changed"
        if now == generation:
            assert after == before, "an unpublished write must not show"
        for question in ("when will the plan go ahead?", "what did Ann Lee expect?"):
            quotes += assert_verbatim(idx, question, after)
        if proc.returncode == 0:
            outcomes["finished before the kill"] += 1
        elif now > generation:
            outcomes["killed after publishing"] += 1
        elif left:
            outcomes["killed mid-write (partial generation left)"] += 1
        else:
            outcomes["killed before writing"] += 1

        started = time.monotonic()
        report = idx.ingest([batch]) if batch else idx.reindex()  # the rerun completes
        seconds[kind] = time.monotonic() - started
        assert leftovers(data) == [], "the rerun removed what the killed writer left"
        before = published(idx)
        if batch:
            assert report.failed == () and len(before) == BATCH * (round_ - round_ // 3 + 1)
    kills = ROUNDS - outcomes["finished before the kill"]
    assert kills >= ROUNDS // 2 and outcomes["killed mid-write (partial generation left)"]
    for outcome, n in outcomes.items():
        tally("crash", f"SIGKILL of `newsbot ingest`/`reindex`: {outcome}", n, _RESULT)
    tally("crash", "questions asked after a kill (quotes checked verbatim)", 2 * ROUNDS, _ASKED)
    assert quotes > 0


_RESULT = "index opens on the last published generation; no published article lost; rerun completes; leftovers removed"
_ASKED = "answered from the last published generation, every quote a verbatim slice"
