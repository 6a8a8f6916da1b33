"""Fetch one web page safely: timeouts, a size limit, a content-type check and outbound safety.

Every hop (redirects included) is resolved once; each resolved address is checked, and the
connection goes to exactly those addresses, with the original Host header and TLS server name,
so a name that resolves differently a second time (DNS rebinding) cannot reach a private address.
Proxy settings from the environment are ignored on purpose.
"""

from __future__ import annotations

import functools
import http.client
import ipaddress
import os
import socket
import ssl
import time
import zlib
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from email.message import Message
from importlib.metadata import PackageNotFoundError, version
from urllib.parse import quote, urljoin, urlsplit

from ..errors import LoadError

__all__ = [
    "ALLOWED_TYPES",
    "ALLOW_PRIVATE_ENV",
    "FEED_TYPES",
    "MAX_FETCH_BYTES",
    "PAGE_TYPES",
    "READ_CHUNK",
    "USER_AGENT",
    "Body",
    "FetchError",
    "FetchRefused",
    "Fetched",
    "address_problem",
    "fetch",
    "private_urls_allowed",
    "ssl_context",
]

ALLOW_PRIVATE_ENV = "NEWSBOT_ALLOW_PRIVATE_URLS"


def _version() -> str:
    try:
        return version("newsbot")
    except PackageNotFoundError:  # run from a checkout that was never installed
        return "unknown"


USER_AGENT = f"newsbot/{_version()} (a Discord bot that answers questions by quoting news)"
MAX_FETCH_BYTES = 5 * 1024 * 1024
MAX_REDIRECTS = 5
PAGE_TYPES = frozenset({"text/html", "application/xhtml+xml", "text/plain", "application/json"})
FEED_TYPES = frozenset(
    {
        "application/rss+xml",
        "application/atom+xml",
        "application/rdf+xml",  # RSS 1.0
        "application/xml",
        "text/xml",
    }
)
ALLOWED_TYPES = PAGE_TYPES | FEED_TYPES
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a)
    for a in ("169.254.169.254", "169.254.170.2", "100.100.100.200", "fd00:ec2::254")
)
METADATA_HOSTS = frozenset({"metadata.google.internal"})
# Cloud metadata hands out the machine's credentials: never fetched, whatever the setting says.
_NEVER = f"cloud metadata addresses are never fetched, whatever {ALLOW_PRIVATE_ENV} says"
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
READ_CHUNK = 64 * 1024
_NAT64 = ipaddress.ip_network("64:ff9b::/96")

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class FetchError(LoadError):
    """A URL could not be fetched: network, HTTP status, size, type or time limit."""


class FetchRefused(FetchError):
    """A URL was not fetched because of the outbound-safety rules."""


@dataclass(frozen=True)
class Fetched:
    """A fetched response. ``not_modified`` is True for a 304 answer to a conditional GET."""

    url: str
    url_final: str
    status: int
    content_type: str = ""
    charset: str | None = None
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)
    not_modified: bool = False

    @property
    def text(self) -> str:
        """The body decoded with the declared charset (UTF-8 when none or unknown)."""
        try:
            return self.body.decode(self.charset or "utf-8", errors="replace")
        except LookupError:
            return self.body.decode("utf-8", errors="replace")

    @property
    def etag(self) -> str | None:
        return self.headers.get("etag")

    @property
    def last_modified(self) -> str | None:
        return self.headers.get("last-modified")


def private_urls_allowed(environ: Mapping[str, str] | None = None) -> bool:
    """Whether ``NEWSBOT_ALLOW_PRIVATE_URLS`` is set to 1, true or yes (read now)."""
    value = (os.environ if environ is None else environ).get(ALLOW_PRIVATE_ENV, "")
    return value.strip().lower() in {"1", "true", "yes"}


# --- the address classifier -------------------------------------------------------------------


