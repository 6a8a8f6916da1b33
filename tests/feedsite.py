"""A small news site on 127.0.0.1 for feed tests: article pages and feeds the test changes.

Pages answer conditional GETs (ETag / Last-Modified -> 304) like a real server, can redirect or
fail, and every request is recorded, so a test can see what a poll fetched.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.utils import format_datetime
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from xml.sax.saxutils import escape as xml_escape

__all__ = ["FeedSite", "Item", "article_html", "atom", "rdf", "rss", "serve"]


@dataclass(frozen=True)
class Item:
    """One story: its page on the site and its entry in a feed."""

    slug: str
    title: str
    paragraphs: tuple[str, ...]
    published: str = "2025-03-04T09:00:00+00:00"  # ISO; the feeds write it in their own format
    summary: str = ""

    def link(self, base: str) -> str:
        return f"{base}/news/{self.slug}"


@dataclass
class _Page:
    body: bytes = b""
    ctype: str = "text/html; charset=utf-8"
    status: int = 200
    etag: str | None = None
    last_modified: str | None = None
    location: str | None = None
    hold: threading.Event | None = None  # answer only once set, to play a slow site


@dataclass
class FeedSite:
    """The site's pages by path; ``requests`` records (path, request headers) of every GET."""

    base: str = ""
    pages: dict[str, _Page] = field(default_factory=dict)
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, path: str) -> str:
        return self.base + path

    def put(
        self,
        path: str,
        body: str | bytes,
        ctype: str = "text/html; charset=utf-8",
        *,
        status: int = 200,
        etag: str | None = None,
        last_modified: str | None = None,
        hold: threading.Event | None = None,
    ) -> str:
        data = body.encode() if isinstance(body, str) else body
        with self.lock:
            self.pages[path] = _Page(data, ctype, status, etag, last_modified, hold=hold)
        return self.url(path)

    def redirect(self, path: str, to: str, status: int = 302) -> str:
        with self.lock:
            self.pages[path] = _Page(status=status, location=to)
        return self.url(path)

    def publish(self, *items: Item, hold: threading.Event | None = None) -> None:
        """Put each item's article page at its link (answered once ``hold`` is set, if given)."""
        for item in items:
            self.put(f"/news/{item.slug}", article_html(item), hold=hold)

    def hits(self, path: str) -> int:
        with self.lock:
            return sum(1 for p, _ in self.requests if p == path)

    def clear(self) -> None:
        with self.lock:
            self.requests.clear()


class _Handler(BaseHTTPRequestHandler):
    site: FeedSite

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        site = self.site
        with site.lock:
            site.requests.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
            page = site.pages.get(self.path)
        if page is None:
            self.send_error(404, "Not Found")
            return
        if page.hold is not None:
            page.hold.wait(60)
        if page.location is not None:
            self.send_response(page.status)
            self.send_header("Location", page.location)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        fresh = (page.etag and self.headers.get("If-None-Match") == page.etag) or (
            page.last_modified and self.headers.get("If-Modified-Since") == page.last_modified
        )
        self.send_response(304 if fresh else page.status)
        if page.etag:
            self.send_header("ETag", page.etag)
        if page.last_modified:
            self.send_header("Last-Modified", page.last_modified)
        if fresh:
            self.end_headers()
            return
        self.send_header("Content-Type", page.ctype)
        self.send_header("Content-Length", str(len(page.body)))
        self.end_headers()
        self.wfile.write(page.body)


def serve() -> Iterator[FeedSite]:
    """Run a ``FeedSite`` on a free port of 127.0.0.1 until the generator is closed."""
    site = FeedSite()
    handler = type("Handler", (_Handler,), {"site": site})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    site.base = f"http://127.0.0.1:{httpd.server_address[1]}"
    try:
        yield site
    finally:
        httpd.shutdown()
        httpd.server_close()


def article_html(item: Item, site_name: str = "Harbour Gazette") -> str:
    body = "".join(f"<p>{escape(p)}</p>" for p in item.paragraphs)
    return (
        f"<html><head><title>{escape(item.title)} | {site_name}</title>"
        f'<meta property="og:site_name" content="{site_name}">'
        f'<meta property="article:published_time" content="{item.published}"></head>'
        f"<body><nav>Home News Sport Weather</nav><article><h1>{escape(item.title)}</h1>"
        f"{body}</article><footer>Copyright {site_name}</footer></body></html>"
    )


def _rfc822(iso: str) -> str:
    from datetime import datetime

    return format_datetime(datetime.fromisoformat(iso))


def rss(base: str, items: list[Item], title: str = "Harbour Gazette", version: str = "2.0") -> str:
    """RSS 2.0 (or 0.91/0.92: no guid, no dates in 0.91) with the items, newest first."""
    entries = []
    for it in items:
        parts = [
            f"<title>{xml_escape(it.title)}</title>",
            f"<link>{it.link(base)}</link>",
            f"<description>{xml_escape(it.summary)}</description>",
        ]
        if version == "2.0":
            parts += [
                f'<guid isPermaLink="false">{it.slug}</guid>',
                f"<pubDate>{_rfc822(it.published)}</pubDate>",
            ]
        entries.append("<item>" + "".join(parts) + "</item>")
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="{version}"><channel>'
        f"<title>{xml_escape(title)}</title><link>{base}/</link><description>News</description>"
        + "".join(entries)
        + "</channel></rss>"
    )


def atom(base: str, items: list[Item], title: str = "Valley Times") -> str:
    """Atom 1.0 with relative links (resolved against the feed's URL) and HTML content."""
    entries = "".join(
        f"<entry><title>{xml_escape(it.title)}</title>"
        f'<link rel="alternate" href="/news/{it.slug}"/><id>urn:valley:{it.slug}</id>'
        f"<updated>{it.published}</updated><author><name>Priya Nair</name></author>"
        f'<content type="html">{xml_escape("".join(f"<p>{p}</p>" for p in it.paragraphs))}'
        f"</content></entry>"
        for it in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>{xml_escape(title)}</title><id>urn:valley</id>"
        f"<updated>2025-03-04T09:00:00Z</updated>{entries}</feed>"
    )


def rdf(base: str, items: list[Item], title: str = "Peak Post") -> str:
    """RSS 1.0 (RDF) with Dublin Core dates."""
    entries = "".join(
        f'<item rdf:about="{it.link(base)}"><title>{xml_escape(it.title)}</title>'
        f"<link>{it.link(base)}</link><description>{xml_escape(it.summary)}</description>"
        f"<dc:date>{it.published}</dc:date></item>"
        for it in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
        'xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">'
        f'<channel rdf:about="{base}/rdf"><title>{xml_escape(title)}</title>'
        f"<link>{base}/</link><description>News</description></channel>"
        f"{entries}</rdf:RDF>"
    )
