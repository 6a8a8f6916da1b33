"""The ``newsbot`` command line: a thin layer over ``index.NewsIndex`` (and the bot for ``run``)."""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import asdict, replace
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from index import (
    Answer,
    FeedInfo,
    FeedPollResult,
    IngestReport,
    NewsIndex,
    NewsIndexError,
    Progress,
    check_index,
    evaluate,
    load_questions,
    remote_from,
    unanswerable_found,
)

from .claims import claim_text
from .config import Settings, SettingsError, open_index, require_directory
from .followup import Exchange, rewrite
from .recent import FILE, TTL, keep_question, last_question
from .render import (
    Reply,
    answer_reply,
    count_noun,
    source_reply,
    statement_pages,
    statements_reply,
    understood_text,
)
from .timeparse import parse_window

__all__ = ["main"]


def _progress_bar(enabled: bool) -> tuple[Progress | None, Callable[[], None]]:
    """A tqdm bar per stage on stderr, or nothing when stderr is not a terminal."""
    if not enabled:
        return None, lambda: None
    from tqdm import tqdm

    bars: dict[str, Any] = {}

    def update(stage: str, done: int, total: int) -> None:
        bar = bars.get(stage)
        if bar is None:
            for other in bars.values():
                other.close()
            bar = bars[stage] = tqdm(desc=stage, total=total or None, unit="item", leave=False)
        if total and bar.total != total:
            bar.total = total
        bar.n = done
        bar.refresh()

    def close() -> None:
        for bar in bars.values():
            bar.close()

    return update, close


class _OneLine(logging.Formatter):
    """``newsbot: logger: message`` without a traceback: CLI errors are one line."""

    def formatException(self, ei: Any) -> str:
        return ""


def _cli_logging() -> None:
    """Warnings on stderr as one line each, and nothing below WARNING.

    Without a handler of its own, the first library that logs on the root logger (onnxruntime's
    advice while the model is exported) installs one that also prints bm25s's DEBUG lines.
    That advice, logged on the root logger itself, is dropped.
    """
    root = logging.getLogger()
    if root.handlers:  # a test runner or an embedding program set up logging
        return
    handler = logging.StreamHandler()
    handler.setLevel(logging.WARNING)
    handler.addFilter(lambda record: record.name != "root")
    handler.setFormatter(_OneLine("newsbot: %(name)s: %(message)s"))
    root.addHandler(handler)


def _print_answer(answer: Answer, as_json: bool, asked: str) -> None:
    """The answer to ``asked`` (understood as ``answer.question`` when a follow-up)."""
    if as_json:
        _print_json(answer)
    elif not answer.found or not answer.quotes:
        understood = understood_text(asked, answer.question)
        print((understood + "\n" if understood else "") + _not_found_text(answer.question))
    else:
        _print_reply(answer_reply(answer, asked=asked))


def _print_json(answer: Answer) -> None:
    print(json.dumps(_jsonable(asdict(answer)), indent=2, ensure_ascii=False))


def _print_reply(reply: Reply) -> None:
    """A reply as the bot would post it, each embed as a heading, its quote and its footer."""
    blocks = [reply.content] if reply.content else []
    for embed in reply.embeds:
        head = f"## {embed.title}\n" if embed.title else ""
        head += f"<{embed.url}>\n" if embed.url else ""
        blocks.append(f"{head}{embed.description}\n{embed.footer.text or ''}".rstrip())
    print("\n\n".join(blocks))


def _not_found_text(question: str) -> str:
    """The no-answer message of the terminal: its own commands, not Discord's."""
    return (
        f"I couldn't find a passage that answers “{' '.join(question.split())}”. Try other "
        "words, a wider --since / --until, or `newsbot articles` to see what is indexed."
    )


def _print_report(report: IngestReport) -> None:
    """The counts on stdout, the inputs' problems on stderr."""
    print(
        f"Ingested: {report.added} added, {report.updated} updated, "
        f"{report.unchanged} unchanged, {len(report.failed)} failed."
    )
    _print_inputs(report)


def _print_inputs(report: IngestReport) -> None:
    """Each failed input, and each read in another encoding than UTF-8, on stderr (plain text:
    the Discord report escapes markdown)."""
    for where, what in (*report.failed, *report.notes):
        print(f"newsbot: {where}: {what}", file=sys.stderr)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value.isoformat() if isinstance(value, date) else value


