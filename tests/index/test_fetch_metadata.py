"""Cloud metadata addresses are never fetched, whatever NEWSBOT_ALLOW_PRIVATE_URLS says, and the
message says so; the User-Agent names the project and its version (issue 18). No network: name
resolution and connections are faked."""

from __future__ import annotations

import ipaddress
import socket
from importlib.metadata import version
from typing import Any

import pytest

from index.load.fetch import USER_AGENT, FetchError, FetchRefused, fetch

METADATA_URLS = [
    "http://169.254.169.254/latest/meta-data/",
    "http://[fd00:ec2::254]/latest/meta-data/",
    "http://[::ffff:169.254.169.254]/latest/meta-data/",
    "http://metadata.google.internal/computeMetadata/v1/",
    "http://METADATA.google.internal./computeMetadata/v1/",
]


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Names resolve to the metadata address (as on a cloud VM); connections are recorded and
    refused, so nothing leaves the machine."""
    connects: list[Any] = []

    def getaddrinfo(host: str, port: int, *args: Any, **kwargs: Any) -> list[Any]:
        if "metadata" in host.lower():
            host = "169.254.169.254"
        ip = ipaddress.ip_address(host)  # anything else here is an address
        family = socket.AF_INET if ip.version == 4 else socket.AF_INET6
        return [(family, socket.SOCK_STREAM, 6, "", (str(ip), port))]

    def create_connection(address: Any, *args: Any, **kwargs: Any) -> socket.socket:
        connects.append(address)
        raise ConnectionRefusedError("refused by the test")

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(socket, "create_connection", create_connection)
    return connects


@pytest.mark.parametrize("allow_private", [False, True])
@pytest.mark.parametrize("url", METADATA_URLS)
def test_metadata_addresses_are_refused_whatever_the_setting(
    offline: list[Any], url: str, allow_private: bool
) -> None:
    with pytest.raises(FetchRefused) as caught:
        fetch(url, allow_private=allow_private, timeout=(0.5, 0.5))
    message = str(caught.value)
    assert "cloud metadata" in message
    assert "never fetched, whatever NEWSBOT_ALLOW_PRIVATE_URLS says" in message
    assert "to allow" not in message
    assert offline == []


def test_a_name_is_refused_before_it_is_resolved(
    offline: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_dns(*args: Any, **kwargs: Any) -> list[Any]:
        raise AssertionError("a metadata host name must be refused before it is resolved")

    monkeypatch.setattr(socket, "getaddrinfo", no_dns)
    with pytest.raises(FetchRefused, match=r"metadata\.google\.internal is a cloud metadata"):
        fetch("http://metadata.google.internal/", allow_private=True)


def test_other_private_addresses_still_follow_the_setting(offline: list[Any]) -> None:
    with pytest.raises(FetchRefused, match="set NEWSBOT_ALLOW_PRIVATE_URLS=1 to allow"):
        fetch("http://10.0.0.8/story", allow_private=False)
    with pytest.raises(FetchError, match="refused by the test"):
        fetch("http://10.0.0.8/story", allow_private=True)
    assert offline == [("10.0.0.8", 80)]


def test_the_user_agent_names_the_project_and_its_version() -> None:
    assert USER_AGENT.startswith(f"newsbot/{version('newsbot')} (")
    assert "github.com/newsbot" not in USER_AGENT
