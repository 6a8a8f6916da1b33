"""Input I/O: turn files, folders, JSON lines and URLs into (uncleaned) ``Article`` objects.

Every input either yields articles or a ``LoadFailure`` naming the input and the reason; one bad
input never stops the others.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path
from urllib.parse import urlsplit

from ..errors import LoadError
from ..models import Article
from .fetch import MAX_FETCH_BYTES, fetch, private_urls_allowed

__all__ = [
    "SUFFIXES",
    "LoadFailure",
    "article_from_html",
    "article_id",
    "iter_articles",
    "load_file",
    "load_url",
    "parse_date",
]

SUFFIXES = frozenset({".txt", ".md", ".markdown", ".html", ".htm", ".jsonl"})
MAX_FILE_BYTES = 20 * 1024 * 1024
_DATE_PREFIX = re.compile(r"(\d{4}-\d{2}-\d{2})")


@dataclass(frozen=True)
class LoadFailure:
    """An input that was skipped, and why."""

    input: str
    reason: str


def article_id(*, given: str | None = None, url: str | None = None, key: str | None = None) -> str:
    """A stable id: the given one, else a hash of the url, else a hash of ``key`` (path or content)."""
    if given and given.strip():
        return given.strip()
    basis = f"url:{url}" if url else f"key:{key}"
    return hashlib.sha1(basis.encode()).hexdigest()[:16]


def parse_date(value: object) -> date | None:
    """A date from ``YYYY-MM-DD`` (optionally with a time), a date or a datetime; else None."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str) and (m := _DATE_PREFIX.search(value)):
        try:
            return date.fromisoformat(m.group(1))
        except ValueError:
            return None
    return None


def site_of(url: str | None) -> str | None:
    """The host of ``url`` without ``www.``."""
    if not url:
        return None
    host = urlsplit(url).hostname or ""
    return host.removeprefix("www.") or None


def _decode(data: bytes, name: str) -> str:
    if not data.strip():
        raise LoadError(f"{name}: empty file")
    if b"\x00" in data[:8192]:
        raise LoadError(f"{name}: binary file, not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise LoadError(f"{name}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc


def _from_plain(text: str, *, name: str, key: str, source: str, published: date | None) -> Article:
    """Seed format: headline, standfirst, then the body; the standfirst is kept as the first paragraph."""
    lines = text.strip().split("\n")
    title = lines[0].strip()
    body = "\n".join(lines[1:]).strip()
    if not title or not body:
        raise LoadError(f"{name}: needs a headline line and a body")
    return Article(article_id(key=key), title, body, source, published=published)


_MD_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_MD_MARKS = re.compile(r"(\*\*|__|\*|_|`)(?=\S)(.+?)(?<=\S)\1")


def _from_markdown(
    text: str, *, name: str, key: str, source: str, published: date | None
) -> Article:
    lines = [ln.rstrip() for ln in text.strip().split("\n")]
    title = next((ln.lstrip("# ").strip() for ln in lines if ln.startswith("# ")), lines[0].strip())
    body_lines = []
    skipped_title = False
    for ln in lines:
        if not skipped_title and ln.lstrip("# ").strip() == title:
            skipped_title = True
            continue
        ln = re.sub(r"^\s{0,3}(#{1,6}\s+|>\s?|[-*+]\s+|\d+[.)]\s+)", "", ln)
        body_lines.append(_MD_MARKS.sub(r"\2", _MD_LINK.sub(r"\1", ln)))
    body = "\n".join(body_lines).strip()
    title = _MD_MARKS.sub(r"\2", _MD_LINK.sub(r"\1", title))
    if not title or not body:
        raise LoadError(f"{name}: needs a title and a body")
    return Article(article_id(key=key), title, body, source, published=published)


def article_from_html(
    html: str | bytes,
    *,
    name: str,
    url: str | None = None,
    source: str | None = None,
    key: str = "",
) -> Article:
    """Main text, headline, author, date and site name of an HTML page, extracted by trafilatura."""
    import trafilatura  # slow to import; only needed for HTML

    doc = trafilatura.bare_extraction(
        html, url=url, with_metadata=True, include_comments=False, include_tables=False
    )
    text = getattr(doc, "text", None) if doc is not None else None
    if not text or not text.strip():
        raise LoadError(f"{name}: no article text found in the HTML")
    title = (getattr(doc, "title", None) or "").strip()
    lines = text.strip().split("\n")
    if title and lines and lines[0].strip() == title:
        lines = lines[1:]
    if not title:
        title, lines = lines[0].strip(), lines[1:]
    if not "".join(lines).strip():
        raise LoadError(f"{name}: no article text found in the HTML, only a headline")
    page_url = url or getattr(doc, "url", None)
    return Article(
        id=article_id(url=page_url, key=key or text),
        title=title,
        text="\n".join(lines).strip(),
        source=source or getattr(doc, "sitename", None) or site_of(page_url) or "web",
        url=page_url,
        published=parse_date(getattr(doc, "date", None)),
        author=getattr(doc, "author", None) or None,
    )


def _from_jsonl(text: str, *, name: str, source: str | None) -> Iterator[Article | LoadFailure]:
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        where = f"{name}:{number}"
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            yield LoadFailure(where, f"malformed JSON ({exc.msg})")
            continue
        if not isinstance(row, dict):
            yield LoadFailure(where, "expected a JSON object")
            continue
        title, body = row.get("title"), row.get("text")
        if not isinstance(title, str) or not title.strip():
            yield LoadFailure(where, 'missing "title"')
            continue
        if not isinstance(body, str) or not body.strip():
            yield LoadFailure(where, 'missing "text"')
            continue
        url = row.get("url") if isinstance(row.get("url"), str) else None
        given = row.get("id")
        yield Article(
            id=article_id(given=str(given) if given is not None else None, url=url, key=body),
            title=title.strip(),
            text=body,
            source=source or _str(row.get("source")) or site_of(url) or Path(name).stem,
            url=url,
            published=parse_date(row.get("published")),
            author=_str(row.get("author")),
        )


def _folder_source(name: str) -> str:
    """A source name from a folder: ``harbour-gazette`` -> ``Harbour Gazette``."""
    if name and name == name.lower():
        return " ".join(word.capitalize() for word in re.split(r"[-_\s]+", name) if word) or "Local"
    return name or "Local"


def _str(value: object) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def load_file(
    path: Path, *, source: str | None = None, max_bytes: int = MAX_FILE_BYTES
) -> Iterator[Article | LoadFailure]:
    """Articles in one file. A file's id comes from its source and name, so an edit replaces it."""
    name = str(path)
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise LoadError(f"{name}: too large ({size:,} bytes; the limit is {max_bytes:,})")
        text = _decode(path.read_bytes(), name)
        suffix = path.suffix.lower()
        if suffix == ".jsonl":
            yield from _from_jsonl(text, name=name, source=source)
            return
        folder_source = source or _folder_source(path.parent.name)
        file_key = f"{folder_source}/{path.name}"
        published = parse_date(path.name)
        if suffix in (".html", ".htm"):
            yield article_from_html(text, name=name, source=source, key=file_key)
        elif suffix in (".md", ".markdown"):
            yield _from_markdown(
                text, name=name, key=file_key, source=folder_source, published=published
            )
        else:
            yield _from_plain(
                text, name=name, key=file_key, source=folder_source, published=published
            )
    except LoadError as exc:
        yield LoadFailure(name, str(exc).removeprefix(f"{name}: "))
    except OSError as exc:
        yield LoadFailure(name, exc.strerror or str(exc))


_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})