def cmd_ingest(args: argparse.Namespace) -> int:
    idx = open_index(args.settings)  # makes the index when there is none
    progress, close = _progress_bar(sys.stderr.isatty() and not args.quiet)
    try:
        report = idx.ingest(
            args.paths,
            source=args.source,
            progress=progress,
            allow_private=args.settings.allow_private_urls,
        )
    finally:
        close()
    _print_report(report)
    return 1 if report.failed and not (report.added or report.updated or report.unchanged) else 0


def cmd_ask(args: argparse.Namespace) -> int:
    since, until = parse_window(args.since, args.until)
    idx = open_index(args.settings, must_exist=True)
    kept = args.settings.data_dir / FILE
    question = args.question
    if args.follow:
        question = rewrite(question, _previous(idx, kept))
    answer = idx.ask(question, k=args.k, source=args.source, since=since, until=until)
    _print_answer(answer, args.json, args.question)
    with contextlib.suppress(OSError):  # a read-only index still answers; only --follow fails
        keep_question(kept, answer.question)  # for the next `ask --follow`
    return 0 if answer.found else 3


def _previous(idx: NewsIndex, kept: Path) -> Exchange | None:
    """The previous exchange of the command line, if within the window. Only its question is
    kept; asking it again finds whom its answer quoted first (for "he", "she")."""
    question = last_question(kept)
    if question is None:
        print(
            f"newsbot: no question asked in the last {TTL / 60:.0f} minutes to follow up; "
            "asking this one as it is",
            file=sys.stderr,
        )
        return None
    return Exchange.of(idx.ask(question, k=1))


def cmd_source(args: argparse.Namespace) -> int:
    since, until = parse_window(args.since, args.until)
    claim = claim_text(args.claim)
    if not claim:
        raise ValueError("the claim has no words to look up, only mentions, links or formatting")
    idx = open_index(args.settings, must_exist=True)
    answer = idx.ask(claim, k=args.k, source=args.source, since=since, until=until)
    if args.json:
        _print_json(answer)
    else:
        _print_reply(source_reply(answer))
    return 0 if answer.found else 3


def cmd_quotes(args: argparse.Namespace) -> int:
    since, until = parse_window(args.since, args.until)
    idx = open_index(args.settings, must_exist=True)
    found = idx.quotes(args.person, topic=args.topic, source=args.source, since=since, until=until)
    if args.json:
        print(json.dumps(_jsonable([asdict(q) for q in found]), indent=2, ensure_ascii=False))
    elif not found:
        known = ", ".join(name for name, _ in idx.speakers(args.person, limit=3))
        print(
            f"No quotes by {args.person} found."
            + (f" Names like it: {known}." if known else " Try a surname, or `newsbot speakers`.")
        )
    else:  # every page, as the bot shows them
        for page in range(statement_pages(len(found))):
            _print_reply(statements_reply(args.person, found, page, args.topic))
    return 0 if found else 3


def cmd_speakers(args: argparse.Namespace) -> int:
    idx = open_index(args.settings, must_exist=True)
    for name, n in idx.speakers(args.typed or "", limit=args.limit or 25):
        print(f"{n:>5}  {name}")
    return 0


def cmd_stats(args: argparse.Namespace) -> int:
    stats = open_index(args.settings, must_exist=True).stats()
    for key, value in asdict(stats).items():
        print(f"{key:<11} {value}")
    return 0


def cmd_articles(args: argparse.Namespace) -> int:
    idx = open_index(args.settings, must_exist=True)
    if args.latest:
        source = idx.resolve_source(args.source) if args.source else None
        found = idx.latest(source=source, limit=args.limit or 10)
    else:
        found = idx.articles(source=args.source, limit=args.limit)
    width = max((len(a.id) for a in found), default=0)
    for a in found:
        day = a.published.isoformat() if a.published else "undated"
        print(f"{a.id:<{width}}  {day:<10}  {a.source:<20.20}  {a.title}")
    return 0


def cmd_remove(args: argparse.Namespace) -> int:
    info = open_index(args.settings, must_exist=True).remove(args.article_id)
    print(f"removed {info.id}: {info.title}")
    return 0


