"""Admin commands: /reindex with progress, /ingest a URL or file, /remove an article.

Each is audited (bot/audit.py), and its outcome reaches the admin even when the interaction's
token has run out (bot/outcome.py).
"""

from __future__ import annotations

import asyncio
import dataclasses
import re
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import discord
from discord import app_commands
from discord.ext import commands

from bot import render
from bot.audit import Audit
from bot.checks import check_admin, url_problem
from bot.choices import article_choices
from bot.config import Settings
from bot.outcome import Outcome, conclude
from bot.replies import send_ephemeral
from bot.writes import Writes
from index import IngestReport, NewsIndex

__all__ = ["AdminCog"]

UPLOAD_SUFFIXES = (".txt", ".md", ".html", ".htm", ".jsonl")
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
PROGRESS_EVERY = 2.0  # seconds between edits of the /reindex message, at least
TICK = PROGRESS_EVERY / 4  # how often the progress is looked at (an edit may be due)
BUSY = (
    "An ingest or re-index is already running; questions are still answered from the current "
    "index. Try again when it finishes."
)
Work = Callable[[Outcome], Awaitable[str]]


class _Progress:
    """The latest progress report of a worker thread, and when its stage began."""

    def __init__(self) -> None:
        self.state = ("starting", 0, 0, time.monotonic())

    def __call__(self, stage: str, done: int, total: int) -> None:
        began = self.state[3] if self.state[0] == stage else time.monotonic()
        self.state = (stage, done, total, began)  # one assignment: safe across threads

    def text(self) -> str:
        stage, done, total, began = self.state
        return render.progress_text(stage, done, total, time.monotonic() - began)


def _upload_name(filename: str) -> str:
    """A safe file name for an upload, keeping its suffix (the loader chooses by suffix)."""
    path = Path(filename)
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", path.stem)[:80].strip("._") or "upload"
    return stem + path.suffix.lower()


class AdminCog(commands.Cog, name="Admin"):
    """Changing the index. One write at a time; questions keep being answered meanwhile."""

    def __init__(self, index: NewsIndex, settings: Settings, writes: Writes) -> None:
        self.index = index
        self.settings = settings
        self.writes = writes
        self.writing = asyncio.Lock()

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        """Every command here is for admins: refused to others even where a server has
        overridden the commands' default permissions."""
        return check_admin(interaction, self.settings.admin_ids)

    @app_commands.command(
        name="reindex", description="Admins: rebuild the search index from the stored articles."
    )
    @app_commands.default_permissions(manage_guild=True)
    async def reindex(self, interaction: discord.Interaction) -> None:
        await self._write(
            interaction, Audit.start(interaction), self._reindex, first="Re-indexing… starting"
        )

    async def _reindex(self, outcome: Outcome) -> str:
        """Re-index in a write thread, showing its progress; how it went."""
        started = time.monotonic()
        progress = _Progress()
        job = asyncio.ensure_future(self.writes.run(self.index.reindex, progress=progress))
        while not (await asyncio.wait({job}, timeout=TICK))[0]:
            outcome.progress(progress.text())
        job.result()
        stats = await asyncio.to_thread(self.index.stats)
        return render.reindex_done_text(stats, time.monotonic() - started)

    @app_commands.command(
        name="ingest", description="Admins: add articles from a web page or an attached file."
    )
    @app_commands.describe(
        url="A web page to fetch and add (http or https)",
        file="A .txt, .md, .html or .jsonl file of articles (up to 5 MB)",
        source="The news source to file them under (default: from the page or file)",
    )
    @app_commands.default_permissions(manage_guild=True)
    async def ingest(
        self,
        interaction: discord.Interaction,
        url: app_commands.Range[str, 1, 2000] | None = None,
        file: discord.Attachment | None = None,
        source: app_commands.Range[str, 1, 100] | None = None,
    ) -> None:
        name = None if file is None else file.filename
        audit = Audit.start(interaction, url=url, file=name, source=source)
        problem = _ingest_problem(url, file)
        await self._write(
            interaction, audit, lambda _: self._ingest(url, file, source), problem=problem
        )

    async def _ingest(
        self, url: str | None, file: discord.Attachment | None, source: str | None
    ) -> str:
        """Ingest the page at ``url`` or the uploaded ``file``; how it went."""
        if file is not None:
            report = await self._ingest_file(file, source)
        else:
            report = await self.writes.run(
                self.index.ingest,
                [str(url)],
                source=source,
                allow_private=self.settings.allow_private_urls,
            )
        return render.ingest_text(report)

    async def _ingest_file(self, file: discord.Attachment, source: str | None) -> IngestReport:
        """Save the attachment under its own suffix in a temporary folder and ingest it."""
        data = await file.read()
        if len(data) > MAX_UPLOAD_BYTES:
            return IngestReport(failed=((file.filename, "larger than the upload limit"),))
        with tempfile.TemporaryDirectory(prefix="newsbot-") as tmp:
            path = Path(tmp, "uploads", _upload_name(file.filename))
            path.parent.mkdir()
            path.write_bytes(data)
            report = await self.writes.run(self.index.ingest, [path], source=source)
        failed = tuple((item.replace(str(path), file.filename), why) for item, why in report.failed)
        return dataclasses.replace(report, failed=failed)

    @app_commands.command(name="remove", description="Admins: remove an article from the index.")
    @app_commands.describe(article_id="The article's id (start typing a headline to search)")
    @app_commands.default_permissions(manage_guild=True)
    async def remove(
        self, interaction: discord.Interaction, article_id: app_commands.Range[str, 1, 100]
    ) -> None:
        audit = Audit.start(interaction, article_id=article_id)
        await self._write(interaction, audit, lambda _: self._remove(article_id))

    async def _remove(self, article_id: str) -> str:
        """Remove the article; what was removed."""
        info = await self.writes.run(self.index.remove, article_id)
        return (
            f"Removed “{render.escape(info.title)}” ({render.escape(info.source)}, "
            f"id {render.escape(info.id)})."
        )

    async def _write(
        self,
        interaction: discord.Interaction,
        audit: Audit,
        work: Work,
        *,
        problem: str | None = None,
        first: str | None = None,
    ) -> None:
        """Run ``work`` for an admin, one write at a time, unless there is a ``problem``. The
        response is ``first``, else a "thinking…" placeholder; the outcome always reaches them."""
        if problem is None and self.writing.locked():
            problem = BUSY
        if problem is not None:
            await send_ephemeral(interaction, problem)
            audit.end(f"refused: {problem}")
            return
        async with self.writing:
            outcome = Outcome(interaction, spacing=PROGRESS_EVERY)
            await outcome.acknowledge(first)
            await conclude(work(outcome), outcome, audit)

    @remove.autocomplete("article_id")
    async def _article_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await article_choices(self.index, current)


def _ingest_problem(url: str | None, file: discord.Attachment | None) -> str | None:
    """Why an /ingest request cannot be run, or None."""
    if (url is None) == (file is None):
        return "Give either a `url` or a `file`, not both."
    if url is not None:
        return url_problem(url)
    if file is not None:
        if Path(file.filename).suffix.lower() not in UPLOAD_SUFFIXES:
            kinds = ", ".join(UPLOAD_SUFFIXES)
            return f"I can read {kinds} files, not {render.escape(file.filename)}."
        if file.size > MAX_UPLOAD_BYTES:
            return f"That file is {file.size:,} bytes; the limit is {MAX_UPLOAD_BYTES:,}."
    return None
