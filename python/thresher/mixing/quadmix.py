"""QuaDMix: quality-diversity balanced sampling of documents across domains.

Implements the parameterised sampling function of *QuaDMix: Quality-Diversity
Balanced Data Selection for Efficient LLM Pretraining* (Liu et al., ByteDance, 2025,
arXiv 2504.16511). For a document ``i`` of domain ``m`` with quality scores
``s_1(i) .. s_N(i)``:

1. every score is normalised to its mid-rank percentile
   ``u_n(i) = (#{j: s_n(j) < s_n(i)} + #{j: s_n(j) = s_n(i)} / 2) / n`` counted within
   the domain (``normalize="domain"``, the default), within the corpus
   (``"corpus"``) or not at all (``"none"``);
2. the scores are merged by the domain's weights (Meta-rater style):
   ``q(i) = sum_n alpha_{m,n} u_n(i)``, ``alpha_m >= 0``, ``sum_n alpha_{m,n} = 1``;
3. the quality rank is ``r(i) = 1 - u(q(i))`` within the domain (0 = best, 1 = worst);
4. the expected number of copies is the sampling function

   ``S_m(r) = eta_m * 2 / (1 + exp(lambda_m * (r - omega_m)))`` if ``r <= omega_m``,
   ``0`` otherwise,

   with ``omega_m`` the quality percentile threshold of the domain (the share of it
   kept), ``lambda_m`` the steepness (0 gives a flat rate) and ``eta_m`` the sampling
   rate (copies at the threshold; the best document gets up to ``2 eta_m``).

Note: the paper's method section could not be re-read in the session that wrote this
module (only its abstract, figure captions and secondary summaries: a sigmoid of the
in-domain quality rank with a per-domain threshold, steepness and rate, scores merged
by per-domain weights); the exact constants of ``S`` above (the factor 2, the rank
orientation, ``r <= omega`` inclusive) follow our reading of it and should be checked
before reusing parameters published with the paper.

The sampled corpus takes ``floor(S) + Bernoulli(S - floor(S))`` copies of each
document, the draw coming from ``(seed, row)``: the mean is exactly ``S`` and the
result is the same whatever the thread count. The ranking (a parallel sort per domain
and per score) and the draws run in Rust.

Examples
--------
>>> import numpy as np
>>> from thresher.mixing import quadmix
>>> quality = np.array([0.9, 0.1, 0.5, 0.7, 0.3, 0.8])
>>> domain = np.array(["web", "web", "web", "code", "code", "code"])
>>> params = {"web": quadmix.DomainParams(threshold=0.4, rate=2.0),
...           "code": quadmix.DomainParams(threshold=1.0, rate=0.5)}
>>> quadmix.expected_copies(quality, domain, params).tolist()
[2.0, 0.0, 0.0, 0.5, 0.5, 0.5]
>>> quadmix.sample(quality, domain, params, seed=0).tolist()
[2, 0, 0, 0, 1, 0]
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeAlias

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from thresher import _core, _labels
from thresher import _validation as check
from thresher._results import StreamedRows
from thresher.exceptions import (
    EmptyInputError,
    InvalidParameterError,
    invalid_parameter,
    located,
)

__all__ = [
    "DomainParams",
    "Normalize",
    "expected_copies",
    "quality_ranks",
    "sample",
    "sample_rows",
    "sample_stream",
    "sampling_function",
]

Normalize: TypeAlias = Literal["domain", "corpus", "none"]
#: Quality scores: one 1-D array, a 2-D ``(n, N)`` array, or ``{name: 1-D array}``.
ScoresLike: TypeAlias = "npt.ArrayLike | Mapping[str, npt.ArrayLike]"


@dataclass(frozen=True)
class DomainParams:
    """QuaDMix parameters of one domain.

    Parameters
    ----------
    threshold
        Quality percentile threshold ``omega`` in ``[0, 1]``: documents whose quality
        rank is above it (worse) are never sampled; ``1`` keeps the whole domain.
    steepness
        ``lambda >= 0``: how much more the best documents are sampled than those at
        the threshold (0 = the same rate for all kept documents).
    rate
        ``eta >= 0``: expected copies of a document at the threshold.
    weights
        Merging weights ``alpha`` of the quality scores (non-negative, summing to 1),
        as a sequence in score order or a mapping ``{score name: weight}`` (missing
        names weigh 0). ``None``: equal weights.

    Examples
    --------
    >>> DomainParams(threshold=0.2, steepness=5.0, rate=3.0).rate
    3.0
    """

    threshold: float = 1.0
    steepness: float = 0.0
    rate: float = 1.0
    weights: Sequence[float] | Mapping[str, float] | None = None


def sampling_function(
    rank: npt.ArrayLike, *, threshold: float, steepness: float, rate: float
) -> npt.NDArray[np.float64]:
    """QuaDMix's ``S(r)``: expected copies at quality rank ``r`` (0 = best).

    Examples
    --------
    >>> sampling_function([0.0, 0.5, 0.6], threshold=0.5, steepness=0.0, rate=2.0).tolist()
    [2.0, 2.0, 0.0]
    """
    r = np.asarray(rank, dtype=np.float64)
    value = rate * 2.0 / (1.0 + np.exp(steepness * (r - threshold)))
    out: npt.NDArray[np.float64] = np.where(r <= threshold, value, 0.0)
    return out


def _score_columns(scores: Any) -> tuple[list[str], list[npt.NDArray[np.float64]]]:
    if isinstance(scores, Mapping):
        names = [str(k) for k in scores]
        arrays = [np.asarray(v) for v in scores.values()]
    else:
        array = np.asarray(scores)
        if array.ndim == 1:
            names, arrays = ["score"], [array]
        elif array.ndim == 2:
            names = [f"score{c}" for c in range(array.shape[1])]
            arrays = [array[:, c] for c in range(array.shape[1])]
        else:
            raise invalid_parameter("scores", f"must be 1-D or 2-D, got shape {array.shape}")
    if not arrays:
        raise invalid_parameter("scores", "no quality score was given")
    columns = []
    for name, a in zip(names, arrays, strict=True):
        if a.ndim != 1:
            raise invalid_parameter("scores", f"score {name!r} must be 1-D, got {a.shape}")
        if a.dtype.kind not in "fiub":
            raise invalid_parameter("scores", f"score {name!r} is not numeric ({a.dtype})")
        column = np.ascontiguousarray(a, dtype=np.float64)
        bad = ~np.isfinite(column)
        if bad.any():
            row = int(np.argmax(bad))
            raise located(
                InvalidParameterError,
                f"invalid scores: score {name!r} of row {row} is {column[row]}; "
                "scores must be finite",
                parameter="scores",
                row=row,
                field=name,
            )
        columns.append(column)
    n = len(columns[0])
    for name, column in zip(names, columns, strict=True):
        if len(column) != n:
            raise invalid_parameter(
                "scores", f"score {name!r} has {len(column)} values, the first has {n}"
            )
    if n == 0:
        raise located(EmptyInputError, "scores are empty: there is no document to sample")
    return names, columns


def _no_nulls(column: Any, parameter: str, what: str, **where: Any) -> None:
    """Raise naming the first null row of an Arrow array, if any."""
    row = _labels.first_null(column)
    if row is not None:
        message = f"invalid {parameter}: row {row} {what}"
        raise located(InvalidParameterError, message, parameter=parameter, row=row, **where)


def _domain_codes(domains: Any, n: int) -> tuple[npt.NDArray[np.uint32], list[Any]]:
    column = _labels.as_array(domains)
    if len(column) != n:
        raise invalid_parameter("domains", f"{len(column)} domain labels for {n} documents")
    _no_nulls(column, "domains", "has no domain")
    codes, values = _labels.encode(column)
    return codes, values.to_pylist()


def _weights(label: Any, p: DomainParams, names: list[str]) -> list[float]:
    if p.weights is None:
        return [1.0 / len(names)] * len(names)
    if isinstance(p.weights, Mapping):
        unknown = [k for k in p.weights if k not in names]
        if unknown:
            raise invalid_parameter(
                "weights", f"domain {label!r} weighs unknown scores {unknown!r} (have {names!r})"
            )
        w = [float(p.weights.get(name, 0.0)) for name in names]
    else:
        w = [float(x) for x in p.weights]
        if len(w) != len(names):
            raise invalid_parameter(
                "weights", f"domain {label!r} has {len(w)} weights for {len(names)} scores"
            )
    if any(not (np.isfinite(x) and x >= 0.0) for x in w):
        raise invalid_parameter(
            "weights", f"domain {label!r} has weights {w}; weights must be finite and >= 0"
        )
    if abs(sum(w) - 1.0) > 1e-6:
        raise invalid_parameter(
            "weights", f"the weights of domain {label!r} sum to {sum(w)}, not 1"
        )
    return w


def _params(
    labels: list[Any],
    params: Mapping[Any, DomainParams] | DomainParams,
    default: DomainParams | None,
    names: list[str],
) -> list[tuple[list[float], float, float, float]]:
    if isinstance(params, DomainParams):
        default, params = params, {}
    unknown = [k for k in params if k not in labels]
    if unknown:
        raise invalid_parameter(
            "params", f"no document has domain {unknown[0]!r} (domains: {labels[:10]!r})"
        )
    out = []
    for label in labels:
        p = params.get(label, default)
        if p is None:
            raise invalid_parameter(
                "params", f"domain {label!r} has no parameters (give them or a default)"
            )
        if not isinstance(p, DomainParams):
            raise invalid_parameter("params", f"domain {label!r}: expected DomainParams, got {p!r}")
        for field, value, low, high in (
            ("threshold", p.threshold, 0.0, 1.0),
            ("steepness", p.steepness, 0.0, np.inf),
            ("rate", p.rate, 0.0, np.inf),
        ):
            if not (np.isfinite(value) and low <= value <= high):
                raise invalid_parameter(
                    field, f"domain {label!r} has {field} {value}; must be in [{low}, {high})"
                )
        out.append(
            (_weights(label, p, names), float(p.threshold), float(p.steepness), float(p.rate))
        )
    return out


def _prepare(
    scores: Any, domains: Any, params: Any, default: DomainParams | None, normalize: str
) -> tuple[list[npt.NDArray[np.float64]], npt.NDArray[np.uint32], list[Any], str]:
    if normalize not in ("domain", "corpus", "none"):
        raise invalid_parameter(
            "normalize", f"must be 'domain', 'corpus' or 'none', got {normalize!r}"
        )
    names, columns = _score_columns(scores)
    codes, labels = _domain_codes(domains, len(columns[0]))
    return columns, codes, _params(labels, params, default, names), normalize


def quality_ranks(
    scores: ScoresLike,
    domains: Any,
    params: Mapping[Any, DomainParams] | DomainParams,
    *,
    default: DomainParams | None = None,
    normalize: Normalize = "domain",
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Merged quality ``q`` and quality rank ``r`` (0 = best of its domain) per document.

    Parameters are those of :func:`expected_copies` (only the merging weights matter).

    Examples
    --------
    >>> q, r = quality_ranks([3.0, 1.0, 2.0], ["a", "a", "a"], DomainParams())
    >>> r.round(3).tolist()
    [0.167, 0.833, 0.5]
    """
    columns, codes, plist, how = _prepare(scores, domains, params, default, normalize)
    merged, ranks = _core.quadmix_quality(columns, codes, plist, how)
    return merged, ranks


