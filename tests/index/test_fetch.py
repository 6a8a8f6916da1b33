"""index.load.fetch and URL inputs, against a local HTTP server on 127.0.0.1 (never the real network)."""

from __future__ import annotations

import contextlib
import gzip
import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import pytest

import index.load.fetch as fetch_mod
from index import HashEmbedder, LoadError, NewsIndex
from index.load.fetch import USER_AGENT, FetchError, FetchRefused, address_problem, fetch
from index.load.loaders import LoadFailure, iter_articles
from index.models import Article

ARTICLE = """<html><head><title>Harbour reopens | Harbour Gazette</title>
<meta property="og:site_name" content="Harbour Gazette"><meta name="author" content="Ann Lee">
<meta property="article:published_time" content="2025-03-04T09:00:00Z"></head>
<body><nav>Home News Sport Weather</nav><article><h1>Harbour reopens after the storm</h1>
<p>The harbour at Eastmere reopened on Tuesday, three days after the storm closed it to ships.</p>
<p>"The pilots guided the first ferry in at dawn," said the harbour master, Ann Lee.</p>
</article><footer>Copyright Harbour Gazette</footer></body></html>"""
PLAIN = "Ferry timetable changes\nFerries run hourly from Monday.\nThe last boat leaves at ten."
STOP = threading.Event()
_REAL_GETADDRINFO = socket.getaddrinfo
_REAL_CONNECT = socket.create_connection


class Handler(BaseHTTPRequestHandler):
    """The routes the tests fetch."""

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        route = getattr(self, "route_" + url.path.strip("/").split("/")[0].replace("-", "_"), None)
        if route is None:
            self.send_error(404, "Not Found")
            return
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # size-limit tests hang up
            route(url.path, parse_qs(url.query))

    def reply(self, body: bytes, ctype: str | None, status: int = 200, **headers: str) -> None:
        self.send_response(status)
        if ctype:
            self.send_header("Content-Type", ctype)
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def redirect(self, location: str, status: int = 302) -> None:
        self.send_response(status)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def route_article(self, path: str, query: dict[str, list[str]]) -> None:
        self.reply(ARTICLE.encode(), "text/html; charset=utf-8")

    def route_plain(self, path: str, query: dict[str, list[str]]) -> None:
        self.reply(PLAIN.encode(), "text/plain; charset=utf-8")

    def route_echo(self, path: str, query: dict[str, list[str]]) -> None:
        seen = {k.lower(): v for k, v in self.headers.items()}
        self.reply(json.dumps(seen).encode(), "application/json")

    def route_redirect(self, path: str, query: dict[str, list[str]]) -> None:
        hops = int(path.rsplit("/", 1)[1])
        self.redirect(f"/redirect/{hops - 1}" if hops > 1 else "/article", 301 + hops % 2)

    def route_to(self, path: str, query: dict[str, list[str]]) -> None:
        self.redirect(query["url"][0])

    def route_loop(self, path: str, query: dict[str, list[str]]) -> None:
        self.redirect("/loop")

    def route_big(self, path: str, query: dict[str, list[str]]) -> None:
        self.reply(b"<p>" + b"x" * 200_000 + b"</p>", "text/html")

    def route_stream(self, path: str, query: dict[str, list[str]]) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.end_headers()  # no Content-Length: the body runs until the connection closes
        for _ in range(800):  # 50 MB if nobody stops reading
            self.wfile.write(b"y" * 65536)

    def route_gzip(self, path: str, query: dict[str, list[str]]) -> None:
        body = gzip.compress(ARTICLE.encode())
        self.reply(body, "text/html; charset=utf-8", Content_Encoding="gzip")

    def route_bomb(self, path: str, query: dict[str, list[str]]) -> None:
        self.reply(_bomb(), "text/html", Content_Encoding="gzip")

    def route_image(self, path: str, query: dict[str, list[str]]) -> None:
        self.reply(b"\x89PNG\r\n\x1a\n", "image/png")

    def route_untyped(self, path: str, query: dict[str, list[str]]) -> None:
        self.reply(b"<p>hello</p>", None)

    def route_slow(self, path: str, query: dict[str, list[str]]) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.end_headers()
        STOP.wait(3)
        self.wfile.write(ARTICLE.encode())

    def route_etag(self, path: str, query: dict[str, list[str]]) -> None:
        if self.headers.get("If-None-Match") == '"v1"':
            self.send_response(304)
            self.send_header("ETag", '"v1"')
            self.end_headers()
        else:
            self.reply(ARTICLE.encode(), "text/html", ETag='"v1"', Last_Modified="Tue, 04 Mar 2025")


