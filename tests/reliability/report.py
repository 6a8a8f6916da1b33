"""Render the reliability tally (JSON written by the tests) as docs/reliability.md.

Usage: ``python tests/reliability/report.py TALLY.json docs/reliability.md`` (``make reliability``).
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path

AREAS = {
    "crash": "Crashes",
    "disk": "Disk full and read-only",
    "damage": "Damaged files",
    "concurrency": "Concurrency",
    "hostile input": "Hostile input",
    "oversized": "Oversized input",
    "abuse": "Abuse",
    "permissions": "Permissions",
    "secrets": "Secrets",
}
LONG_RUNS = "## Long runs"  # where the hand-written part of the file starts
HEAD = """# Reliability: faults and hostile input, tried

Written by `make reliability` on {day} at commit {commit}: every fault and hostile input the tests
below tried, how many times, and what happened. A row is recorded only once its test's assertions
have passed, and this file is written only when the whole run passed. The same tests run in
`make test`.

| area | fault or input | tries | result |
| --- | --- | ---: | --- |
"""
FOOT = """
{tries:,} tries in {rows} kinds: nothing lost, nothing crashed, nothing leaked.

How the faults are made (tests/reliability/, tests/e2e/test_e2e_abuse.py):

- **Crashes**: `newsbot ingest` and `newsbot reindex` run in a subprocess (the real command line
  with the fast fake embedder, `tests/reliability/fakecli.py`) and get SIGKILL after a random delay
  within the time a run takes. After each kill the index must open on the last published
  generation with every article published before; `newsbot doctor` must report nothing but the
  leftovers, and a rerun must complete and remove them.
- **Disk full**: Python's file writes under the data directory stop with ENOSPC once a byte
  budget is spent (0 to all of the bytes an ingest writes); SQLite is held to a page limit
  (`max_page_count`), so it fails exactly as on a full disk. **Read-only**: `chmod 555`; as root,
  where chmod stops nothing, writes are refused with EROFS by the same patch instead.
- **Damage**: each file of the published generation truncated, deleted, overwritten or swapped;
  the error, `newsbot doctor` and `newsbot reindex` are checked for each.
- **Concurrency**: reader threads ask questions while a writer ingests, updates, removes and
  re-indexes; every answer must come whole from one published generation.
- **Hostile input**: hypothesis generates unicode, control, zero-width and bidi characters,
  mention and markdown injections, huge lines and deeply nested HTML.
"""


def render(tally: dict[str, object]) -> str:
    rows = sorted(
        tally["rows"],  # type: ignore[arg-type]
        key=lambda r: (list(AREAS).index(r["area"]) if r["area"] in AREAS else 99, r["what"]),
    )
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    ).stdout.strip()
    out = HEAD.format(day=date.today().isoformat(), commit=commit or "unknown")
    for r in rows:
        what = str(r["what"]).replace("|", "\\|")
        out += f"| {AREAS.get(r['area'], r['area'])} | {what} | {r['tries']:,} | {r['result']} |\n"
    return out + FOOT.format(tries=sum(int(r["tries"]) for r in rows), rows=len(rows))


def _measured_elsewhere(target: Path) -> str:
    """The hand-written sections after the tally (from ``LONG_RUNS`` on), kept as they are: their
    figures come from the benchmarks, not from these tests."""
    old = target.read_text() if target.exists() else ""
    at = old.find(LONG_RUNS)
    return "\n" + old[at:] if at >= 0 else ""


def main(argv: list[str]) -> int:
    source, target = Path(argv[0]), Path(argv[1])
    tally = json.loads(source.read_text())
    if not tally.get("passed"):
        print(f"{source}: the run did not pass; {target} left as it was", file=sys.stderr)
        return 1
    target.write_text(render(tally) + _measured_elsewhere(target))
    print(f"wrote {target} ({len(tally['rows'])} rows)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
