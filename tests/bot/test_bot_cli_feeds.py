"""`newsbot feeds` and `newsbot articles --latest` against a feed served on 127.0.0.1 (real model).

This is the issue's "what it must show": `feeds add` + `feeds poll` make the feed's articles
answerable by `newsbot ask`, a second poll ingests nothing new, and without
NEWSBOT_ALLOW_PRIVATE_URLS the same feed is refused in one line with a non-zero exit.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main
from tests.feedsite import FeedSite, Item, rss

pytestmark = pytest.mark.model

GLACIER = Item(
    "glacier",
    "Glacier museum opens ice cave tours",
    (
        "The glacier museum in the northern valley opened guided tours of its ice cave on Monday.",
        'Curator Lena Berg said: "Visitors can walk forty metres into the blue ice with a guide."',
    ),
    published="2025-02-10T08:00:00+00:00",
    summary="Ice cave tours open.",
)
FERRY = Item(
    "ferry",
    "Night ferry returns to the islands",
    (
        "The night ferry to the outer islands sails again from Friday after a winter break.",
        "Captain Omar Reyes said the crossing takes five hours in calm weather.",
    ),
    published="2025-02-11T08:00:00+00:00",
    summary="The night ferry is back.",
)


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_feeds_add_poll_ask_poll_again_and_refused_without_the_setting(
    feed_site: FeedSite,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)  # no .env from elsewhere
    data = str(tmp_path / "data")
    feed_site.publish(GLACIER, FERRY)
    url = feed_site.put(
        "/rss", rss(feed_site.base, [FERRY, GLACIER]), "application/rss+xml", etag='"1"'
    )

    monkeypatch.delenv("NEWSBOT_ALLOW_PRIVATE_URLS", raising=False)
    code, out, err = _run(capsys, "--data", data, "feeds", "add", url)
    assert (code, out) == (2, "")
    assert err == (
        f"newsbot: refusing to fetch {url}: 127.0.0.1 is a loopback address; "
        "set NEWSBOT_ALLOW_PRIVATE_URLS=1 to allow\n"
    )

    monkeypatch.setenv("NEWSBOT_ALLOW_PRIVATE_URLS", "1")
    code, out, _ = _run(capsys, "--data", data, "feeds", "add", url, "--source", "Peak Post")
    assert code == 0 and out.startswith(f"following {url} as 'Peak Post'")
    code, out, _ = _run(capsys, "--data", data, "feeds", "poll", "--quiet")
    assert code == 0
    assert out == (
        f"Peak Post <{url}>: 2 new of 2 entries\npolled 1 feed: 2 new articles, 0 failed\n"
    )
    code, out, _ = _run(
        capsys, "--data", data, "ask", "how far can visitors walk into the ice cave?", "--k", "1"
    )
    assert code == 0
    assert 'Visitors can walk forty metres into the blue ice with a guide."**' in out
    assert "Peak Post · 10 Feb 2025" in out

    code, out, _ = _run(capsys, "--data", data, "feeds", "poll", "--quiet")
    assert code == 0
    assert out == f"Peak Post <{url}>: not modified\npolled 1 feed: 0 new articles, 0 failed\n"
    feed_site.put("/rss", rss(feed_site.base, [FERRY, GLACIER]), "application/rss+xml", etag='"2"')
    code, out, _ = _run(capsys, "--data", data, "feeds", "poll", "--quiet")
    assert out.startswith(f"Peak Post <{url}>: 0 new of 2 entries\n")  # changed, nothing new

    code, out, _ = _run(capsys, "--data", data, "articles", "--latest")
    assert [line.split("  ")[-1].strip() for line in out.splitlines()] == [
        FERRY.title,
        GLACIER.title,
    ]

    monkeypatch.delenv("NEWSBOT_ALLOW_PRIVATE_URLS")
    code, out, _ = _run(capsys, "--data", data, "feeds", "poll", "--quiet")
    assert code == 1
    assert out.splitlines()[0] == (
        f"Peak Post <{url}>: failed (refusing to fetch {url}: 127.0.0.1 is a loopback address; "
        "set NEWSBOT_ALLOW_PRIVATE_URLS=1 to allow)"
    )
    code, out, _ = _run(capsys, "--data", data, "feeds", "list")
    lines = out.splitlines()
    assert lines[:2] == [url, "  source Peak Post · 2 articles"]
    assert (
        lines[2].startswith("  last poll ")
        and "next poll " in lines[2]
        and "(in 30 min)" in lines[2]
    )
    assert lines[3].startswith("  last error (1 failed poll in a row): refusing to fetch")

    code, out, _ = _run(capsys, "--data", data, "feeds", "remove", url)
    assert out == f"stopped following {url} (its 2 articles stay in the index)\n"
    code, out, err = _run(capsys, "--data", data, "feeds", "remove", url)
    assert (code, err) == (2, f"newsbot: no feed '{url}' is followed\n")
    code, out, _ = _run(capsys, "--data", data, "feeds", "list")
    assert out == "no feeds yet: add one with `newsbot feeds add URL`\n"


def test_a_refused_feed_is_one_line_without_traceback_as_a_subprocess(
    feed_site: FeedSite, tmp_path: Path
) -> None:
    url = feed_site.put("/rss", rss(feed_site.base, [GLACIER]), "application/rss+xml")
    env = {k: v for k, v in os.environ.items() if k != "NEWSBOT_ALLOW_PRIVATE_URLS"}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "--data", str(tmp_path / "d"), "feeds", "add", url],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=120,
    )
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and "refusing to fetch" in result.stderr
