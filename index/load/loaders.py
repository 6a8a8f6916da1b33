"""Input I/O: turn files, folders, JSON lines and URLs into (uncleaned) ``Article`` objects.

Every input either yields articles or a ``LoadFailure`` naming the input and the reason; one bad
input never stops the others. JSON lines (plain or gzipped) are read a line at a time, so a
file of any size is read in bounded memory; the size limit applies to each line.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import io
import json
import re
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

import yaml

from ..errors import LoadError
from ..models import Article
from .dates import byline_date, parse_date, url_date
from .fetch import MAX_FETCH_BYTES, fetch, private_urls_allowed

__all__ = [
    "MAX_FILE_BYTES",
    "SUFFIXES",
    "LoadFailure",
    "Note",
    "article_from_html",
    "article_id",
    "iter_articles",
    "load_file",
    "load_url",
    "parse_date",
]

SUFFIXES = frozenset({".txt", ".md", ".markdown", ".html", ".htm", ".jsonl", ".jsonl.gz"})
MAX_FILE_BYTES = 20 * 1024 * 1024  # one file, or one line (one article) of a .jsonl
_MARKDOWN = (".md", ".markdown")
_JSONL = (".jsonl", ".jsonl.gz")
_SCHEME = re.compile(r"(?P<scheme>[a-z][a-z0-9+.-]*)://", re.I)

# Told of an input that loaded with something worth knowing: note(input, what).
Note = Callable[[str, str], None]


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


def site_of(url: str | None) -> str | None:
    """The host of ``url`` without ``www.``."""
    if not url:
        return None
    host = urlsplit(url).hostname or ""
    return host.removeprefix("www.") or None


# --- decoding ---------------------------------------------------------------------------------


def _tell(note: Note | None, name: str, what: str) -> None:
    if note is not None:
        note(name, what)


def _guess(data: bytes) -> tuple[str, str] | None:
    """Text and encoding of bytes that are not UTF-8, as charset-normalizer reads them; among
    equally plausible readings, cp1252 (older Western news exports), which a short text cannot
    tell from its neighbours."""
    from charset_normalizer import from_bytes  # only needed for the rare non-UTF-8 file

    matches = from_bytes(data)
    best = matches.best()
    if best is None:
        return None
    for match in matches:
        if match.chaos == best.chaos and "cp1252" in match.could_be_from_charset:
            return str(match), "cp1252"
    return str(best), best.encoding


def _text_of(data: bytes, name: str) -> tuple[str, str | None]:
    """The text of ``data`` and, when it is not UTF-8, the encoding it was read in."""
    if not data.strip():
        raise LoadError(f"{name}: empty file")
    if b"\x00" in data[:8192]:
        raise LoadError(f"{name}: binary file, not text")
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError as exc:
        guessed = _guess(data)
        if guessed is None:
            raise LoadError(
                f"{name}: not UTF-8 text ({exc.reason} at byte {exc.start}), nor text in "
                "another encoding"
            ) from exc
        return guessed


def _decode(data: bytes, name: str, note: Note | None = None) -> str:
    """UTF-8 text, else text in the encoding charset-normalizer recognises (``note`` is told)."""
    text, encoding = _text_of(data, name)
    if encoding is not None:
        _tell(note, name, f"not UTF-8: read as {encoding}")
    return text


# --- text formats -----------------------------------------------------------------------------


def _source_name(name: str) -> str:
    """A source name from a folder or file name: ``harbour-gazette`` -> ``Harbour Gazette``."""
    if name and name == name.lower():
        return " ".join(word.capitalize() for word in re.split(r"[-_\s]+", name) if word) or "Local"
    return name or "Local"


def _str(value: object) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _from_plain(text: str, *, name: str, key: str, source: str, published: date | None) -> Article:
    """Seed format: headline, standfirst, then the body; the standfirst is kept as the first paragraph."""
    lines = text.strip().split("\n")
    title = lines[0].strip()
    body = "\n".join(lines[1:]).strip()
    if not title or not body:
        raise LoadError(f"{name}: needs a headline line and a body")
    return Article(
        article_id(key=key), title, body, source, published=published or byline_date(body)
    )


_MD_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_MD_MARKS = re.compile(r"(\*\*|__|\*|_|`)(?=\S)(.+?)(?<=\S)\1")
_FRONT_MATTER = re.compile(r"---[ \t]*\r?\n(?P<yaml>.*?)^(?:---|\.\.\.)[ \t]*\r?$\n?", re.S | re.M)
_FRONT_MATTER_MAX = 64 * 1024  # front matter is a few fields: a longer block is not one


def _front_matter(text: str, name: str) -> tuple[dict[str, object], str]:
    """The fields of a YAML front matter block (``---`` lines around ``key: value`` lines) and
    the text after it; no fields when the text has none."""
    m = _FRONT_MATTER.match(text[:_FRONT_MATTER_MAX])
    if m is None:
        return {}, text
    try:
        fields = yaml.safe_load(m.group("yaml"))
    except (yaml.YAMLError, RecursionError) as exc:
        problem = getattr(exc, "problem", None) or type(exc).__name__
        mark = getattr(exc, "problem_mark", None)
        where = f" on line {mark.line + 2}" if mark is not None else ""
        raise LoadError(f"{name}: malformed front matter ({problem}{where})") from exc
    if not isinstance(fields, dict):  # a rule and a paragraph, not front matter
        return {}, text
    return {str(k).lower(): v for k, v in fields.items()}, text[m.end() :]


def _markdown_plain(line: str) -> str:
    return _MD_MARKS.sub(r"\2", _MD_LINK.sub(r"\1", line))


def _from_markdown(
    text: str,
    *,
    name: str,
    key: str,
    source: str,
    published: date | None,
    fields: dict[str, object],
) -> Article:
    """A markdown article: the title from the front matter, else the first ``# `` heading (else
    the first line), which is left out of the body; markup is removed. The front matter's date
    wins over ``published`` (from the file name), then come the URL's and the byline's."""
    lines = [ln.rstrip() for ln in text.strip().split("\n")]
    heading = next(
        (ln.lstrip("# ").strip() for ln in lines if ln.startswith("# ")), lines[0].strip()
    )
    title = _str(fields.get("title")) or heading
    body_lines = []
    skipped_title = False
    for ln in lines:
        if not skipped_title and ln.lstrip("# ").strip() == title:
            skipped_title = True
            continue
        ln = re.sub(r"^\s{0,3}(#{1,6}\s+|>\s?|[-*+]\s+|\d+[.)]\s+)", "", ln)
        body_lines.append(_markdown_plain(ln))
    body = "\n".join(body_lines).strip()
    title = _markdown_plain(title)
    if not title or not body:
        raise LoadError(f"{name}: needs a title and a body")
    url = _str(fields.get("url"))
    return Article(
        article_id(key=key),
        title,
        body,
        source,
        url=url,
        published=parse_date(fields.get("date") or fields.get("published"))
        or published
        or url_date(url)
        or byline_date(body),
        author=_str(fields.get("author")),
    )


# Dates from the page's markup only (meta tags, <time>, JSON-LD, URL): htmldate's search of the
# text guesses (a bare "2017" became 1 January 2017); the byline search below is stricter.
_METADATA_DATES = {"original_date": True, "extensive_search": False}


def article_from_html(
    html: str | bytes,
    *,
    name: str,
    url: str | None = None,
    source: str | None = None,
    key: str = "",
) -> Article:
    """Main text, headline, author, date and site name of an HTML page, extracted by trafilatura;
    a page without a date in its metadata is dated by its URL or its dateline."""
    import trafilatura  # slow to import; only needed for HTML

    doc = trafilatura.bare_extraction(
        html,
        url=url,
        with_metadata=True,
        include_comments=False,
        include_tables=False,
        date_extraction_params=_METADATA_DATES,
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
    body = "\n".join(lines).strip()
    if not body:
        raise LoadError(f"{name}: no article text found in the HTML, only a headline")
    page_url = url or getattr(doc, "url", None)
    return Article(
        id=article_id(url=page_url, key=key or text),
        title=title,
        text=body,
        source=source or getattr(doc, "sitename", None) or site_of(page_url) or "web",
        url=page_url,
        published=parse_date(getattr(doc, "date", None)) or url_date(page_url) or byline_date(body),
        author=getattr(doc, "author", None) or None,
    )


# --- JSON lines ---------------------------------------------------------------------------------


def _row_date(row: dict[str, object], url: str | None, body: str) -> date | None:
    fields = (row.get(k) for k in ("published", "published_at", "date"))
    return (
        next((d for d in map(parse_date, fields) if d), None) or url_date(url) or byline_date(body)
    )


def _from_row(row: object, *, source: str | None, default: str) -> Article | str:
    """The article of one JSON lines row, or why there is none. Its source: ``source``, else the
    row's, else its URL's site, else ``default``."""
    if not isinstance(row, dict):
        return "expected a JSON object"
    title, body = row.get("title"), row.get("text")
    if not isinstance(title, str) or not title.strip():
        return 'missing "title"'
    if not isinstance(body, str) or not body.strip():
        return 'missing "text"'
    url = row.get("url") if isinstance(row.get("url"), str) else None
    given = row.get("id")
    return Article(
        id=article_id(given=str(given) if given is not None else None, url=url, key=body),
        title=title.strip(),
        text=body,
        source=source or _str(row.get("source")) or site_of(url) or default,
        url=url,
        published=_row_date(row, url, body),
        author=_str(row.get("author")),
    )


def _lines(fh: io.BufferedIOBase, max_bytes: int) -> Iterator[bytes | None]:
    """The lines of ``fh``, none held longer than ``max_bytes``: a longer one is skipped to its
    end, unkept, and yielded as None."""
    while line := fh.readline(max_bytes + 1):
        if len(line) <= max_bytes or line.endswith(b"\n"):
            yield line
            continue
        while (rest := fh.readline(max_bytes + 1)) and not rest.endswith(b"\n"):
            pass
        yield None


def _line_text(data: bytes, where: str, known: str | None) -> tuple[str, str | None]:
    """One line's text and, when it is not UTF-8, its encoding. ``known``, the encoding of an
    earlier line of the file, is tried before guessing again (guessing is slow)."""
    if known is not None:
        with contextlib.suppress(UnicodeDecodeError):
            return data.decode("utf-8"), None
        with contextlib.suppress(UnicodeDecodeError):
            return data.decode(known), known
    return _text_of(data, where)


def _row_item(text: str, where: str, *, source: str | None, default: str) -> Article | LoadFailure:
    """The article of one line's JSON text, or why there is none."""
    try:
        row = json.loads(text)
    except json.JSONDecodeError as exc:
        why = exc.msg[:1].lower() + exc.msg[1:].removesuffix(" at")  # "Unterminated string at"
        return LoadFailure(where, f"malformed JSON: {why} at column {exc.colno}")
    made = _from_row(row, source=source, default=default)
    return made if isinstance(made, Article) else LoadFailure(where, made)


