"""Settings: parsing, defaults, validation messages, .env precedence and a token-free repr."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import Settings, SettingsError

TOKEN = "MTIz.secret-token.value"


def test_defaults() -> None:
    s = Settings.from_mapping({})
    assert s == Settings()
    assert (s.data_dir, s.guild_id, s.admin_ids, s.embedding_model) == (
        Path("data"),
        None,
        frozenset(),
        None,
    )
    assert (s.cooldown_questions, s.cooldown_seconds, s.results, s.log_level) == (
        3,
        10.0,
        3,
        "INFO",
    )
    assert (s.allow_private_urls, s.feed_interval, s.prefer_recent) == (False, 15, False)
    assert (s.max_searches, s.max_waiting) == (4, 100)


def test_every_setting_is_read() -> None:
    s = Settings.from_mapping(
        {
            "DISCORD_TOKEN": f" {TOKEN} ",
            "NEWSBOT_DATA_DIR": "/tmp/idx",
            "NEWSBOT_GUILD_ID": "123",
            "NEWSBOT_ADMIN_IDS": "1, 2,,3",
            "EMBEDDING_MODEL": "some/model",
            "NEWSBOT_ENCODER": "ONNX",
            "NEWSBOT_COOLDOWN": "5/30",
            "NEWSBOT_RESULTS": "5",
            "NEWSBOT_MAX_SEARCHES": "8",
            "NEWSBOT_MAX_WAITING": "0",
            "NEWSBOT_LOG_LEVEL": "debug",
            "NEWSBOT_ALLOW_PRIVATE_URLS": "yes",
            "NEWSBOT_FEED_INTERVAL": "60",
            "NEWSBOT_PREFER_RECENT": "1",
            "NEWSBOT_SHARD": "1/4",
            "NEWSBOT_STORE": "milvus://milvus.internal:19530/news",
            "NEWSBOT_MILVUS_TOKEN": "root:milvus-secret",
        }
    )
    assert s.discord_token == TOKEN
    assert (s.data_dir, s.guild_id, s.admin_ids) == (Path("/tmp/idx"), 123, frozenset({1, 2, 3}))
    assert (s.embedding_model, s.cooldown_questions, s.cooldown_seconds) == ("some/model", 5, 30.0)
    assert (s.results, s.log_level, s.allow_private_urls) == (5, "DEBUG", True)
    assert (s.feed_interval, s.prefer_recent, s.max_searches, s.max_waiting) == (60, True, 8, 0)
    assert s.encoder == "onnx"
    assert (s.shard, s.store) == ((1, 4), "milvus://milvus.internal:19530/news")
    assert s.store_token == "root:milvus-secret" and "milvus-secret" not in repr(s)


def test_empty_values_count_as_unset() -> None:
    blank = dict.fromkeys(
        ["DISCORD_TOKEN", "NEWSBOT_GUILD_ID", "NEWSBOT_RESULTS", "EMBEDDING_MODEL"], " "
    )
    assert Settings.from_mapping(blank) == Settings()


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("NEWSBOT_GUILD_ID", "abc"),
        ("NEWSBOT_GUILD_ID", "-5"),
        ("NEWSBOT_ADMIN_IDS", "1,x"),
        ("NEWSBOT_COOLDOWN", "3"),
        ("NEWSBOT_COOLDOWN", "0/10"),
        ("NEWSBOT_COOLDOWN", "a/b"),
        ("NEWSBOT_RESULTS", "0"),
        ("NEWSBOT_RESULTS", "6"),
        ("NEWSBOT_MAX_SEARCHES", "0"),
        ("NEWSBOT_MAX_SEARCHES", "33"),
        ("NEWSBOT_MAX_SEARCHES", "four"),
        ("NEWSBOT_MAX_WAITING", "-1"),
        ("NEWSBOT_MAX_WAITING", "1001"),
        ("NEWSBOT_LOG_LEVEL", "LOUD"),
        ("NEWSBOT_ALLOW_PRIVATE_URLS", "maybe"),
        ("NEWSBOT_FEED_INTERVAL", "0"),
        ("NEWSBOT_FEED_INTERVAL", "1441"),
        ("NEWSBOT_FEED_INTERVAL", "5m"),
        ("NEWSBOT_PREFER_RECENT", "sometimes"),
        ("NEWSBOT_ENCODER", "tensorflow"),
        ("NEWSBOT_SHARD", "2"),
        ("NEWSBOT_SHARD", "2/2"),
        ("NEWSBOT_SHARD", "-1/2"),
        ("NEWSBOT_SHARD", "a/b"),
        ("NEWSBOT_STORE", "postgres://db:5432"),
        ("NEWSBOT_STORE", "milvus:///news"),
    ],
)
def test_bad_values_name_the_variable(name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=name):
        Settings.from_mapping({name: value})


def test_a_malformed_token_is_refused_without_echoing_it() -> None:
    for bad in (f"Bot {TOKEN}", f"{TOKEN} extra"):
        with pytest.raises(SettingsError, match="DISCORD_TOKEN") as err:
            Settings.from_mapping({"DISCORD_TOKEN": bad})
        assert "secret" not in str(err.value)


def test_repr_never_shows_the_token() -> None:
    s = Settings.from_mapping({"DISCORD_TOKEN": TOKEN})
    assert "secret" not in repr(s) and "secret" not in str(s)


def test_env_file_is_read_but_real_variables_win(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = tmp_path / ".env"
    env.write_text(f"DISCORD_TOKEN={TOKEN}\nNEWSBOT_RESULTS=2\nNEWSBOT_GUILD_ID=7\n")
    monkeypatch.setenv("NEWSBOT_RESULTS", "4")
    monkeypatch.delenv("DISCORD_TOKEN", raising=False)
    monkeypatch.delenv("NEWSBOT_GUILD_ID", raising=False)
    s = Settings.from_env(env)
    assert (s.discord_token, s.results, s.guild_id) == (TOKEN, 4, 7)
    assert Settings.from_env(tmp_path / "missing.env").results == 4


def test_env_example_lists_every_setting() -> None:
    example = Path(__file__).parents[2] / ".env.example"
    names = {
        line.split("=")[0]
        for line in example.read_text().splitlines()
        if "=" in line and line[0] != "#"
    }
    assert names == {
        "DISCORD_TOKEN",
        "NEWSBOT_DATA_DIR",
        "NEWSBOT_GUILD_ID",
        "NEWSBOT_ADMIN_IDS",
        "EMBEDDING_MODEL",
        "NEWSBOT_ENCODER",
        "NEWSBOT_COOLDOWN",
        "NEWSBOT_RESULTS",
        "NEWSBOT_MAX_SEARCHES",
        "NEWSBOT_MAX_WAITING",
        "NEWSBOT_SHARD",
        "NEWSBOT_STORE",
        "NEWSBOT_MILVUS_TOKEN",
        "NEWSBOT_LOG_LEVEL",
        "NEWSBOT_ALLOW_PRIVATE_URLS",
        "NEWSBOT_FEED_INTERVAL",
        "NEWSBOT_PREFER_RECENT",
    }
    Settings.from_env(example)  # the example itself is valid


def test_git_ignores_the_env_file() -> None:
    ignored = (Path(__file__).parents[2] / ".gitignore").read_text().split()
    assert ".env" in ignored
