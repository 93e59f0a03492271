"""Near-duplicate detection on a Ray Dataset, equal to the local :func:`thresher.dedup`.

1. Signatures per block (thresher's MinHasher), kept with each row's byte length.
2. Band keys (the core's band hash) shuffled by a ``groupby`` on
   ``key % partitions``; each partition makes its candidate pairs by the core's rule
   (the local sort of ``(band hash, document)``, band groups larger than
   ``LSH_MAX_GROUP`` included).
3. Verification: the pairs meet the signature and text of their first document in
   one shuffle, of their second in another, and are checked as locally (the
   5-sigma signature floor, then the exact Jaccard of the shingle-hash sets, or the
   signature estimate).
4. Connected components of the verified pairs by large-star/small-star rounds
   (:mod:`thresher.ray.components`): cluster id = smallest row of the cluster.
5. Members meet their root in one more shuffle, where the keep policy (first,
   longest, score) picks the survivor and each duplicate's similarity to it is
   computed.

Only per-document results of clustered documents (about 30 bytes each) and the
set of candidate documents (8 bytes each) come back to the driver; pairs never do.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import ray
import ray.data

from thresher import _core, _shared
from thresher.dedup import DedupSummary, KeepPolicy, MinHasher, Scheme, Unit
from thresher.exceptions import EmptyInputError, MissingFieldError, located
from thresher.ray._common import ROW, check_column, per_block, row_ids, runs, thresher_errors
from thresher.ray.components import components

__all__ = ["RayDeduplication", "dedup"]

_BUCKET = "thresher_bucket"


def _sig_array(sigs: npt.NDArray[np.uint32]) -> pa.Array:
    width = sigs.shape[1] * 4
    data = np.ascontiguousarray(sigs).tobytes()
    return pa.FixedSizeBinaryArray.from_buffers(
        pa.binary(width), sigs.shape[0], [None, pa.py_buffer(data)]
    )


def _sig_matrix(column: Any, num_perm: int) -> npt.NDArray[np.uint32]:
    array = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    if len(array) == 0:
        return np.empty((0, num_perm), np.uint32)
    if isinstance(array, pa.FixedSizeBinaryArray) and array.null_count == 0:
        width = num_perm * 4
        raw = np.frombuffer(array.buffers()[1], np.uint8)
        raw = raw[array.offset * width : (array.offset + len(array)) * width]
        return raw.view(np.uint32).reshape(len(array), num_perm)
    return np.frombuffer(b"".join(array.to_pylist()), np.uint32).reshape(-1, num_perm)


@dataclass(frozen=True)
class _Setup:
    hasher: MinHasher  # pickled to the workers: the bytes of MinHasher.save
    num_perm: int
    bands: int
    rows: int
    threshold: float
    verify: str
    keep: str
    column: str
    score: str | None
    partitions: int
    max_group: int = _core.LSH_MAX_GROUP


def _hasher(setup: _Setup) -> MinHasher:
    return setup.hasher


def _signatures(batch: pa.Table, setup: _Setup) -> pa.Table:
    rows = row_ids(batch)
    text = batch.column(setup.column)
    if text.null_count:
        local = int(pc.index(pc.is_null(text), True).as_py())
        raise located(
            MissingFieldError,
            f"row {int(rows[local])}: field {setup.column!r} is null",
            row=int(rows[local]),
            field=setup.column,
        )
    text = text.cast(pa.large_string())
    sigs = _hasher(setup).signatures(text)
    columns: dict[str, Any] = {
        ROW: rows,
        "sig": _sig_array(sigs),
        "text": text,
        "length": pc.binary_length(text).cast(pa.int64()),
    }
    if setup.score is not None:
        # Checked by the core function of the local run, one run of consecutive rows at
        # a time so that a bad value is named by its global row.
        scored = batch.select([setup.score])
        parts = [
            _core.dedup_score_values(scored.slice(start, stop - start), setup.score, first)
            for first, start, stop in runs(rows)
        ]
        scores = np.concatenate(parts) if parts else np.zeros(0, np.float64)
        columns["score"] = scores
    return pa.table(columns)


def _band_keys(batch: pa.Table, setup: _Setup) -> pa.Table:
    rows = batch.column(ROW).to_numpy()
    sigs = _sig_matrix(batch.column("sig"), setup.num_perm)
    non_empty = ~(sigs == np.uint32(0xFFFFFFFF)).all(axis=1)
    rows, sigs = rows[non_empty], sigs[non_empty]
    parts = []
    for band in range(setup.bands):
        slots = np.ascontiguousarray(sigs[:, band * setup.rows : (band + 1) * setup.rows])
        keys = _core.lsh_band_hashes(slots, band)
        parts.append(
            pa.table(
                {
                    _BUCKET: (keys % np.uint64(setup.partitions)).astype(np.int64),
                    "band": np.full(len(rows), band, np.uint32),
                    "key": keys,
                    "row": rows,
                    "slots": _sig_array(slots),
                }
            )
        )
    return pa.concat_tables(parts) if parts else pa.table({})


def _band_pairs(group: pa.Table, setup: _Setup) -> pa.Table:
    """Candidate pairs of one partition of band keys, by the core's candidate rule."""
    first, second = _core.lsh_band_pairs(
        np.ascontiguousarray(group.column("band").to_numpy(), np.uint32),
        np.ascontiguousarray(group.column("key").to_numpy(), np.uint64),
        np.ascontiguousarray(group.column("row").to_numpy(), np.int64),
        np.ascontiguousarray(_sig_matrix(group.column("slots"), setup.rows)),
        setup.max_group,
    )
    return pa.table({"i": pa.array(first, pa.int64()), "j": pa.array(second, pa.int64())})


