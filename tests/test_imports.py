"""The import graph of ``python/thresher``: the layout rules, checked without importing.

Every module under ``python/thresher`` is parsed with :mod:`ast` (never imported), and
every ``import`` and ``from ... import`` in it is collected, including those inside
functions, with relative imports resolved against the module's package.

How the imports count:

- ``from package import name`` is an import of the submodule ``package.name`` when
  there is one, else of ``package``. The implicit import of a module's parent package
  is not an edge (every submodule would otherwise "import" its package's
  ``__init__``, and any package whose ``__init__`` imports its submodules would be a
  cycle).
- Cycles are looked for twice. Among **module-level** imports (the ones that run
  while a module loads, including those in a module-level ``try`` or ``if`` and in
  class bodies, not those under ``if TYPE_CHECKING:``) a cycle can leave a module
  half-initialised. A **function-level** import runs when the function is called,
  after every module has loaded, so Python tolerates a cycle through one; the
  library uses them on purpose to import heavy or optional dependencies lazily. They
  are checked too, in a test of their own: two modules that need each other are one
  concept split in two (as ``cli.py`` and ``cli_ray.py`` were).
- The two other rules, the library never imports ``thresher.cli`` and the base
  package never imports ``ray``, count **every** import, function-level ones too: a
  lazy import is still a dependency.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "python"
PACKAGE = ROOT / "thresher"


@dataclass(frozen=True)
class Import:
    """One import statement's target, as seen from ``source``."""

    source: str
    target: str
    line: int
    module_level: bool


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}
# Compiled modules (thresher._core): import targets, but with no imports of their own.
EXTENSIONS = {
    ".".join((*p.relative_to(ROOT).parts[:-1], p.name.split(".")[0]))
    for pattern in ("*.pyi", "*.so", "*.pyd")
    for p in PACKAGE.rglob(pattern)
}


def _is_package(name: str) -> bool:
    return MODULES[name].name == "__init__.py"


def _resolve(module: str, level: int, target: str | None) -> str:
    """The absolute name of ``from <level dots><target> import ...`` in ``module``."""
    if level == 0:
        return target or ""
    package = module.split(".") if _is_package(module) else module.split(".")[:-1]
    base = package[: len(package) - (level - 1)]
    return ".".join([*base, target] if target else base)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _visit(node: ast.AST, module_level: bool) -> Iterator[tuple[ast.Import | ast.ImportFrom, bool]]:
    """Every import statement in ``node``, with whether it runs at module load."""
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        yield node, module_level
    elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
        for child in ast.iter_child_nodes(node):
            yield from _visit(child, False)
    elif isinstance(node, ast.If) and _is_type_checking(node.test):
        for child in node.body:
            yield from _visit(child, False)
        for child in node.orelse:
            yield from _visit(child, module_level)
    else:  # class bodies, try/with/if/for blocks: they run where they stand
        for child in ast.iter_child_nodes(node):
            yield from _visit(child, module_level)


def _imports(module: str) -> Iterator[Import]:
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"), str(MODULES[module]))
    for node, module_level in _visit(tree, True):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(module, alias.name, node.lineno, module_level)
            continue
        base = _resolve(module, node.level, node.module)
        for alias in node.names:
            submodule = f"{base}.{alias.name}"
            target = submodule if submodule in MODULES or submodule in EXTENSIONS else base
            yield Import(module, target, node.lineno, module_level)


IMPORTS = [i for module in MODULES for i in _imports(module)]


def _within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def _cycles(imports: list[Import], lazy: bool) -> list[frozenset[str]]:
    """The strongly connected components of more than one module (or a module that
    imports itself) of the import graph among thresher's modules: module-level
    imports only, or every import if ``lazy``."""
    edges: dict[str, set[str]] = {}
    for i in imports:
        edges.setdefault(i.source, set())
        if (i.module_level or lazy) and _within(i.target, "thresher"):
            edges[i.source].add(i.target)
            edges.setdefault(i.target, set())
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[frozenset[str]] = []

    def visit(node: str) -> None:  # Tarjan; the graph is small enough to recurse
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for succ in sorted(edges[node]):
            if succ not in index:
                visit(succ)
                low[node] = min(low[node], low[succ])
            elif succ in on_stack:
                low[node] = min(low[node], index[succ])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            if len(component) > 1 or node in edges[node]:
                found.append(frozenset(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def _describe(cycles: list[frozenset[str]], lazy: bool) -> str:
    blocks = []
    for cycle in cycles:
        links = {
            f"{i.source}:{i.line} -> {i.target}" + ("" if i.module_level else " (in a function)")
            for i in IMPORTS
            if (i.module_level or lazy) and i.source in cycle and i.target in cycle
        }
        blocks.append("\n  ".join(sorted(links)))
    return "import cycles:\n  " + "\n\n  ".join(blocks)


def test_the_walk_sees_the_package() -> None:
    assert {"thresher", "thresher.cli", "thresher.io.sources", "thresher.ray"} <= set(MODULES)
    assert "thresher._core" in EXTENSIONS
    lazy = [i for i in IMPORTS if i.source == "thresher.cli.dsir" and not i.module_level]
    assert any(i.target == "thresher.ray" for i in lazy)  # inside _run_on_ray
    assert _resolve("thresher.ray.reader", 2, "io.sources") == "thresher.io.sources"
    assert _resolve("thresher.io", 1, "sources") == "thresher.io.sources"


def test_cycles_are_found_through_lazy_imports_only_when_asked() -> None:
    # The shape the old cli.py and cli_ray.py had: one imports the other at load time,
    # the other imports it back inside a function.
    imports = [
        Import("thresher.a", "thresher.b", 1, module_level=True),
        Import("thresher.b", "thresher.a", 9, module_level=False),
        Import("thresher.b", "thresher.c", 2, module_level=True),
    ]
    assert _cycles(imports, lazy=False) == []
    assert _cycles(imports, lazy=True) == [frozenset({"thresher.a", "thresher.b"})]


# A cycle found in files another part of the project owns is reported, not fixed
# here: mark this test xfail(strict=True) naming it, so breaking it is noticed.
def test_no_import_cycle_among_thresher_modules() -> None:
    cycles = _cycles(IMPORTS, lazy=False)
    assert not cycles, _describe(cycles, lazy=False)


def test_no_cycle_even_through_function_level_imports() -> None:
    # Python tolerates these (the function runs after both modules loaded), but two
    # modules that need each other are one concept split in two, as cli and cli_ray
    # were: keep the layout a tree even counting lazy imports.
    cycles = _cycles(IMPORTS, lazy=True)
    assert not cycles, _describe(cycles, lazy=True)


def test_the_library_never_imports_the_cli() -> None:
    bad = [
        f"{i.source}:{i.line} imports {i.target}"
        for i in IMPORTS
        if _within(i.target, "thresher.cli")
        and not _within(i.source, "thresher.cli")
        and i.source.rpartition(".")[2] != "__main__"
    ]
    assert not bad, "\n".join(bad)


def test_the_base_package_never_imports_ray() -> None:
    bad = [
        f"{i.source}:{i.line} imports {i.target}"
        for i in IMPORTS
        if _within(i.target, "ray")
        and not _within(i.source, "thresher.ray")
        and not _within(i.source, "thresher.cli")
    ]
    assert not bad, "\n".join(bad)