def expected_copies(
    scores: ScoresLike,
    domains: Any,
    params: Mapping[Any, DomainParams] | DomainParams,
    *,
    default: DomainParams | None = None,
    normalize: Normalize = "domain",
) -> npt.NDArray[np.float64]:
    """Expected number of copies of each document under QuaDMix's sampling function.

    Parameters
    ----------
    scores
        Quality scores (higher = better): a 1-D array, a 2-D ``(n, N)`` array or a
        mapping ``{name: 1-D array}``. Must be finite.
    domains
        One domain label per document (numpy array, list, pyarrow or polars column).
    params
        ``{domain: DomainParams}``, or one :class:`DomainParams` for every domain.
        A domain named here must occur in ``domains``.
    default
        Parameters of the domains ``params`` does not name (otherwise each needs its own).
    normalize
        ``"domain"`` (mid-rank percentiles within each domain, the paper's choice),
        ``"corpus"`` (within the whole corpus) or ``"none"`` (raw scores).

    Returns
    -------
    numpy.ndarray
        float64 expected copies, one per document (see the module documentation).

    Examples
    --------
    >>> expected_copies([1.0, 2.0, 3.0, 4.0], ["x"] * 4, DomainParams(threshold=0.5)).tolist()
    [0.0, 0.0, 1.0, 1.0]
    """
    columns, codes, plist, how = _prepare(scores, domains, params, default, normalize)
    return _core.quadmix_expected(columns, codes, plist, how)


