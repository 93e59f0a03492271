"""pytest-benchmark: the DSIR featurize + weight kernel, thresher versus data-selection.

Not collected by ``pytest tests``; run on purpose::

    pytest benches --benchmark-only

Benchmarks the log weight of the first 20,000 documents of the docs corpus (tokenize,
hash unigrams and bigrams into 10,000 buckets, dot with ``log_diff``):

- thresher default mode (xxh3 buckets) and ``compat="data-selection"`` (sha256 buckets),
  with all cores and with one thread;
- data-selection's own kernel, ``get_ngram_counts`` + ``np.dot`` per document (what
  ``compute_importance_weights`` runs in each worker), on the first 2,000 of the same
  documents to keep it short, with the same ``log_diff`` as thresher's compat model
  (so the weights must agree to 1e-6).

At the end the throughputs (MB of text per second) and their ratios are printed.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

pytest.importorskip("pytest_benchmark")
thresher = pytest.importorskip("thresher")

CORPORA = Path(os.environ.get("THRESHER_CORPORA", "/work/shared/corpora"))
RAW = CORPORA / "docs" / "raw.jsonl.zst"
TARGET = CORPORA / "docs" / "target-postgresql.jsonl.zst"
N_DOCS = 20_000
N_PEER = 2_000

pytestmark = pytest.mark.skipif(
    not (RAW.exists() and TARGET.exists()), reason=f"corpus {RAW.parent} not available"
)

# name -> (median seconds, bytes of text, documents)
MEASURED: dict[str, tuple[float, int, int]] = {}


@pytest.fixture(scope="module")
def docs() -> pa.Table:
    reader = thresher.read(RAW).to_reader()
    batches, rows = [], 0
    for batch in reader:
        batches.append(batch.select(["text"]))
        rows += batch.num_rows
        if rows >= N_DOCS:
            break
    return pa.Table.from_batches(batches).slice(0, N_DOCS).combine_chunks()


@pytest.fixture(scope="module")
def models(docs: pa.Table) -> dict[str, thresher.DSIR]:
    return {
        "default": thresher.DSIR().fit(TARGET, docs),
        "compat": thresher.DSIR(compat="data-selection").fit(TARGET, docs),
    }


def _text_bytes(table: pa.Table) -> int:
    return int(pc.sum(pc.binary_length(table.column("text"))).as_py())


def _record(name: str, benchmark, table_or_bytes, documents: int) -> None:  # type: ignore[no-untyped-def]
    stats = getattr(benchmark, "stats", None)
    if stats is None:  # --benchmark-disable
        return
    size = table_or_bytes if isinstance(table_or_bytes, int) else _text_bytes(table_or_bytes)
    MEASURED[name] = (stats.stats.median, size, documents)


@pytest.fixture(scope="module", autouse=True)
def report(request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    yield
    if not MEASURED:
        return
    # Print past pytest's output capture (as capsys.disabled() does).
    capture = request.config.pluginmanager.getplugin("capturemanager")
    if capture is None:  # -p no:capture
        _print_report()
        return
    with capture.global_and_fixture_disabled():
        _print_report()


def _print_report() -> None:
    write = print
    write("\n\nDSIR featurize + weights (median of rounds):")
    speeds = {}
    for name, (seconds, size, documents) in MEASURED.items():
        speeds[name] = size / seconds / 1e6
        write(
            f"  {name:34} {documents:>6,} docs {seconds * 1e3:9.1f} ms "
            f"{speeds[name]:8.2f} MB/s {documents / seconds:>10,.0f} docs/s"
        )
    peer = speeds.get("data-selection (1 process)")
    if peer:
        for name, speed in speeds.items():
            if name.startswith("thresher"):
                write(f"  {name} / data-selection: {speed / peer:.1f}x the throughput")


THREADS = [pytest.param(0, id="all-threads"), pytest.param(1, id="1-thread")]


@pytest.mark.parametrize("mode", ["default", "compat"])
@pytest.mark.parametrize("threads", THREADS)
def test_thresher_log_weights(benchmark, docs, models, mode, threads):  # type: ignore[no-untyped-def]
    model = models[mode]
    thresher.set_num_threads(threads)
    try:
        used = thresher.get_num_threads()
        weights = benchmark.pedantic(
            model.log_weights, args=(docs,), rounds=5, iterations=1, warmup_rounds=1
        )
    finally:
        thresher.set_num_threads(0)
    assert weights.shape == (N_DOCS,)
    assert np.isfinite(weights).all()
    _record(f"thresher {mode} ({used} thread{'s' if used > 1 else ''})", benchmark, docs, N_DOCS)


def test_data_selection_kernel(benchmark, docs, models):  # type: ignore[no-untyped-def]
    hashed = pytest.importorskip("data_selection.hashed_ngram_dsir")
    subset = docs.slice(0, N_PEER)
    texts = subset.column("text").to_pylist()
    # data-selection's log_diff is ln(p_target + 1e-8) - ln(p_raw + 1e-8) over sha256
    # buckets: exactly the compat model's.
    log_diff = models["compat"].log_diff[0]

    def run() -> np.ndarray:
        return np.array([np.dot(log_diff, hashed.get_ngram_counts(t)) for t in texts])

    weights = benchmark.pedantic(run, rounds=3, iterations=1, warmup_rounds=0)
    expected = models["compat"].log_weights(subset)
    np.testing.assert_allclose(weights, expected, rtol=0, atol=1e-6)
    _record("data-selection (1 process)", benchmark, subset, N_PEER)
