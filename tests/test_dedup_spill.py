"""Near-duplicate dedup under a memory budget: spilled runs give the in-memory results
at every budget, parse_memory's errors, clusters_of_signatures, and spill files
removed after success and after an error."""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
import thresher
from thresher._memory import default_memory, parse_memory
from thresher.cli import main
from thresher.dedup import clusters_of_signatures
from thresher.exceptions import InvalidParameterError

DATA = Path(__file__).parent / "data" / "raw_small.jsonl"
NUM_PERM = 64
# Bytes the in-memory path holds per document (signature + one band key).
PER_DOC = 4 * NUM_PERM + 16


def planted_corpus() -> list[dict[str, Any]]:
    """The 400 fixture documents plus, for every third one, an edited copy (a word
    dropped) and, for every seventh, an exact copy, interleaved after the originals."""
    rows = [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines()]
    out = list(rows)
    for i, row in enumerate(rows):
        words = row["text"].split()
        if i % 3 == 0 and len(words) > 10:
            edited = words[: len(words) // 2] + words[len(words) // 2 + 1 :]
            out.append({**row, "text": " ".join(edited)})
        if i % 7 == 0:
            out.append(dict(row))
    for i, row in enumerate(out):
        row["score"] = float((i * 7919) % 13)
    return out


@pytest.fixture(scope="module")
def corpus_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("spill") / "corpus.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in planted_corpus()), encoding="utf-8")
    return path


def run(source: Any, memory: Any, spill_dir: Path, **kw: Any) -> thresher.Deduplication:
    return thresher.dedup(
        source, 0.7, NUM_PERM, 3, memory=memory, spill_dir=spill_dir, bands=16, **kw
    )


def same(a: thresher.Deduplication, b: thresher.Deduplication) -> None:
    np.testing.assert_array_equal(a.cluster_id, b.cluster_id)
    np.testing.assert_array_equal(a.is_duplicate, b.is_duplicate)
    np.testing.assert_array_equal(a.similarity.view(np.uint32), b.similarity.view(np.uint32))
    assert a.summary == b.summary


@pytest.mark.parametrize(
    ("verify", "keep", "score"),
    [("exact", "first", None), ("signature", "longest", None), ("exact", "score", "score")],
)
def test_every_budget_gives_the_in_memory_result(
    corpus_path: Path, tmp_path: Path, verify: str, keep: str, score: str | None
) -> None:
    n = len(planted_corpus())
    kw = {"verify": verify, "keep": keep, "score": score}
    reference = run(corpus_path, 10**12, tmp_path, **kw)
    assert reference.summary.duplicates > n // 5
    # 1 byte (a run per record), spilling midway, just too small, and enough.
    for memory in [1, "64KiB", (n // 2) * PER_DOC, n * PER_DOC - 1, n * PER_DOC + 1]:
        same(run(corpus_path, memory, tmp_path, **kw), reference)
    assert list(tmp_path.iterdir()) == []


def spill_seen(corpus_path: Path, memory: Any, spill_dir: Path) -> bool:
    """Whether a ``thresher-spill-*`` directory appears in ``spill_dir`` during a run
    (watched from a thread: the run releases the GIL)."""
    seen = threading.Event()
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            if any(p.name.startswith("thresher-spill-") for p in spill_dir.iterdir()):
                seen.set()
            time.sleep(0.0005)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        run(corpus_path, memory, spill_dir)
    finally:
        done.set()
        watcher.join()
    return seen.is_set()


def test_small_budgets_spill_and_large_ones_do_not(corpus_path: Path, tmp_path: Path) -> None:
    assert spill_seen(corpus_path, 1, tmp_path)
    assert not spill_seen(corpus_path, "1GiB", tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_spill_files_are_removed_after_an_error(tmp_path: Path) -> None:
    rows = planted_corpus()
    rows[-1]["score"] = float("nan")
    table = pa.Table.from_pylist(rows)
    batches = pa.Table.from_batches(table.to_batches(max_chunksize=50))
    spill = tmp_path / "spill"
    spill.mkdir()
    with pytest.raises(InvalidParameterError, match="NaN"):
        run(batches, 1, spill, keep="score", score="score")
    assert list(spill.iterdir()) == []


def test_the_cli_takes_a_budget_and_a_spill_dir(corpus_path: Path, tmp_path: Path) -> None:
    spill = tmp_path / "spill"
    spill.mkdir()
    outs = []
    for memory in ["1KB", "8GB"]:
        out = tmp_path / f"kept-{memory}.jsonl"
        args = ["dedup", str(corpus_path), "--out", str(out), "--num-perm", "64", "--ngram", "3"]
        code = main([*args, "--memory", memory, "--spill-dir", str(spill), "--quiet"])
        assert code == 0
        outs.append(out.read_bytes())
    assert outs[0] == outs[1]
    assert list(spill.iterdir()) == []
    assert (
        main(["dedup", str(corpus_path), "--out", str(tmp_path / "x.jsonl"), "--memory", "lots"])
        != 0
    )


def test_clusters_of_signatures_equal_dedup_with_signature_verification(tmp_path: Path) -> None:
    rows = planted_corpus()
    texts = [r["text"] for r in rows]
    hasher = thresher.MinHasher(NUM_PERM, 3)
    sigs = hasher.signatures(texts)
    lengths = np.array([len(t.encode()) for t in texts], dtype=np.uint64)
    reference = run(pa.table({"text": texts}), None, tmp_path, verify="signature", keep="longest")
    for memory in [1, "1GB"]:
        got = clusters_of_signatures(
            sigs, 0.7, bands=16, keep="longest", lengths=lengths, memory=memory, spill_dir=tmp_path
        )
        same(got, reference)
        assert got.table.num_rows == len(texts)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("kwargs", "parameter"),
    [
        ({"signatures": np.zeros((3, 8), dtype=np.int64)}, "signatures"),
        ({"signatures": np.zeros(8, dtype=np.uint32)}, "signatures"),
        ({"keep": "longest"}, "lengths"),
        ({"keep": "score"}, "score"),
        ({"lengths": [1, -2, 3]}, "lengths"),
        ({"memory": "0"}, "memory"),
        ({"spill_dir": "/nonexistent-thresher-dir"}, "spill_dir"),
        ({"threshold": 1.5}, "threshold"),
    ],
)
def test_clusters_of_signatures_rejects_bad_input(kwargs: dict[str, Any], parameter: str) -> None:
    args: dict[str, Any] = {"signatures": np.zeros((3, 8), dtype=np.uint32), **kwargs}
    with pytest.raises(InvalidParameterError) as info:
        clusters_of_signatures(**args)
    assert info.value.parameter == parameter


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("4GB", 4 * 10**9),
        ("512MiB", 512 * 2**20),
        ("2g", 2 * 2**30),
        (" 1.5 KiB ", 1536),
        ("100", 100),
        (7, 7),
        (np.int64(9), 9),
    ],
)
def test_parse_memory_reads_sizes(text: Any, expected: int) -> None:
    assert parse_memory(text) == expected


@pytest.mark.parametrize("bad", ["", "GB", "4 XB", "-1GB", "0", 0, -5, 1.5, True, None, "1e9"])
def test_parse_memory_names_the_parameter(bad: Any) -> None:
    with pytest.raises(InvalidParameterError) as info:
        parse_memory(bad, "budget")
    assert info.value.parameter == "budget"
    assert "budget" in str(info.value)


def test_default_memory_is_a_quarter_of_ram_at_most_4_gib() -> None:
    physical = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    assert default_memory() == min(physical // 4, 4 * 2**30)


def test_dedup_rejects_a_bad_budget(corpus_path: Path) -> None:
    with pytest.raises(InvalidParameterError) as info:
        thresher.dedup(corpus_path, memory="a lot")
    assert info.value.parameter == "memory"
    with pytest.raises(InvalidParameterError) as info:
        thresher.dedup(corpus_path, spill_dir=corpus_path)
    assert info.value.parameter == "spill_dir"
