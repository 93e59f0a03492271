"""DSIR on a Ray Dataset: fit by summing per-block feature counts, select by
per-block top-k of the seeded keys and a merge on the driver.

The key of a document depends only on the seed, the target and its global row id
(``thresher_row``), so the k best keys of the whole are the k best of the union of
every block's k best: the selection equals the local :meth:`thresher.DSIR.select`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import ray.data

from thresher import _core, _shared
from thresher.dsir import DSIR, FitStats, Method, Normalize, Selection, check_select
from thresher.exceptions import EmptyInputError, invalid_parameter, located
from thresher.io.sources import SourceLike
from thresher.progress import ProgressBar
from thresher.ray._common import check_column, per_block, row_ids, thresher_errors
from thresher.ray.sample import take

__all__ = ["fit", "select"]


def _count_block(
    batch: pa.Table, column: str, ngrams: int, num_buckets: int, hash: str
) -> pa.Table:
    counts, docs, tokens, features, _ = _core.count_features(
        batch, column, ngrams, num_buckets, hash, None, None, None
    )
    return pa.table(
        {
            "counts": pa.array([counts.tobytes()], pa.large_binary()),
            "documents": [docs],
            "tokens": [tokens],
            "features": [features],
        }
    )


def _count(
    dsir: DSIR, dataset: ray.data.Dataset, what: str, quiet: bool
) -> tuple[npt.NDArray[np.uint64], FitStats]:
    check_column(dataset.schema(), dsir.text_column)
    counts = np.zeros(dsir.num_buckets, np.uint64)
    docs = tokens = features = 0
    bar = ProgressBar(what, quiet=quiet)
    parts = per_block(
        dataset,
        _count_block,
        column=dsir.text_column,
        ngrams=dsir.ngrams,
        num_buckets=dsir.num_buckets,
        hash=dsir.hash,
    )
    with thresher_errors():
        for batch in parts.iter_batches(batch_format="pyarrow", batch_size=None):
            for i in range(batch.num_rows):
                counts += np.frombuffer(batch.column("counts")[i].as_py(), np.uint64)
                bar(int(batch.column("documents")[i].as_py()), 0)
                docs += int(batch.column("documents")[i].as_py())
                tokens += int(batch.column("tokens")[i].as_py())
                features += int(batch.column("features")[i].as_py())
    bar.close()
    if features == 0:
        found = f"{docs:,} documents, none with a token" if docs else "no document"
        name = what.removeprefix("fit ")
        raise located(EmptyInputError, f"{name} corpus a ray.data.Dataset is empty: {found}")
    return counts, FitStats(docs, tokens, features)


def fit(
    dsir: DSIR,
    target: SourceLike | ray.data.Dataset | Mapping[str, SourceLike | ray.data.Dataset],
    raw: ray.data.Dataset,
    *,
    quiet: bool = True,
) -> DSIR:
    """Fit ``dsir`` on a raw corpus held in a Ray Dataset: :meth:`DSIR.fit` on Ray.

    Feature counts are computed per block by thresher's kernel and summed: they
    equal the local counts of the same rows, so the fitted model is the same.
    ``target`` may be a local corpus (anything :func:`thresher.read` takes) or a
    Dataset, or a mapping of several. Returns ``dsir``, fitted.

    Examples
    --------
    On a running Ray instance (``tests/test_ray.py`` runs these steps)::

        import thresher, thresher.ray
        raw = thresher.ray.read("crawl/*.jsonl.zst")
        dsir = thresher.ray.fit(thresher.DSIR(), "target.jsonl", raw)
    """
    targets = dict(target) if isinstance(target, Mapping) else {"target": target}
    if not targets:
        raise invalid_parameter("target", "at least one target corpus is needed")
    counts = []
    for name, corpus in targets.items():
        if isinstance(corpus, ray.data.Dataset):
            c, stats = _count(dsir, corpus, f"fit {name}", quiet)
        else:
            c, stats = _shared.dsir_count(dsir, corpus, f"fit {name}", quiet)
        counts.append(c)
        dsir.fit_stats[name] = stats
    raw_counts, dsir.fit_stats["raw"] = _count(dsir, raw, "fit raw", quiet)
    dsir.target_names = list(targets)
    _shared.dsir_set_counts(dsir, np.vstack(counts), raw_counts)
    return dsir


def _candidates_block(
    batch: pa.Table,
    dsir: DSIR,
    column: str,
    total_k: int,
    seed: int,
    method: str,
    temperature: float,
    normalize: str,
    clip: tuple[float, float] | None,
    min_length: int,
) -> pa.Table:
    """The best ``total_k`` keys of the block for every target, and block counts
    (``dsir`` arrives pickled: the bytes of :meth:`DSIR.save`)."""
    rows = row_ids(batch)
    weights, tokens = _core.dsir_log_weights(
        dsir.model, batch, column, normalize, clip, 0, None, None
    )
    eligible = np.flatnonzero(tokens >= min_length)
    out: dict[str, list[Any]] = {"row": [], "target": [], "key": [], "log_weight": []}
    erows = rows[eligible].astype(np.uint64)
    for t in range(weights.shape[1]):
        lw = np.ascontiguousarray(weights[eligible, t])
        keys = _core.dsir_keys(lw, erows, t, seed, method, temperature)
        best = _core.dsir_best(erows, keys, total_k)
        out["row"].append(erows[best])
        out["target"].append(np.full(best.size, t, np.int32))
        out["key"].append(keys[best])
        out["log_weight"].append(lw[best])
    flat = {name: np.concatenate(parts) for name, parts in out.items()}
    return pa.table(
        {
            **{name: pa.array([values]) for name, values in flat.items()},
            "documents": [len(rows)],
            "eligible": [int(eligible.size)],
        }
    )


def select(
    dsir: DSIR,
    dataset: ray.data.Dataset,
    k: int | Mapping[str, int],
    *,
    seed: int = 0,
    method: Method = "gumbel",
    temperature: float = 1.0,
    normalize: Normalize = "none",
    clip: tuple[float, float] | None = None,
    min_length: int = 0,
    columns: Literal["all", "text"] = "all",
    quiet: bool = True,
) -> Selection:
    """:meth:`DSIR.select` on a Ray Dataset with global row ids; the same Selection.

    Each block scores its documents and keeps its best ``sum(k)`` keys per target;
    the driver merges those candidates (O(blocks x k) memory), resolves several
    targets as the local run does, and fetches the chosen rows. ``dataset`` must
    carry ``thresher_row`` (see :func:`thresher.ray.read`). ``chunk_words`` and
    ``num_tokens_to_fit`` are not offered on Ray.
    """
    check_select(columns, min_length, seed)
    model = dsir.model
    quotas = _shared.dsir_quotas(dsir, k)
    _core.dsir_check_select(
        model, quotas, seed, method, float(temperature), normalize, clip, min_length
    )
    column = dsir.text_column
    check_column(dataset.schema(), column)
    total_k = sum(quotas)
    parts = per_block(
        dataset,
        _candidates_block,
        dsir=dsir,
        column=column,
        total_k=total_k,
        seed=seed,
        method=method,
        temperature=float(temperature),
        normalize=normalize,
        clip=clip,
        min_length=min_length,
    )
    targets = model.num_targets
    pool: list[dict[str, npt.NDArray[Any]]] = [
        {"row": np.empty(0, np.uint64), "key": np.empty(0), "log_weight": np.empty(0)}
        for _ in range(targets)
    ]
    documents = eligible = 0
    bar = ProgressBar("select", quiet=quiet)
    with thresher_errors():
        for batch in parts.iter_batches(batch_format="pyarrow", batch_size=None):
            for i in range(batch.num_rows):
                bar(int(batch.column("documents")[i].as_py()), 0)
                documents += int(batch.column("documents")[i].as_py())
                eligible += int(batch.column("eligible")[i].as_py())
                cand = {
                    name: batch.column(name)[i].values.to_numpy()
                    for name in ("row", "target", "key", "log_weight")
                }
                for t in range(targets):
                    mine = cand["target"] == t
                    merged = {
                        name: np.concatenate([pool[t][name], cand[name][mine]])
                        for name in ("row", "key", "log_weight")
                    }
                    best = _core.dsir_best(merged["row"], merged["key"], total_k)
                    pool[t] = {name: values[best] for name, values in merged.items()}
    bar.close()
    _core.dsir_check_eligible(total_k, eligible, documents, min_length)
    chosen_rows, chosen_targets, chosen_weights = _core.dsir_resolve(
        np.concatenate([p["row"] for p in pool]).astype(np.uint64),
        np.concatenate([np.full(p["row"].size, t, np.uint32) for t, p in enumerate(pool)]),
        np.concatenate([p["key"] for p in pool]),
        np.concatenate([p["log_weight"] for p in pool]),
        quotas,
    )
    table = take(dataset, chosen_rows.astype(np.int64), row_number=None)
    if columns == "text":
        table = table.select([column])
    kl = {}
    target_counts, raw_counts = _shared.dsir_counts(dsir)
    for t, name in enumerate(dsir.target_names):
        mine = table.filter(pa.array(chosen_targets == t))
        counts = _core.count_features(
            mine.select([column]), column, dsir.ngrams, dsir.num_buckets, dsir.hash
        )[0]
        kl[name] = float(_core.kl_reduction(target_counts[t], raw_counts, counts))
    table = table.append_column("dsir_row", pa.array(chosen_rows.astype(np.uint64), pa.uint64()))
    table = table.append_column("dsir_log_weight", pa.array(chosen_weights, pa.float64()))
    if len(dsir.target_names) > 1:
        names = np.asarray(dsir.target_names, dtype=object)[chosen_targets]
        table = table.append_column("dsir_target", pa.array(names.tolist(), pa.string()))
    return Selection(
        table=table,
        rows=chosen_rows.astype(np.uint64),
        log_weights=chosen_weights,
        targets=chosen_targets.astype(np.uint32),
        documents=documents,
        eligible=eligible,
        kl_reduction=kl,
        target_names=list(dsir.target_names),
    )