def cmd_reindex(args: argparse.Namespace) -> int:
    idx = open_index(args.settings, rebuild=True, must_exist=True)
    progress, close = _progress_bar(sys.stderr.isatty() and not args.quiet)
    try:
        report = idx.reindex(progress=progress)
    finally:
        close()
    stats = idx.stats()
    print(f"reindexed {report.updated} articles into {stats.passages} passages ({stats.model})")
    return 0


def cmd_doctor(args: argparse.Namespace) -> int:
    settings = args.settings
    require_directory(Path(args.data))
    remote = remote_from(settings.store, settings.store_token) if settings.store else None
    problems = check_index(
        args.data, model=settings.embedding_model, encoder=settings.encoder, remote=remote
    )
    for problem in problems:
        print(problem)
    if problems:
        return 1
    stats = open_index(args.settings).stats()
    print(
        f"ok: {stats.articles} articles, {stats.passages} passages, generation {stats.generation}"
    )
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    idx = open_index(args.settings, must_exist=True)
    progress, close = _progress_bar(sys.stderr.isatty() and not args.quiet)
    try:
        copied = idx.migrate(args.to, token=args.settings.store_token, progress=progress)
    finally:
        close()
    print(
        f"copied {copied} passage vectors to {remote_from(args.to)}; now set NEWSBOT_STORE="
        f"{args.to} for every newsbot that reads {args.data}"
    )
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    questions = load_questions(args.questions)
    with tempfile.TemporaryDirectory(prefix="newsbot-eval-") as tmp:
        # ARTICLES go into a fresh index unless --data names one: never into the default ./data
        fresh = args.articles and not args.data_given
        idx = open_index(
            args.settings, data_dir=tmp if fresh else args.data, must_exist=not args.articles
        )
        if args.articles:
            progress, close = _progress_bar(sys.stderr.isatty())
            try:
                report = idx.ingest([args.articles], progress=progress)
            finally:
                close()
            _print_inputs(report)
        result = evaluate(
            lambda q, k, until=None: idx.ask(q, k=k, until=until),
            questions,
            k=args.k,
            as_of=args.as_of,
        )
        removed = unanswerable_found(idx, questions, args.unanswerable)
    if args.json:
        print(json.dumps({**result.as_dict(), "unanswerable": removed}, indent=2))
        return 0
    k = args.k
    rows = [
        ("questions", f"{result.questions}"),
        ("answer-in-quote@1", f"{result.at_1:.3f}"),
        (f"answer-in-quote@{k}", f"{result.at_k:.3f}"),
        ("highlight@1", f"{result.highlight_at_1:.3f}"),
        (f"mean chars in {k} quotes", f"{result.mean_chars_k:.0f}"),
        ("found", f"{result.found:.3f}"),
        ("latency p50 / p95 (ms)", f"{result.p50_ms:.0f} / {result.p95_ms:.0f}"),
    ]
    if removed[0]:
        rows.append(("found, own article out", f"{removed[1]:.3f} of {removed[0]}"))
    for name, value in rows:
        print(f"{name:<24} {value}")
    return 0


def _when(moment: datetime | None, now: datetime) -> str:
    if moment is None or moment <= now:
        return "due now" if moment is None else f"{moment:%Y-%m-%d %H:%M} UTC (due)"
    minutes = round((moment - now).total_seconds() / 60)
    return f"{moment:%Y-%m-%d %H:%M} UTC (in {minutes} min)"


def _feed_lines(feed: FeedInfo, now: datetime) -> list[str]:
    polled = f"{feed.last_polled:%Y-%m-%d %H:%M} UTC" if feed.last_polled else "never"
    lines = [
        feed.url,
        f"  source {feed.source} · {count_noun(feed.articles, 'article')}"
        + (f" · announced in channel {feed.channel_id}" if feed.channel_id else ""),
        f"  last poll {polled} · next poll {_when(feed.next_poll, now)}",
    ]
    if feed.last_error:
        lines.append(
            f"  last error ({count_noun(feed.failures, 'failed poll')} in a row): {feed.last_error}"
        )
    return lines