_BOMB: list[bytes] = []


def _bomb() -> bytes:
    """20 MB of zeros, gzipped to a few kilobytes."""
    if not _BOMB:
        _BOMB.append(gzip.compress(b"\0" * 20_000_000, compresslevel=9))
    return _BOMB[0]


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    """The base URL of a local HTTP server on a random port."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    STOP.clear()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    STOP.set()
    httpd.shutdown()
    httpd.server_close()


@dataclass
class Net:
    """The fake resolver's answers, and every address the code connected to."""

    answers: dict[str, list[list[str]]] = field(default_factory=dict)
    lookups: list[str] = field(default_factory=list)
    connects: list[str] = field(default_factory=list)

    def add(self, host: str, *answers: list[str]) -> None:
        """``host`` resolves to each answer in turn (the last one repeats)."""
        self.answers[host] = list(answers)

    def getaddrinfo(self, host: str, port: int, *args: Any, **kwargs: Any) -> list[Any]:
        self.lookups.append(host)
        if host in self.answers:
            queue = self.answers[host]
            ips = queue.pop(0) if len(queue) > 1 else queue[0]
            return [
                (
                    socket.AF_INET6 if ":" in ip else socket.AF_INET,
                    socket.SOCK_STREAM,
                    6,
                    "",
                    (ip, port),
                )
                for ip in ips
            ]
        kwargs["flags"] = kwargs.get("flags", 0) | socket.AI_NUMERICHOST  # literals only: no DNS
        return _REAL_GETADDRINFO(host, port, *args, **kwargs)

    def create_connection(self, address: tuple[str, int], *args: Any, **kwargs: Any) -> Any:
        self.connects.append(address[0])
        assert address[0] == "127.0.0.1", f"the test tried to reach {address}"
        return _REAL_CONNECT(address, *args, **kwargs)


@pytest.fixture(autouse=True)
def net(monkeypatch: pytest.MonkeyPatch) -> Net:
    """No real DNS and no connection anywhere but 127.0.0.1; the private-URL setting unset."""
    fake = Net()
    monkeypatch.setattr(socket, "getaddrinfo", fake.getaddrinfo)
    monkeypatch.setattr(socket, "create_connection", fake.create_connection)
    monkeypatch.delenv("NEWSBOT_ALLOW_PRIVATE_URLS", raising=False)
    return fake


@pytest.fixture
def pretend_public(monkeypatch: pytest.MonkeyPatch) -> None:
    """Treat 127.0.0.1 as a public address, so the local server can play an outside site."""
    real = fetch_mod.address_problem
    monkeypatch.setattr(
        fetch_mod, "address_problem", lambda a: None if a == "127.0.0.1" else real(a)
    )


def _split(items: list[Article | LoadFailure]) -> tuple[list[Article], list[LoadFailure]]:
    return [i for i in items if isinstance(i, Article)], [
        i for i in items if isinstance(i, LoadFailure)
    ]