def _ids(batch: pa.Table, columns: list[str]) -> pa.Table:
    ids = np.unique(np.concatenate([batch.column(c).to_numpy() for c in columns]))
    return pa.table({"id": ids.astype(np.int64)})


def _join_rows(batch: pa.Table, key: str, partitions: int, docs: bool, setup: _Setup) -> pa.Table:
    """Rows of a join shuffle: documents (``i = j = -1``) or pairs, keyed by ``key``."""
    n = batch.num_rows
    if docs:
        keys = batch.column(ROW).to_numpy()
        table = {
            "key": keys,
            "i": np.full(n, -1, np.int64),
            "j": np.full(n, -1, np.int64),
            "sig": batch.column("sig"),
            "text": batch.column("text"),
            "sim": np.full(n, np.nan),
        }
    else:
        keys = batch.column(key).to_numpy()
        table = {
            "key": keys,
            "i": batch.column("i").to_numpy(),
            "j": batch.column("j").to_numpy(),
            "sig": batch.column("sig")
            if "sig" in batch.column_names
            else pa.nulls(n, pa.binary(setup.num_perm * 4)),
            "text": batch.column("text")
            if "text" in batch.column_names
            else pa.nulls(n, pa.large_string()),
            "sim": np.full(n, np.nan),
        }
    out = pa.table(table)
    return out.append_column(_BUCKET, pa.array((keys % partitions).astype(np.int64)))


def _split(group: pa.Table) -> tuple[pa.Table, pa.Table, npt.NDArray[np.intp]]:
    """Documents and pairs of a join partition, and each pair's document index."""
    is_doc = group.column("i").to_numpy() < 0
    docs = group.filter(pa.array(is_doc))
    pairs = group.filter(pa.array(~is_doc))
    doc_keys = docs.column("key").to_numpy()
    order = np.argsort(doc_keys, kind="stable")
    docs = docs.take(pa.array(order))
    where = np.searchsorted(doc_keys[order], pairs.column("key").to_numpy())
    return docs, pairs, where


def _attach_first(group: pa.Table) -> pa.Table:
    """Distinct pairs keyed by ``i``, each with the signature and text of ``i``."""
    docs, pairs, where = _split(group)
    ij = np.stack([pairs.column("i").to_numpy(), pairs.column("j").to_numpy()], axis=1)
    ij, first = np.unique(ij.reshape(-1, 2), axis=0, return_index=True)
    where = where[first]
    return pa.table(
        {
            "i": ij[:, 0].astype(np.int64),
            "j": ij[:, 1].astype(np.int64),
            "sig": docs.column("sig").take(pa.array(where)),
            "text": docs.column("text").take(pa.array(where)),
        }
    )


def _similarities(
    setup: _Setup,
    sig_a: npt.NDArray[np.uint32],
    sig_b: npt.NDArray[np.uint32],
    text_a: list[str],
    text_b: list[str],
) -> npt.NDArray[np.float64]:
    agreement = (sig_a == sig_b).sum(axis=1) / float(setup.num_perm)
    if setup.verify == "signature":
        return np.asarray(agreement, np.float64)
    return _shared.exact_similarities(_hasher(setup), text_a, text_b)


