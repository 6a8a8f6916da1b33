"""The arrows only point down: index/ never imports discord or bot."""

from __future__ import annotations

import ast
import subprocess
import sys

from tests.conftest import ROOT


def test_index_source_never_imports_discord_or_bot() -> None:
    offenders = []
    for path in (ROOT / "index").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            offenders += [
                f"{path.name}: {n}" for n in names if n.split(".")[0] in ("discord", "bot")
            ]
    assert offenders == []


def test_importing_index_loads_no_discord_module() -> None:
    code = (
        "import sys, index, index.library, index.evaluate; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('discord', 'bot')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"


def test_bot_uses_index_only_through_its_public_api() -> None:
    offenders = []
    for path in (ROOT / "bot").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.ImportFrom)
                and node.module
                and node.module.startswith("index.")
            ):
                offenders.append(f"{path.name}: {node.module}")
    assert offenders == []