def _is_url(item: str | Path) -> bool:
    return isinstance(item, str) and item[:8].lower().startswith(("http://", "https://"))


def load_url(
    url: str, *, source: str | None = None, max_bytes: int = MAX_FETCH_BYTES, allow_private: bool
) -> Iterator[Article | LoadFailure]:
    """The article at ``url`` (an HTML or plain-text page), fetched with ``index.fetch.fetch``."""
    try:
        got = fetch(url, allow_private=allow_private, max_bytes=min(max_bytes, MAX_FETCH_BYTES))
        final = got.url_final
        if got.content_type in _HTML_TYPES:
            html = got.text if got.charset else got.body  # no charset: let the extractor sniff
            yield article_from_html(html, name=url, url=final, source=source)
        elif got.content_type == "text/plain":
            text = _decode(got.body, url) if not got.charset else got.text
            art = _from_plain(
                text, name=url, key=final, source=source or site_of(final) or "web", published=None
            )
            yield replace(art, id=article_id(url=final), url=final)
        else:
            raise LoadError(
                f"{url}: {got.content_type} is not an article page (HTML or plain text)"
            )
    except LoadError as exc:
        yield LoadFailure(url, str(exc).removeprefix(f"{url}: "))


def iter_articles(
    inputs: Iterable[str | Path],
    *,
    source: str | None = None,
    max_bytes: int = MAX_FILE_BYTES,
    allow_private: bool | None = None,
) -> Iterator[Article | LoadFailure]:
    """Articles from files, folders (recursively, by suffix) and http(s) URLs; failures are yielded.

    URLs to private addresses are refused unless ``allow_private`` (None: read
    ``NEWSBOT_ALLOW_PRIVATE_URLS`` from the environment now). URLs are capped at 5 MB.
    """
    private_ok = private_urls_allowed() if allow_private is None else allow_private
    for item in inputs:
        if _is_url(item):
            yield from load_url(
                str(item), source=source, max_bytes=max_bytes, allow_private=private_ok
            )
            continue
        path = Path(item)
        if not path.exists():
            yield LoadFailure(str(item), "no such file or folder")
        elif path.is_dir():
            files = sorted(
                p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES
            )
            if not files:
                yield LoadFailure(str(item), "no .txt, .md, .html or .jsonl files in this folder")
            for file in files:
                if file.name.lower() == "readme.md":
                    continue
                yield from load_file(file, source=source, max_bytes=max_bytes)
        else:
            yield from load_file(path, source=source, max_bytes=max_bytes)