# --- the address classifier ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("10.0.0.1", "a private address"),
        ("172.16.0.1", "a private address"),
        ("192.168.1.1", "a private address"),
        ("127.0.0.1", "a loopback address"),
        ("::1", "a loopback address"),
        ("169.254.169.254", "a cloud metadata address"),
        ("169.254.1.1", "a link-local address"),
        ("fe80::1", "a link-local address"),
        ("::ffff:127.0.0.1", "a loopback address"),
        ("::ffff:169.254.169.254", "a cloud metadata address"),
        ("::ffff:10.0.0.1", "a private address"),
        ("0.0.0.0", "an unspecified address"),
        ("::", "an unspecified address"),
        ("224.0.0.1", "a multicast address"),
        ("239.255.255.250", "a multicast address"),
        ("ff02::1", "a multicast address"),
        ("4000::1", "a reserved address"),
        ("fd00:ec2::254", "a cloud metadata address"),
        ("fc00::1", "a private address"),
        ("240.0.0.1", "a private address"),
        ("100.64.0.1", "not a public address"),
        ("64:ff9b::7f00:1", "a loopback address"),  # NAT64 form of 127.0.0.1
        ("2002:a00:1::", "a private address"),  # 6to4 form of 10.0.0.1
    ],
)
def test_non_public_addresses_are_refused(address: str, kind: str) -> None:
    assert (address_problem(address) or "").startswith(kind)


