"""The bot under load: 100 concurrent /ask while a re-index runs, over the end-to-end fake Discord.

The real bot (``bot.client.NewsBot``) runs in a process of its own, as it does in use, and
logs in to the fake Discord of ``tests/e2e`` (a gateway and REST API on 127.0.0.1) running in
this process, so the bot's event loop carries only the bot's work. Its index holds squad-dev and
``samples/``, built with the ``onnx-int8`` encoder. An admin sends ``/reindex`` after the encoder
was changed to the default, ``openvino``, so the re-index really re-embeds every passage on both
cores, as after changing ``NEWSBOT_ENCODER``; once it is under way, 100 members each send one
``/ask`` (100 different squad-dev questions) at the same moment. Measured: the time to each
acknowledgement (Discord wants one within 3 s) and to each answer (the follow-up message); the
bot's event-loop lag (a task in the bot's process sleeps 10 ms and notes how late it wakes: the
worst, the p99 and every lag over 20 ms with its time); whether every question was answered with
quotes; and whether the re-index was still running when the last answer came. The same
questions are first sent with no re-index, as the baseline of the run.

The bot runs with its default settings (``NEWSBOT_MAX_SEARCHES``: 4 questions searched at once,
``NEWSBOT_MAX_WAITING``: 100 more may wait) but for a cooldown that lets each member ask.

    .venv/bin/python bench/bot_load.py                 # about a minute
    .venv/bin/python bench/bot_load.py --asks 20
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
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

from fake_discord import FakeDiscord, pointed_at
from harness import ADMIN_ID

from bot.client import NewsBot
from bot.config import Settings
from bot.questions import BUSY
from index import NewsIndex

OUT = RESULTS / "bot_load.json"
TICK = 0.01


class LagMonitor:
    """The event loop's lateness: a task sleeps ``TICK`` and notes how late it woke."""

    def __init__(self) -> None:
        self.worst = 0.0
        self.worst_at = 0.0
        self.samples: list[float] = []
        self.spikes: list[tuple[float, float]] = []  # (when, lag) of each lag over 20 ms
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        while True:
            t0 = time.monotonic()
            await asyncio.sleep(TICK)
            lag = time.monotonic() - t0 - TICK
            self.samples.append(lag)
            if lag > 0.02:
                self.spikes.append((t0, lag))
            if lag > self.worst:
                self.worst, self.worst_at = lag, t0

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()


async def bot_process(data: Path, port: int, guild_id: int, max_searches: int) -> None:
    """The bot's side (a child process): log in to the fake on ``port``; measure the loop's lag
    between a ``start`` and a ``stop`` line on stdin, then print it as JSON and stop."""
    index = NewsIndex.open(data, encoder="openvino", rebuild=True)  # /reindex re-embeds everything
    settings = Settings(
        discord_token=os.environ["DISCORD_TOKEN"],
        guild_id=guild_id,
        admin_ids=frozenset({ADMIN_ID}),
        cooldown_questions=5,
        cooldown_seconds=10.0,
        max_searches=max_searches,
    )
    monitor = LagMonitor()
    with pointed_at(port):
        bot = NewsBot(index=index, settings=settings)
        running = asyncio.create_task(bot.start(settings.discord_token))
        await asyncio.to_thread(sys.stdin.readline)  # "start"
        monitor.start()
        await asyncio.to_thread(sys.stdin.readline)  # "stop" (or the bench has gone)
        monitor.stop()
        lags = sorted(monitor.samples)
        report = {
            "worst_ms": round(monitor.worst * 1000, 1),
            "worst_at": monitor.worst_at,
            "p99_ms": round(lags[int(0.99 * (len(lags) - 1))] * 1000, 1) if lags else None,
            "spikes": monitor.spikes,
        }
        print(json.dumps(report), flush=True)
        await bot.close()
        await asyncio.wait_for(running, 10)


async def scenario(
    data: Path, questions: Sequence[str], reindexing: bool, max_searches: int
) -> dict[str, Any]:
    """Send the questions at once (during a ``/reindex`` when ``reindexing``) and measure."""
    fake = FakeDiscord()
    await fake.start()
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        __file__,
        "--bot-process",
        str(data),
        "--port",
        str(fake.port),
        "--guild",
        str(fake.guild_id),
        "--max-searches",
        str(max_searches),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        env={**os.environ, "DISCORD_TOKEN": fake.token},  # not on the command line
    )
    assert child.stdin is not None and child.stdout is not None
    try:
        await asyncio.wait_for(fake.ready.wait(), 120)
        await asyncio.sleep(1.0)  # logged in, commands synced
        child.stdin.write(b"start\n")
        await child.stdin.drain()
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
        child.stdin.write(b"stop\n")
        await child.stdin.drain()
        lag = json.loads((await asyncio.wait_for(child.stdout.readline(), 60)).decode())
        answered_at = {}
        for r in fake.requests:
            if r.method == "POST" and r.path.startswith("/api/v10/webhooks/"):
                answered_at.setdefault(r.path.rsplit("/", 1)[-1], r.at)
        acks = [a.ack_delay for a in asks if a.ack_delay is not None]
        answers = [answered_at[a.token] - a.created for a in asks if a.token in answered_at]
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
            "loop_lag_worst_ms": lag["worst_ms"],
            "loop_lag_worst_at_s": round(lag["worst_at"] - sent, 2),  # one monotonic clock
            "loop_lag_p99_ms": lag["p99_ms"],
            "loop_lag_over_20ms": [(round(t - sent, 2), round(v * 1000)) for t, v in lag["spikes"]],
            "reindex_running_at_last_answer": reindex_running,
            "busy": sum(BUSY in a.text for a in asks),
            "violations": list(fake.violations),
        }
    finally:
        if child.returncode is None:
            child.stdin.close()
            try:
                await asyncio.wait_for(child.wait(), 30)
            except TimeoutError:
                child.kill()
        await fake.close()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--asks", type=int, default=100, help="concurrent /ask (100)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--max-searches", type=int, default=Settings.max_searches, help="NEWSBOT_MAX_SEARCHES"
    )
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--bot-process", type=Path, help=argparse.SUPPRESS)  # the bot's side
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--guild", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    offline()
    if args.bot_process:
        asyncio.run(bot_process(args.bot_process, args.port, args.guild, args.max_searches))
        return 0
    started = time.time()
    questions = [q.question for q in squad(args.asks, args.seed).questions]
    with tempfile.TemporaryDirectory(prefix="newsbot-load-") as tmp:
        say("building the index (squad-dev + samples, onnx-int8; re-indexed to openvino)")
        built = NewsIndex.open(tmp, encoder="onnx-int8")
        built.ingest([SQUAD / "articles.jsonl", SAMPLES])
        NewsIndex.open(tmp, encoder="openvino", rebuild=True).warm()  # makes its export
        stats = built.stats()
        say(f"{stats.articles} articles, {stats.passages} passages; running the bot")

        async def both() -> list[dict[str, Any]]:
            alone = await scenario(Path(tmp), questions, False, args.max_searches)
            return [alone, await scenario(Path(tmp), questions, True, args.max_searches)]

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
                    "the bot in its own process, the fake Discord in the bench's; "
                    f"NEWSBOT_MAX_SEARCHES={args.max_searches} (searches in worker threads), "
                    "NEWSBOT_MAX_WAITING=100; loop lag measured in the bot's process"
                ),
            ),
            "index": {"articles": stats.articles, "passages": stats.passages},
            "results": results,
        },
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