def _verify_second(group: pa.Table, setup: _Setup) -> pa.Table:
    """The verified pairs keyed by ``j``: the floor, then the similarity check."""
    docs, pairs, where = _split(group)
    sig_i = _sig_matrix(pairs.column("sig"), setup.num_perm)
    sig_j = _sig_matrix(docs.column("sig"), setup.num_perm)[where]
    agreement = (sig_i == sig_j).sum(axis=1) / float(setup.num_perm)
    candidates = len(pairs)
    keep = np.ones(candidates, bool)
    if setup.verify == "exact":
        keep = agreement >= _core.lsh_exact_floor(setup.threshold, setup.num_perm)
    idx = np.flatnonzero(keep)
    text_i = pairs.column("text").take(pa.array(idx)).to_pylist()
    text_j = docs.column("text").take(pa.array(where[idx])).to_pylist()
    sims = _similarities(setup, sig_i[idx], sig_j[idx], text_i, text_j)
    ok = sims >= setup.threshold
    return pa.table(
        {
            "a": np.concatenate([pairs.column("i").to_numpy()[idx][ok], [-1]]).astype(np.int64),
            "b": np.concatenate([pairs.column("j").to_numpy()[idx][ok], [-1]]).astype(np.int64),
            "candidates": np.concatenate([np.zeros(int(ok.sum()), np.int64), [candidates]]),
        }
    )


def _member_rows(batch: pa.Table, partitions: int, labels: bool, setup: _Setup) -> pa.Table:
    """Rows of the member shuffle: documents (``root = -1``) or ``(node, root)`` labels,
    keyed by the node, in one schema."""
    n = batch.num_rows
    node = batch.column("node" if labels else ROW).to_numpy()
    if labels:
        table: dict[str, Any] = {
            "key": node,
            "root": batch.column("root").to_numpy(),
            "sig": pa.nulls(n, pa.binary(setup.num_perm * 4)),
            "text": pa.nulls(n, pa.large_string()),
            "length": np.zeros(n, np.int64),
            "score": np.zeros(n, np.float64),
        }
    else:
        table = {
            "key": node,
            "root": np.full(n, -1, np.int64),
            "sig": batch.column("sig"),
            "text": batch.column("text"),
            "length": batch.column("length"),
            "score": batch.column("score") if setup.score else np.zeros(n, np.float64),
        }
    table[_BUCKET] = (node % partitions).astype(np.int64)
    return pa.table(table)


def _attach_root(group: pa.Table) -> pa.Table:
    """Each clustered document with its root, keyed then by the root."""
    is_label = group.column("root").to_numpy() >= 0
    labels = group.filter(pa.array(is_label)).select(["key", "root"])
    docs = group.filter(pa.array(~is_label)).drop_columns(["root", _BUCKET])
    node_root = np.unique(
        np.stack([labels.column("key").to_numpy(), labels.column("root").to_numpy()], axis=1),
        axis=0,
    ).reshape(-1, 2)
    doc_keys = docs.column("key").to_numpy()
    order = np.argsort(doc_keys, kind="stable")
    where = order[np.searchsorted(doc_keys[order], node_root[:, 0])]
    members = docs.take(pa.array(where))
    return members.append_column("root", pa.array(node_root[:, 1].astype(np.int64)))


def _keep_block(group: pa.Table, setup: _Setup) -> pa.Table:
    """The survivor of every cluster of the partition and each duplicate's similarity."""
    group = group.take(
        pa.array(np.lexsort((group.column("key").to_numpy(), group.column("root").to_numpy())))
    )
    node = group.column("key").to_numpy()
    root = group.column("root").to_numpy()
    starts = np.flatnonzero(np.concatenate([[True], root[1:] != root[:-1]]))
    ends = np.concatenate([starts[1:], [len(root)]])
    if setup.keep == "longest":
        value = group.column("length").to_numpy().astype(np.float64)
    elif setup.keep == "score":
        value = group.column("score").to_numpy()
    else:
        value = None
    keeper_pos = np.empty(len(root), np.int64)
    for s, e in zip(starts, ends, strict=True):
        best = s if value is None else s + int(np.argmax(value[s:e]))
        keeper_pos[s:e] = best
    duplicate = keeper_pos != np.arange(len(root))
    dup = np.flatnonzero(duplicate)
    sigs = _sig_matrix(group.column("sig"), setup.num_perm)
    texts = group.column("text")
    sims = _similarities(
        setup,
        sigs[dup],
        sigs[keeper_pos[dup]],
        texts.take(pa.array(dup)).to_pylist(),
        texts.take(pa.array(keeper_pos[dup])).to_pylist(),
    )
    similarity = np.full(len(root), np.nan, np.float32)
    similarity[dup] = sims.astype(np.float32)
    return pa.table(
        {
            "row": node,
            "cluster_id": root,
            "is_duplicate": duplicate,
            "similarity": similarity,
            "length": group.column("length").to_numpy(),
        }
    )


