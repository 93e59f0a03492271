"""thresher.ray on a local Ray instance: every result equals the local run's, with
the corpus in 1, 7 or 64 blocks and blocks read in another order; a worker killed
mid-job changes nothing; bad input raises the local typed error.

One Ray instance (``ray.init(num_cpus=2)``, ~7 s) serves the whole module.
"""

from __future__ import annotations

import itertools
import os
import random
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
import thresher
from corpus_helpers import load_records, write_records
from thresher import sample
from thresher.exceptions import InvalidParameterError, MissingFieldError, ThresherError

ray = pytest.importorskip("ray")
import thresher.ray as tr  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

LAYOUTS = [1, 7, 64]


@pytest.fixture(scope="module", autouse=True)
def ray_instance() -> Iterator[None]:
    import ray.data

    ray.init(
        num_cpus=2,
        include_dashboard=False,
        log_to_driver=False,
        configure_logging=False,
        runtime_env={"env_vars": {"RAY_DATA_DISABLE_PROGRESS_BARS": "1"}},
    )
    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = False
    context.print_on_execution_start = False
    # Task-based shuffles: no aggregator actors to start on a 2-CPU instance.
    context.shuffle_strategy = ray.data.context.ShuffleStrategy.SORT_SHUFFLE_PULL_BASED
    yield
    ray.shutdown()


