"""``thresher demo``: DSIR on the small real corpus shipped with the package.

The raw corpus is 8,000 sections of 34 kinds of software documentation (1.4% of them
PostgreSQL's); the target is 300 held-out PostgreSQL documentation sections. DSIR
should select PostgreSQL far above its base rate, and the printout says why.
"""

from __future__ import annotations

import time
from collections import Counter
from importlib import resources
from pathlib import Path

import numpy as np

from thresher.dsir import DSIR
from thresher.io.sources import read

__all__ = ["demo_paths", "run_demo"]


def demo_paths() -> tuple[Path, Path]:
    """Paths of the bundled demo corpus: ``(target, raw)`` JSONL.zst files.

    Examples
    --------
    >>> target, raw = demo_paths()
    >>> target.name, raw.name
    ('demo_target.jsonl.zst', 'demo_raw.jsonl.zst')
    """
    data = resources.files("thresher") / "data"
    return Path(str(data / "demo_target.jsonl.zst")), Path(str(data / "demo_raw.jsonl.zst"))


def run_demo(k: int = 400, seed: int = 0, quiet: bool = False) -> str:
    """Run the demo and return its report (the CLI prints it).

    Examples
    --------
    >>> report = run_demo(k=200, quiet=True)
    >>> "postgresql" in report
    True
    """
    target_path, raw_path = demo_paths()
    started = time.perf_counter()
    dsir = DSIR().fit(target_path, raw_path, quiet=quiet)
    selection = dsir.select(raw_path, k=k, seed=seed, min_length=20, quiet=quiet)
    elapsed = time.perf_counter() - started

    raw_domains = Counter(read(raw_path).to_reader().read_all().column("domain").to_pylist())
    chosen_domains = Counter(selection.table.column("domain").to_pylist())
    total = sum(raw_domains.values())
    lines = [
        "thresher demo: DSIR importance resampling toward PostgreSQL documentation",
        f"  target: {target_path.name} ({dsir.fit_stats['target'].documents:,} documents)",
        f"  raw:    {raw_path.name} ({total:,} documents, 34 documentation domains)",
        f"  {selection.summary()}",
        f"  time: {elapsed:.2f} s",
        "",
        "Selected documents by domain (share of selection vs share of raw corpus):",
    ]
    for domain, count in chosen_domains.most_common(8):
        lines.append(
            f"  {domain:<16} {count:>5}  {count / len(selection):6.1%}  "
            f"(raw {raw_domains[domain] / total:5.1%})"
        )
    order = np.argsort(-selection.log_weights)[:3]
    lines += ["", "Why: the highest-weighted selected documents and their strongest n-grams"]
    texts = selection.table.column("text").to_pylist()
    domains = selection.table.column("domain").to_pylist()
    for i in order:
        snippet = " ".join(texts[i].split())[:90]
        lines.append(f"  [{domains[i]}] log-weight {selection.log_weights[i]:+.1f}: {snippet}...")
        reasons = ", ".join(f"'{g}' {w:+.2f}" for g, w in dsir.explain(texts[i], top=5))
        lines.append(f"      {reasons}")
    return "\n".join(lines)