def sample(
    scores: ScoresLike,
    domains: Any,
    params: Mapping[Any, DomainParams] | DomainParams,
    *,
    seed: int = 0,
    default: DomainParams | None = None,
    normalize: Normalize = "domain",
) -> npt.NDArray[np.uint32]:
    """Integer copies of each document drawn from :func:`expected_copies`.

    Each document gets ``floor(S)`` copies plus one with probability ``S - floor(S)``,
    the draw depending only on ``(seed, row)``.

    Examples
    --------
    >>> copies = sample([1.0, 2.0, 3.0, 4.0], ["x"] * 4, DomainParams(rate=1.5), seed=3)
    >>> bool(np.all((copies == 1) | (copies == 2)))
    True
    """
    expected = expected_copies(scores, domains, params, default=default, normalize=normalize)
    return _core.draw_copies(expected, check.seed(seed))


def sample_rows(
    source: Any,
    score_columns: Sequence[str],
    domain_column: str,
    params: Mapping[Any, DomainParams] | DomainParams,
    *,
    seed: int = 0,
    default: DomainParams | None = None,
    normalize: Normalize = "domain",
    repeat: bool = True,
    quiet: bool = True,
) -> pa.Table:
    """The QuaDMix-sampled corpus of a table or of files.

    Two passes over ``source`` (Parquet / JSON Lines files or a table): the first reads
    only the score and domain columns, the second keeps the documents sampled. With
    ``repeat`` each document appears as many times as it was drawn (in source order);
    without, once, with a ``copies`` column.

    Examples
    --------
    >>> import pyarrow as pa
    >>> t = pa.table({"q": [0.1, 0.9, 0.5, 0.7], "d": ["a", "a", "b", "b"]})
    >>> out = sample_rows(t, ["q"], "d", DomainParams(threshold=0.5, rate=2.0))
    >>> out.column("q").to_pylist()
    [0.9, 0.9, 0.7, 0.7]
    """
    return sample_stream(
        source,
        score_columns,
        domain_column,
        params,
        seed=seed,
        default=default,
        normalize=normalize,
        repeat=repeat,
        quiet=quiet,
    ).table