def _edit(text: str, rng: random.Random) -> str:
    words = text.split()
    for _ in range(max(1, len(words) // 60)):
        words[rng.randrange(len(words))] = rng.choice(["alpha", "beta", "gamma"])
    return " ".join(words)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory, raw_path: Path) -> list[str]:
    """Three JSONL files: 400 real sections plus 80 near-copies, a weight ``w`` (some
    zero) and the ``domain`` group column."""
    rng = random.Random(5)
    records = load_records(raw_path)
    copies = []
    for i in rng.sample(range(len(records)), 80):
        copy = dict(records[i])
        copy["text"] = _edit(copy["text"], rng)
        copies.append(copy)
    docs = records + copies
    rng.shuffle(docs)
    for i, doc in enumerate(docs):
        doc["w"] = 0.0 if i % 11 == 0 else round(rng.random() * 5, 3)
    folder = tmp_path_factory.mktemp("ray_corpus")
    cuts = [0, 150, 160, 480]  # a small file in the middle
    paths = []
    for n, (a, b) in enumerate(itertools.pairwise(cuts)):
        paths.append(str(write_records(docs[a:b], folder / f"part-{n}.jsonl")))
    return paths


_LAYOUTS: dict[tuple[int, int], Any] = {}


def _layout(dataset: Any, blocks: int) -> Any:
    """``dataset`` in ``blocks`` blocks, in a shuffled block order (made once)."""
    key = (id(dataset), blocks)
    if key not in _LAYOUTS:
        _LAYOUTS[key] = dataset.repartition(blocks).randomize_block_order(seed=blocks).materialize()
    return _LAYOUTS[key]


@pytest.fixture(scope="module")
def ray_corpus(corpus: list[str]) -> Any:
    return tr.read(corpus).materialize()


def test_read_numbers_rows_as_the_local_stream(corpus: list[str], ray_corpus: Any) -> None:
    local = thresher.read(corpus).to_reader().read_all()
    table = pa.concat_tables(ray.get(_layout(ray_corpus, 7).to_arrow_refs()))
    order = np.argsort(table.column(tr.ROW).to_numpy())
    assert table.column(tr.ROW).to_numpy()[order].tolist() == list(range(local.num_rows))
    assert table.take(order).drop_columns([tr.ROW]).equals(local)
    parts = [local.slice(0, 100), local.slice(100, 7), local.slice(107)]
    numbered = pa.concat_tables(
        ray.get(tr.with_row_ids(ray.data.from_arrow(parts)).to_arrow_refs())
    )
    assert numbered.column(tr.ROW).to_pylist() == list(range(local.num_rows))


def test_read_chooses_sort_shuffles_without_touching_the_global_context(
    corpus: list[str],
) -> None:
    strategies = ray.data.context.ShuffleStrategy
    context = ray.data.DataContext.get_current()
    before = context.shuffle_strategy
    context.shuffle_strategy = strategies.HASH_SHUFFLE
    try:
        derived = tr.read(corpus[:1]).map_batches(lambda b: b, batch_format="pyarrow")
        assert derived.context.shuffle_strategy == strategies.SORT_SHUFFLE_PULL_BASED
        assert tr.read(corpus[:1], shuffle="current").context.shuffle_strategy == (
            strategies.HASH_SHUFFLE
        )
        assert context.shuffle_strategy == strategies.HASH_SHUFFLE
        with pytest.raises(InvalidParameterError, match="shuffle"):
            tr.read(corpus[:1], shuffle="hash")  # type: ignore[arg-type]
    finally:
        context.shuffle_strategy = before


def test_dsir_fit_and_select_equal_local(
    corpus: list[str], target_path: Path, ray_corpus: Any
) -> None:
    local = thresher.DSIR(num_buckets=2000).fit(target_path, corpus)
    fitted = tr.fit(thresher.DSIR(num_buckets=2000), target_path, _layout(ray_corpus, 7))
    assert np.array_equal(fitted.log_diff, local.log_diff)
    assert fitted.fit_stats == local.fit_stats
    for method, min_length, layouts in [("gumbel", 0, LAYOUTS), ("top_k", 50, [7])]:
        want = local.select(corpus, k=37, seed=11, method=method, min_length=min_length)
        for blocks in layouts:
            got = tr.select(
                fitted,
                _layout(ray_corpus, blocks),
                k=37,
                seed=11,
                method=method,
                min_length=min_length,
            )
            assert got.rows.tolist() == want.rows.tolist(), (method, blocks)
            assert np.array_equal(got.log_weights, want.log_weights)
            assert got.table.equals(want.table)
            assert (got.documents, got.eligible) == (want.documents, want.eligible)
            assert got.kl_reduction == pytest.approx(want.kl_reduction, abs=1e-12)


def test_dsir_several_targets_equal_local(
    corpus: list[str], target_path: Path, raw_path: Path, ray_corpus: Any
) -> None:
    targets = {"pg": target_path, "raw": raw_path}
    local = thresher.DSIR(num_buckets=500).fit(targets, corpus)
    fitted = tr.fit(thresher.DSIR(num_buckets=500), targets, ray_corpus)
    want = local.select(corpus, k={"pg": 10, "raw": 15}, seed=2, columns="text")
    got = tr.select(
        fitted, _layout(ray_corpus, 64), k={"pg": 10, "raw": 15}, seed=2, columns="text"
    )
    assert got.table.equals(want.table)


def test_fitted_models_reach_ray_workers_by_pickling(
    corpus: list[str], target_path: Path, ray_corpus: Any
) -> None:
    # thresher.ray.select ships its DSIR and thresher.ray.dedup its MinHasher this
    # way: as fn_kwargs, pickled through the bytes of save(), no state dict.
    dsir = thresher.DSIR(num_buckets=500).fit(target_path, corpus)
    hasher = thresher.MinHasher(num_perm=32, ngram=3, seed=9)

    def score(batch: pa.Table, dsir: thresher.DSIR, hasher: thresher.MinHasher) -> pa.Table:
        return pa.table(
            {
                "row": batch.column(tr.ROW),
                "pid": np.full(batch.num_rows, os.getpid()),
                "log_weight": dsir.log_weights(batch.select(["text"])),
                "signature": list(hasher.signatures(batch.column("text"))),
            }
        )

    scored = pa.concat_tables(
        ray.get(
            _layout(ray_corpus, 7)
            .map_batches(
                score,
                batch_format="pyarrow",
                fn_kwargs={"dsir": dsir, "hasher": hasher},
            )
            .to_arrow_refs()
        )
    )
    scored = scored.take(pa.array(np.argsort(scored.column("row").to_numpy())))
    assert os.getpid() not in set(scored.column("pid").to_pylist())
    texts = thresher.read(corpus).to_reader().read_all().column("text")
    assert np.array_equal(scored.column("log_weight").to_numpy(), dsir.log_weights(corpus))
    assert np.array_equal(
        np.vstack(scored.column("signature").to_numpy(zero_copy_only=False)),
        hasher.signatures(texts),
    )


def _weights(corpus: list[str]) -> Any:
    return thresher.read(corpus, text_column=None).to_reader().read_all().column("w")


def test_sampling_equals_local(corpus: list[str], ray_corpus: Any) -> None:
    n = thresher.read(corpus).to_reader().read_all().num_rows
    weights = _weights(corpus)
    strata_local = sample.stratified_rows(corpus, "domain", 40, allocation="equal", seed=4)
    strata_weighted = sample.stratified_rows(corpus, "domain", 30, weight_column="w", seed=4)
    for blocks in LAYOUTS:
        ds = _layout(ray_corpus, blocks)
        uni = tr.uniform(ds, 25, seed=9)
        assert uni.column("row").to_pylist() == sample.uniform(n, 25, seed=9).tolist()
        assert uni.equals(
            sample.take(corpus, sample.uniform(n, 25, seed=9)).append_column(
                "row", uni.column("row")
            )
        )
        wtd = tr.weighted(ds, 30, "w", seed=7)
        assert wtd.column("row").to_pylist() == sample.weighted(weights, 30, seed=7).tolist()
        strata = tr.stratified(ds, "domain", 40, allocation="equal", seed=4)
        assert strata.equals(strata_local), blocks
        if blocks == 64:  # weighted strata: the keyed samples of 64 blocks merged
            strata = tr.stratified(ds, "domain", 30, weight_column="w", seed=4)
            assert strata.equals(strata_weighted), blocks


@pytest.mark.parametrize(
    ("blocks", "keep", "verify", "output"),
    [
        (1, "first", "exact", "keep"),
        (7, "longest", "exact", "annotate"),
        (64, "score", "signature", "annotate"),
    ],
)
def test_dedup_equals_local(
    corpus: list[str], ray_corpus: Any, blocks: int, keep: Any, verify: Any, output: Any
) -> None:
    score = "w" if keep == "score" else None
    local = thresher.dedup(
        corpus, threshold=0.7, keep=keep, score=score, verify=verify, output=output
    )
    assert local.summary.duplicates >= 40  # the near-copies are found
    got = tr.dedup(
        _layout(ray_corpus, blocks),
        threshold=0.7,
        keep=keep,
        score=score,
        verify=verify,
        output=output,
    )
    assert got.summary == local.summary
    table = got.to_arrow()
    assert table.equals(local.table)
    if output == "annotate":
        assert table.column("cluster_id").to_numpy().tolist() == local.cluster_id.tolist()
        sim = table.column("similarity").to_numpy(zero_copy_only=False)
        assert np.array_equal(sim, local.similarity, equal_nan=True)


def test_ray_results_have_the_local_table_and_write_shape(
    tmp_path: Path, corpus: list[str], target_path: Path, ray_corpus: Any
) -> None:
    from thresher._results import TableResult

    local = thresher.dedup(corpus, threshold=0.7, output="keep")
    got = tr.dedup(_layout(ray_corpus, 7), threshold=0.7, output="keep")
    assert isinstance(got, TableResult)
    assert len(got) == len(local)
    assert got.table is got.table  # collected once
    assert got.table.equals(local.table)
    for suffix in (".parquet", ".jsonl"):
        want_path, got_path = tmp_path / f"local{suffix}", tmp_path / f"ray{suffix}"
        assert local.write(want_path) == want_path
        written = got.write(str(got_path))
        assert isinstance(written, Path) and written == got_path
        assert got_path.read_bytes() == want_path.read_bytes()
    # DSIR on Ray returns the local Selection itself: the same table and write.
    dsir = thresher.DSIR(num_buckets=500).fit(target_path, corpus)
    selection = tr.select(dsir, ray_corpus, k=5, seed=1)
    out = tmp_path / "selection.parquet"
    assert selection.write(out) == out
    import pyarrow.parquet as pq

    assert pq.read_table(out).equals(dsir.select(corpus, k=5, seed=1).table)


def test_cli_ray_flag_writes_the_local_output(tmp_path: Path, corpus: list[str]) -> None:
    from thresher.cli import main

    local_out, ray_out = tmp_path / "local.parquet", tmp_path / "ray.parquet"
    base = ["sample", *corpus, "--by", "domain", "-k", "30", "--seed", "3", "--quiet"]
    assert main([*base, "--out", str(local_out)]) == 0
    assert main([*base, "--out", str(ray_out), "--ray", "local"]) == 0
    import pyarrow.parquet as pq

    assert pq.read_table(ray_out).equals(pq.read_table(local_out))


def _killer(marker: str) -> Callable[[pa.Table], pa.Table]:
    def kill_once(batch: pa.Table) -> pa.Table:
        if not os.path.exists(marker):
            with open(marker, "w") as f:
                f.write("killed")
            os._exit(1)  # the worker dies mid-job; Ray retries the task
        return batch

    return kill_once


def test_a_killed_worker_changes_nothing(
    tmp_path: Path, corpus: list[str], target_path: Path, ray_corpus: Any
) -> None:
    local = thresher.DSIR(num_buckets=500).fit(target_path, corpus)
    want = local.select(corpus, k=20, seed=5)
    fitted = tr.fit(thresher.DSIR(num_buckets=500), target_path, ray_corpus)
    marker = str(tmp_path / "killed")
    doomed = _layout(ray_corpus, 7).map_batches(
        _killer(marker), batch_format="pyarrow", max_retries=3
    )
    got = tr.select(fitted, doomed, k=20, seed=5)
    assert os.path.exists(marker)
    assert got.table.equals(want.table)
    marker2 = str(tmp_path / "killed2")
    doomed = _layout(ray_corpus, 7).map_batches(
        _killer(marker2), batch_format="pyarrow", max_retries=3
    )
    weights = _weights(corpus)
    assert tr.weighted(doomed, 30, "w", seed=7).column("row").to_pylist() == (
        sample.weighted(weights, 30, seed=7).tolist()
    )
    assert os.path.exists(marker2)


def test_missing_text_column_is_the_local_error(tmp_path: Path, ray_corpus: Any) -> None:
    path = write_records([{"body": "a b c"}, {"body": "d e"}], tmp_path / "bad.jsonl")
    with pytest.raises(MissingFieldError) as local:
        thresher.dedup(str(path))
    with pytest.raises(MissingFieldError) as remote:
        tr.read(str(path))
    assert str(remote.value) == str(local.value)
    with pytest.raises(MissingFieldError):
        tr.dedup(ray_corpus, text_column="body")


@pytest.mark.parametrize("bad", [None, -1.0, float("nan")])
def test_a_bad_weight_in_a_later_block_is_named_by_its_global_row(bad: float | None) -> None:
    weights = [1.0] * 200
    weights[150] = bad  # type: ignore[call-overload]
    table = pa.table({"w": pa.array(weights, pa.float64()), "g": [i % 3 for i in range(200)]})
    with pytest.raises(InvalidParameterError, match=r"weights\[150\]"):
        sample.weighted(table.column("w"), 5)
    parts = [table.slice(0, 100), table.slice(100)]
    numbered = tr.with_row_ids(ray.data.from_arrow(parts))
    with pytest.raises(InvalidParameterError, match=r"weights\[150\]"):
        tr.weighted(numbered, 5, "w")
    with pytest.raises(InvalidParameterError, match=r"weights\[150\]"):
        tr.stratified(numbered, "g", 6, weight_column="w")


@pytest.mark.parametrize("bad", [None, "high", float("nan")], ids=["null", "not numeric", "nan"])
def test_a_bad_score_in_a_later_block_is_the_local_error(bad: object) -> None:
    texts = [f"document number {i} with some words in it" for i in range(200)]
    scores: list[object] = [1.0] * 200
    scores[150] = bad
    if isinstance(bad, str):
        scores = [str(v) for v in scores]
    table = pa.table({"text": texts, "s": scores})
    with pytest.raises(ThresherError) as local:
        thresher.dedup(table, keep="score", score="s")
    numbered = tr.with_row_ids(ray.data.from_arrow([table.slice(0, 100), table.slice(100)]))
    with pytest.raises(ThresherError) as remote:
        tr.dedup(numbered, keep="score", score="s").summary  # noqa: B018
    assert type(remote.value) is type(local.value)
    if not isinstance(bad, str):  # a column's type is wrong in every block: no one row
        assert str(remote.value) == str(local.value)
        assert "150" in str(local.value)


def test_bad_json_in_a_later_file_names_file_and_line(tmp_path: Path) -> None:
    good = write_records([{"text": "a b"}], tmp_path / "a.jsonl")
    bad = tmp_path / "b.jsonl"
    bad.write_text('{"text": "ok"}\n{"text": \n')
    with pytest.raises(ThresherError) as local:
        thresher.dedup([str(good), str(bad)])
    with pytest.raises(ThresherError) as remote:
        tr.read([str(good), str(bad)])
    assert type(remote.value) is type(local.value)
    assert str(remote.value) == str(local.value)


def test_components_label_every_node_with_its_smallest(ray_corpus: Any) -> None:
    from thresher.ray.components import components

    rng = np.random.default_rng(3)
    a = rng.integers(0, 400, 300)
    b = rng.integers(0, 400, 300)
    a, b = np.minimum(a, b), np.maximum(a, b)
    keep = a != b
    a, b = a[keep], b[keep]
    # a long path too: the worst case of label propagation
    a = np.concatenate([a, np.arange(1000, 1099)])
    b = np.concatenate([b, np.arange(1001, 1100)])
    parent = list(range(1100))

    def find(x: int) -> int:
        while parent[x] != x:
            x = parent[x]
        return x

    for x, y in zip(a.tolist(), b.tolist(), strict=True):
        rx, ry = find(x), find(y)
        parent[max(rx, ry)] = min(rx, ry)
    edges = ray.data.from_arrow(pa.table({"a": a, "b": b})).repartition(5)
    labels, rounds = components(edges, 4)
    table = pa.concat_tables(ray.get(labels.to_arrow_refs()))
    got = dict(zip(table.column("node").to_pylist(), table.column("root").to_pylist(), strict=True))
    nodes = set(a.tolist()) | set(b.tolist())
    assert got == {n: find(n) for n in nodes}
    assert rounds < 20


def test_the_core_package_never_imports_ray() -> None:
    import subprocess
    import sys

    code = (
        "import sys, thresher, thresher.cli, thresher.dsir, thresher.dedup, thresher.sample; "
        "assert 'ray' not in sys.modules, 'ray was imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_ray_dedup_streams_its_output_in_row_order(
    tmp_path: Path, corpus: list[str], ray_corpus: Any
) -> None:
    from thresher.io.manifest import Manifest

    local = thresher.dedup(corpus, threshold=0.7)
    got = tr.dedup(_layout(ray_corpus, 7), threshold=0.7)
    assert got.schema.equals(local.schema)
    out = got.write(f"{tmp_path}/shards/", shard_size="64KB")
    assert got._table is None  # streamed to the driver, never collected whole
    manifest = Manifest.load(out)
    assert manifest.complete and len(manifest.shards) > 1
    assert thresher.read(out).to_reader().read_all().equals(local.table)