@pytest.mark.parametrize("address", ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111"])
def test_public_addresses_are_allowed(address: str) -> None:
    assert address_problem(address) is None


# --- fetching and ingesting ----------------------------------------------------------------


def test_page_is_fetched_and_becomes_an_article_when_private_is_allowed(server: str) -> None:
    url = f"{server}/article"
    [a] = list(iter_articles([url], allow_private=True))
    assert isinstance(a, Article)
    assert a.title == "Harbour reopens after the storm"
    assert "The pilots guided the first ferry in at dawn" in a.text
    assert "Home News Sport" not in a.text
    assert a.url == url and a.source == "Harbour Gazette"
    assert a.author == "Ann Lee" and a.published == date(2025, 3, 4)


def test_the_same_url_is_refused_with_a_clear_message_when_private_is_not_allowed(
    server: str,
) -> None:
    url = f"{server}/article"
    with pytest.raises(FetchRefused) as err:
        fetch(url, allow_private=False)
    assert str(err.value) == (
        f"refusing to fetch {url}: 127.0.0.1 is a loopback address; "
        "set NEWSBOT_ALLOW_PRIVATE_URLS=1 to allow"
    )
    assert isinstance(err.value, LoadError)
    [failure] = list(iter_articles([url], allow_private=False))
    assert failure == LoadFailure(url, str(err.value))


def test_the_environment_setting_is_read_at_call_time(
    server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"{server}/article"
    [refused] = list(iter_articles([url]))
    assert isinstance(refused, LoadFailure) and "NEWSBOT_ALLOW_PRIVATE_URLS=1" in refused.reason
    monkeypatch.setenv("NEWSBOT_ALLOW_PRIVATE_URLS", "1")
    [article] = list(iter_articles([url]))
    assert isinstance(article, Article)


def test_newsindex_ingests_a_url_and_stores_it(
    server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    idx = NewsIndex.open(tmp_path / "data", embedder=HashEmbedder())
    url = f"{server}/article"
    refused = idx.ingest([url])
    assert refused.added == 0 and "refusing to fetch" in refused.failed[0][1]
    monkeypatch.setenv("NEWSBOT_ALLOW_PRIVATE_URLS", "true")
    report = idx.ingest([url])
    assert report.added == 1 and not report.failed
    [info] = idx.articles()
    assert info.url == url and info.title == "Harbour reopens after the storm"


def test_plain_text_url_and_failures_do_not_stop_other_inputs(server: str, tmp_path: Path) -> None:
    (tmp_path / "local.txt").write_text("Local headline\nLocal body.")
    items = list(
        iter_articles(
            [f"{server}/plain", f"{server}/missing", f"{server}/echo", tmp_path / "local.txt"],
            allow_private=True,
        )
    )
    arts, fails = _split(items)
    assert [a.title for a in arts] == ["Ferry timetable changes", "Local headline"]
    assert arts[0].url == f"{server}/plain" and arts[0].source == "127.0.0.1"
    assert arts[0].text == "Ferries run hourly from Monday.\nThe last boat leaves at ten."
    reasons = {f.input.rsplit("/", 1)[1]: f.reason for f in fails}
    assert reasons["missing"] == "HTTP 404 Not Found"
    assert reasons["echo"].startswith("application/json is not an article page")


def test_gzip_bodies_are_decoded(server: str) -> None:
    got = fetch(f"{server}/gzip", allow_private=True)
    assert got.text == ARTICLE and got.charset == "utf-8"


# --- resolution, rebinding and redirects ---------------------------------------------------


def test_public_looking_name_that_resolves_to_loopback_is_refused(server: str, net: Net) -> None:
    port = urlsplit(server).port
    net.add("news.example.com", ["127.0.0.1"])
    url = f"http://news.example.com:{port}/article"
    with pytest.raises(
        FetchRefused, match=r"news\.example\.com resolves to 127\.0\.0\.1, a loopback"
    ):
        fetch(url, allow_private=False)
    assert net.connects == []
    assert fetch(url, allow_private=True).url_final == url


def test_a_name_with_any_private_address_is_refused(server: str, net: Net) -> None:
    net.add("mixed.example.com", ["93.184.216.34", "10.1.2.3"])
    with pytest.raises(FetchRefused, match=r"resolves to 10\.1\.2\.3, a private address"):
        fetch("https://mixed.example.com/", allow_private=False)
    assert net.connects == []


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("224.0.0.251", "a multicast address"),
        ("ff05::fb", "a multicast address"),
        ("4000::1", "a reserved address"),
        ("240.0.0.7", "a private address"),  # 240/4 is reserved; Python files it under private
        ("169.254.169.254", "a cloud metadata address"),
        ("fd00:ec2::254", "a cloud metadata address"),
        ("169.254.7.7", "a link-local address"),
        ("0.0.0.0", "an unspecified address"),
        ("192.168.0.10", "a private address"),
    ],
)
def test_a_name_resolving_to_a_forbidden_address_is_refused_before_connecting(
    net: Net, address: str, kind: str
) -> None:
    net.add("innocent.example.com", [address])
    with pytest.raises(FetchRefused) as err:
        fetch("https://innocent.example.com/news", allow_private=False)
    assert str(err.value) == (
        "refusing to fetch https://innocent.example.com/news: innocent.example.com resolves to "
        f"{address}, {kind}; {_advice(kind)}"
    )
    assert net.lookups == ["innocent.example.com"] and net.connects == []


def _advice(why: str) -> str:
    """What a refusal advises: the setting, except for metadata addresses, which it cannot lift."""
    if "metadata" in why:
        return (
            "cloud metadata addresses are never fetched, whatever NEWSBOT_ALLOW_PRIVATE_URLS says"
        )
    return "set NEWSBOT_ALLOW_PRIVATE_URLS=1 to allow"


def test_connection_goes_to_the_vetted_address_not_a_second_lookup(
    server: str, net: Net, pretend_public: None
) -> None:
    port = urlsplit(server).port
    net.add("rebind.example.com", ["127.0.0.1"], ["10.0.0.1"])  # answers change after one lookup
    got = fetch(f"http://rebind.example.com:{port}/echo", allow_private=False)
    assert json.loads(got.body)["host"] == f"rebind.example.com:{port}"
    assert net.lookups.count("rebind.example.com") == 1 and net.connects == ["127.0.0.1"]
    with pytest.raises(FetchRefused, match=r"resolves to 10\.0\.0\.1, a private address"):
        fetch(f"http://rebind.example.com:{port}/echo", allow_private=False)


def test_https_sends_the_original_host_and_server_name(
    server: str, net: Net, monkeypatch: pytest.MonkeyPatch
) -> None:
    sni: list[str | None] = []

    class FakeTLS:  # records the server name, then speaks plain HTTP to the local server
        def wrap_socket(self, sock: socket.socket, server_hostname: str | None = None) -> Any:
            sni.append(server_hostname)
            return sock

    monkeypatch.setattr(fetch_mod, "ssl_context", FakeTLS)
    port = urlsplit(server).port
    net.add("secure.example.com", ["127.0.0.1"])
    got = fetch(f"https://secure.example.com:{port}/echo", allow_private=True)
    seen = json.loads(got.body)
    assert seen["host"] == f"secure.example.com:{port}" and sni == ["secure.example.com"]
    assert seen["user-agent"] == USER_AGENT  # its words: tests/index/test_fetch_metadata.py
    assert net.connects == ["127.0.0.1"]


def test_redirect_chain_is_followed(server: str) -> None:
    got = fetch(f"{server}/redirect/3", allow_private=True)
    assert got.url == f"{server}/redirect/3" and got.url_final == f"{server}/article"
    [a] = list(iter_articles([f"{server}/redirect/5"], allow_private=True))
    assert isinstance(a, Article) and a.url == f"{server}/article"


def test_too_many_redirects(server: str) -> None:
    with pytest.raises(FetchError, match="too many redirects"):
        fetch(f"{server}/redirect/6", allow_private=True)
    with pytest.raises(FetchError, match="too many redirects"):
        fetch(f"{server}/loop", allow_private=True)


@pytest.mark.parametrize(
    ("target", "why"),
    [
        ("http://10.0.0.1/admin", "10.0.0.1 is a private address"),
        ("http://metadata.internal/latest/", "resolves to 169.254.169.254, a cloud metadata"),
        ("http://[::ffff:127.0.0.2]/", "::ffff:127.0.0.2 is a loopback address"),
        ("http://[ff02::1]/feed", "ff02::1 is a multicast address"),
        ("http://[4000::1]/feed", "4000::1 is a reserved address"),
        ("http://192.168.1.1/", "192.168.1.1 is a private address"),
    ],
)
def test_redirect_from_an_allowed_host_to_a_private_address_is_refused(
    server: str, net: Net, pretend_public: None, target: str, why: str
) -> None:
    port = urlsplit(server).port
    net.add("public.example.com", ["127.0.0.1"])
    net.add("metadata.internal", ["169.254.169.254"])
    start = f"http://public.example.com:{port}/to?url={quote(target)}"
    with pytest.raises(FetchRefused) as err:
        fetch(start, allow_private=False)
    message = str(err.value)
    assert message.startswith(f"refusing to fetch {target} (redirected from {start}): ")
    assert why in message and message.endswith(_advice(why))
    assert net.connects == ["127.0.0.1"]  # the first hop only


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "ftp://example.com/x", "gopher://example.com/", "http://u:p@x/"]
)
def test_only_http_and_https_without_credentials(url: str) -> None:
    with pytest.raises(FetchRefused, match="refusing to fetch"):
        fetch(url, allow_private=True)


