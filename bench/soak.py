"""A long run of the real bot on a busy server whose Discord and feed misbehave (issue 23).

The bot (``bot.client.NewsBot``, as ``newsbot run`` starts it) runs in a process of its own and
logs in to the fake Discord of ``tests/e2e`` (gateway and REST on 127.0.0.1) in this process; a
feed site on 127.0.0.1 (``tests/feedsite.py``) publishes a page every ``--publish-every`` seconds.
Over ``--minutes``:

- a member asks ``/ask`` every second (news-quiz-dev questions, 60 members in turn), 30 ask at
  once every 5 minutes, and someone mentions the bot with a question every 20 s;
- the feed answers 503 for a minute, stalls 40 s, serves truncated XML, repeats its entries, and
  some of its pages 404 or stall (on a schedule: ``FEED_FAULTS``);
- Discord answers bursts of 429s and drops the gateway: resumed, or with the session gone (op 9);
- half-way an admin runs ``/reindex``, and its interaction token dies 20 s in (every edit of its
  response gets 401, code 50027), as a token does after 15 minutes.

Every 5 s it reads the bot's RSS (``/proc/PID/status``). At the end it checks: every question
answered exactly once (by one follow-up, or one reply to a mention), acknowledgements under 3 s,
every feed page that could be read in the index exactly once, the admin told how the re-index
ended. Then a fresh bot opens a copy of the final index and does each kind of work once (a
question, a burst, a feed poll, a re-index) for ``--fresh-minutes``: the soak's RSS over its last
5 minutes is compared with that fresh bot's over its last minute.

Writes ``bench/results/soak.json`` and, with matplotlib (``pip install .[bench]``), a plot of
the RSS over time with the events marked (``bench/results/soak.png``)::

    .venv/bin/python bench/soak.py --minutes 30        # ~40 minutes in all
    .venv/bin/python bench/soak.py --minutes 3 --fresh-minutes 1   # a quick look
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from common import NEWS, RESULTS, ROOT, meta, offline, say, table, write

sys.path.insert(0, str(ROOT / "tests" / "e2e"))
sys.path.insert(0, str(ROOT / "tests"))
from fake_discord import FakeDiscord, pointed_at
from feedsite import FeedSite, Item, rss, serve
from harness import ADMIN_ID

from bot.client import NewsBot
from bot.config import Settings
from index import NewsIndex

OUT = RESULTS / "soak.json"
FEED = "/feed.xml"
MEMBERS = 60  # who ask in turn: each within the cooldown (3 questions in 10 s)
# (minute of the run as a share of it, what the feed does), each for ``FAULT_SECONDS``
FEED_FAULTS = ((0.15, "503"), (0.3, "stall"), (0.45, "truncated"), (0.75, "503"), (0.85, "stall"))
FAULT_SECONDS = 60.0
DISCORD_FAULTS = (  # (share of the run, what Discord does)
    (0.1, "429"),
    (0.2, "drop"),
    (0.35, "invalid session"),
    (0.55, "429"),
    (0.65, "drop"),
    (0.8, "invalid session"),
    (0.9, "drop"),
)
REINDEX_AT = 0.5
TOKEN_DIES_AFTER = 20.0  # seconds into the re-index
DUE = 150.0  # a page published this long before the end must be in the index


def rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def _questions() -> list[str]:
    rows = [json.loads(line) for line in (NEWS / "questions.jsonl").open()]
    return [r["question"] for r in rows]


def _pages() -> Iterator[tuple[str, list[str]]]:
    """(headline, paragraphs) of news-quiz-dev pages the index does not hold (it is made from
    part01), read at run time (never copied into the repository): part10 first, then back to
    part03, enough for hours at a page every 10 s (part10 alone lasts 80 minutes)."""
    for part in range(10, 2, -1):
        for line in (NEWS / "articles" / f"part{part:02d}.jsonl").open():
            page = json.loads(line)
            paragraphs = [p for p in page["text"].split("\n") if p.strip()][:30]
            if page["title"] and len(paragraphs) > 2:
                yield page["title"], paragraphs


# -- the bot's side --------------------------------------------------------------------------
async def bot_process(data: Path, port: int, guild_id: int) -> None:
    """The bot (a child process), as ``newsbot run`` starts it, until stdin closes."""
    from bot import heap

    heap.fewer_arenas()
    settings = Settings(
        discord_token=os.environ["DISCORD_TOKEN"],
        guild_id=guild_id,
        admin_ids=frozenset({ADMIN_ID}),
        allow_private_urls=True,  # the feed is on 127.0.0.1
        feed_interval=1,
    )
    with pointed_at(port):
        bot = NewsBot(index=NewsIndex.open(data), settings=settings)
        running = asyncio.create_task(bot.start(settings.discord_token))
        await asyncio.to_thread(sys.stdin.readline)
        await bot.close()
        await asyncio.wait_for(running, 30)


# -- the world's side ------------------------------------------------------------------------
class Feed:
    """The feed site's schedule: a page every ``every`` seconds, faults on the schedule."""

    def __init__(self, site: FeedSite, every: float) -> None:
        self.site, self.every = site, every
        self.items: list[Item] = []
        self.readable: list[tuple[float, Item]] = []  # (when, page) of pages that answer
        self._pages = _pages()
        self.fault: str | None = None
        self._hold = threading.Event()

    def publish(self) -> bool:
        """Publish the next page; False when there is none left (in a thread: a StopIteration
        there would leave the awaiting task pending for ever, as it hung a 2-hour run)."""
        page = next(self._pages, None)
        if page is None:
            return False
        title, paragraphs = page
        n = len(self.items)
        item = Item(f"story-{n}", title, tuple(paragraphs), summary=paragraphs[0][:200])
        self.items.append(item)
        if n % 17 == 5:
            self.site.publish(item, hold=threading.Event())  # its page stalls (60 s)
        elif n % 13 != 7:  # every 13th page 404s: the entry's own summary is all there is
            self.site.publish(item)
            self.readable.append((time.monotonic(), item))
        self.put()
        return True

    def put(self) -> None:
        """The feed as it is now: the 20 newest entries (each seen by several polls), one
        repeated, or the fault of the moment."""
        entries = self.items[-20:]
        body = rss(self.site.base, [*entries, *entries[-2:-1]])
        if self.fault == "503":
            self.site.put(FEED, "busy", "text/plain", status=503)
        elif self.fault == "stall":
            self.site.put(FEED, body, "application/rss+xml", hold=self._hold)
        elif self.fault == "truncated":
            self.site.put(FEED, body[: len(body) // 2], "application/rss+xml")
        else:
            self.site.put(FEED, body, "application/rss+xml")

    def set_fault(self, fault: str | None) -> None:
        if self.fault == "stall":
            self._hold.set()  # the stalled request ends
            self._hold = threading.Event()
        self.fault = fault
        self.put()


class Run:
    """Drives one bot process: load, faults and measurements."""

    def __init__(self, fake: FakeDiscord, pid: int, started: float) -> None:
        self.fake, self.pid, self.started = fake, pid, started
        self.asks: list[Any] = []
        self.mentions: list[dict[str, Any]] = []
        self.events: list[tuple[float, str]] = []
        self.rss: list[tuple[float, float]] = []
        self.reindex: Any = None
        self._questions = _questions()
        random.Random(0).shuffle(self._questions)
        self._n = 0

    def now(self) -> float:
        return time.monotonic() - self.started

    def event(self, what: str) -> None:
        self.events.append((round(self.now(), 1), what))
        say(f"[{self.now() / 60:5.1f} min] {what}")

    def question(self) -> str:
        self._n += 1
        return self._questions[self._n % len(self._questions)]

    async def ask(self, member: int) -> None:
        self.asks.append(
            await self.fake.command("ask", user_id=10_000 + member, question=self.question())
        )

    async def sample(self) -> None:
        while True:
            value = rss_mb(self.pid)
            if value is not None:
                self.rss.append((round(self.now(), 1), round(value, 1)))
            await asyncio.sleep(5.0)

    async def questions(self, until: float) -> None:
        member, asking = 0, set()
        while self.now() < until:
            member = (member + 1) % MEMBERS
            task = asyncio.create_task(self.ask(member))  # one a second, however long each takes
            asking.add(task)
            task.add_done_callback(asking.discard)
            await asyncio.sleep(1.0)
        await asyncio.gather(*asking)

    async def bursts(self, until: float, every: float) -> None:
        while (self.now() + every) < until:
            await asyncio.sleep(every)
            self.event("30 questions at once")
            await asyncio.gather(*(self.ask(MEMBERS + i) for i in range(30)))

    async def mentions_every(self, until: float, every: float) -> None:
        while self.now() < until:
            await asyncio.sleep(every)
            text = f"<@{self.fake.app_id}> {self.question()}"
            self.mentions.append(
                await self.fake.message(text, user_id=20_000 + len(self.mentions) % 50)
            )

    async def discord_faults(self, minutes: float) -> None:
        for share, fault in DISCORD_FAULTS:
            await asyncio.sleep(max(0.0, share * minutes * 60 - self.now()))
            self.event(f"Discord: {fault}")
            if fault == "429":
                self.fake.rate_limit("POST", r"^/api/v10/webhooks/", retry_after=0.5, times=10)
                self.fake.rate_limit("PATCH", r"^/api/v10/webhooks/", retry_after=0.5, times=10)
            else:
                await self.fake.drop_gateway(resumable=fault == "drop")

    async def feed_faults(self, feed: Feed, minutes: float) -> None:
        for share, fault in FEED_FAULTS:
            await asyncio.sleep(max(0.0, share * minutes * 60 - self.now()))
            self.event(f"feed: {fault}")
            await asyncio.to_thread(feed.set_fault, fault)
            await asyncio.sleep(40.0 if fault == "stall" else FAULT_SECONDS)
            await asyncio.to_thread(feed.set_fault, None)

    async def publishing(self, feed: Feed, until: float) -> None:
        while self.now() < until and await asyncio.to_thread(feed.publish):
            await asyncio.sleep(feed.every)

    async def reindex_with_dying_token(self, at: float) -> None:
        await asyncio.sleep(max(0.0, at - self.now()))
        self.event("/reindex (its token dies 20 s in)")
        self.reindex = await self.fake.command(
            "reindex", user_id=ADMIN_ID, bypass_default_permissions=True
        )
        await asyncio.sleep(TOKEN_DIES_AFTER)
        self.fake.fail(
            "PATCH", rf"^/api/v10/webhooks/\d+/{self.reindex.token}/", 401, 50027,
            "Invalid Webhook Token",
        )  # fmt: skip


def _answers(fake: FakeDiscord, asks: list[Any], mentions: list[dict[str, Any]]) -> dict[str, Any]:
    """Whether every question got exactly one answer, and how fast it was acknowledged."""
    acks = [a.ack_delay for a in asks if a.ack_delay is not None]
    answers = [len(a.messages) for a in asks]
    replies = [len(fake.replies_to(m)) for m in mentions]
    return {
        "questions": len(asks),
        "answered_once": sum(n == 1 for n in answers),
        "unanswered": sum(n == 0 for n in answers),
        "answered_twice_or_more": sum(n > 1 for n in answers),
        "ack_p95_s": round(statistics.quantiles(acks, n=20)[18], 3) if len(acks) > 20 else None,
        "ack_max_s": round(max(acks), 3) if acks else None,
        "acks_over_3s": sum(a > 3 for a in acks),
        "mentions": len(mentions),
        "mentions_answered_once": sum(n == 1 for n in replies),
    }


async def run_bot(data: Path, minutes: float, publish_every: float, soak: bool) -> dict[str, Any]:
    """One bot process over ``data`` for ``minutes``: the soak's load and faults, or (``soak``
    False) each kind of work once, as a freshly started bot."""
    fake = FakeDiscord()
    await fake.start()
    child = await asyncio.create_subprocess_exec(
        sys.executable, __file__, "--bot-process", str(data), "--port", str(fake.port),
        "--guild", str(fake.guild_id), stdin=asyncio.subprocess.PIPE,
        env={**os.environ, "DISCORD_TOKEN": fake.token},  # not on the command line
    )  # fmt: skip
    assert child.stdin is not None
    with contextmanager(serve)() as site:
        feed = Feed(site, publish_every)
        feed.publish()
        run = Run(fake, child.pid, time.monotonic())
        sampler = asyncio.create_task(run.sample())
        try:
            await asyncio.wait_for(fake.ready.wait(), 180)
            run.event("ready")
            added = await fake.command(
                "feeds", user_id=ADMIN_ID, bypass_default_permissions=True,
                subcommand="add", url=site.url(FEED),
            )  # fmt: skip
            await fake.wait_until(lambda: added.answered, 120)
            end = minutes * 60
            if soak:
                await asyncio.gather(
                    run.questions(end),
                    run.bursts(end, 300.0),
                    run.mentions_every(end, 20.0),
                    run.publishing(feed, end),
                    run.feed_faults(feed, minutes),
                    run.discord_faults(minutes),
                    run.reindex_with_dying_token(REINDEX_AT * end),
                )
            else:  # each kind of work once, then quiet
                await run.ask(0)
                await asyncio.gather(*(run.ask(MEMBERS + i) for i in range(30)))
                run.reindex = await fake.command(
                    "reindex", user_id=ADMIN_ID, bypass_default_permissions=True
                )
                await asyncio.gather(run.publishing(feed, end), asyncio.sleep(end - run.now()))
            run.event("load ends: waiting for the last answers")
            load_ended = time.monotonic()
            await fake.wait_until(lambda: all(a.answered for a in run.asks), 300)
            reindexed = run.reindex is not None and _reindex_told(fake, run.reindex)
            await asyncio.sleep(90.0)  # a last feed poll
        finally:
            sampler.cancel()
            child.stdin.close()
            try:
                await asyncio.wait_for(child.wait(), 60)
            except TimeoutError:
                child.kill()
            await fake.close()
    return {
        "rss": run.rss,
        "events": run.events,
        "answers": _answers(fake, run.asks, run.mentions),
        "admin_told_how_the_reindex_ended": reindexed,
        "feed": _feed_check(data, site.base, feed, load_ended),
        "violations": list(fake.violations),
    }


def _reindex_told(fake: FakeDiscord, reindex: Any) -> bool:
    """Whether the admin can read how the re-index ended: in its response, or in a message
    for them in the channel or their direct messages."""
    said = [reindex.text] + [
        json.dumps(m) for m in fake.messages_in(fake.channel_id) + fake.direct_messages(ADMIN_ID)
    ]
    return any(
        "re-index" in s.lower() and ("finished" in s.lower() or "failed" in s.lower()) for s in said
    )


def _feed_check(data: Path, base: str, feed: Feed, load_ended: float) -> dict[str, Any]:
    """Each readable page published ``DUE`` seconds before the load ended in the index, each
    page exactly once (by its link)."""
    index = NewsIndex.open(data)
    links = [a.url for a in index.articles(limit=None) if a.url and a.url.startswith(base)]
    due = {item.link(base) for when, item in feed.readable if when <= load_ended - DUE}
    return {
        "published": len(feed.items),
        "readable": len(feed.readable),
        "due": len(due),
        "due_in_the_index": len(set(links) & due),
        "in_the_index": len(set(links)),
        "duplicates": len(links) - len(set(links)),
    }


def _trend(rss: list[tuple[float, float]], window: float = 600.0) -> dict[str, Any]:
    """The RSS median of each 10-minute window, and the least-squares slope through those
    after the first (warming up), in MB an hour: a leak shows as a steady climb, a write's
    peak does not move a median."""
    windows: dict[int, list[float]] = {}
    for t, v in rss:
        windows.setdefault(int(t // window), []).append(v)
    medians = [round(statistics.median(windows[k]), 1) for k in sorted(windows)]
    settled = medians[1:]
    if len(settled) < 3:
        return {"window_medians_mb": medians}
    slope = statistics.linear_regression(range(len(settled)), settled).slope
    return {"window_medians_mb": medians, "trend_mb_per_hour": round(slope * 3600 / window, 1)}


def _plot(path: Path, soak: dict[str, Any], fresh_level: float) -> bool:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    fig, ax = plt.subplots(figsize=(11, 4.5))
    xs = [t / 60 for t, _ in soak["rss"]]
    ax.plot(xs, [v for _, v in soak["rss"]], color="#1f4e79", label="the bot's RSS")
    ax.axhline(fresh_level, color="#999", linestyle="--", label="a fresh bot, same final index")
    for t, what in soak["events"]:
        ax.axvline(t / 60, color="#c55a11", alpha=0.25)
        ax.text(t / 60, ax.get_ylim()[1], what, rotation=90, fontsize=7, va="top", ha="right")
    ax.set_xlabel("minutes")
    ax.set_ylabel("MB")
    ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--fresh-minutes", type=float, default=4.0)
    parser.add_argument("--publish-every", type=float, default=10.0)
    parser.add_argument("--index", type=Path, default=Path("/tmp/newsbot-memory/index-500"))
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--bot-process", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--guild", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    offline()
    if args.bot_process:
        asyncio.run(bot_process(args.bot_process, args.port, args.guild))
        return 0
    if not (args.index / "CURRENT").exists():
        from memory import build  # the 500-page index bench/memory.py builds

        build(args.index)
    started = time.time()
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "soak"
        shutil.copytree(args.index, data)
        soak = asyncio.run(run_bot(data, args.minutes, args.publish_every, soak=True))
        fresh_data = Path(tmp) / "fresh"
        shutil.copytree(data, fresh_data)
        fresh = asyncio.run(run_bot(fresh_data, args.fresh_minutes, args.publish_every, soak=False))
    end = soak["rss"][-1][0] if soak["rss"] else 0.0
    last5 = [v for t, v in soak["rss"] if t >= end - 300]
    fresh_end = fresh["rss"][-1][0] if fresh["rss"] else 0.0
    fresh_last = [v for t, v in fresh["rss"] if t >= fresh_end - 60]
    summary = {
        "soak_last_5_min_mb": round(statistics.median(last5), 1) if last5 else None,
        "soak_peak_mb": max((v for _, v in soak["rss"]), default=None),
        "fresh_last_min_mb": round(statistics.median(fresh_last), 1) if fresh_last else None,
    }
    summary.update(_trend(soak["rss"]))
    if summary["soak_last_5_min_mb"] and summary["fresh_last_min_mb"]:
        summary["ratio"] = round(summary["soak_last_5_min_mb"] / summary["fresh_last_min_mb"], 3)
    print(table([(k, k) for k in ("measure", "value")], [
        {"measure": k, "value": v} for k, v in {**summary, **soak["answers"], **soak["feed"]}.items()
    ]))  # fmt: skip
    print(f"admin told how the re-index ended: {soak['admin_told_how_the_reindex_ended']}")
    plotted = _plot(args.out.with_suffix(".png"), soak, summary["fresh_last_min_mb"] or 0.0)
    write(
        args.out,
        {
            "meta": meta("bench/soak.py", argv, started, plot=plotted),
            "summary": summary,
            "soak": soak,
            "fresh": fresh,
        },
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