class RayDeduplication(_shared.TableResult):
    """The outcome of :func:`dedup`: the annotated Dataset and the summary.

    It has the shape of every thresher result (:class:`thresher._results.TableResult`,
    as the local :class:`thresher.dedup.Deduplication`): :attr:`table` (collected on
    the driver), :meth:`batches` and ``write(path)`` (streamed to the driver in row
    order, a file or a directory of shards, never collected whole); to keep it
    distributed, use :attr:`dataset` (e.g. ``dataset.write_parquet(folder)``).

    Attributes
    ----------
    dataset
        The rows with ``cluster_id``, ``is_duplicate`` and ``similarity`` columns
        (``output="annotate"``) or only the kept rows (``output="keep"``), with the
        ``thresher_row`` column; lazy.
    summary
        The same counts as the local :class:`thresher.dedup.DedupSummary`.
    rounds
        Large-star/small-star rounds the connected components took.
    """

    def __init__(self, dataset: ray.data.Dataset, summary: DedupSummary, rounds: int) -> None:
        self.dataset = dataset
        self.summary = summary
        self.rounds = rounds
        self._table: pa.Table | None = None

    @property
    def table(self) -> pa.Table:
        """The result materialised on the driver: :attr:`dataset` executed and collected
        in row order, without the ``thresher_row`` column, equal to the local
        :attr:`thresher.dedup.Deduplication.table` (computed once, then kept)."""
        if self._table is None:
            with thresher_errors():
                parts = ray.get(self.dataset.to_arrow_refs())
            table = pa.concat_tables([p for p in parts if p.num_rows] or parts[:1])
            table = table.take(pa.array(np.argsort(table.column(ROW).to_numpy(), kind="stable")))
            self._table = table.drop_columns([ROW]).combine_chunks()
        return self._table

    def batches(self) -> Iterator[pa.RecordBatch]:
        """The rows of :attr:`table`, in row order, streamed to the driver batch by
        batch (the dataset sorted by row in the cluster), never collected whole; what
        ``write(path)`` writes."""
        if self._table is not None:
            yield from self._table.to_batches()
            return
        with thresher_errors():
            ordered = self.dataset.sort(ROW)
            for table in ordered.iter_batches(batch_format="pyarrow", batch_size=8192):
                yield from table.drop_columns([ROW]).to_batches()

    @property
    def schema(self) -> pa.Schema:
        """The schema of :attr:`table` (from the dataset, without running it whole)."""
        if self._table is not None:
            return self._table.schema
        with thresher_errors():
            schema = self.dataset.schema()
        base: pa.Schema = schema.base_schema
        return base.remove(base.get_field_index(ROW))

    def to_arrow(self) -> pa.Table:
        """The result on the driver, in row order, without helper columns (:attr:`table`)."""
        return self.table

    def __len__(self) -> int:
        """Documents in the corpus (the local :class:`~thresher.dedup.Deduplication`'s
        length), known from the summary without collecting the rows."""
        return self.summary.documents

    def __repr__(self) -> str:
        return f"RayDeduplication({self.summary})"


def _annotate(batch: pa.Table, result: pa.Table, output: str) -> pa.Table:
    rows = row_ids(batch)
    known = result.column("row").to_numpy()
    pos = np.searchsorted(known, rows)
    pos_clipped = np.minimum(pos, max(len(known) - 1, 0))
    hit = (
        (len(known) > 0) & (known[pos_clipped] == rows) if len(known) else np.zeros(len(rows), bool)
    )
    cluster = rows.copy()
    duplicate = np.zeros(len(rows), bool)
    similarity = np.full(len(rows), np.nan, np.float32)
    if len(known):
        cluster[hit] = result.column("cluster_id").to_numpy()[pos_clipped[hit]]
        duplicate[hit] = result.column("is_duplicate").to_numpy(zero_copy_only=False)[
            pos_clipped[hit]
        ]
        similarity[hit] = result.column("similarity").to_numpy()[pos_clipped[hit]]
    if output == "keep":
        return batch.filter(pa.array(~duplicate))
    batch = batch.append_column("cluster_id", pa.array(cluster.astype(np.int64)))
    batch = batch.append_column("is_duplicate", pa.array(duplicate))
    return batch.append_column(
        "similarity", pa.array(similarity, pa.float32(), mask=np.isnan(similarity))
    )