def _open_binary(path: Path) -> io.BufferedIOBase:
    return gzip.open(path, "rb") if _kind(path) == ".jsonl.gz" else open(path, "rb")


def _from_jsonl(
    path: Path, *, name: str, source: str | None, max_bytes: int, note: Note | None
) -> Iterator[Article | LoadFailure]:
    """One article (or failure) per line of a .jsonl or .jsonl.gz file, read a line at a time.
    ``note`` is told once when lines are not UTF-8."""
    default = _source_name(path.name[: -len(_kind(path))])
    known: str | None = None  # the encoding of the file's lines that are not UTF-8
    seen = False
    try:
        with _open_binary(path) as fh:
            for number, data in enumerate(_lines(fh, max_bytes), 1):
                where = f"{name}:{number}"
                if data is not None and not data.strip():
                    continue
                if not seen and data is not None and b"\x00" in data:
                    raise LoadError(f"{name}: binary file, not text")
                seen = True
                if data is None:
                    yield LoadFailure(
                        where,
                        f"too large (more than {max_bytes:,} bytes, the limit for one article)",
                    )
                    continue
                try:
                    text, encoding = _line_text(data.rstrip(b"\r\n"), where, known)
                except LoadError as exc:
                    yield LoadFailure(where, str(exc).removeprefix(f"{where}: "))
                    continue
                if encoding is not None and known is None:
                    known = encoding
                    _tell(note, name, f"not UTF-8: read as {encoding}")
                yield _row_item(text, where, source=source, default=default)
    except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
        yield LoadFailure(name, f"corrupt or cut-short gzip file ({exc})")
        return
    if not seen:
        yield LoadFailure(name, "empty file")


