"""The README's Python examples: every block compiles, and the blocks that need no data
of their own run (warnings are errors: an example must not use a deprecated name), their
printed values equal to the output the README shows in a trailing comment."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"

#: Blocks that read placeholder corpora ("crawl/*.jsonl.zst", ``quality_scores``, a Ray
#: cluster) only compile; the others run. A block is named by the heading above it.
NEEDS_DATA = {
    "thresher",
    "Deduplication",
    "Sampling",
    "Token budgets",
    "Scale-out on Ray",
}

# ``print(...)  # <output>``, where the output starts as a printed value would: a
# digit, a sign, a bracket or a brace (other trailing comments are prose).
_PRINT = re.compile(r"^print\((?P<args>.*)\)\s+#\s*(?P<out>[-\d\[{(].*)$")


def _blocks() -> list[tuple[str, str]]:
    """``(heading, code)`` of every fenced ``python`` block of the README."""
    blocks: list[tuple[str, str]] = []
    heading = ""
    code: list[str] | None = None  # the lines of the block being read
    for line in README.read_text(encoding="utf-8").splitlines():
        if code is not None:
            if line.startswith("```"):
                blocks.append((heading, "\n".join(code) + "\n"))
                code = None
            else:
                code.append(line)
        elif line.startswith("```python"):
            code = []
        elif line.startswith("#"):
            heading = line.lstrip("#").strip()
    return blocks


def _checked(code: str) -> str:
    """``code`` with each top-level ``print(x)  # shown`` checking what it prints."""
    lines = []
    for line in code.splitlines():
        match = _PRINT.match(line)
        if match:
            line = f"_shows({match['out'].strip()!r}, {match['args']})"
        lines.append(line)
    return "\n".join(lines) + "\n"


def _shows(expected: str, *values: object) -> None:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        print(*values)
    assert out.getvalue().strip() == expected


BLOCKS = _blocks()


def test_the_readme_has_examples_of_both_kinds() -> None:
    headings = {heading for heading, _ in BLOCKS}
    assert headings >= NEEDS_DATA
    assert headings - NEEDS_DATA


@pytest.mark.parametrize(("heading", "code"), BLOCKS, ids=[h for h, _ in BLOCKS])
def test_readme_example(
    heading: str, code: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    compile(code, f"README.md ({heading})", "exec")  # a SyntaxError fails the test
    if heading in NEEDS_DATA:
        return
    monkeypatch.chdir(tmp_path)  # examples that save write here
    exec(compile(_checked(code), f"README.md ({heading})", "exec"), {"_shows": _shows})