def _shuffle(
    dataset: ray.data.Dataset, fn: Callable[..., pa.Table], partitions: int, **kwargs: Any
) -> ray.data.Dataset:
    """``fn`` on every partition of ``dataset`` by its bucket column (one call per
    bucket value: ``partitions`` calls)."""
    return dataset.groupby(_BUCKET, num_partitions=partitions).map_groups(
        fn, batch_format="pyarrow", fn_kwargs=kwargs or None
    )


def _join(
    docs: ray.data.Dataset,
    pairs: ray.data.Dataset,
    key: str,
    fn: Callable[..., pa.Table],
    setup: _Setup,
    with_setup: bool = False,
) -> ray.data.Dataset:
    """``fn`` on each partition holding the pairs keyed by ``key`` and their documents
    (``fn(group, setup=setup)`` if ``with_setup``)."""
    p = setup.partitions
    rows = per_block(docs, _join_rows, key=ROW, partitions=p, docs=True, setup=setup)
    keyed = per_block(pairs, _join_rows, key=key, partitions=p, docs=False, setup=setup)
    kwargs = {"setup": setup} if with_setup else {}
    return _shuffle(rows.union(keyed), fn, p, **kwargs)


def _total(dataset: ray.data.Dataset, column: str) -> int:
    total = 0
    for batch in dataset.select_columns([column]).iter_batches(
        batch_format="pyarrow", batch_size=None
    ):
        total += int(batch.column(column).to_numpy().sum())
    return total


def dedup(
    dataset: ray.data.Dataset,
    threshold: float = 0.8,
    num_perm: int = 128,
    ngram: int = 5,
    *,
    keep: KeepPolicy = "first",
    score: str | None = None,
    verify: Literal["signature", "exact"] = "exact",
    bands: int | None = None,
    rows: int | None = None,
    fp_weight: float = 0.05,
    fn_weight: float = 0.95,
    scheme: Scheme = "thresher",
    seed: int = 1,
    unit: Unit = "word",
    lowercase: bool = True,
    punctuation: bool = True,
    digits: bool = False,
    nfkc: bool = False,
    text_column: str = "text",
    output: Literal["annotate", "keep"] = "annotate",
    partitions: int | None = None,
) -> RayDeduplication:
    """Near-duplicate detection on Ray: :func:`thresher.dedup` (``method="minhash"``)
    on a Dataset with global row ids, with the same result.

    The parameters are those of :func:`thresher.dedup`; ``score`` is a column name.
    ``partitions`` is the number of shuffle partitions (default: 4 per CPU of the
    cluster, at least 8). Returns a :class:`RayDeduplication`.
    """
    _shared.check_dedup_policy(output, keep, score)
    near = _shared.NearOptions(
        threshold=threshold,
        shingling=_shared.Shingling(
            num_perm, ngram, scheme, seed, unit, lowercase, punctuation, digits, nfkc
        ),
        bands=bands,
        rows=rows,
        fp_weight=fp_weight,
        fn_weight=fn_weight,
        verify=verify,
        keep=keep,
        score=score,
    )
    hasher, band_count, row_count, _ = near.setup()  # score is a column name: no values
    check_column(dataset.schema(), text_column)
    if score is not None:
        check_column(dataset.schema(), score, "score column")
    if partitions is None:
        cpus = int(ray.cluster_resources().get("CPU", 2))
        partitions = max(8, 4 * cpus)
    setup = _Setup(
        hasher,
        num_perm,
        band_count,
        row_count,
        float(threshold),
        verify,
        keep,
        text_column,
        score,
        partitions,
    )
    with thresher_errors():
        sigs = per_block(dataset, _signatures, setup=setup).materialize()
        if sigs.num_blocks() > setup.partitions:
            # Every shuffle runs one map task per input block: fewer, larger blocks
            # (a split/merge, not a shuffle) keep the many small ones cheap.
            sigs = sigs.repartition(setup.partitions).materialize()
        documents = sigs.count()
        if documents == 0:
            raise located(EmptyInputError, "corpus is empty: no document to deduplicate")
        pairs = _shuffle(
            sigs.map_batches(_band_keys, batch_format="pyarrow", fn_kwargs={"setup": setup}),
            _band_pairs,
            setup.partitions,
            setup=setup,
        ).materialize()
        needed = np.unique(
            np.concatenate(
                [np.empty(0, np.int64)]
                + [
                    b.column("id").to_numpy()
                    for b in pairs.map_batches(
                        _ids, batch_format="pyarrow", fn_kwargs={"columns": ["i", "j"]}
                    ).iter_batches(batch_format="pyarrow", batch_size=None)
                ]
            )
        )
        result, counts, rounds = _cluster(sigs, pairs, needed, setup)
        summary = DedupSummary(
            documents=documents,
            bytes=_total(sigs, "length"),
            bands=band_count,
            rows=row_count,
            **counts,
        )
    annotated = dataset.map_batches(
        _annotate,
        batch_format="pyarrow",
        zero_copy_batch=True,
        fn_kwargs={"result": result, "output": output},
    )
    return RayDeduplication(annotated, summary, rounds)


