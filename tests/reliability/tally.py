"""The tally behind docs/reliability.md (a fixture and a hook, imported by tests/conftest.py).

Each fault or hostile-input test records what it tried with ``tally(area, what, tries, result)``
once its assertions have passed. When ``NEWSBOT_RELIABILITY_JSON`` names a file (``make reliability`` sets it), the
tally is written there at the end of the session; ``tests/reliability/report.py`` renders it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest

Tally = Callable[[str, str, int, str], None]
_ROWS: dict[tuple[str, str], dict[str, object]] = {}


@pytest.fixture
def tally() -> Tally:
    """Record that ``what`` (in ``area``) was tried ``tries`` times with ``result``."""

    def record(area: str, what: str, tries: int, result: str) -> None:
        row = _ROWS.setdefault((area, what), {"area": area, "what": what, "tries": 0})
        row["tries"] = int(str(row["tries"])) + tries
        row["result"] = result

    return record


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    target = os.environ.get("NEWSBOT_RELIABILITY_JSON")
    if target and _ROWS:
        rows = sorted(_ROWS.values(), key=lambda r: (str(r["area"]), str(r["what"])))
        Path(target).write_text(json.dumps({"passed": exitstatus == 0, "rows": rows}, indent=2))