def _embedded_ipv4(ip: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries (mapped, 6to4, Teredo, NAT64, compatible)."""
    if not isinstance(ip, ipaddress.IPv6Address):
        return None
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    if ip in _NAT64 or (int(ip) >> 32 == 0 and int(ip) > 0xFFFF):
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def _kind(ip: IPAddress) -> str | None:
    """What makes ``ip`` off limits, ignoring embedded IPv4 addresses; None when it is public."""
    checks = (
        (ip in METADATA_ADDRESSES, "a cloud metadata address"),
        (ip.is_unspecified, "an unspecified address"),
        (ip.is_loopback, "a loopback address"),
        (ip.is_link_local, "a link-local address"),
        (ip.is_multicast, "a multicast address"),
        (ip.is_private, "a private address"),
        (ip.is_reserved, "a reserved address"),
        (not ip.is_global, "not a public address"),
    )
    return next((what for hit, what in checks if hit), None)


def address_problem(address: str) -> str | None:
    """Why ``address`` must not be fetched from (e.g. "a loopback address"), or None if public."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return "not an IP address"
    inner = _embedded_ipv4(ip)
    if inner is not None and (what := _kind(inner)) is not None:
        return f"{what} (it embeds the IPv4 address {inner})"
    return _kind(ip)


# --- URLs and resolution ----------------------------------------------------------------------


@dataclass(frozen=True)
class _Target:
    url: str
    scheme: str
    host: str
    port: int
    path: str


def _target(url: str, label: str) -> _Target:
    """Split and check one URL: http(s) only, a host, no credentials, no control characters."""
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in url):
        raise FetchError(f"{label}: the URL contains control characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise FetchError(f"{label}: not a valid URL ({exc})") from exc
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise FetchRefused(f"refusing to fetch {label}: only http and https URLs are fetched")
    if not parts.hostname:
        raise FetchError(f"{label}: the URL has no host")
    if parts.username is not None or parts.password is not None:
        raise FetchRefused(f"refusing to fetch {label}: URLs with credentials are not fetched")
    try:
        host = parts.hostname.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise FetchError(f"{label}: invalid host name {parts.hostname!r}") from exc
    path = quote(parts.path or "/", safe="/%:@!$&'()*+,;=-._~")
    if parts.query:
        path += "?" + quote(parts.query, safe="/%:@!$&'()*+,;=-._~?")
    return _Target(url, scheme, host, port or (443 if scheme == "https" else 80), path)


def _resolve(target: _Target, label: str) -> list[str]:
    """The addresses ``target.host`` resolves to, in resolver order, without duplicates."""
    try:
        infos = socket.getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise FetchError(f"{label}: cannot resolve {target.host} ({reason})") from exc
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if not addresses:
        raise FetchError(f"{label}: {target.host} has no addresses")
    return addresses


def _is_metadata(address: str) -> bool:
    """Whether ``address`` is a cloud metadata address, or an IPv6 address embedding one."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    return ip in METADATA_ADDRESSES or _embedded_ipv4(ip) in METADATA_ADDRESSES


def _refuse_metadata_host(target: _Target, label: str) -> None:
    """Refuse a metadata host by name, before it is resolved (a cloud VM's resolver knows it)."""
    if target.host.lower().rstrip(".") in METADATA_HOSTS:
        raise FetchRefused(
            f"refusing to fetch {label}: {target.host} is a cloud metadata host; {_NEVER}"
        )


def _vet(target: _Target, addresses: Sequence[str], label: str, allow_private: bool) -> None:
    """Refuse the hop when a resolved address is a cloud metadata one or, unless
    ``allow_private``, when any is not public."""
    for address in addresses:
        metadata = _is_metadata(address)
        what = address_problem(address)
        if what is None or (allow_private and not metadata):
            continue
        if address == target.host.strip("[]"):
            why = f"{address} is {what}"
        else:
            why = f"{target.host} resolves to {address}, {what}"
        advice = _NEVER if metadata else f"set {ALLOW_PRIVATE_ENV}=1 to allow"
        raise FetchRefused(f"refusing to fetch {label}: {why}; {advice}")


# --- connections pinned to vetted addresses ---------------------------------------------------


@functools.lru_cache(maxsize=1)
def ssl_context() -> ssl.SSLContext:
    return ssl.create_default_context()


def _open_socket(addresses: Sequence[str], port: int, timeout: float) -> socket.socket:
    """A TCP connection to the first of ``addresses`` that answers within ``timeout``."""
    error: OSError | None = None
    for address in addresses:
        try:
            return socket.create_connection((address, port), timeout=timeout)
        except OSError as exc:
            error = exc
    assert error is not None
    raise error


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """HTTP to vetted addresses only; ``host`` stays the URL's host for the Host header."""

    def __init__(self, target: _Target, addresses: Sequence[str], timeout: tuple[float, float]):
        super().__init__(target.host, target.port, timeout=timeout[0])
        self._addresses = list(addresses)
        self._read_timeout = timeout[1]

    def connect(self) -> None:
        sock = _open_socket(self._addresses, self.port, timeout=self.timeout or 5.0)
        sock.settimeout(self._read_timeout)
        self.sock = sock


class _PinnedHTTPSConnection(_PinnedHTTPConnection):
    """HTTPS to vetted addresses only; the certificate is checked against the URL's host (SNI)."""

    default_port = 443

    def connect(self) -> None:
        super().connect()
        self.sock = ssl_context().wrap_socket(self.sock, server_hostname=self.host)


# --- the fetch itself -------------------------------------------------------------------------


def _request_headers(
    user_agent: str, accept: Collection[str], etag: str | None, last_modified: str | None
) -> dict[str, str]:
    headers = {
        "User-Agent": user_agent,
        "Accept": ", ".join(sorted(accept)) + ", */*;q=0.1",
        "Accept-Encoding": "gzip",
        "Connection": "close",
    }
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    return headers


def _content_type(value: str | None) -> tuple[str, str | None]:
    """The media type (lower case) and charset of a Content-Type header."""
    msg = Message()
    msg["content-type"] = value or "application/octet-stream"
    return msg.get_content_type(), msg.get_content_charset()


def _too_large(label: str, max_bytes: int) -> FetchError:
    return FetchError(f"{label}: too large (more than {max_bytes:,} bytes)")


class Body:
    """Collects the body, decompressing gzip, and stops as soon as it passes ``max_bytes``."""

    def __init__(self, encoding: str, max_bytes: int, label: str) -> None:
        if encoding not in ("", "identity", "gzip", "x-gzip"):
            raise FetchError(f"{label}: unsupported content encoding {encoding!r}")
        self._inflate = zlib.decompressobj(16 + zlib.MAX_WBITS) if "gzip" in encoding else None
        self._max, self._label = max_bytes, label
        self._raw = 0
        self._parts: list[bytes] = []
        self._size = 0

    def add(self, chunk: bytes) -> None:
        self._raw += len(chunk)
        if self._raw > self._max:
            raise _too_large(self._label, self._max)
        if self._inflate is not None:
            try:
                chunk = self._inflate.decompress(chunk, self._max - self._size + 1)
            except zlib.error as exc:
                raise FetchError(f"{self._label}: corrupt gzip body ({exc})") from exc
        self._size += len(chunk)
        if self._size > self._max:
            raise _too_large(self._label, self._max)
        self._parts.append(chunk)

    def bytes(self) -> bytes:
        return b"".join(self._parts)


def _read_body(
    resp: http.client.HTTPResponse, max_bytes: int, deadline: float, label: str
) -> bytes:
    """Stream the body, enforcing the size limit and the overall deadline as it arrives."""
    length = resp.getheader("Content-Length")
    if length and length.strip().isdigit() and int(length) > max_bytes:
        raise FetchError(f"{label}: too large ({int(length):,} bytes; the limit is {max_bytes:,})")
    body = Body((resp.getheader("Content-Encoding") or "").strip().lower(), max_bytes, label)
    while chunk := resp.read1(READ_CHUNK):
        body.add(chunk)
        if time.monotonic() > deadline:
            raise FetchError(f"{label}: timed out (the whole download took too long)")
    return body.bytes()


def _headers_of(resp: http.client.HTTPResponse) -> dict[str, str]:
    headers: dict[str, str] = {}
    for name, value in resp.getheaders():
        key = name.lower()
        headers[key] = f"{headers[key]}, {value}" if key in headers else value
    return headers


def _hop_label(url: str, first: str) -> str:
    return url if url == first else f"{url} (redirected from {first})"


@dataclass(frozen=True)
class _Options:
    allow_private: bool
    timeout: tuple[float, float]
    max_bytes: int
    accept: Collection[str]
    headers: Mapping[str, str]
    deadline: float


def fetch(
    url: str,
    *,
    allow_private: bool,
    timeout: tuple[float, float] = (5, 15),
    max_bytes: int = MAX_FETCH_BYTES,
    user_agent: str = USER_AGENT,
    accept: Collection[str] = ALLOWED_TYPES,
    etag: str | None = None,
    last_modified: str | None = None,
    max_redirects: int = MAX_REDIRECTS,
    total_timeout: float = 60.0,
) -> Fetched:
    """GET ``url``; redirects are followed by hand, each hop checked. Raises ``FetchError``.

    ``timeout`` is (connect, read) in seconds; ``total_timeout`` bounds the whole download.
    Unless ``allow_private``, every resolved address must be public (``FetchRefused`` if not).
    ``accept`` lists the media types taken (a subset of ``ALLOWED_TYPES``).
    ``etag`` / ``last_modified`` make the request conditional; a 304 returns ``not_modified``.
    """
    opts = _Options(
        allow_private,
        timeout,
        max_bytes,
        frozenset(accept) & ALLOWED_TYPES,
        _request_headers(user_agent, accept, etag, last_modified),
        time.monotonic() + total_timeout,
    )
    current = url
    for _ in range(max_redirects + 1):
        got = _hop(current, _hop_label(current, url), opts)
        if isinstance(got, Fetched):
            return replace(got, url=url)
        current = got
    raise FetchError(f"{url}: too many redirects (more than {max_redirects})")


def _hop(url: str, label: str, opts: _Options) -> Fetched | str:
    """One request: the response, or the URL it redirects to."""
    target = _target(url, label)
    _refuse_metadata_host(target, label)
    addresses = _resolve(target, label)
    _vet(target, addresses, label, opts.allow_private)
    cls = _PinnedHTTPSConnection if target.scheme == "https" else _PinnedHTTPConnection
    conn = cls(target, addresses, opts.timeout)
    try:
        _connect(conn, label, opts.timeout[0])
        try:
            conn.request("GET", target.path, headers=dict(opts.headers))
            return _answer(conn.getresponse(), url, label, opts)
        except TimeoutError as exc:
            raise FetchError(f"{label}: timed out reading after {opts.timeout[1]:g}s") from exc
        except (OSError, http.client.HTTPException) as exc:
            why = str(exc) or type(exc).__name__
            raise FetchError(f"{label}: the connection failed ({why})") from exc
    finally:
        conn.close()


def _connect(conn: http.client.HTTPConnection, label: str, seconds: float) -> None:
    try:
        conn.connect()
    except TimeoutError as exc:
        raise FetchError(f"{label}: timed out connecting after {seconds:g}s") from exc
    except ssl.SSLError as exc:
        raise FetchError(f"{label}: TLS error ({exc.reason or exc})") from exc
    except OSError as exc:
        raise FetchError(f"{label}: cannot connect ({exc.strerror or exc})") from exc


def _answer(resp: http.client.HTTPResponse, url: str, label: str, opts: _Options) -> Fetched | str:
    """Turn a response into a ``Fetched``, the next URL of a redirect, or a ``FetchError``."""
    if resp.status in _REDIRECTS:
        location = resp.getheader("Location")
        if not location:
            raise FetchError(f"{label}: HTTP {resp.status} redirect without a Location")
        return urljoin(url, location.strip())
    if resp.status == 304:
        return Fetched(url, url, 304, headers=_headers_of(resp), not_modified=True)
    if not 200 <= resp.status < 300:
        raise FetchError(f"{label}: HTTP {resp.status} {resp.reason}".rstrip())
    media, charset = _content_type(resp.getheader("Content-Type"))
    if media not in opts.accept:
        raise FetchError(
            f"{label}: unsupported content type {media!r} (expected {', '.join(sorted(opts.accept))})"
        )
    body = _read_body(resp, opts.max_bytes, opts.deadline, label)
    return Fetched(url, url, resp.status, media, charset, body, _headers_of(resp))
