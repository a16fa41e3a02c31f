"""The house rules of STYLE.md, checked on the code: imports run one way, modules stay readable.

* Layers: connectors → actions → bot, and components → bot. ``bot`` imports nothing above it, no
  Rasa server module (one exception, below), no rasa_sdk and no sanic; actions import neither
  connectors nor the Rasa server.
* Inside ``bot/``: each package says in its ``__init__`` docstring which packages it may import
  (``May import:``). The declared directions have no cycle and the code keeps to them. Top-level
  modules import no package, except ``cli``, which hands each sub-command to a package's
  ``commands`` module.
* No import cycle between any two modules, lazy and type-checking imports included.
* No module over 400 lines in ``bot/``, ``actions/`` or ``connectors/`` unless its docstring says
  why (``Why this module is long:``).

Every rule is a function over an import graph. The last tests hand each rule a graph that breaks
it, so a rule that could no longer fail would be noticed.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LAYERS = ("bot", "components", "actions", "connectors")
LAYERS_ALLOWED = {
    "bot": {"bot"},
    "components": {"components", "bot"},
    "actions": {"actions", "bot"},
    "connectors": {"connectors", "actions", "bot"},
}
# Third-party top-level packages a layer must not import: bot is plain Python; the actions run in
# rasa_sdk's action server, not in Rasa's.
EXTERNALS_FORBIDDEN = {
    "bot": {"rasa", "rasa_sdk", "sanic"},
    "actions": {"rasa", "sanic"},
    "components": {"rasa_sdk"},
    "connectors": {"rasa_sdk"},
}
# (importer, imported) pairs a rule does not apply to, and why.
EXCEPTIONS = {
    ("bot.nlu.triage", "rasa.core.agent"): (
        "`python -m bot triage` loads a trained model in-process, lazily, with no server"
    ),
}
CLI_MODULES = {"bot.cli", "bot.__main__"}
MAX_LINES = 400
LONG_REASON = "Why this module is long:"
_MAY_IMPORT = re.compile(r"^May import: (.+)$", re.MULTILINE)


@dataclass(frozen=True)
class Import:
    source: str  # the importing module
    target: str  # the imported module, as precise as the project's modules allow
    line: int

    def __str__(self) -> str:
        return f"{self.source} (line {self.line}) imports {self.target}"


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def project_files() -> dict[str, Path]:
    return {
        module_name(path): path for layer in LAYERS for path in sorted((ROOT / layer).rglob("*.py"))
    }


def read_imports(path: Path, module: str, modules: Iterable[str]) -> list[Import]:
    """Every import in the file, at any depth (functions, ``if TYPE_CHECKING``)."""
    known = set(modules)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [Import(module, alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1])
                base = f"{base}.{node.module}" if node.module else base
            else:
                base = node.module or ""
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                target = candidate if candidate in known else base
                found.append(Import(module, target, node.lineno))
    return found


def project_imports() -> list[Import]:
    files = project_files()
    return [found for module, path in files.items() for found in read_imports(path, module, files)]


def _top(name: str) -> str:
    return name.partition(".")[0]


def _excepted(found: Import) -> bool:
    return (found.source, found.target) in EXCEPTIONS


# --- the rules --------------------------------------------------------------------------------


def layer_violations(imports: Iterable[Import]) -> list[str]:
    """Imports that run up the layers, or into a third-party package the layer must not use."""
    problems = []
    for found in imports:
        layer, target = _top(found.source), _top(found.target)
        if _excepted(found):
            continue
        if target in LAYERS and target not in LAYERS_ALLOWED[layer]:
            problems.append(f"{found}: {layer} may import only {sorted(LAYERS_ALLOWED[layer])}")
        elif target in EXTERNALS_FORBIDDEN.get(layer, ()):
            problems.append(f"{found}: {layer} must not import {target}")
    return problems


def declared_directions(files: Mapping[str, Path]) -> dict[str, set[str]]:
    """{package of bot/: the packages its ``__init__`` docstring says it may import}."""
    declared = {}
    for module, path in files.items():
        if path.name != "__init__.py" or module.count(".") != 1 or _top(module) != "bot":
            continue
        doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
        line = _MAY_IMPORT.search(doc)
        if line is None:
            raise AssertionError(f"{path.relative_to(ROOT)}: its docstring has no 'May import:'")
        declared[module.split(".")[1]] = set(re.findall(r"\bbot\.(\w+)", line.group(1)))
    return declared


def _package(module: str, packages: Iterable[str]) -> str | None:
    """The bot package ``module`` belongs to; None for bot's top-level modules."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in set(packages) else None