def _poll_line(result: FeedPollResult) -> str:
    head = f"{result.feed.source} <{result.feed.url}>: "
    if result.error is not None:
        return head + f"failed ({result.error})"
    if result.not_modified:
        return head + "not modified"
    parts = [f"{len(result.new)} new of {count_noun(result.entries, 'entry', 'entries')}"]
    if result.fallbacks:
        parts.append(f"{result.fallbacks} from the feed's own text")
    if result.failed:
        parts.append(f"{len(result.failed)} failed")
    if result.backlog:
        parts.append(f"{result.backlog} left for the next poll")
    lines = [head + ", ".join(parts)]
    lines += [f"  {what}: {why}" for what, why in result.failed]
    return "\n".join(lines)


def cmd_feeds(args: argparse.Namespace) -> int:
    idx = open_index(args.settings)
    settings = args.settings
    if args.action == "add":
        feed = idx.add_feed(
            args.url,
            source=args.source,
            channel_id=args.channel,
            allow_private=settings.allow_private_urls,
        )
        print(
            f"following {feed.url} as {feed.source!r}; `newsbot feeds poll` fetches it now, the "
            f"bot every {settings.feed_interval} min"
        )
    elif args.action == "list":
        now = datetime.now(timezone.utc)
        feeds = idx.feeds()
        if not feeds:
            print("no feeds yet: add one with `newsbot feeds add URL`")
        for feed in feeds:
            print("\n".join(_feed_lines(feed, now)))
    elif args.action == "remove":
        feed = idx.remove_feed(args.url)
        kept = count_noun(feed.articles, "article")
        print(f"stopped following {feed.url} (its {kept} stay in the index)")
    else:
        progress, close = _progress_bar(sys.stderr.isatty() and not args.quiet)
        try:
            results = idx.poll_feeds(
                interval=timedelta(minutes=settings.feed_interval),
                allow_private=settings.allow_private_urls,
                progress=progress,
            )
        finally:
            close()
        for result in results:
            print(_poll_line(result))
        failed = sum(not r.ok for r in results)
        new = sum(len(r.new) for r in results)
        summary = f"{count_noun(new, 'new article')}, {failed} failed"
        print(f"polled {count_noun(len(results), 'feed')}: {summary}")
        return 1 if failed else 0
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from .client import run_bot

    return run_bot(args.settings)


def _at_least_one(value: str) -> int:
    """An argparse type: a whole number of at least 1."""
    if not value.strip().isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError("must be a whole number of at least 1")
    return int(value)


