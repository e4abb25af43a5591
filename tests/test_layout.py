"""The layout: every module sits in a layer, and imports run only downward (the map in docs/developer.md)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Bottom to top. A module may import its own layer and those below it, never one above.
LAYERS: list[tuple[str, ...]] = [
    ("pol.compiler.ir", "pol.compiler.runtime", "pol.compiler.files"),
    ("pol.dsl",),
    ("pol.compiler.check",),
    ("pol.compiler.lower",),
    ("pol.compiler.backends", "pol.compiler.js"),
    ("pol.compiler.evaluate",),
    ("pol.compiler.reading",),
    ("pol.compiler.ledger",),
    ("pol.compiler.population",),
    ("pol.compiler.drafting",),
    ("pol.compiler.site",),
    ("pol.api",),
    ("pol.compiler.server",),
    ("pol.compiler.cli", "pol.__main__"),
]
# Packages whose __init__ holds no code of their own at import time: importing them costs nothing, from any layer.
# `pol` defines the version and loads `pol.api` on first use, so its own (lazy) imports are those of the API layer.
FREE = {"pol": LAYERS.index(("pol.api",)), "pol.compiler": 0}
FOLDERS = {"pol": ROOT / "pol", "pol.dsl": ROOT / "dsl", "pol.compiler": ROOT / "compiler"}


def modules() -> dict[str, Path]:
    """Every module of the package, by its dotted name."""
    found = {}
    for package, folder in FOLDERS.items():
        for path in sorted(folder.rglob("*.py")):
            parts = path.relative_to(folder).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join((package, *parts))] = path
    return found


def layer(module: str) -> int:
    """The layer of a module: the one holding its longest matching prefix."""
    if module in FREE:
        return FREE[module]
    best, depth = -1, -1
    for index, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > depth:
                best, depth = index, len(prefix)
    return best


def imported(path: Path, name: str) -> set[str]:
    """The package's modules a file imports, anywhere in it (lazy imports inside functions count too)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            base = node.module if not node.level else ".".join(name.split(".")[: -node.level] + [node.module])
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    known = modules()
    return {n for n in names if n in known and n.split(".")[0] == "pol"}


def test_every_module_has_a_layer() -> None:
    # A new folder goes into LAYERS (and the map in docs/developer.md) before it can hold code.
    assert [m for m in modules() if layer(m) < 0] == []


def test_imports_run_downward() -> None:
    upward = []
    for name, path in modules().items():
        for target in sorted(imported(path, name)):
            if target not in FREE and layer(target) > layer(name):
                upward.append(f"{name} (layer {layer(name)}) imports {target} (layer {layer(target)})")
    assert upward == []


def test_the_check_finds_an_upward_import(tmp_path, monkeypatch) -> None:
    # The rule must be able to fail: a backend that imports the ledger is caught.
    planted = tmp_path / "sql.py"
    planted.write_text("from pol.compiler.ledger import profile\n", encoding="utf-8")
    targets = imported(planted, "pol.compiler.backends.sql")
    assert "pol.compiler.ledger.profile" in targets
    assert layer("pol.compiler.ledger.profile") > layer("pol.compiler.backends.sql")


def test_the_generated_runtime_imports_nothing_of_the_package() -> None:
    # It is copied beside generated evaluators as pol_runtime.py, so it must stand alone.
    assert imported(ROOT / "compiler" / "runtime.py", "pol.compiler.runtime") == set()


def test_the_developer_map_names_every_folder() -> None:
    guide = (ROOT / "docs" / "developer.md").read_text(encoding="utf-8")
    folders = {p.name + "/" for p in (ROOT / "compiler").iterdir() if (p / "__init__.py").exists() or p.name == "js"}
    folders |= {"dsl/", "pol/", "compiler/"}
    mapped = set(re.findall(r"^\s*(\S+/)\s", guide.split("## ", 2)[1], re.M))
    assert sorted(folders - mapped) == []


# The runtime is one file because generated evaluators import exactly one, pol_runtime.py, which is this module
# copied byte for byte (its docstring says so); a comment here keeps the evaluators' bytes as they are.
WHOLE = {"pol.compiler.runtime"}


def test_modules_and_classes_stay_small() -> None:
    # A module past ~600 lines or a class past ~300 usually holds two jobs; the exceptions say why they are whole.
    large = []
    for name, path in modules().items():
        text = path.read_text(encoding="utf-8")
        whole = "reads better whole" in text or name in WHOLE
        if len(text.splitlines()) > 650 and not whole:
            large.append(f"{name}: {len(text.splitlines())} lines")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.ClassDef) and node.end_lineno - node.lineno >= 330 and not whole:
                large.append(f"{name}.{node.name}: {node.end_lineno - node.lineno + 1} lines")
    assert large == []
