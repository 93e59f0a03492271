"""Sampling a Ray Dataset: uniform, weighted without replacement and stratified,
each equal to the local sampler on the same rows and seed.

- :func:`uniform`: Floyd's k of n on the driver (O(k)), then the rows kept.
- :func:`weighted`: every block's keyed sample (keys from the seed and the global
  row id, as :class:`thresher.sample.WeightedReservoir`), merged exactly.
- :func:`stratified`: group sizes (and first rows, which fix the group codes as
  the local dictionary encoding does) summed over blocks, the same allocation,
  then within each group Floyd's positions (uniform) or keyed samples (weighted);
  a row's position in its group comes from per-run counts of the blocks before.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import ray
import ray.data

from thresher import _core, _shared
from thresher.exceptions import invalid_parameter
from thresher.ray._common import (
    ROW,
    check_column,
    drop_helpers,
    per_block,
    row_ids,
    runs,
    sorted_by_row,
    thresher_errors,
)
from thresher.sample import Allocation, group_quotas

__all__ = ["stratified", "take", "uniform", "weighted"]


def _keep_rows(batch: pa.Table, chosen: npt.NDArray[np.int64]) -> pa.Table:
    return batch.filter(pa.array(np.isin(row_ids(batch), chosen)))


def take(
    dataset: ray.data.Dataset, rows: npt.ArrayLike, *, row_number: str | None = "row"
) -> pa.Table:
    """The rows of ``dataset`` whose global ids are in ``rows``, in row order, as one
    table on the driver (with a ``row_number`` column of their ids)."""
    chosen = np.unique(np.asarray(rows, dtype=np.int64))
    with thresher_errors():
        refs = per_block(dataset, _keep_rows, chosen=chosen).to_arrow_refs()
        parts = [t for t in ray.get(refs) if t.num_rows]
    if not parts:
        table = dataset.schema().base_schema.empty_table()
    else:
        table = pa.concat_tables(parts, promote_options="default")
    order = np.argsort(table.column(ROW).to_numpy(), kind="stable")
    ids = table.column(ROW).to_numpy()[order]
    table = drop_helpers(table.take(pa.array(order))).combine_chunks()
    if row_number is not None:
        table = table.append_column(row_number, pa.array(ids.astype(np.int64)))
    return table


def uniform(
    dataset: ray.data.Dataset, k: int, *, seed: int = 0, row_number: str | None = "row"
) -> pa.Table:
    """``k`` rows chosen uniformly: the rows :func:`thresher.sample.uniform` picks
    (``uniform(n, k, seed)`` with ``n`` the dataset's row count)."""
    k = _shared.check_count("k", k)
    with thresher_errors():
        n = dataset.count()
    rows = _core.sample_uniform(n, k, _shared.check_seed(seed))
    return take(dataset, rows, row_number=row_number)


def _reject_nulls(values: Any, rows: npt.NDArray[np.int64], name: str) -> None:
    """The local error for a null in ``values``, naming its global row (a block's own
    positions mean nothing to the user)."""
    if values.null_count:
        local = int(pc.index(pc.is_null(values), True).as_py())
        raise _shared.null_error(name, int(rows[local]))


def _block_weights(batch: pa.Table, column: str) -> npt.NDArray[Any]:
    """The weights of a block, checked as the local samplers check them, the first bad
    one named by its global row."""
    rows = row_ids(batch)
    values = batch.column(column)
    _reject_nulls(values, rows, "weights")
    weights = _shared.weight_array(values)
    _core.check_weights(weights, rows)
    return weights


def _keyed_block(batch: pa.Table, column: str, k: int, seed: int) -> pa.Table:
    batch = sorted_by_row(batch)
    rows = row_ids(batch)
    weights = _block_weights(batch, column)
    idx = [np.empty(0, np.int64)]
    keys = [np.empty(0, np.float64)]
    positive = 0
    for first, a, b in runs(rows):
        i, key, p = _core.sample_keyed(weights[a:b], k, seed, first)
        idx.append(i)
        keys.append(key)
        positive += p
    merged_idx, merged_keys = _core.merge_keyed(np.concatenate(idx), np.concatenate(keys), k)
    return pa.table({"index": [merged_idx], "key": [merged_keys], "positive": [positive]})


def _merge_keyed(parts: ray.data.Dataset, k: int) -> tuple[npt.NDArray[np.int64], int]:
    idx = np.empty(0, np.int64)
    keys = np.empty(0, np.float64)
    positive = 0
    with thresher_errors():
        for batch in parts.iter_batches(batch_format="pyarrow", batch_size=None):
            for i in range(batch.num_rows):
                more_idx = batch.column("index")[i].values.to_numpy()
                more_keys = batch.column("key")[i].values.to_numpy()
                idx, keys = _core.merge_keyed(
                    np.concatenate([idx, more_idx]), np.concatenate([keys, more_keys]), k
                )
                positive += int(batch.column("positive")[i].as_py())
    return np.sort(idx), positive


def weighted(
    dataset: ray.data.Dataset,
    k: int,
    weight_column: str,
    *,
    seed: int = 0,
    row_number: str | None = "row",
) -> pa.Table:
    """``k`` rows without replacement, in proportion to ``weight_column``: the rows
    :func:`thresher.sample.weighted` picks from the whole column with this seed."""
    k = _shared.check_count("k", k)
    seed = _shared.check_seed(seed)
    check_column(dataset.schema(), weight_column, "weight column")
    parts = per_block(
        dataset.select_columns([ROW, weight_column]),
        _keyed_block,
        column=weight_column,
        k=k,
        seed=seed,
    )
    rows, positive = _merge_keyed(parts, k)
    if positive < k:
        raise invalid_parameter(
            "k",
            f"{k} items requested without replacement but only {positive} weights are positive",
        )
    return take(dataset, rows, row_number=row_number)


def _group_sizes(batch: pa.Table, by: str, weight_column: str | None) -> pa.Table:
    """Per distinct label: rows (of positive weight) and the first row (any weight)."""
    rows = row_ids(batch)
    labels = batch.column(by)
    _reject_nulls(labels, rows, "groups")
    counted = np.ones(len(rows), np.int64)
    if weight_column is not None:
        counted = (_block_weights(batch, weight_column) > 0).astype(np.int64)
    table = pa.table({"value": labels, "counted": counted, "row": rows})
    return table.group_by("value").aggregate([("counted", "sum"), ("row", "min")])


def _run_counts(batch: pa.Table, by: str, values: pa.Array) -> pa.Table:
    """Rows of each group code in every run of consecutive ids of the block."""
    batch = sorted_by_row(batch)
    rows = row_ids(batch)
    codes = pc.index_in(batch.column(by), value_set=values).to_numpy(zero_copy_only=False)
    firsts, counts = [], []
    for first, a, b in runs(rows):
        firsts.append(first)
        counts.append(np.bincount(codes[a:b], minlength=len(values)).astype(np.int64))
    return pa.table({"first": pa.array(firsts, pa.int64()), "counts": counts})


def _uniform_block(
    batch: pa.Table,
    by: str,
    values: pa.Array,
    prefix: dict[int, npt.NDArray[np.int64]],
    positions: list[npt.NDArray[np.int64]],
) -> pa.Table:
    batch = sorted_by_row(batch)
    rows = row_ids(batch)
    codes = pc.index_in(batch.column(by), value_set=values).to_numpy(zero_copy_only=False)
    chosen = []
    for first, a, b in runs(rows):
        seen = prefix[first].copy()
        run_codes = codes[a:b]
        for h in np.unique(run_codes):
            members = np.flatnonzero(run_codes == h)
            pos = seen[h] + np.arange(members.size)
            chosen.append(rows[a:b][members[np.isin(pos, positions[h])]])
    picked = np.concatenate(chosen) if chosen else np.empty(0, np.int64)
    return pa.table({"row": pa.array(picked.astype(np.int64))})


def _weighted_strata_block(
    batch: pa.Table, by: str, weight_column: str, values: pa.Array, quotas: list[int], seed: int
) -> pa.Table:
    batch = sorted_by_row(batch)
    rows = row_ids(batch)
    codes = pc.index_in(batch.column(by), value_set=values).to_numpy(zero_copy_only=False)
    weights = _block_weights(batch, weight_column)
    out_code, out_idx, out_keys = [], [], []
    for h, quota in enumerate(quotas):
        if quota == 0 or not bool((codes == h).any()):
            continue
        idx, keys = [np.empty(0, np.int64)], [np.empty(0, np.float64)]
        for first, a, b in runs(rows):
            part = np.where(codes[a:b] == h, weights[a:b], 0).astype(weights.dtype)
            i, key, _ = _core.sample_keyed(np.ascontiguousarray(part), quota, seed, first)
            idx.append(i)
            keys.append(key)
        i, key = _core.merge_keyed(np.concatenate(idx), np.concatenate(keys), quota)
        out_code.append(h)
        out_idx.append(i)
        out_keys.append(key)
    return pa.table(
        {"code": pa.array(out_code, pa.int64()), "index": out_idx, "key": out_keys},
        schema=pa.schema(
            [("code", pa.int64()), ("index", pa.list_(pa.int64())), ("key", pa.list_(pa.float64()))]
        ),
    )


def stratified(
    dataset: ray.data.Dataset,
    by: str,
    k: int | None = None,
    *,
    frac: float | None = None,
    allocation: Allocation = "proportional",
    spread: Mapping[Any, float] | None = None,
    weight_column: str | None = None,
    seed: int = 0,
    row_number: str | None = "row",
) -> pa.Table:
    """A stratified sample grouped by column ``by``: the rows
    :func:`thresher.sample.stratified_rows` picks from the same rows and seed.

    Groups are coded in order of first appearance (as the local dictionary
    encoding codes them), sizes summed over blocks, the counts allocated exactly as
    locally; uniform within groups by Floyd's positions (a row's position in its
    group counted from the blocks' per-run group counts), weighted within groups by
    per-block keyed samples merged per group.
    """
    seed = _shared.check_seed(seed)
    check_column(dataset.schema(), by, "group column")
    if weight_column is not None:
        check_column(dataset.schema(), weight_column, "weight column")
    names = [ROW, by] if weight_column is None else [ROW, by, weight_column]
    with thresher_errors():
        small = dataset.select_columns(names).materialize()
        sizes = pa.concat_tables(
            ray.get(
                per_block(small, _group_sizes, by=by, weight_column=weight_column).to_arrow_refs()
            )
        )
    sizes = sizes.group_by("value").aggregate([("counted_sum", "sum"), ("row_min", "min")])
    order = np.argsort(sizes.column("row_min_min").to_numpy(), kind="stable")
    sizes = sizes.take(pa.array(order))
    values = sizes.column("value").combine_chunks()
    counts = sizes.column("counted_sum_sum").to_numpy()
    labels = values.to_pylist()
    quotas = group_quotas(labels, counts, k, frac, allocation, spread)
    with thresher_errors():
        if weight_column is None:
            chosen = _uniform_strata(small, by, values, counts, quotas, seed)
        else:
            chosen = _weighted_strata(small, by, weight_column, values, quotas, seed)
    return take(dataset, chosen, row_number=row_number)


def _uniform_strata(
    small: ray.data.Dataset,
    by: str,
    values: pa.Array,
    counts: npt.NDArray[np.int64],
    quotas: list[int],
    seed: int,
) -> npt.NDArray[np.int64]:
    positions = [
        _core.sample_uniform(int(counts[h]), quotas[h], _core.stratified_group_seed(seed, h))
        for h in range(len(quotas))
    ]
    run_table = pa.concat_tables(
        ray.get(per_block(small, _run_counts, by=by, values=values).to_arrow_refs())
    )
    firsts = run_table.column("first").to_numpy()
    order = np.argsort(firsts, kind="stable")
    running = np.zeros(len(quotas), np.int64)
    prefix: dict[int, npt.NDArray[np.int64]] = {}
    for i in order:
        prefix[int(firsts[i])] = running.copy()
        running += np.asarray(run_table.column("counts")[int(i)].as_py(), np.int64)
    picked = per_block(
        small, _uniform_block, by=by, values=values, prefix=prefix, positions=positions
    ).to_arrow_refs()
    return np.sort(np.concatenate([t.column("row").to_numpy() for t in ray.get(picked)]))


def _weighted_strata(
    small: ray.data.Dataset,
    by: str,
    weight_column: str,
    values: pa.Array,
    quotas: list[int],
    seed: int,
) -> npt.NDArray[np.int64]:
    parts = ray.get(
        per_block(
            small,
            _weighted_strata_block,
            by=by,
            weight_column=weight_column,
            values=values,
            quotas=quotas,
            seed=seed,
        ).to_arrow_refs()
    )
    idx: list[npt.NDArray[np.int64]] = [np.empty(0, np.int64) for _ in quotas]
    keys: list[npt.NDArray[np.float64]] = [np.empty(0, np.float64) for _ in quotas]
    for part in parts:
        for i in range(part.num_rows):
            h = int(part.column("code")[i].as_py())
            idx[h], keys[h] = _core.merge_keyed(
                np.concatenate([idx[h], part.column("index")[i].values.to_numpy()]),
                np.concatenate([keys[h], part.column("key")[i].values.to_numpy()]),
                quotas[h],
            )
    return np.sort(np.concatenate(idx))