# --- files, folders and URLs --------------------------------------------------------------------


def _kind(path: Path) -> str:
    """The suffix that says how to read ``path`` (``.jsonl.gz`` counts as one)."""
    name = path.name.lower()
    return ".jsonl.gz" if name.endswith(".jsonl.gz") else path.suffix.lower()


def _from_text_file(path: Path, text: str, *, name: str, kind: str, source: str | None) -> Article:
    """A .txt, .md or .html file. Its id comes from its folder's source name and its file name, so
    an edit replaces it; front matter (markdown) names its source, date, author and URL."""
    folder_source = source or _source_name(path.parent.name)
    key = f"{folder_source}/{path.name}"
    if kind in (".html", ".htm"):
        return article_from_html(text, name=name, source=source, key=key)
    if kind in _MARKDOWN:
        fields, text = _front_matter(text, name)
        named = source or _str(fields.get("source")) or folder_source
        return _from_markdown(
            text, name=name, key=key, source=named, published=parse_date(path.name), fields=fields
        )
    return _from_plain(
        text, name=name, key=key, source=folder_source, published=parse_date(path.name)
    )


def load_file(
    path: Path,
    *,
    source: str | None = None,
    max_bytes: int = MAX_FILE_BYTES,
    note: Note | None = None,
) -> Iterator[Article | LoadFailure]:
    """Articles in one file; ``max_bytes`` bounds a file, or each line of a .jsonl(.gz) file.
    ``note`` is told of a file read in another encoding than UTF-8."""
    name = str(path)
    kind = _kind(path)
    try:
        if kind in _JSONL:
            yield from _from_jsonl(path, name=name, source=source, max_bytes=max_bytes, note=note)
            return
        size = path.stat().st_size
        if size > max_bytes:
            raise LoadError(f"{name}: too large ({size:,} bytes; the limit is {max_bytes:,})")
        text = _decode(path.read_bytes(), name, note)
        yield _from_text_file(path, text, name=name, kind=kind, source=source)
    except LoadError as exc:
        yield LoadFailure(name, str(exc).removeprefix(f"{name}: "))
    except OSError as exc:
        yield LoadFailure(name, exc.strerror or str(exc))


