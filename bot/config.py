"""Settings from the environment and ``.env``, read once at start and validated."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from dotenv import dotenv_values

from index import ENCODERS, NewsIndex, remote_from

__all__ = ["Settings", "SettingsError", "open_index", "require_directory"]

_LOG_LEVELS = ("CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG")


class SettingsError(ValueError):
    """A setting is malformed; the message names the variable and what it expects."""


@dataclass(frozen=True)
class Settings:
    """Everything the bot reads from its environment. The token never appears in ``repr``."""

    discord_token: str | None = field(default=None, repr=False)
    data_dir: Path = Path("data")
    guild_id: int | None = None
    admin_ids: frozenset[int] = frozenset()
    embedding_model: str | None = None
    encoder: str | None = None
    cooldown_questions: int = 3
    cooldown_seconds: float = 10.0
    results: int = 3
    max_searches: int = 4  # questions searched at once
    max_waiting: int = 100  # questions that may wait for a search slot; more are told "busy"
    log_level: str = "INFO"
    allow_private_urls: bool = False
    feed_interval: int = 15  # minutes between polls of each feed
    prefer_recent: bool = False
    shard: tuple[int, int] | None = None  # (this process's shard, of how many); None: one
    store: str | None = None  # a Milvus server for the vectors (None: beside the data)
    store_token: str | None = field(default=None, repr=False)

    @classmethod
    def from_env(cls, env_file: str | os.PathLike[str] | None = ".env") -> Settings:
        """Read the process environment, falling back to ``env_file``; real variables win."""
        values: dict[str, str | None] = {}
        if env_file is not None and Path(env_file).is_file():
            values.update(dotenv_values(env_file))
        values.update(os.environ)
        return cls.from_mapping(values)

    @classmethod
    def from_mapping(cls, env: Mapping[str, str | None]) -> Settings:
        """Build settings from variables; empty values count as unset."""

        def get(name: str) -> str | None:
            value = env.get(name)
            return value.strip() if value and value.strip() else None

        questions, seconds = _cooldown(get("NEWSBOT_COOLDOWN"))
        return cls(
            discord_token=_token(get("DISCORD_TOKEN")),
            data_dir=Path(get("NEWSBOT_DATA_DIR") or "data"),
            guild_id=_snowflake("NEWSBOT_GUILD_ID", get("NEWSBOT_GUILD_ID")),
            admin_ids=_admin_ids(get("NEWSBOT_ADMIN_IDS")),
            embedding_model=get("EMBEDDING_MODEL"),
            encoder=_encoder(get("NEWSBOT_ENCODER")),
            cooldown_questions=questions,
            cooldown_seconds=seconds,
            results=_whole("NEWSBOT_RESULTS", get("NEWSBOT_RESULTS"), 3, 1, 5),
            max_searches=_whole("NEWSBOT_MAX_SEARCHES", get("NEWSBOT_MAX_SEARCHES"), 4, 1, 32),
            max_waiting=_whole("NEWSBOT_MAX_WAITING", get("NEWSBOT_MAX_WAITING"), 100, 0, 1000),
            log_level=_log_level(get("NEWSBOT_LOG_LEVEL")),
            allow_private_urls=_flag(
                "NEWSBOT_ALLOW_PRIVATE_URLS", get("NEWSBOT_ALLOW_PRIVATE_URLS")
            ),
            feed_interval=_whole(
                "NEWSBOT_FEED_INTERVAL", get("NEWSBOT_FEED_INTERVAL"), 15, 1, 1440, "of minutes "
            ),
            prefer_recent=_flag("NEWSBOT_PREFER_RECENT", get("NEWSBOT_PREFER_RECENT")),
            shard=_shard(get("NEWSBOT_SHARD")),
            store=_store(get("NEWSBOT_STORE")),
            store_token=get("NEWSBOT_MILVUS_TOKEN"),
        )


def open_index(
    settings: Settings,
    *,
    data_dir: str | Path | None = None,
    rebuild: bool = False,
    must_exist: bool = False,
) -> NewsIndex:
    """The index in ``data_dir`` (default: the configured one), opened with the configured
    model, encoder and tuning. Raises ``SettingsError`` when the directory is a file, or holds
    no index and ``must_exist`` (commands that only read: a typo must not look like an empty
    index)."""
    path = Path(settings.data_dir if data_dir is None else data_dir)
    require_directory(path)
    if must_exist and not _holds_index(path):
        raise SettingsError(
            f"no index in {path}: run `newsbot --data {path} ingest PATH...` to make one, or "
            "point --data (or NEWSBOT_DATA_DIR) at an existing index"
        )
    index = NewsIndex.open(
        path,
        model=settings.embedding_model,
        encoder=settings.encoder,
        rebuild=rebuild,
        store=settings.store,
        store_token=settings.store_token,
    )
    index.tuning = replace(index.tuning, prefer_recent=settings.prefer_recent)
    return index


def require_directory(path: Path) -> None:
    """Raise ``SettingsError`` when the data directory ``path`` is a file."""
    if path.exists() and not path.is_dir():
        raise SettingsError(
            f"{path} is a file, not an index directory: point --data (or NEWSBOT_DATA_DIR) at "
            "a directory"
        )


def _holds_index(path: Path) -> bool:
    """Whether ``path`` holds a published index: its CURRENT pointer or a ``gen-NNNNNN``
    generation (the layout of index/storage/store.py), looked at without opening anything,
    since opening may create the directory (the model's export is kept there)."""
    if not path.is_dir():
        return False
    return (path / "CURRENT").is_file() or any(
        p.name.startswith("gen-") and p.is_dir() for p in path.iterdir()
    )


def _shard(value: str | None) -> tuple[int, int] | None:
    """``ID/COUNT``: this process serves Discord's shard ID of COUNT (docs/scaling.md)."""
    if value is None:
        return None
    message = f"NEWSBOT_SHARD must look like '0/2' (this shard / how many), got {value!r}"
    shard, sep, count = value.partition("/")
    try:
        pair = int(shard), int(count)
    except ValueError:
        raise SettingsError(message) from None
    if not sep or not 0 <= pair[0] < pair[1]:
        raise SettingsError(message + "; the shard must be from 0 to how many - 1")
    return pair


def _store(value: str | None) -> str | None:
    """A Milvus address (checked now, so that a typo stops the bot at start)."""
    if value is not None:
        try:
            remote_from(value)
        except ValueError as exc:
            raise SettingsError(str(exc)) from exc
    return value


def _token(value: str | None) -> str | None:
    if value is None:
        return None
    if value.lower().startswith("bot "):
        raise SettingsError("DISCORD_TOKEN must be the bare bot token, without the 'Bot ' prefix")
    if any(ch.isspace() for ch in value):
        raise SettingsError("DISCORD_TOKEN must not contain spaces; copy it again from the portal")
    return value


def _encoder(value: str | None) -> str | None:
    if value is None:
        return None
    if value.lower() not in ENCODERS:
        raise SettingsError(f"NEWSBOT_ENCODER must be one of {', '.join(ENCODERS)}, got {value!r}")
    return value.lower()


def _snowflake(name: str, value: str | None) -> int | None:
    if value is None:
        return None
    if not value.isdigit() or int(value) <= 0:
        raise SettingsError(f"{name} must be a Discord id (a positive number), got {value!r}")
    return int(value)


def _admin_ids(value: str | None) -> frozenset[int]:
    if value is None:
        return frozenset()
    parts = [part.strip() for part in value.split(",") if part.strip()]
    return frozenset(int(_snowflake("NEWSBOT_ADMIN_IDS", part) or 0) for part in parts)


def _cooldown(value: str | None) -> tuple[int, float]:
    if value is None:
        return 3, 10.0
    message = f"NEWSBOT_COOLDOWN must look like '3/10' (questions per seconds), got {value!r}"
    questions, sep, seconds = value.partition("/")
    if not sep:
        raise SettingsError(message)
    try:
        count, span = int(questions), float(seconds)
    except ValueError:
        raise SettingsError(message) from None
    if count < 1 or not 0 < span <= 3600:
        raise SettingsError(message + "; questions must be >= 1 and seconds in (0, 3600]")
    return count, span


def _whole(name: str, value: str | None, default: int, low: int, high: int, unit: str = "") -> int:
    """A bounded whole-number setting: ``default`` when unset, else ``low`` to ``high``."""
    if value is None:
        return default
    if not value.isdigit() or not low <= int(value) <= high:
        raise SettingsError(
            f"{name} must be a whole number {unit}from {low} to {high}, got {value!r}"
        )
    return int(value)


def _log_level(value: str | None) -> str:
    if value is None:
        return "INFO"
    level = value.upper()
    if level not in _LOG_LEVELS:
        choices = ", ".join(_LOG_LEVELS)
        raise SettingsError(f"NEWSBOT_LOG_LEVEL must be one of {choices}, got {value!r}")
    return level


def _flag(name: str, value: str | None) -> bool:
    if value is None:
        return False
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("0", "false", "no", "off"):
        return False
    raise SettingsError(f"{name} must be 1 or 0 (true or false), got {value!r}")
