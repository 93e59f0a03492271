#!/usr/bin/env python
"""Parity of thresher's quality filters with datatrove 0.10.1's, per corpus and rule set.

Reads the reference decisions in ``--ref`` (default ``/work/ref``): files
``<corpus>-<filter>.parquet`` with columns ``row``, ``keep``, ``reason`` (and for c4
``text``, the text after line removal), made by datatrove with its defaults and
language english on the corpora under ``$THRESHER_CORPORA`` (default
``/work/shared/corpora``): ``docs`` (docs/raw.jsonl.zst), ``handbook`` and ``udhr``
(multilingual/). Runs thresher's rule set on the same rows and prints, per corpus
and rule set, the agreement of keep decisions, of reasons and (c4) of the cleaned
text, then the disagreements (``--show`` of each).

``--words N`` also compares the word splitter with ``spacy.blank("en")`` (through
datatrove's ``split_into_words``) on the first N rows of each corpus: the share of
documents whose word list is identical and whose word count is equal.

Usage::

    python benches/parity_filters_datatrove.py --words 300
"""

from __future__ import annotations

import argparse
import io
import json
import os
from pathlib import Path

import pyarrow.parquet as pq
import zstandard
from thresher import filters

CORPORA = Path(os.environ.get("THRESHER_CORPORA", "/work/shared/corpora"))
FILES = {
    "docs": CORPORA / "docs" / "raw.jsonl.zst",
    "handbook": CORPORA / "multilingual" / "handbook.jsonl.zst",
    "udhr": CORPORA / "multilingual" / "udhr.jsonl.zst",
}


def read_rows(path: Path, rows: set[int]) -> dict[int, str]:
    out: dict[int, str] = {}
    last = max(rows)
    with open(path, "rb") as f:
        reader = io.TextIOWrapper(zstandard.ZstdDecompressor().stream_reader(f), encoding="utf-8")
        for n, line in enumerate(reader):
            if n in rows:
                out[n] = json.loads(line)["text"]
            if n >= last:
                break
    return out


def compare(corpus: str, rule: str, ref_path: Path, show: int) -> dict[str, float]:
    ref = pq.read_table(ref_path).to_pylist()
    texts = read_rows(FILES[corpus.rstrip("0123456789")], {r["row"] for r in ref})
    ordered = [texts[r["row"]] for r in ref]
    result = filters.apply(ordered, rules=[rule]).table
    keep = result.column(f"{rule}_keep").to_pylist()
    reason = result.column(f"{rule}_reason").to_pylist()
    same_keep = same_reason = same_text = 0
    bad = []
    for i, r in enumerate(ref):
        k = bool(r["keep"]) if r["keep"] is not None else False
        ok = keep[i] == k
        same_keep += ok
        same_reason += reason[i] == r["reason"]
        if rule == "c4":
            ours = result.column("c4_text")[i].as_py()
            theirs = r["text"] if k else None
            same_text += (ours == theirs) if k and keep[i] else ok
        if not ok:
            bad.append((r["row"], r["reason"], reason[i]))
    n = len(ref)
    print(
        f"{corpus:9} {rule:18} n={n:6}  keep {100 * same_keep / n:7.3f}%  "
        f"reason {100 * same_reason / n:7.3f}%"
        + (f"  c4 text {100 * same_text / n:7.3f}%" if rule == "c4" else "")
        + f"  disagreements {n - same_keep}"
    )
    for row, theirs, ours in bad[:show]:
        print(f"    row {row}: datatrove {theirs!r}, thresher {ours!r}")
    return {"n": n, "keep": same_keep}


def word_parity(corpus: str, n: int) -> None:
    from datatrove.utils.text import split_into_words

    texts = read_rows(FILES[corpus], set(range(n)))
    same = same_count = 0
    for i in range(n):
        ours = filters.words(texts[i])
        theirs = split_into_words(texts[i], "en")
        same += ours == theirs
        same_count += len(ours) == len(theirs)
    print(
        f"{corpus:9} words: identical lists {100 * same / n:.2f}%, "
        f"equal counts {100 * same_count / n:.2f}% of {n}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ref", type=Path, default=Path("/work/ref"))
    parser.add_argument("--show", type=int, default=10)
    parser.add_argument("--words", type=int, default=0)
    args = parser.parse_args()
    totals: dict[str, list[int]] = {}
    for path in sorted(args.ref.glob("*-*.parquet")):
        corpus, rule = path.stem.split("-", 1)
        if corpus.rstrip("0123456789") not in FILES or rule not in filters.RULE_SETS:
            continue
        got = compare(corpus, rule, path, args.show)
        t = totals.setdefault(corpus, [0, 0])
        t[0] += int(got["n"])
        t[1] += int(got["keep"])
    for corpus, (n, k) in totals.items():
        print(
            f"{corpus}: keep decisions agree on {100 * k / n:.3f}% "
            f"of {n} (document, rule set) pairs"
        )
    if args.words:
        for corpus in FILES:
            word_parity(corpus, args.words)


if __name__ == "__main__":
    main()