def _search_options(p: argparse.ArgumentParser) -> None:
    """The options ``ask`` and ``source`` share."""
    p.add_argument(
        "--k", type=int, default=3, choices=range(1, 11), metavar="N", help="quotes (1-10)"
    )
    p.add_argument("--source", help="only this source")
    p.add_argument("--since", help="a date (2015-11-16) or a span (24h, 7d)")
    p.add_argument("--until", help="a date (2015-11-30)")
    p.add_argument("--json", action="store_true", help="print the answer as JSON")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="newsbot", description="Answer questions about news articles by quoting them."
    )
    parser.add_argument("--data", help="index directory (default: $NEWSBOT_DATA_DIR or ./data)")
    parser.add_argument(
        "--env-file",
        metavar="PATH",
        help="read settings from this file (default: .env in the current directory); "
        "variables set in the environment win",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser(
        "ingest", help="add or update articles from files, folders, .jsonl or http(s) URLs"
    )
    p.add_argument(
        "paths",
        nargs="+",
        metavar="PATH",
        help="files (.txt .md .html .jsonl .jsonl.gz), folders or http(s) URLs",
    )
    p.add_argument("--source", help="the outlet name to record (default: from the file)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("ask", help="answer a question with quotes")
    p.add_argument("question")
    _search_options(p)
    p.add_argument(
        "--follow",
        action="store_true",
        help=f"a follow-up: take what it leaves out (he, she, what about...) from the question "
        f"asked last, within {TTL / 60:.0f} minutes",
    )
    p.set_defaults(func=cmd_ask)

    p = sub.add_parser(
        "source", help="find where the articles say a claim (never whether it is true)"
    )
    p.add_argument("claim", help="a sentence, a paraphrase or a pasted message")
    _search_options(p)
    p.set_defaults(func=cmd_source)

    p = sub.add_parser("quotes", help="what a person or organisation is quoted saying")
    p.add_argument("person", help='a name as the articles write it ("Helena Marsh", "the Met")')
    p.add_argument("--topic", help="rank their quotes by this topic rather than by date")
    p.add_argument("--source", help="only this source")
    p.add_argument("--since", help="a date (2015-11-16) or a span (24h, 7d)")
    p.add_argument("--until", help="a date (2015-11-30)")
    p.add_argument("--json", action="store_true", help="print the quotes as JSON")
    p.set_defaults(func=cmd_quotes)

    p = sub.add_parser("speakers", help="who is quoted, the most quoted first")
    p.add_argument("typed", nargs="?", help="only names it starts (e.g. a surname)")
    p.add_argument("--limit", type=_at_least_one, help="at most this many (default 25)")
    p.set_defaults(func=cmd_speakers)

    p = sub.add_parser("stats", help="what the index holds")
    p.set_defaults(func=cmd_stats)

    p = sub.add_parser("articles", help="list articles, newest first")
    p.add_argument("--source", help="only this source")
    p.add_argument("--limit", type=_at_least_one, help="at most this many (1 or more)")
    p.add_argument(
        "--latest",
        action="store_true",
        help="the newest (default 10), undated ones by when they were added",
    )
    p.set_defaults(func=cmd_articles)

    p = sub.add_parser("feeds", help="follow RSS and Atom feeds")
    feeds = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    f = feeds.add_parser("add", help="follow a feed (fetched once now to check it)")
    f.add_argument("url")
    f.add_argument("--source", help="the source name of its articles (default: the feed's title)")
    f.add_argument("--channel", type=int, help="a Discord channel id the bot tells of new articles")
    f = feeds.add_parser("list", help="feeds with their last poll, next poll and last error")
    f = feeds.add_parser("remove", help="stop following a feed (its articles stay)")
    f.add_argument("url")
    f = feeds.add_parser("poll", help="poll every feed once, now, and ingest new entries")
    f.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_feeds)

    p = sub.add_parser("remove", help="remove one article by id")
    p.add_argument("article_id")
    p.set_defaults(func=cmd_remove)

    p = sub.add_parser("reindex", help="rebuild passages and vectors from the stored articles")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_reindex)

    p = sub.add_parser("migrate", help="copy the index's vectors to a Milvus server")
    p.add_argument("--to", required=True, metavar="URI", help="milvus://HOST:PORT[/NAME]")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_migrate)

    p = sub.add_parser("doctor", help="check the index: manifest, files, counts, leftovers")
    p.set_defaults(func=cmd_doctor)

    p = sub.add_parser("eval", help="measure answer quality on a question set")
    p.add_argument(
        "articles",
        nargs="?",
        help="articles to index (.jsonl, file or folder), in a temporary index unless --data is given",
    )
    p.add_argument("questions", help="questions .jsonl (squad-dev or seeds format)")
    p.add_argument("--k", type=int, default=3, help="quotes per question (default 3)")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument(
        "--as-of",
        action="store_true",
        help="ask each question as of its date (news-quiz-dev): only articles published by then",
    )
    p.add_argument(
        "--unanswerable",
        type=int,
        default=0,
        metavar="N",
        help="also ask N questions with their own article removed (needs article_id)",
    )
    p.set_defaults(func=cmd_eval)

    p = sub.add_parser("run", help="start the Discord bot (DISCORD_TOKEN in .env)")
    p.set_defaults(func=cmd_run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``newsbot``: one clear line on stderr and a non-zero code on errors."""
    args = _parser().parse_args(argv)
    if args.func is not cmd_run:  # the bot sets up its own logging (NEWSBOT_LOG_LEVEL)
        _cli_logging()
    try:
        settings = _settings(args.env_file)
        if args.data is not None:
            settings = replace(settings, data_dir=Path(args.data))
        args.data_given = args.data is not None
        args.settings, args.data = settings, str(settings.data_dir)
        return int(args.func(args))
    except (NewsIndexError, SettingsError, ValueError) as exc:
        print(f"newsbot: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("newsbot: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except OSError as exc:  # the file system said no: one line, as for the library's errors
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"newsbot: {where}{exc.strerror or exc}", file=sys.stderr)
        return 2


def _settings(env_file: str | None) -> Settings:
    """Settings from the environment and ``env_file`` (default: ./.env, when there is one)."""
    if env_file is None:
        return Settings.from_env()
    if not Path(env_file).is_file():
        raise SettingsError(f"--env-file {env_file}: no such file")
    return Settings.from_env(env_file)


if __name__ == "__main__":
    raise SystemExit(main())