def _cluster(
    sigs: ray.data.Dataset, pairs: ray.data.Dataset, needed: npt.NDArray[np.int64], setup: _Setup
) -> tuple[pa.Table, dict[str, int], int]:
    """Verified pairs, components and survivors; the per-document results of the
    clustered documents (sorted by row) and the summary counts."""
    empty = pa.table(
        {
            "row": pa.array([], pa.int64()),
            "cluster_id": pa.array([], pa.int64()),
            "is_duplicate": pa.array([], pa.bool_()),
            "similarity": pa.array([], pa.float32()),
            "length": pa.array([], pa.int64()),
        }
    )
    counts = {"clusters": 0, "duplicates": 0, "bytes_removed": 0}
    if needed.size == 0:
        return empty, {**counts, "candidate_pairs": 0, "verified_pairs": 0}, 0
    p = setup.partitions
    needed_ref = ray.put(needed)
    docs = sigs.map_batches(
        _only, batch_format="pyarrow", zero_copy_batch=True, fn_kwargs={"needed": needed_ref}
    )
    first = _join(docs, pairs, "i", _attach_first, setup)
    verified = _join(docs, first, "j", _verify_second, setup, with_setup=True).materialize()
    candidate_pairs = _total(verified, "candidates")
    edges = verified.map_batches(
        lambda b: b.filter(pa.array(b.column("a").to_numpy() >= 0)).select(["a", "b"]),
        batch_format="pyarrow",
    ).materialize()
    verified_pairs = edges.count()
    if verified_pairs == 0:
        return empty, {**counts, "candidate_pairs": candidate_pairs, "verified_pairs": 0}, 0
    labels, rounds = components(edges, p)
    members = _shuffle(
        docs.map_batches(
            _member_rows,
            batch_format="pyarrow",
            fn_kwargs={"partitions": p, "labels": False, "setup": setup},
        ).union(
            labels.map_batches(
                _member_rows,
                batch_format="pyarrow",
                fn_kwargs={"partitions": p, "labels": True, "setup": setup},
            )
        ),
        _attach_root,
        p,
    ).map_batches(
        lambda b: b.append_column(
            _BUCKET, pa.array((b.column("root").to_numpy() % p).astype(np.int64))
        ),
        batch_format="pyarrow",
    )
    kept = _shuffle(members, _keep_block, p, setup=setup)
    parts = [t for t in ray.get(kept.to_arrow_refs()) if t.num_rows]
    result = pa.concat_tables(parts) if parts else empty
    result = result.take(pa.array(np.argsort(result.column("row").to_numpy(), kind="stable")))
    duplicate = result.column("is_duplicate").to_numpy(zero_copy_only=False)
    cluster = result.column("cluster_id").to_numpy()
    counts = {
        "clusters": int(np.unique(cluster).size),
        "duplicates": int(duplicate.sum()),
        "bytes_removed": int(result.column("length").to_numpy()[duplicate].sum()),
    }
    return (
        result,
        {**counts, "candidate_pairs": candidate_pairs, "verified_pairs": verified_pairs},
        rounds,
    )


def _only(batch: pa.Table, needed: Any) -> pa.Table:
    wanted = ray.get(needed) if isinstance(needed, ray.ObjectRef) else needed
    return batch.filter(pa.array(np.isin(batch.column(ROW).to_numpy(), wanted)))
