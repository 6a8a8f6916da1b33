"""The layers, read from the syntax tree (imports inside functions included).

index/: text -> (embed, storage, load) -> (ask, ingest, feeds) -> library; models and errors are
shared by all. bot/ uses index only through its public API, and its cogs are independent.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

from tests.conftest import ROOT

INDEX = ROOT / "index"
SHARED = {"index.models", "index.errors"}
# Which subpackages each part of index/ may import (besides itself and SHARED).
ALLOWED = {
    "text": set(),
    "embed": {"text"},
    "storage": {"text", "embed"},
    "load": set(),
    "ask": {"storage", "embed", "text"},
    "ingest": {"storage", "embed", "text"},
    "feeds": {"load", "text"},
    "evaluate": set(),
}
SQL = re.compile(r"^\s*(SELECT|INSERT|UPDATE|DELETE|CREATE|DROP|PRAGMA|BEGIN|COMMIT|ROLLBACK)\b")


def _module(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> Iterator[str]:
    """Every module ``path`` imports, absolute, wherever the import statement is."""
    package = _module(path) if path.name == "__init__.py" else _module(path).rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            yield from (a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            yield module
            yield from (f"{module}.{a.name}" for a in node.names)  # submodules imported by name


def _index_modules() -> dict[str, Path]:
    return {_module(p): p for p in INDEX.rglob("*.py")}


def _index_imports() -> dict[str, set[str]]:
    """For each module of index/, the modules of index/ it imports."""
    modules = _index_modules()
    return {
        name: {m for m in _imports(path) if m in modules and m != name}
        for name, path in modules.items()
    }


def _part(module: str) -> str:
    return module.split(".")[1] if "." in module else ""


def test_each_part_of_index_imports_only_the_layers_below_it() -> None:
    offenders = []
    for module, imported in _index_imports().items():
        part = _part(module)
        if part not in ALLOWED:
            continue  # the package itself and library.py, the facade
        for other in imported:
            target = _part(other)
            if other not in SHARED and target != part and target not in ALLOWED[part]:
                offenders.append(f"{module} imports {other}")
    assert offenders == []


def test_only_the_facade_imports_ask_ingest_and_feeds() -> None:
    offenders = [
        f"{module} imports {other}"
        for module, imported in _index_imports().items()
        for other in imported
        if _part(other) in ("ask", "ingest", "feeds")
        and _part(module) != _part(other)
        and module != "index.library"
    ]
    assert offenders == []


def test_index_has_no_import_cycles() -> None:
    graph = _index_imports()
    # a package's __init__ re-exports its modules: an edge into a package is an edge into them
    done: set[str] = set()
    cycles: list[list[str]] = []

    def visit(module: str, path: list[str]) -> None:
        if module in path:
            cycles.append([*path[path.index(module) :], module])
            return
        if module in done:
            return
        for other in sorted(graph[module]):
            if other != module.rpartition(".")[0]:  # a module may import its own package
                visit(other, [*path, module])
        done.add(module)

    for module in sorted(graph):
        visit(module, [])
    assert cycles == []


def test_sql_lives_in_storage_and_the_feed_registry() -> None:
    offenders = []
    for path in INDEX.rglob("*.py"):
        module = _module(path)
        if _part(module) == "storage" or module == "index.feeds.registry":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and SQL.match(node.value)
            ):
                offenders.append(f"{module}: {node.value[:40]!r}")
    assert offenders == []


def _defined(tree: ast.Module) -> set[str]:
    """The names a module defines for others: top-level names, classes' members, attributes."""
    names = set()
    scopes = [tree.body] + [n.body for n in ast.walk(tree) if isinstance(n, ast.ClassDef)]
    for body in scopes:
        for node in body:
            if isinstance(node, ast.FunctionDef | ast.ClassDef | ast.AsyncFunctionDef):
                names.add(node.name)
            for target in getattr(node, "targets", [getattr(node, "target", None)]):
                if isinstance(target, ast.Name):
                    names.add(target.id)
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
            names.add(node.attr)
    return names


def _private_names() -> set[str]:
    """The private names index/ defines."""
    names = set().union(*(_defined(ast.parse(p.read_text())) for p in INDEX.rglob("*.py")))
    return {n for n in names if n.startswith("_") and not n.startswith("__")}


def test_no_private_name_of_index_is_used_from_bot_bench_or_tests() -> None:
    private = _private_names()
    offenders = []
    for folder in ("bot", "bench", "tests"):
        for path in (ROOT / folder).rglob("*.py"):
            own = _defined(ast.parse(path.read_text()))  # a fake's own names
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("index"):
                    used = [a.name for a in node.names if a.name.startswith("_")]
                elif isinstance(node, ast.Attribute) and not (
                    isinstance(node.value, ast.Name) and node.value.id in ("self", "cls")
                ):
                    used = [node.attr] if node.attr in private - own else []
                elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                    used = [node.value] if node.value in private - own else []  # setattr
                else:
                    used = []
                offenders += [f"{path.relative_to(ROOT)}: {name}" for name in used]
    assert offenders == []


def test_index_source_never_imports_discord_or_bot() -> None:
    offenders = [
        f"{_module(path)}: {m}"
        for path in INDEX.rglob("*.py")
        for m in _imports(path)
        if m.split(".")[0] in ("discord", "bot")
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
    offenders = [
        f"{path.name}: {m}"
        for path in (ROOT / "bot").rglob("*.py")
        for m in _imports(path)
        if m.startswith("index.") and m.removeprefix("index.") not in __import__("index").__all__
    ]
    assert offenders == []


def test_cogs_import_neither_each_other_nor_the_client() -> None:
    offenders = [
        f"{path.name}: {m}"
        for path in (ROOT / "bot" / "cogs").glob("*.py")
        for m in _imports(path)
        if m == "bot.client" or (m.startswith("bot.cogs.") and m != _module(path))
    ]
    assert offenders == []