def sample_stream(
    source: Any,
    score_columns: Sequence[str],
    domain_column: str,
    params: Mapping[Any, DomainParams] | DomainParams,
    *,
    seed: int = 0,
    default: DomainParams | None = None,
    normalize: Normalize = "domain",
    repeat: bool = True,
    quiet: bool = True,
) -> StreamedRows:
    """:func:`sample_rows` as a streamed result: the copies are drawn now (one pass
    over the score and domain columns), and the sampled documents read again batch by
    batch by ``batches()`` or ``write(path)``, never held whole.

    Examples
    --------
    >>> import pyarrow as pa
    >>> t = pa.table({"q": [0.1, 0.9, 0.5, 0.7], "d": ["a", "a", "b", "b"]})
    >>> out = sample_stream(t, ["q"], "d", DomainParams(threshold=0.5, rate=2.0), repeat=False)
    >>> [b.to_pydict() for b in out.batches()]
    [{'q': [0.9, 0.7], 'd': ['a', 'b'], 'copies': [2, 2]}]
    """
    from thresher.io.sources import call_kernel, read
    from thresher.sample.stream import take_batches

    src = read(source, text_column=None)
    if not src.reopenable:
        raise invalid_parameter("source", "QuaDMix reads the corpus twice: pass files or a table")
    names = [*score_columns, domain_column]
    columns = call_kernel(src, _core.collect_columns, src.stream(), names, None)
    scores = {name: _column_array(c, name) for name, c in zip(score_columns, columns, strict=False)}
    copies = sample(scores, columns[-1], params, seed=seed, default=default, normalize=normalize)
    rows = np.flatnonzero(copies)
    kept = copies[rows]
    schema = src.to_reader().schema
    if repeat:
        return StreamedRows(
            lambda: take_batches(src, rows, copies=kept, quiet=quiet), schema, "quadmix"
        )

    def with_copies() -> Iterator[pa.RecordBatch]:
        done = 0
        for batch in take_batches(src, rows, quiet=quiet):
            counts = kept[done : done + batch.num_rows]
            done += batch.num_rows
            yield batch.append_column("copies", pa.array(counts, pa.uint32()))

    schema = schema.append(pa.field("copies", pa.uint32()))
    return StreamedRows(with_copies, schema, "quadmix")


def _column_array(column: Any, name: str) -> npt.NDArray[np.float64]:
    array = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    _no_nulls(array, "scores", f"has a null score {name!r}", field=name)
    if not (pa.types.is_integer(array.type) or pa.types.is_floating(array.type)):
        raise invalid_parameter("scores", f"column {name!r} is {array.type}, not numeric")
    return np.asarray(array.to_numpy(zero_copy_only=False), dtype=np.float64)
