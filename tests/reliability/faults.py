"""Deterministic disk faults under one directory: a disk that fills up, or that refuses writes.

``Disk`` patches Python's ``open`` (and ``io.open``), ``os.mkdir``, ``os.rename``, ``os.replace``
and ``os.access`` for paths under ``root`` only. FAISS is written through Python (see
``index.storage.store``), so every file of a generation except SQLite's goes through it; SQLite's own
writes are limited with ``PRAGMA max_page_count`` by ``sqlite_limit``, which makes SQLite fail
exactly as on a full disk (``SQLITE_FULL``).
"""

from __future__ import annotations

import builtins
import errno
import io
import os
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from index.storage import store


class Disk:
    """``root`` with ``free`` bytes left (then ENOSPC, after a partial write), or read-only."""

    def __init__(self, root: Path, *, free: float = float("inf"), read_only: bool = False) -> None:
        self.root = root.resolve()
        self.free = free
        self.read_only = read_only
        self.written = 0  # bytes written under root while installed

    def _mine(self, path: Any) -> bool:
        try:
            return Path(os.fsdecode(path)).resolve().is_relative_to(self.root)
        except (TypeError, ValueError):
            return False  # a file descriptor, not a path

    def _refuse(self, path: Any) -> None:
        raise OSError(errno.EROFS, os.strerror(errno.EROFS), os.fsdecode(path))

    def install(self, monkeypatch: pytest.MonkeyPatch, *, checkable: bool = True) -> Disk:
        """Patch the file functions. ``checkable``: a read-only disk also says so to
        ``os.access(W_OK)``, as a read-only mount does (else only the writes fail)."""
        real_open, real_mkdir = builtins.open, os.mkdir
        real_rename, real_replace, real_access = os.rename, os.replace, os.access

        def fake_open(file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
            writing = any(c in mode for c in "wax+")
            if not writing or not self._mine(file):
                return real_open(file, mode, *args, **kwargs)
            if self.read_only:
                self._refuse(file)
            return _Filling(real_open(file, mode, *args, **kwargs), self)

        def fake_mkdir(path: Any, *args: Any, **kwargs: Any) -> None:
            if self.read_only and self._mine(path) and not os.path.exists(path):
                self._refuse(path)
            real_mkdir(path, *args, **kwargs)

        def guarded(real: Any) -> Any:
            def move(src: Any, dst: Any, *args: Any, **kwargs: Any) -> None:
                if self.read_only and self._mine(dst):
                    self._refuse(dst)
                real(src, dst, *args, **kwargs)

            return move

        def fake_access(path: Any, mode: int, *args: Any, **kwargs: Any) -> bool:
            if checkable and self.read_only and mode & os.W_OK and self._mine(path):
                return False
            return bool(real_access(path, mode, *args, **kwargs))

        monkeypatch.setattr(builtins, "open", fake_open)
        monkeypatch.setattr(io, "open", fake_open)
        monkeypatch.setattr(os, "mkdir", fake_mkdir)
        monkeypatch.setattr(os, "rename", guarded(real_rename))
        monkeypatch.setattr(os, "replace", guarded(real_replace))
        monkeypatch.setattr(os, "access", fake_access)
        return self


class _Filling:
    """A file whose writes stop, part-way, with ENOSPC once the disk's free bytes are used."""

    def __init__(self, fh: Any, disk: Disk) -> None:
        self._fh = fh
        self._disk = disk

    def write(self, data: Any) -> int:
        chunk = data if isinstance(data, str) else memoryview(data).cast("B")
        room = max(0, int(min(self._disk.free - self._disk.written, len(chunk))))
        self._disk.written += room
        if room < len(chunk):
            self._fh.write(chunk[:room])
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return int(self._fh.write(data))

    def __enter__(self) -> _Filling:
        return self

    def __exit__(self, *exc: object) -> None:
        self._fh.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._fh, name)


def sqlite_limit(monkeypatch: pytest.MonkeyPatch, pages: int) -> None:
    """Let every SQLite file the store writes grow to ``pages`` pages, then fail as disk-full."""
    real = store.connect

    def limited(path: Path, *, readonly: bool) -> sqlite3.Connection:
        con = real(path, readonly=readonly)
        if not readonly:
            con.execute(f"PRAGMA max_page_count = {int(pages)}")
        return con

    monkeypatch.setattr(store, "connect", limited)
