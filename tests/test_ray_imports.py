"""thresher.ray reaches the local modules only through public names or the seam
module thresher._shared (and the kernels through thresher._core)."""

from __future__ import annotations

import ast
from pathlib import Path

RAY = Path(__file__).resolve().parents[1] / "python" / "thresher" / "ray"
ALLOWED = ("thresher._shared", "thresher._core")


def _private_imports(source: str) -> list[str]:
    """``module.name`` of every underscore name imported from a thresher module other
    than the seam, the binding and thresher.ray itself."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            module = node.module
            if not (module == "thresher" or module.startswith("thresher.")):
                continue
            if module in ALLOWED or module == "thresher.ray" or module.startswith("thresher.ray."):
                continue
            for alias in node.names:
                if alias.name.startswith("_") and f"{module}.{alias.name}" not in ALLOWED:
                    found.append(f"{module}.{alias.name}")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                private = any(p.startswith("_") for p in parts[1:])
                if parts[0] == "thresher" and private and parts[1] != "ray":
                    found.append(alias.name)
    return found


def test_the_rule_sees_private_imports() -> None:
    source = (
        "from thresher.dsir import DSIR, _count\n"
        "from thresher import _core, _shared, _persist\n"
        "import thresher.sources._x\n"
        "from thresher.ray._common import ROW\n"
    )
    assert _private_imports(source) == [
        "thresher.dsir._count",
        "thresher._persist",
        "thresher.sources._x",
    ]


def test_ray_imports_no_private_name_of_the_local_modules() -> None:
    modules = sorted(RAY.glob("*.py"))
    assert modules, f"no module found under {RAY}"
    bad = {
        path.name: found
        for path in modules
        if (found := _private_imports(path.read_text(encoding="utf-8")))
    }
    assert bad == {}
