"""The bot under load: 100 concurrent /ask while a re-index runs, over the end-to-end fake Discord.

The real bot (``bot.client.NewsBot``) logs in to the fake Discord of ``tests/e2e`` (a gateway
and REST API on 127.0.0.1, in the same event loop), on a real index of squad-dev and
``samples/`` built with the default encoder (onnx-int8). An admin sends ``/reindex`` after the
encoder was changed to ``onnx`` (fp32), so the re-index really re-embeds every passage on both
cores, as after changing ``NEWSBOT_ENCODER``; once it is under way, 100 members each send one
``/ask`` (100 different squad-dev questions) at the same moment. Measured: the time to each
acknowledgement (Discord wants one within 3 s) and to each answer (the follow-up message), the
event loop's worst lag (a task that sleeps 10 ms and notes how late it wakes), whether every
question was answered with quotes, and whether the re-index was still running when the last
answer came. The same questions are first sent with no re-index, as the baseline of the run.

``NEWSBOT_MAX_SEARCHES`` is set to 10 (``--max-searches``): 10 questions searched at once (in
practice as many as asyncio's 6 worker threads) and 100 waiting, so all 100 are answered; with
the default 4, 44 wait and the rest are told at once that the bot is busy.

    .venv/bin/python bench/bot_load.py                 # about 3 minutes
    .venv/bin/python bench/bot_load.py --asks 20
"""

from __future__ import annotations

import argparse
import asyncio
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
    SQUAD,
    meta,
    offline,
    percentiles,
    say,
    squad,
    table,
    write,
)

sys.path.insert(0, str(ROOT / "tests" / "e2e"))

from harness import ADMIN_ID, running_bot

from bot.cogs.ask import BUSY
from index import NewsIndex

OUT = RESULTS / "bot_load.json"
TICK = 0.01


class LagMonitor:
    """The event loop's lateness: a task sleeps ``TICK`` and notes how late it woke."""

    def __init__(self) -> None:
        self.worst = 0.0
        self.worst_at = 0.0
        self.samples: list[float] = []
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        while True:
            t0 = time.monotonic()
            await asyncio.sleep(TICK)
            lag = time.monotonic() - t0 - TICK
            self.samples.append(lag)
            if lag > self.worst:
                self.worst, self.worst_at = lag, t0

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()


async def scenario(
    index: NewsIndex, questions: Sequence[str], reindexing: bool, max_searches: int
) -> dict[str, Any]:
    """Send the questions at once (during a ``/reindex`` when ``reindexing``) and measure."""
    settings = {"cooldown_questions": 5, "cooldown_seconds": 10.0, "max_searches": max_searches}
    async with running_bot(index, **settings) as (fake, _bot):
        await asyncio.sleep(1.0)  # logged in, commands synced
        monitor = LagMonitor()
        monitor.start()
        if reindexing:
            reindex = await fake.command(
                "reindex", user_id=ADMIN_ID, bypass_default_permissions=True
            )
            await fake.wait_until(lambda: reindex.ack_at is not None, 30)
            await asyncio.sleep(2.0)  # into the embedding
        sent = time.monotonic()
        asks = await asyncio.gather(
            *(fake.command("ask", user_id=10_000 + i, question=q) for i, q in enumerate(questions))
        )
        await fake.wait_until(lambda: all(a.answered for a in asks), 600)
        last_answer = time.monotonic()
        reindex_running = None
        if reindexing:
            reindex_running = "finished" not in reindex.text
            await fake.wait_until(lambda: "finished" in reindex.text, 900)
        monitor.stop()
        answered_at = {}
        for r in fake.requests:
            if r.method == "POST" and r.path.startswith("/api/v10/webhooks/"):
                answered_at.setdefault(r.path.rsplit("/", 1)[-1], r.at)
        acks = [a.ack_delay for a in asks if a.ack_delay is not None]
        answers = [answered_at[a.token] - a.created for a in asks if a.token in answered_at]
        lags = sorted(monitor.samples)
        return {
            "asks": len(asks),
            "acked": len(acks),
            "answered": sum(a.answered for a in asks),
            "quoted": sum(bool(m.get("embeds")) for a in asks for m in a.messages[:1]),
            "ack_p50_s": percentiles(acks, 50)[0] if acks else None,
            "ack_p95_s": percentiles(acks, 95)[0] if acks else None,
            "ack_max_s": round(max(acks), 3) if acks else None,
            "answer_p50_s": percentiles(answers, 50)[0] if answers else None,
            "answer_p95_s": percentiles(answers, 95)[0] if answers else None,
            "answer_max_s": round(max(answers), 2) if answers else None,
            "all_answered_after_s": round(last_answer - sent, 2),
            "loop_lag_worst_ms": round(monitor.worst * 1000, 1),
            "loop_lag_worst_at_s": round(monitor.worst_at - sent, 2),
            "loop_lag_p99_ms": round(lags[int(0.99 * (len(lags) - 1))] * 1000, 1) if lags else None,
            "reindex_running_at_last_answer": reindex_running,
            "busy": sum(BUSY in a.text for a in asks),
            "violations": list(fake.violations),
        }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--asks", type=int, default=100, help="concurrent /ask (100)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--max-searches", type=int, default=10, help="NEWSBOT_MAX_SEARCHES (10: 100 may wait)"
    )
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    offline()
    started = time.time()
    questions = [q.question for q in squad(args.asks, args.seed).questions]
    with tempfile.TemporaryDirectory(prefix="newsbot-load-") as tmp:
        say("building the index (squad-dev + samples, onnx-int8)")
        built = NewsIndex.open(tmp, encoder="onnx-int8")
        built.ingest([SQUAD / "articles.jsonl", SAMPLES])
        index = NewsIndex.open(tmp, encoder="onnx", rebuild=True)  # /reindex re-embeds all
        index.ask("warm up")  # exports and loads the fp32 model before the clock starts
        stats = index.stats()
        say(f"{stats.articles} articles, {stats.passages} passages; running the bot")

        async def both() -> list[dict[str, Any]]:
            alone = await scenario(index, questions, False, args.max_searches)
            return [alone, await scenario(index, questions, True, args.max_searches)]

        results = asyncio.run(both())
    for name, r in zip(("asks alone", "asks during /reindex"), results, strict=True):
        r["run"] = name
    columns = [
        ("run", "run"),
        ("asks", "asks"),
        ("answered", "answered"),
        ("ack_p50_s", "ack p50 s"),
        ("ack_p95_s", "ack p95 s"),
        ("answer_p50_s", "answer p50 s"),
        ("answer_p95_s", "answer p95 s"),
        ("loop_lag_worst_ms", "worst loop lag ms"),
        ("reindex_running_at_last_answer", "re-index still running"),
    ]
    print(table(columns, results))
    write(
        args.out,
        {
            "meta": meta(
                "bench/bot_load.py",
                argv,
                started,
                notes=(
                    "the fake Discord and the bot share one event loop; asks run 4 at a time "
                    "in worker threads (bot/cogs/ask.py); shared 2-core machine"
                ),
            ),
            "index": {"articles": stats.articles, "passages": stats.passages},
            "results": results,
        },
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
