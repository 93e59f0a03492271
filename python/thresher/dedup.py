"""Deduplication: exact and near-duplicate (MinHash + LSH + verified clusters).

:class:`MinHasher` computes MinHash signatures (thresher's fast scheme, or datasketch's
``affine32`` and ``legacy`` schemes bit for bit); :func:`dedup` finds the duplicate
documents of a corpus and returns it annotated (or only the kept rows) with a summary.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, NoReturn

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from thresher import _core
from thresher import _validation as check
from thresher._memory import default_memory, parse_memory
from thresher._persist import Persistent, State
from thresher.exceptions import invalid_parameter
from thresher.io.sources import SourceLike, call_kernel, read
from thresher.progress import ProgressBar

__all__ = [
    "DedupSummary",
    "Deduplication",
    "MinHasher",
    "clusters_of_signatures",
    "dedup",
    "optimal_param",
]

Scheme = Literal["thresher", "affine32", "legacy"]
Unit = Literal["word", "char"]
KeepPolicy = Literal["first", "longest", "score"]


def _invalid(parameter: str, message: str) -> NoReturn:
    raise invalid_parameter(parameter, message)


def _texts_table(texts: Any) -> pa.Table:
    """A one-column table ``text`` from a list of str, an Arrow array or chunked array,
    or anything exporting ``__arrow_c_array__`` / ``__arrow_c_stream__``."""
    if isinstance(texts, pa.Table):
        return texts
    if isinstance(texts, (pa.Array, pa.ChunkedArray)):
        column = texts
    elif isinstance(texts, (list, tuple)):
        column = pa.array(texts, pa.large_string()) if texts else pa.array([], pa.string())
    elif hasattr(texts, "__arrow_c_stream__") or hasattr(texts, "__arrow_c_array__"):
        column = pa.chunked_array(texts) if hasattr(texts, "__arrow_c_stream__") else None
        if column is None:
            column = pa.array(texts)
    else:
        _invalid("texts", f"expected a list of str or an Arrow string array, got {type(texts)}")
    if not (
        pa.types.is_string(column.type)
        or pa.types.is_large_string(column.type)
        or pa.types.is_string_view(column.type)
    ):
        _invalid("texts", f"must be strings, got an array of {column.type}")
    return pa.table({"text": column})


class MinHasher(Persistent):
    """MinHash signatures of documents.

    Parameters
    ----------
    num_perm
        Permutations (signature length).
    ngram
        Units per shingle; a document shorter than that gives one shingle of all its
        units.
    scheme
        ``"thresher"`` (default, fast): XXH3-64 shingle hashes combined from token
        hashes, affine permutations ``a*x + b mod 2**32`` on 32-bit lanes (SIMD).
        ``"affine32"``: datasketch >= 2.0's default, bit for bit. ``"legacy"``:
        datasketch < 2.0, bit for bit. For both datasketch schemes, a shingle is fed to
        datasketch as ``m.update(shingle.encode("utf8"))`` with the strings of
        :meth:`shingles`, and ``MinHash(num_perm, seed=seed, scheme=...)``.
    seed
        Seed of the permutations (below 2**32 for the datasketch schemes).
    unit
        ``"word"`` n-grams (whitespace tokens of the normalised text) or ``"char"``
        n-grams.
    lowercase, punctuation, digits, nfkc
        Normalisation before shingling: lowercase; characters neither word nor
        space become spaces; numeric characters become ``0``; Unicode NFKC (slow).
        Whitespace is always collapsed.

    Examples
    --------
    >>> hasher = MinHasher(num_perm=64, ngram=2)
    >>> sigs = hasher.signatures(["the cat sat on the mat", "the cat sat on a mat", "dogs"])
    >>> sigs.shape, sigs.dtype
    ((3, 64), dtype('uint32'))
    >>> float((sigs[0] == sigs[1]).mean()) > 0.3, float((sigs[0] == sigs[2]).mean())
    (True, 0.0)
    >>> hasher.shingles("The cat, sat!")
    ['the cat', 'cat sat']
    """

    def __init__(
        self,
        num_perm: int = 128,
        ngram: int = 5,
        *,
        scheme: Scheme = "thresher",
        seed: int = 1,
        unit: Unit = "word",
        lowercase: bool = True,
        punctuation: bool = True,
        digits: bool = False,
        nfkc: bool = False,
    ) -> None:
        num_perm = check.count("num_perm", num_perm, minimum=1, maximum=65536)
        ngram = check.count("ngram", ngram, minimum=1, maximum=64)
        seed = check.seed(seed)
        self.ngram = ngram
        self.unit = unit
        self.normalization = {
            "lowercase": lowercase,
            "punctuation": punctuation,
            "digits": digits,
            "nfkc": nfkc,
        }
        self._core = _core.MinHasher(
            num_perm, ngram, scheme, seed, unit, lowercase, punctuation, digits, nfkc
        )

    @property
    def num_perm(self) -> int:
        """Permutations per signature."""
        return self._core.num_perm

    @property
    def scheme(self) -> str:
        """The permutation scheme."""
        return self._core.scheme

    @property
    def seed(self) -> int:
        """The seed of the permutations."""
        return self._core.seed

    def shingles(self, text: str) -> list[str]:
        """The shingles of ``text`` (in order, with repeats) as thresher hashes them."""
        return self._core.shingles(text)

    def signatures(self, texts: Any, *, quiet: bool = True) -> npt.NDArray[np.uint32]:
        """Signatures of ``texts``: a ``(len(texts), num_perm)`` uint32 matrix.

        ``texts`` is a list of str, a pyarrow ``Array``/``ChunkedArray`` of strings, or
        any Arrow-exportable string column. The matrix owns the Rust buffer (no copy);
        empty documents get ``2**32 - 1`` in every slot.
        """
        if isinstance(texts, list):
            return self._core.signatures_of_list(texts)
        table = _texts_table(texts)
        bar = ProgressBar("minhash", quiet=quiet)
        out = self._core.signatures(table, "text", bar)
        bar.close()
        return out

    def __repr__(self) -> str:
        return (
            f"MinHasher(num_perm={self.num_perm}, ngram={self.ngram}, scheme={self.scheme!r}, "
            f"seed={self.seed}, unit={self.unit!r})"
        )

    # Saved and pickled through thresher._persist: the parameters rebuild the hasher.
    FORMAT = "thresher.minhasher"
    FORMAT_VERSION = 1

    def _to_state(self) -> State:
        header = {
            "num_perm": self.num_perm,
            "ngram": self.ngram,
            "scheme": self.scheme,
            "seed": self.seed,
            "unit": self.unit,
            **self.normalization,
        }
        return header, {}

    @classmethod
    def _from_state(cls, header: dict[str, Any], arrays: dict[str, Any], where: str) -> MinHasher:
        names = ("num_perm", "ngram", "scheme", "seed", "unit")
        flags = ("lowercase", "punctuation", "digits", "nfkc")
        return cls(*(header[n] for n in names[:2]), **{n: header[n] for n in names[2:] + flags})


def optimal_param(
    threshold: float, num_perm: int = 128, fp_weight: float = 0.5, fn_weight: float = 0.5
) -> tuple[int, int]:
    """LSH ``(bands, rows)`` for a Jaccard ``threshold``, as datasketch's ``MinHashLSH``
    chooses them: the minimum of ``fp_weight * P(false positive) + fn_weight *
    P(false negative)`` integrated over the S-curve.

    Examples
    --------
    >>> optimal_param(0.8, 128)
    (9, 13)
    """
    return _core.optimal_param(threshold, num_perm, fp_weight, fn_weight)


@dataclass(frozen=True)
class DedupSummary:
    """Counts of a deduplication run."""

    documents: int
    clusters: int
    duplicates: int
    bytes: int
    bytes_removed: int
    candidate_pairs: int
    verified_pairs: int
    bands: int
    rows: int

    @property
    def kept(self) -> int:
        """Documents kept."""
        return self.documents - self.duplicates

    def __str__(self) -> str:
        share = self.duplicates / self.documents if self.documents else 0.0
        text = (
            f"{self.documents:,} documents, {self.clusters:,} duplicate clusters, "
            f"{self.duplicates:,} removed ({share:.2%}), {self.kept:,} kept; "
            f"{self.bytes_removed / 1e6:,.1f} MB of {self.bytes / 1e6:,.1f} MB saved"
        )
        if self.bands:
            text += (
                f"; LSH {self.bands} bands x {self.rows} rows, "
                f"{self.candidate_pairs:,} candidate pairs, {self.verified_pairs:,} verified"
            )
        return text


class Deduplication:
    """The outcome of :func:`dedup`.

    Attributes
    ----------
    table
        The corpus with ``cluster_id`` (smallest row index of the document's cluster),
        ``is_duplicate`` and ``similarity`` (to the kept document of its cluster; null
        for kept documents) columns, or only the kept rows (``output="keep"``). Built
        from :meth:`batches` on first access; :meth:`write` streams instead, so an
        output far larger than memory never needs it.
    cluster_id, is_duplicate, similarity
        The same as numpy arrays over every document (``similarity`` NaN where null).
    summary
        Counts: documents, clusters, duplicates removed, bytes saved.
    """

    def __init__(
        self,
        out: _core.Duplicates,
        rows: Callable[[], pa.RecordBatchReader],
        output: str,
    ) -> None:
        self.cluster_id: npt.NDArray[np.uint64] = out.cluster_id
        self.is_duplicate: npt.NDArray[np.bool_] = out.is_duplicate
        self.similarity: npt.NDArray[np.float32] = out.similarity
        s = out.summary
        self.summary = DedupSummary(**{f: getattr(s, f) for f in DedupSummary.__dataclass_fields__})
        self.output = output
        self._rows = rows
        self._table: pa.Table | None = None

    def batches(self) -> Iterator[pa.RecordBatch]:
        """The rows of :attr:`table`, batch by batch: the corpus is read again and each
        batch annotated or filtered as it comes, so the output is never held whole.

        Each call reads the corpus anew (a one-shot stream was kept in memory by
        :func:`dedup`).
        """
        if self._table is not None:
            yield from self._table.to_batches()
            return
        yield from _annotate(self._rows(), self._columns(), self.output)

    def _columns(self) -> _Columns:
        return _Columns(
            pa.array(self.cluster_id.astype(np.int64)),
            pa.array(self.is_duplicate),
            pa.array(self.similarity, mask=np.isnan(self.similarity)),
        )

    @property
    def schema(self) -> pa.Schema:
        """The schema of :attr:`table` (and of every batch of :meth:`batches`)."""
        return _output_schema(self._rows().schema, self.output)

    @property
    def table(self) -> pa.Table:
        """The annotated corpus or the kept rows (see the class documentation), built
        from :meth:`batches` on first access; :meth:`write` never builds it."""
        if self._table is None:
            self._table = pa.Table.from_batches(list(self.batches()), schema=self.schema)
        return self._table

    def __len__(self) -> int:
        return len(self.is_duplicate)

    @property
    def removed(self) -> npt.NDArray[np.int64]:
        """Row indices of the duplicates."""
        return np.flatnonzero(self.is_duplicate)

    def write(self, path: str | os.PathLike[str], **options: Any) -> Path | str:
        """Stream :meth:`batches` to ``path``: a file (``.parquet``, ``.jsonl``,
        ``.jsonl.zst``...) or a directory of shards (``out/``), local or a URL;
        ``options`` go to :func:`thresher.io.writers.open_output` (``shard_size``,
        ``format``, ``kind``, ``parameters``, ``inputs``)."""
        from thresher.io.writers import open_output

        options.setdefault("kind", "dedup")
        with open_output(path, schema=self.schema, **options) as out:
            for batch in self.batches():
                out.write(batch)
        return out.close()

    def __repr__(self) -> str:
        return f"Deduplication({self.summary})"


def dedup(
    source: SourceLike | None = None,
    threshold: float = 0.8,
    num_perm: int = 128,
    ngram: int = 5,
    *,
    keep: KeepPolicy = "first",
    score: str | Sequence[float] | npt.NDArray[Any] | None = None,
    method: Literal["minhash", "exact"] = "minhash",
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
    quiet: bool = True,
    texts: list[str] | None = None,
    memory: int | str | None = None,
    spill_dir: str | os.PathLike[str] | None = None,
) -> Deduplication:
    """Find and remove duplicate documents.

    ``method="minhash"`` (near-duplicates): MinHash signatures of the shingle sets,
    LSH banding for candidate pairs, each candidate pair verified, union-find clusters
    of the verified pairs. ``method="exact"``: documents whose normalised texts are
    identical (128-bit hash, one streaming pass).

    Parameters
    ----------
    source
        The corpus: paths, globs, tables... (anything :func:`thresher.read` takes).
    threshold
        Jaccard similarity at which two documents are duplicates, in (0, 1).
    num_perm, ngram, scheme, seed, unit, lowercase, punctuation, digits, nfkc
        Signatures and shingling, as in :class:`MinHasher`.
    keep
        The document kept in each cluster: ``"first"`` (lowest row), ``"longest"``
        (most bytes of text) or ``"score"`` (highest ``score``); ties go to the first.
    score
        With ``keep="score"``: a numeric column's name, or one value per document.
    verify
        How a candidate pair is confirmed: ``"exact"`` (default), its exact Jaccard
        similarity over the two shingle-hash sets, computed for candidate documents
        only in a second read of the corpus; ``"signature"``, the share of equal
        signature slots (one read, but an estimate with standard deviation
        ``sqrt(J(1-J)/num_perm)``, 0.035 at 0.8 and 128: pairs near the threshold
        fall on either side).
    bands, rows
        LSH banding. By default chosen from the threshold as datasketch's
        ``MinHashLSH`` does (:func:`optimal_param`), with weights ``fp_weight`` and
        ``fn_weight`` that favour recall: candidates are verified, so a false
        positive costs one comparison while a false negative is a duplicate kept.
        At 0.8 and 128 permutations this gives 16 bands x 8 rows (a pair of Jaccard
        0.8 becomes a candidate with probability 0.95; datasketch's default weights
        of 0.5 give 9 x 13 and 0.40). ``bands`` alone needs ``num_perm`` divisible
        by it.
    text_column
        The column holding the text.
    output
        ``"annotate"``: every row plus ``cluster_id``, ``is_duplicate``,
        ``similarity``; ``"keep"``: only the kept rows, original columns.
    quiet
        No progress bar.
    texts
        Instead of ``source``: the documents as a list of ``str``, read in place
        without a conversion to Arrow (the output table has one column ``text``).
    memory
        Budget of the near-duplicate signatures and LSH band keys (about
        ``4 * num_perm + 16`` bytes a document): bytes or a size such as ``"4GB"``;
        ``None``: a quarter of physical memory, at most 4 GiB. Past it they go to
        disk in ``spill_dir`` and are sorted externally, with the same results.
        Texts given as ``texts`` are always clustered in memory.
    spill_dir
        Directory of the spill files (default: the system's temporary directory).
        They are removed at the end of the run, also when it fails.

    Examples
    --------
    >>> import pyarrow as pa
    >>> docs = ["the quick brown fox jumps over the lazy dog",
    ...         "The quick brown fox jumps over the lazy dog!",
    ...         "a completely different sentence about cats and their habits"]
    >>> result = dedup(pa.table({"text": docs}), threshold=0.7, ngram=3)
    >>> result.is_duplicate.tolist(), result.cluster_id.tolist()
    ([False, True, False], [0, 0, 2])
    >>> print(result.summary)  # doctest: +ELLIPSIS
    3 documents, 1 duplicate clusters, 1 removed (33.33%), 2 kept; ...
    """
    check.choice("method", method, ("minhash", "exact"))
    _check_policy(output, keep, score)
    budget = _budget(memory, spill_dir)
    if (source is None) == (texts is None):
        _invalid("source", "give exactly one of source and texts")
    near = _NearOptions(
        threshold=threshold,
        shingling=_Shingling(
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
    if texts is not None:
        if not isinstance(texts, list):
            _invalid("texts", f"must be a list of str, got {type(texts).__name__}")
        if method == "exact":
            return dedup(
                pa.table({"text": texts}),
                method="exact",
                lowercase=lowercase,
                punctuation=punctuation,
                digits=digits,
                nfkc=nfkc,
                output=output,
                quiet=quiet,
            )
        hasher, band_count, row_count, score_values = near.setup()
        out = _core.near_dedup_texts(
            hasher._core,
            texts,
            float(threshold),
            band_count,
            row_count,
            near.verify,
            keep,
            score_values,
        )
        table = pa.table({"text": texts})
        return Deduplication(out, table.to_reader, output)
    src = read(source, text_column=text_column)
    if not src.reopenable:  # a one-shot stream: keep it, the output needs its rows
        src = read(src.to_reader().read_all(), text_column=text_column)
    bar = ProgressBar("dedup", src.total_bytes, quiet=quiet)
    if method == "exact":
        if keep != "first":
            _invalid("keep", "exact deduplication keeps the first copy (keep='first')")
        out = call_kernel(
            src,
            _core.exact_dedup,
            src.stream(),
            src.text_column,
            lowercase,
            punctuation,
            digits,
            nfkc,
            bar,
        )
    else:
        hasher, band_count, row_count, score_values = near.setup()
        out = call_kernel(
            src,
            functools.partial(_core.near_dedup, memory=budget[0], spill_dir=budget[1]),
            hasher._core,
            src.stream(),
            src.text_column,
            float(threshold),
            band_count,
            row_count,
            near.verify,
            keep,
            score if isinstance(score, str) else None,
            score_values,
            _core.LSH_MAX_GROUP,
            src.stream() if near.verify == "exact" else None,
            bar,
        )
    bar.close()
    return Deduplication(out, src.to_reader, output)


def _budget(
    memory: int | str | None, spill_dir: str | os.PathLike[str] | None
) -> tuple[int, str | None]:
    """The memory budget in bytes and the checked spill directory."""
    budget = default_memory() if memory is None else parse_memory(memory)
    if spill_dir is None:
        return budget, None
    if not isinstance(spill_dir, (str, os.PathLike)) or not os.path.isdir(spill_dir):
        _invalid("spill_dir", f"must be an existing directory, got {spill_dir!r}")
    return budget, os.fspath(spill_dir)


def clusters_of_signatures(
    signatures: npt.NDArray[np.uint32],
    threshold: float = 0.8,
    *,
    bands: int | None = None,
    rows: int | None = None,
    keep: Literal["first", "longest", "score"] = "first",
    score: Sequence[float] | npt.NDArray[Any] | None = None,
    lengths: Sequence[int] | npt.NDArray[Any] | None = None,
    fp_weight: float = 0.05,
    fn_weight: float = 0.95,
    memory: int | str | None = None,
    spill_dir: str | os.PathLike[str] | None = None,
) -> Deduplication:
    """Near-duplicate clusters of documents from their MinHash signatures.

    For signatures computed earlier (for example by :meth:`MinHasher.signatures`
    in one pass of a pipeline): LSH candidates, verified by signature agreement, and
    union-find clusters, exactly as :func:`dedup` with ``verify="signature"`` on the
    same documents. A row of ``2**32 - 1`` in every slot is an empty document.

    Parameters
    ----------
    signatures
        ``(documents, num_perm)`` uint32 matrix, a row per document.
    threshold, bands, rows, fp_weight, fn_weight
        As in :func:`dedup`.
    keep
        ``"first"``, ``"longest"`` (needs ``lengths``) or ``"score"`` (needs
        ``score``); ties go to the first.
    score
        With ``keep="score"``: one value per document.
    lengths
        Text bytes of each document (for ``keep="longest"`` and the summary's byte
        counts, 0 without them).
    memory, spill_dir
        Memory budget and spill directory, as in :func:`dedup`.

    Returns
    -------
    Deduplication
        ``table`` holds the columns ``cluster_id``, ``is_duplicate`` and
        ``similarity``, a row per document.

    Examples
    --------
    >>> hasher = MinHasher(num_perm=64, ngram=3)
    >>> sigs = hasher.signatures(["the quick brown fox jumps over the lazy dog",
    ...                           "the quick brown fox jumps over the lazy dog too",
    ...                           "something else entirely, about cats and dogs"])
    >>> result = clusters_of_signatures(sigs, threshold=0.6)
    >>> result.is_duplicate.tolist(), result.cluster_id.tolist()
    ([False, True, False], [0, 0, 2])
    >>> result.table.column_names
    ['cluster_id', 'is_duplicate', 'similarity']
    """
    if not isinstance(signatures, np.ndarray) or signatures.ndim != 2:
        _invalid("signatures", "must be a 2-D numpy array of uint32")
    if signatures.dtype != np.uint32:
        _invalid("signatures", f"must be uint32 (as MinHasher makes them), got {signatures.dtype}")
    if not isinstance(threshold, (int, float)) or not 0.0 < threshold < 1.0:
        check.fail("threshold", "a number strictly between 0 and 1", threshold)
    check.choice("keep", keep, ("first", "longest", "score"))
    if (keep == "score") != (score is not None):
        _invalid("score", "give score values exactly when keep='score'")
    if isinstance(score, str):
        _invalid("score", "signatures have no columns: give one value per document")
    if keep == "longest" and lengths is None:
        _invalid("lengths", "keep='longest' needs the text length of each document")
    budget = _budget(memory, spill_dir)
    num_perm = signatures.shape[1]
    band_count, row_count = _banding(threshold, num_perm, bands, rows, fp_weight, fn_weight)
    values = None if score is None else np.asarray(score, dtype=np.float64).tolist()
    length_array = None
    if lengths is not None:
        raw = np.asarray(lengths)
        if raw.ndim != 1 or (raw.size and (raw.dtype.kind not in "iu" or raw.min() < 0)):
            _invalid("lengths", "must be non-negative integers, one per document")
        length_array = np.ascontiguousarray(raw, dtype=np.uint64)
    out = _core.near_dedup_signatures(
        np.ascontiguousarray(signatures),
        float(threshold),
        band_count,
        row_count,
        keep,
        values,
        length_array,
        _core.LSH_MAX_GROUP,
        memory=budget[0],
        spill_dir=budget[1],
    )
    return Deduplication(out, _annotation_table, "annotate")


def _annotation_table(out: _core.Duplicates) -> pa.Table:
    """The annotations alone, a row per document."""
    return pa.table(
        {
            "cluster_id": pa.array(out.cluster_id.astype(np.int64)),
            "is_duplicate": pa.array(out.is_duplicate),
            "similarity": pa.array(out.similarity, mask=np.isnan(out.similarity)),
        }
    )


def _check_policy(output: str, keep: str, score: object) -> None:
    """The checks of ``output``, ``keep`` and ``score`` (a column name or values, given
    exactly when ``keep="score"``) of every near-duplicate run, local or on Ray."""
    check.choice("output", output, ("annotate", "keep"))
    check.choice("keep", keep, ("first", "longest", "score"))
    if (keep == "score") != (score is not None):
        _invalid("score", "give a score (column name or values) exactly when keep='score'")


@dataclass(frozen=True)
class _Shingling:
    """The :class:`MinHasher` arguments of a :func:`dedup` run."""

    num_perm: int
    ngram: int
    scheme: Scheme
    seed: int
    unit: Unit
    lowercase: bool
    punctuation: bool
    digits: bool
    nfkc: bool

    def hasher(self) -> MinHasher:
        return MinHasher(
            self.num_perm,
            self.ngram,
            scheme=self.scheme,
            seed=self.seed,
            unit=self.unit,
            lowercase=self.lowercase,
            punctuation=self.punctuation,
            digits=self.digits,
            nfkc=self.nfkc,
        )


@dataclass(frozen=True)
class _NearOptions:
    """The near-duplicate arguments of a :func:`dedup` run, grouped (the public
    signature keeps its keywords). ``verify`` always reaches the binding from here, so
    the default is :func:`dedup`'s, never the binding's own."""

    threshold: float
    shingling: _Shingling
    bands: int | None
    rows: int | None
    fp_weight: float
    fn_weight: float
    verify: Literal["signature", "exact"]
    keep: KeepPolicy
    score: str | Sequence[float] | npt.NDArray[Any] | None

    def setup(self) -> tuple[MinHasher, int, int, list[float] | None]:
        """The hasher, banding and score values (checking the threshold first)."""
        threshold = self.threshold
        if not isinstance(threshold, (int, float)) or not 0.0 < threshold < 1.0:
            check.fail("threshold", "a number strictly between 0 and 1", threshold)
        check.choice("verify", self.verify, ("signature", "exact"))
        hasher = self.shingling.hasher()
        num_perm = self.shingling.num_perm
        bands, rows = _banding(
            threshold, num_perm, self.bands, self.rows, self.fp_weight, self.fn_weight
        )
        values = None
        if self.score is not None and not isinstance(self.score, str):
            values = np.asarray(self.score, dtype=np.float64).tolist()
        return hasher, bands, rows, values


def _banding(
    threshold: float,
    num_perm: int,
    bands: int | None,
    rows: int | None,
    fp_weight: float,
    fn_weight: float,
) -> tuple[int, int]:
    if bands is None and rows is None:
        return optimal_param(threshold, num_perm, fp_weight, fn_weight)
    bands = check.optional_count("bands", bands, minimum=1)
    rows = check.optional_count("rows", rows, minimum=1)
    if rows is None:
        assert bands is not None
        if num_perm % bands:
            _invalid("bands", f"num_perm = {num_perm} must be a multiple of bands = {bands}")
        return bands, num_perm // bands
    if bands is None:
        if num_perm % rows:
            _invalid("rows", f"num_perm = {num_perm} must be a multiple of rows = {rows}")
        return num_perm // rows, rows
    if bands * rows > num_perm:
        _invalid("bands", f"bands x rows = {bands} x {rows} exceeds num_perm = {num_perm}")
    return bands, rows


@dataclass(frozen=True)
class _Columns:
    """The dedup columns over every document, as Arrow arrays (sliced per batch)."""

    cluster_id: pa.Array
    is_duplicate: pa.Array
    similarity: pa.Array


def _output_schema(schema: pa.Schema, output: str) -> pa.Schema:
    if output == "annotate":
        schema = schema.append(pa.field("cluster_id", pa.int64()))
        schema = schema.append(pa.field("is_duplicate", pa.bool_()))
        schema = schema.append(pa.field("similarity", pa.float32()))
    return schema


def _annotate(
    reader: pa.RecordBatchReader, columns: _Columns, output: str
) -> Iterator[pa.RecordBatch]:
    """The corpus read again, annotated or filtered batch by batch."""
    schema = _output_schema(reader.schema, output)
    offset = 0
    with reader:
        for batch in reader:
            n = batch.num_rows
            if output == "annotate":
                arrays = [
                    *batch.columns,
                    columns.cluster_id[offset : offset + n],
                    columns.is_duplicate[offset : offset + n],
                    columns.similarity[offset : offset + n],
                ]
                yield pa.RecordBatch.from_arrays(arrays, schema=schema)
            else:
                keep_mask = pa.compute.invert(columns.is_duplicate[offset : offset + n])
                yield batch.filter(keep_mask)
            offset += n
