"""Admin commands: /reindex with progress, /ingest a URL or file, /remove an article."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import re
import tempfile
import time
from pathlib import Path

import discord
from discord import app_commands
from discord.ext import commands

from bot import render
from bot.checks import check_admin, url_problem
from bot.choices import article_choices
from bot.config import Settings
from bot.replies import NO_MENTIONS, send_ephemeral
from bot.writes import Writes
from index import IndexBusyError, IngestReport, NewsIndex, NewsIndexError

__all__ = ["AdminCog"]

log = logging.getLogger("newsbot.admin")

UPLOAD_SUFFIXES = (".txt", ".md", ".html", ".htm", ".jsonl")
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
PROGRESS_EVERY = 2.0  # seconds between edits of the /reindex message, at least
BUSY = (
    "An ingest or re-index is already running; questions are still answered from the current "
    "index. Try again when it finishes."
)


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
        if self.writing.locked():
            await send_ephemeral(interaction, BUSY)
            return
        async with self.writing:
            await interaction.response.send_message(
                "Re-indexing… starting", ephemeral=True, allowed_mentions=NO_MENTIONS
            )
            started = time.monotonic()
            progress = _Progress()
            job = asyncio.ensure_future(self.writes.run(self.index.reindex, progress=progress))
            last_edit = time.monotonic()
            shown = ""
            while not (await asyncio.wait({job}, timeout=PROGRESS_EVERY))[0]:
                text = progress.text()
                if text != shown:
                    await _edit(interaction, text)
                    last_edit, shown = time.monotonic(), text
            try:
                job.result()
                stats = await asyncio.to_thread(self.index.stats)
                text = render.reindex_done_text(stats, time.monotonic() - started)
            except IndexBusyError:
                text = BUSY
            except NewsIndexError as exc:
                text = f"Re-index failed: {render.escape(str(exc))}"
            await asyncio.sleep(last_edit + PROGRESS_EVERY - time.monotonic())
            await _edit(interaction, text)

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
        problem = _ingest_problem(url, file)
        if problem is None and self.writing.locked():
            problem = BUSY
        if problem is not None:
            await send_ephemeral(interaction, problem)
            return
        async with self.writing:
            await interaction.response.defer(ephemeral=True, thinking=True)
            if file is not None:
                report = await self._ingest_file(file, source)
            else:
                report = await self.writes.run(
                    self.index.ingest,
                    [str(url)],
                    source=source,
                    allow_private=self.settings.allow_private_urls,
                )
            await interaction.followup.send(
                render.ingest_text(report), ephemeral=True, allowed_mentions=NO_MENTIONS
            )

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
        if self.writing.locked():
            await send_ephemeral(interaction, BUSY)
            return
        async with self.writing:
            await interaction.response.defer(ephemeral=True, thinking=True)
            info = await self.writes.run(self.index.remove, article_id)
            await interaction.followup.send(
                f"Removed “{render.escape(info.title)}” ({render.escape(info.source)}, "
                f"id {render.escape(info.id)}).",
                ephemeral=True,
                allowed_mentions=NO_MENTIONS,
            )

    @remove.autocomplete("article_id")
    async def _article_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await article_choices(self.index, current)


async def _edit(interaction: discord.Interaction, text: str) -> None:
    """Edit the response; a failed edit (say, a token expired on a long run) must not stop the job."""
    try:
        await interaction.edit_original_response(content=text, allowed_mentions=NO_MENTIONS)
    except discord.HTTPException:
        log.warning("could not update the /%s message", interaction.command, exc_info=True)


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
