"""A Milvus server for tests: ``milvus-lite server`` (the same gRPC API as Milvus) on a free
127.0.0.1 port, its data in a temporary directory, killed at the end.

Each test uses its own collection name (``server.uri(name)``), so that one server serves a
whole module without tests seeing each other's collections.
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["MilvusServer", "running", "serve", "start"]

READY_SECONDS = 30.0


@dataclass
class MilvusServer:
    """A running ``milvus-lite server``: where it listens and the process serving it."""

    host: str
    port: int
    data: Path
    process: subprocess.Popen[bytes]

    @property
    def http(self) -> str:
        return f"http://{self.host}:{self.port}"

    def uri(self, name: str) -> str:
        """The ``NEWSBOT_STORE`` setting of the collection ``name`` on this server."""
        return f"milvus://{self.host}:{self.port}/{name}"

    def client(self) -> Any:
        """A pymilvus client of this server (for looking at collections directly)."""
        from pymilvus import MilvusClient

        return MilvusClient(uri=self.http, timeout=10)

    def stop(self) -> None:
        """Kill the server (by its own process id) and wait for it to go."""
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=10)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start(data: Path, port: int | None = None) -> MilvusServer:
    """Start a server with its data in ``data`` (on ``port``, or a free one) and wait until it
    answers."""
    from pymilvus import MilvusClient

    data.mkdir(parents=True, exist_ok=True)
    port = port or _free_port()
    milvus_lite = Path(sys.executable).with_name("milvus-lite")
    log = open(data / "server.log", "wb")  # noqa: SIM115 - the server writes it until killed
    process = subprocess.Popen(
        [str(milvus_lite), "server", "--data-dir", str(data / "db"), "--host", "127.0.0.1",
         "--port", str(port)],
        stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    log.close()
    server = MilvusServer("127.0.0.1", port, data, process)
    deadline = time.monotonic() + READY_SECONDS
    while True:
        if process.poll() is not None:
            raise RuntimeError(
                f"milvus-lite exited with {process.returncode}: "
                + (data / "server.log").read_text(errors="replace")[-2000:]
            )
        try:
            client = MilvusClient(uri=server.http, timeout=2)
            client.list_collections()
            client.close()
            return server
        except Exception:  # not listening yet
            if time.monotonic() > deadline:
                server.stop()
                raise
            time.sleep(0.1)


@contextlib.contextmanager
def running(data: Path) -> Iterator[MilvusServer]:
    """A server for the ``with`` block, killed at its end."""
    server = start(data)
    try:
        yield server
    finally:
        server.stop()


def serve(data: Path) -> Iterator[MilvusServer]:
    """For a pytest fixture: ``yield from serve(tmp_path_factory.mktemp("milvus"))``."""
    with running(data) as server:
        yield server