def test_redirect_to_another_scheme_is_refused(server: str) -> None:
    with pytest.raises(FetchRefused, match="only http and https"):
        fetch(f"{server}/to?url=file:///etc/passwd", allow_private=True)


# --- limits --------------------------------------------------------------------------------


def test_declared_size_over_the_limit_is_refused_before_reading(server: str) -> None:
    with pytest.raises(FetchError, match=r"too large \(200,007 bytes; the limit is 10,000\)"):
        fetch(f"{server}/big", allow_private=True, max_bytes=10_000)
    assert len(fetch(f"{server}/big", allow_private=True).body) == 200_007


def test_size_limit_is_enforced_while_streaming(
    server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    read: list[int] = []

    class Counting(fetch_mod.Body):  # records how much of the 50 MB body was read
        def add(self, chunk: bytes) -> None:
            read.append(len(chunk))
            super().add(chunk)

    monkeypatch.setattr(fetch_mod, "Body", Counting)
    with pytest.raises(FetchError, match=r"too large \(more than 100,000 bytes\)"):
        fetch(f"{server}/stream", allow_private=True, max_bytes=100_000)
    assert (
        100_000 < sum(read) <= 100_000 + fetch_mod.READ_CHUNK
    )  # stopped at the first chunk past it


def test_decompressed_size_is_limited(server: str) -> None:
    with pytest.raises(FetchError, match=r"too large \(more than 1,000,000 bytes\)"):
        fetch(f"{server}/bomb", allow_private=True, max_bytes=1_000_000)


def test_iter_articles_caps_urls_at_its_limit(server: str) -> None:
    [failure] = list(iter_articles([f"{server}/big"], allow_private=True, max_bytes=1000))
    assert isinstance(failure, LoadFailure) and failure.reason.startswith("too large")


@pytest.mark.parametrize(
    ("path", "media"), [("image", "image/png"), ("untyped", "application/octet-stream")]
)
def test_wrong_content_type_is_refused(server: str, path: str, media: str) -> None:
    with pytest.raises(FetchError, match=f"unsupported content type '{media}'"):
        fetch(f"{server}/{path}", allow_private=True)


def test_accept_narrows_the_content_types(server: str) -> None:
    with pytest.raises(FetchError, match="unsupported content type 'text/html'"):
        fetch(f"{server}/article", allow_private=True, accept={"application/rss+xml"})


def test_read_timeout(server: str) -> None:
    with pytest.raises(FetchError, match=r"timed out reading after 0\.5s"):  # the page takes 3 s
        fetch(f"{server}/slow", allow_private=True, timeout=(1, 0.5))


def test_connect_timeout_and_refused_connection(
    server: str, net: Net, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    with pytest.raises(FetchError, match="cannot connect"):
        fetch(f"http://127.0.0.1:{closed}/", allow_private=True, timeout=(1, 1))

    def hang(address: tuple[str, int], timeout: float | None = None, *args: Any) -> socket.socket:
        raise TimeoutError("timed out")

    monkeypatch.setattr(socket, "create_connection", hang)
    with pytest.raises(FetchError, match=r"timed out connecting after 1s"):
        fetch(f"{server}/article", allow_private=True, timeout=(1, 1))


def test_conditional_get_returns_not_modified(server: str) -> None:
    first = fetch(f"{server}/etag", allow_private=True)
    assert first.etag == '"v1"' and first.last_modified == "Tue, 04 Mar 2025"
    assert not first.not_modified
    again = fetch(f"{server}/etag", allow_private=True, etag=first.etag)
    assert again.not_modified and again.status == 304 and again.body == b""
    changed = fetch(f"{server}/etag", allow_private=True, etag='"v0"')
    assert not changed.not_modified and changed.body == ARTICLE.encode()


def test_validators_and_user_agent_are_sent_on_every_hop(server: str) -> None:
    plain = json.loads(fetch(f"{server}/echo", allow_private=True).body)
    assert plain["user-agent"] == USER_AGENT
    assert "if-none-match" not in plain and "if-modified-since" not in plain
    stamp = "Tue, 04 Mar 2025 09:00:00 GMT"
    got = fetch(
        f"{server}/to?url=/echo",
        allow_private=True,
        etag='"v7"',
        last_modified=stamp,
        user_agent="newsbot-test/2",
    )
    seen = json.loads(got.body)
    assert got.url_final == f"{server}/echo"
    assert (seen["if-none-match"], seen["if-modified-since"]) == ('"v7"', stamp)
    assert seen["user-agent"] == "newsbot-test/2"