_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})


def load_url(
    url: str,
    *,
    source: str | None = None,
    max_bytes: int = MAX_FETCH_BYTES,
    allow_private: bool,
    note: Note | None = None,
) -> Iterator[Article | LoadFailure]:
    """The article at ``url`` (an HTML or plain-text page), fetched with ``index.fetch.fetch``."""
    try:
        got = fetch(url, allow_private=allow_private, max_bytes=min(max_bytes, MAX_FETCH_BYTES))
        final = got.url_final
        if got.content_type in _HTML_TYPES:
            html = got.text if got.charset else got.body  # no charset: let the extractor sniff
            yield article_from_html(html, name=url, url=final, source=source)
        elif got.content_type == "text/plain":
            text = _decode(got.body, url, note) if not got.charset else got.text
            art = _from_plain(
                text,
                name=url,
                key=final,
                source=source or site_of(final) or "web",
                published=url_date(final),
            )
            yield replace(art, id=article_id(url=final), url=final)
        else:
            raise LoadError(
                f"{url}: {got.content_type} is not an article page (HTML or plain text)"
            )
    except LoadError as exc:
        yield LoadFailure(url, str(exc).removeprefix(f"{url}: "))


def _url_scheme(item: str | Path) -> str | None:
    """The scheme of an input written as a URL (``https``, ``ftp``...), else None."""
    m = _SCHEME.match(item) if isinstance(item, str) else None
    return m.group("scheme").lower() if m else None


def _folder_files(folder: Path) -> list[Path]:
    return sorted(
        p
        for p in folder.rglob("*")
        if p.is_file() and _kind(p) in SUFFIXES and p.name.lower() != "readme.md"
    )


def iter_articles(
    inputs: Iterable[str | Path],
    *,
    source: str | None = None,
    max_bytes: int = MAX_FILE_BYTES,
    allow_private: bool | None = None,
    note: Note | None = None,
) -> Iterator[Article | LoadFailure]:
    """Articles from files, folders (recursively, by suffix) and http(s) URLs; failures are yielded.

    URLs to private addresses are refused unless ``allow_private`` (None: read
    ``NEWSBOT_ALLOW_PRIVATE_URLS`` from the environment now). URLs are capped at 5 MB.
    ``note`` is told of inputs read in another encoding than UTF-8.
    """
    private_ok = private_urls_allowed() if allow_private is None else allow_private
    for item in inputs:
        scheme = _url_scheme(item)
        if scheme in ("http", "https"):
            yield from load_url(
                str(item), source=source, max_bytes=max_bytes, allow_private=private_ok, note=note
            )
            continue
        if scheme is not None:
            yield LoadFailure(str(item), f"only http and https URLs can be ingested (not {scheme})")
            continue
        path = Path(item)
        if not path.exists():
            yield LoadFailure(str(item), "no such file or folder")
        elif path.is_dir():
            files = _folder_files(path)
            if not files:
                yield LoadFailure(str(item), "no .txt, .md, .html or .jsonl files in this folder")
            for file in files:
                yield from load_file(file, source=source, max_bytes=max_bytes, note=note)
        else:
            yield from load_file(path, source=source, max_bytes=max_bytes, note=note)
