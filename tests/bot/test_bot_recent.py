"""bot.recent: the previous exchange is kept per (channel, user), briefly, and nowhere else."""

from __future__ import annotations

import json
import os
import stat
import time
from pathlib import Path

from bot.followup import Exchange
from bot.recent import TTL, Recent, keep_question, last_question


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_each_channel_and_user_has_its_own_previous_exchange() -> None:
    recent = Recent(clock=Clock())
    recent.put((1, 7), Exchange("what did the Met say about ports?", "Mark Rowley"))
    assert recent.get((1, 7)) == Exchange("what did the Met say about ports?", "Mark Rowley")
    assert recent.get((1, 8)) is None  # another user in the same channel
    assert recent.get((2, 7)) is None  # the same user in another channel (or a thread)
    recent.put((1, 7), Exchange("what about Manchester?"))
    assert recent.get((1, 7)) == Exchange("what about Manchester?")  # only the last is kept


def test_an_exchange_is_forgotten_when_the_window_has_passed() -> None:
    clock = Clock()
    recent = Recent(ttl=600, clock=clock)
    recent.put((1, 7), Exchange("first?"))
    clock.now += 300
    recent.put((1, 8), Exchange("second?"))
    clock.now += 299
    assert recent.get((1, 7)) == Exchange("first?")
    clock.now += 1
    assert recent.get((1, 7)) is None and recent.get((1, 8)) == Exchange("second?")
    clock.now += 300
    recent.forget_expired()  # the bot calls it when a window ends, whether or not anyone asks
    assert not recent._kept, "nothing is held once every window has passed"
    assert recent.get((1, 8)) is None


def test_at_most_size_pairs_are_kept_the_oldest_forgotten_first() -> None:
    recent = Recent(size=3, clock=Clock())
    for user in range(5):
        recent.put((1, user), Exchange(f"question {user}?"))
    assert [recent.get((1, user)) for user in range(5)] == [
        None,
        None,
        Exchange("question 2?"),
        Exchange("question 3?"),
        Exchange("question 4?"),
    ]
    recent.put((1, 2), Exchange("again?"))  # asking again makes a pair the newest
    recent.put((1, 5), Exchange("question 5?"))
    assert recent.get((1, 2)) == Exchange("again?") and recent.get((1, 3)) is None
    assert len(recent._kept) == 3


def test_the_command_line_keeps_only_the_last_question_for_its_owner(tmp_path: Path) -> None:
    path = tmp_path / "followup.json"
    assert last_question(path) is None
    keep_question(path, "what did the Met say about ports?")
    keep_question(path, "what about Manchester?")
    assert last_question(path) == "what about Manchester?"
    assert set(json.loads(path.read_text())) == {"question", "at"}
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["followup.json"]  # no draft left behind


def test_an_expired_or_damaged_question_file_is_removed(tmp_path: Path) -> None:
    path = tmp_path / "followup.json"
    keep_question(path, "what did the Met say about ports?")
    old = time.time() - TTL - 1
    path.write_text(json.dumps({"question": "what did the Met say?", "at": old}))
    assert last_question(path) is None and not path.exists()
    for damaged in ("not json", '{"question": "q"}', '["q"]', '{"question": "q", "at": "x"}'):
        path.write_text(damaged)
        assert last_question(path) is None and not path.exists()
    keep_question(path, "q?")
    os.utime(path)  # the time inside the file counts, not the file's
    assert last_question(path, ttl=0.0) is None