def package_violations(imports: Iterable[Import], declared: Mapping[str, set[str]]) -> list[str]:
    """Imports inside bot/ that a package's ``May import:`` line does not allow."""
    problems = []
    for name, allowed in declared.items():
        for unknown in sorted(allowed - set(declared)):
            problems.append(f"bot.{name} declares it may import bot.{unknown}, which is no package")
    for found in imports:
        if _top(found.source) != "bot" or _top(found.target) != "bot":
            continue
        source, target = _package(found.source, declared), _package(found.target, declared)
        if target is None or source == target:
            continue
        if found.source in CLI_MODULES:
            if not found.target.endswith(".commands"):
                problems.append(f"{found}: cli hands sub-commands to a package's commands module")
        elif source is None:
            problems.append(f"{found}: a top-level module of bot imports no package")
        elif target not in declared[source]:
            problems.append(f"{found}: bot.{source} may import {sorted(declared[source])}")
    return problems


def cycles(graph: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """The strongly connected components of ``graph`` with more than one node, or a self-loop."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1 or node in graph.get(node, ()):
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def module_graph(imports: Iterable[Import], modules: Iterable[str]) -> dict[str, set[str]]:
    known = set(modules)
    graph: dict[str, set[str]] = {module: set() for module in known}
    for found in imports:
        if found.target in known and found.target != found.source:
            graph[found.source].add(found.target)
    return graph


def long_modules(files: Mapping[str, Path]) -> list[str]:
    problems = []
    for module, path in files.items():
        if _top(module) not in ("bot", "actions", "connectors"):
            continue
        text = path.read_text(encoding="utf-8")
        lines = text.count("\n")
        doc = ast.get_docstring(ast.parse(text)) or ""
        if lines > MAX_LINES and LONG_REASON not in doc:
            problems.append(f"{path.relative_to(ROOT)}: {lines} lines, no '{LONG_REASON}'")
    return problems


# --- the code keeps the rules ---------------------------------------------------------------


@pytest.fixture(scope="module")
def files() -> dict[str, Path]:
    return project_files()


@pytest.fixture(scope="module")
def imports() -> list[Import]:
    return project_imports()


def test_layers_import_downwards_only(imports):
    assert layer_violations(imports) == []


def test_every_exception_is_still_needed(imports):
    used = {(found.source, found.target) for found in imports}
    assert set(EXCEPTIONS) <= used


def test_bot_packages_declare_acyclic_directions(files):
    declared = declared_directions(files)
    assert set(declared) == {"brand", "channels", "dialogue", "handoff", "nlu", "sales"}
    assert cycles(declared) == []


def test_bot_packages_import_as_declared(files, imports):
    assert package_violations(imports, declared_directions(files)) == []


def test_no_module_imports_itself_through_others(files, imports):
    assert cycles(module_graph(imports, files)) == []


def test_modules_stay_readable(files):
    assert long_modules(files) == []


# --- the rules can fail ---------------------------------------------------------------------


def test_layer_rule_catches_upward_and_server_imports():
    imports = [
        Import("bot.sales.report", "actions.context", 3),
        Import("actions.purchase", "connectors.messenger", 4),
        Import("bot.brand.copy", "rasa.core.channels.channel", 5),
        Import("actions.stock", "rasa.shared.core.events", 6),
        Import("bot.nlu.triage", "rasa.core.agent", 7),  # the documented exception
        Import("connectors.messenger", "actions.context", 8),  # downwards: fine
        Import("components.guard", "bot.nlu.text", 9),
    ]
    assert [p.split(" (")[0] for p in layer_violations(imports)] == [
        "bot.sales.report",
        "actions.purchase",
        "bot.brand.copy",
        "actions.stock",
    ]


def test_package_rule_catches_undeclared_and_top_level_imports():
    declared = {"nlu": set(), "brand": {"nlu"}, "handoff": {"brand", "nlu"}}
    imports = [
        Import("bot.brand.catalogue", "bot.nlu.text", 1),  # declared
        Import("bot.brand.brand_file", "bot.handoff.routing", 2),  # brand may not
        Import("bot.settings", "bot.brand.brand_file", 3),  # top-level module
        Import("bot.cli", "bot.brand.brand_file", 4),  # cli outside commands
        Import("bot.cli", "bot.brand.commands", 5),  # fine
        Import("bot.nlu.triage", "bot.settings", 6),  # top-level: fine
    ]
    problems = package_violations(imports, declared)
    assert [p.split(" (")[0] for p in problems] == [
        "bot.brand.brand_file",
        "bot.settings",
        "bot.cli",
    ]
    assert package_violations([], {"brand": {"nlu", "brnad"}, "nlu": set()}) != []


def test_cycle_rule_finds_long_and_short_cycles():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"a"}}) == [["a"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_imports_are_read_at_any_depth(tmp_path):
    source = tmp_path / "brand_file.py"
    source.write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from bot.brand.handoff_config import HandoffConfig\n"
        "def _late():\n"
        "    from . import places\n"
        "    import bot.nlu.text\n",
        encoding="utf-8",
    )
    known = {"bot.brand.brand_file", "bot.brand.handoff_config", "bot.brand.places", "bot.nlu.text"}
    targets = {i.target for i in read_imports(source, "bot.brand.brand_file", known)}
    assert targets == {"typing", "bot.brand.handoff_config", "bot.brand.places", "bot.nlu.text"}
