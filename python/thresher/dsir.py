"""DSIR: data selection with importance resampling (Xie et al., 2023).

Fit hashed n-gram distributions of a target corpus and of the raw corpus, weight every
raw document by ``log p_target(doc) - log p_raw(doc)``, and sample ``k`` documents
without replacement in proportion to the weights, in one streaming pass.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, NoReturn

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from thresher import _core
from thresher import _validation as check
from thresher._persist import Persistent, State
from thresher.exceptions import (
    EmptyInputError,
    InvalidParameterError,
    ModelFileError,
    invalid_parameter,
    located,
)
from thresher.io.sources import Source, SourceLike, call_kernel, read
from thresher.io.spill import CachePolicy, RawCache
from thresher.progress import ProgressBar
from thresher.tokens import TokenizerLike, count_source

__all__ = ["DSIR", "Selection"]


FORMAT = "thresher.dsir"
FORMAT_VERSION = 1

Method = Literal["gumbel", "top_k"]
Normalize = Literal["none", "per_token"]


@dataclass(frozen=True)
class FitStats:
    """What a fit counted in one corpus."""

    documents: int
    tokens: int
    features: int


@dataclass
class Selection:
    """The documents a :meth:`DSIR.select` call chose, with why.

    Attributes
    ----------
    table
        The selected rows in corpus order: every original column (or only the text
        column), plus ``dsir_row`` (0-based position in the corpus), ``dsir_log_weight``
        and, with several targets, ``dsir_target``.
    rows, log_weights, targets
        The same as numpy arrays.
    documents, eligible
        Documents read, and those long enough to be selected.
    kl_reduction
        ``KL(target || raw) - KL(target || selected)`` per target name, on the
        hashed n-gram features (higher is better; the paper's data metric).
    tokens
        With a budget in tokens, the tokens of each selected document (also the
        table's ``dsir_tokens`` column); ``None`` for a selection of ``k``.
    """

    table: pa.Table
    rows: npt.NDArray[np.uint64]
    log_weights: npt.NDArray[np.float64]
    targets: npt.NDArray[np.uint32]
    documents: int
    eligible: int
    kl_reduction: dict[str, float]
    target_names: list[str] = field(default_factory=list)
    tokens: npt.NDArray[np.uint32] | None = None

    def __len__(self) -> int:
        return len(self.rows)

    def batches(self) -> Iterator[pa.RecordBatch]:
        """The rows of :attr:`table` as record batches (the selected rows are held by
        the selection: the one-pass kernel keeps the k best as it reads)."""
        yield from self.table.to_batches()

    def write(self, path: str | os.PathLike[str], **options: Any) -> Path | str:
        """Write :attr:`table` to ``path``: a file (``.parquet``, ``.jsonl``,
        ``.jsonl.zst``...) or a directory of shards (``out/``), local or a URL;
        ``options`` go to :func:`thresher.io.writers.open_output`."""
        from thresher.io.writers import open_output

        options.setdefault("kind", "dsir")
        with open_output(path, schema=self.table.schema, **options) as out:
            for batch in self.batches():
                out.write(batch)
        return out.close()

    def summary(self) -> str:
        """A few lines saying what was selected."""
        kl = ", ".join(f"{name}: {value:.4f}" for name, value in self.kl_reduction.items())
        held = "" if self.tokens is None else f" ({int(self.tokens.sum(dtype=np.uint64)):,} tokens)"
        return (
            f"selected {len(self):,}{held} of {self.documents:,} documents "
            f"({self.eligible:,} eligible); log-weight median "
            f"{float(np.median(self.log_weights)) if len(self) else float('nan'):.2f}; "
            f"KL reduction {kl}"
        )


class DSIR(Persistent):
    """Hashed n-gram importance resampling.

    Parameters
    ----------
    ngrams
        Longest n-gram: 2 uses unigrams and bigrams (the paper's setting).
    num_buckets
        Hash buckets of the feature space.
    hash
        ``"xxh3"`` (fast, default) or ``"sha256"`` (data-selection's bucketing).
    target_smoothing, raw_smoothing
        Additive pseudo-counts when estimating bucket probabilities.
    epsilon
        Added to probabilities inside the logarithms.
    compat
        ``"data-selection"`` reproduces PyPI ``data-selection`` 1.0.3 exactly
        (sha256 buckets, no smoothing, ``epsilon=1e-8``): same log weights to 1e-6.
        Its tokenizer is matched as nltk >= 3.10.3 runs it (``regex`` module).
    text_column
        Default name of the text column of every corpus.

    Examples
    --------
    >>> import pyarrow as pa
    >>> target = pa.table({"text": ["select rows from the table where id = 1"] * 3})
    >>> raw = pa.table({"text": ["select id from the table", "the cat sat on the mat",
    ...                          "dogs bark at night", "insert rows into the table"]})
    >>> dsir = DSIR(num_buckets=1000).fit(target, raw)
    >>> dsir.log_weights(raw).round(1).tolist()[:2]
    [1.6, -6.8]
    >>> sel = dsir.select(raw, k=2, seed=0, method="top_k")
    >>> sel.table.column("text").to_pylist()
    ['select id from the table', 'insert rows into the table']
    """

    FORMAT = FORMAT
    FORMAT_VERSION = FORMAT_VERSION

    def __init__(
        self,
        ngrams: int = 2,
        num_buckets: int = 10_000,
        *,
        hash: Literal["xxh3", "sha256"] = "xxh3",
        target_smoothing: float = 1.0,
        raw_smoothing: float = 1.0,
        epsilon: float = 0.0,
        compat: Literal["data-selection"] | None = None,
        text_column: str = "text",
    ) -> None:
        if compat == "data-selection":
            hash, target_smoothing, raw_smoothing, epsilon = "sha256", 0.0, 0.0, 1e-8
        elif compat is not None:
            _invalid("compat", f"must be None or 'data-selection', got {compat!r}")
        self.ngrams = check.count("ngrams", ngrams, minimum=1, maximum=8)
        self.num_buckets = check.count("num_buckets", num_buckets, minimum=1, maximum=2**32 - 1)
        self.hash = hash
        self.target_smoothing = float(target_smoothing)
        self.raw_smoothing = float(raw_smoothing)
        self.epsilon = float(epsilon)
        self.compat = compat
        self.text_column = text_column
        self.target_names: list[str] = []
        self.fit_stats: dict[str, FitStats] = {}
        self._model: _core.DsirModel | None = None
        self._cache = RawCache()

    def release_cache(self) -> None:
        """Delete the decoded copy of the raw corpus kept by :meth:`fit`, if any."""
        self._cache.release()

    # ------------------------------------------------------------------ fitting
    def fit(
        self,
        target: SourceLike | Mapping[str, SourceLike],
        raw: SourceLike,
        *,
        num_tokens_to_fit: int | None = None,
        cache_raw: CachePolicy = "auto",
        cache_dir: str | None = None,
        quiet: bool = True,
    ) -> DSIR:
        """Count features of the target(s) and of the raw corpus.

        Parameters
        ----------
        target
            The target corpus, or a mapping ``{name: corpus}`` of several targets,
            each selected for with its own quota.
        raw
            The raw corpus (or a sample of it).
        num_tokens_to_fit
            Stop counting the raw corpus after this many n-gram features
            (data-selection's ``num_tokens_to_fit``); ``None`` counts it all.
        cache_raw
            Keep a decoded copy of a raw corpus read from files (an uncompressed Arrow
            file in ``cache_dir`` or the temporary directory), so that ``select`` and
            ``log_weights`` on the same files skip decompression and parsing. ``"auto"``
            does so when the disk has room (8x the files' size plus 1 GB); the copy is
            deleted with this object or by :meth:`release_cache`.
        cache_dir
            Where the decoded copy goes.
        quiet
            No progress bar.
        """
        targets = dict(target) if isinstance(target, Mapping) else {"target": target}
        if not targets:
            _invalid("target", "at least one target corpus is needed")
        num_tokens_to_fit = check.optional_count("num_tokens_to_fit", num_tokens_to_fit, minimum=1)
        counts = []
        for name, corpus in targets.items():
            c, stats = self._count(corpus, None, f"fit {name}", quiet)
            counts.append(c)
            self.fit_stats[name] = stats
        raw_source = self._source(raw)
        spill_to = self._cache.plan(raw_source, cache_raw, cache_dir)
        raw_counts, self.fit_stats["raw"] = self._count(
            raw_source, num_tokens_to_fit, "fit raw", quiet, spill_to
        )
        self.target_names = list(targets)
        self._set_counts(np.vstack(counts), raw_counts)
        return self

    def _count(
        self,
        corpus: SourceLike,
        limit: int | None,
        what: str,
        quiet: bool,
        spill_to: str | None = None,
    ) -> tuple[npt.NDArray[np.uint64], FitStats]:
        source = self._source(corpus)
        bar = ProgressBar(what, source.total_bytes, quiet=quiet)
        counts, docs, tokens, features, spilled = call_kernel(
            source,
            _core.count_features,
            source.stream(),
            source.text_column,
            self.ngrams,
            self.num_buckets,
            self.hash,
            limit,
            spill_to,
            bar,
        )
        bar.close()
        if spill_to is not None:
            self._cache.keep(source, spilled)
        if features == 0:
            found = f"{docs:,} documents, none with a token" if docs else "no document"
            message = f"{what.removeprefix('fit ')} corpus {source.describe()} is empty: {found}"
            raise located(EmptyInputError, message)
        return counts, FitStats(docs, tokens, features)

    def _set_counts(self, target: npt.NDArray[np.uint64], raw: npt.NDArray[np.uint64]) -> None:
        self._target_counts = np.ascontiguousarray(target, dtype=np.uint64)
        self._raw_counts = np.ascontiguousarray(raw, dtype=np.uint64)
        self._model = _core.DsirModel(
            self.ngrams,
            self.num_buckets,
            self.hash,
            self._target_counts,
            self._raw_counts,
            self.target_smoothing,
            self.raw_smoothing,
            self.epsilon,
        )

    @property
    def model(self) -> _core.DsirModel:
        """The fitted core model (raises if :meth:`fit` was not called)."""
        if self._model is None:
            raise InvalidParameterError("this DSIR is not fitted: call fit() or DSIR.load() first")
        return self._model

    @property
    def log_diff(self) -> npt.NDArray[np.float64]:
        """``ln p_target - ln p_raw`` per bucket, shape ``(targets, num_buckets)``."""
        return self.model.log_diff

    # ------------------------------------------------------------------ scoring
    def log_weights(
        self,
        source: SourceLike,
        *,
        normalize: Normalize = "none",
        clip: tuple[float, float] | None = None,
        chunk_words: int | None = None,
        quiet: bool = True,
    ) -> npt.NDArray[np.float64]:
        """Log importance weight of every document, in corpus order.

        Returns shape ``(n,)`` for one target, ``(n, targets)`` for several.
        ``normalize="per_token"`` divides by the token count; ``clip=(lo, hi)`` clamps.
        With ``chunk_words``, weights are per chunk (see :meth:`select`).
        """
        src = self._source(source)
        bar = ProgressBar("weights", src.total_bytes, quiet=quiet)
        weights, _ = call_kernel(
            src,
            _core.dsir_log_weights,
            self.model,
            self._cache.stream(src),
            src.text_column,
            normalize,
            clip,
            0,
            chunk_words,
            bar,
        )
        bar.close()
        return weights[:, 0] if weights.shape[1] == 1 else weights

    # ------------------------------------------------------------------ selecting
    def select(
        self,
        source: SourceLike,
        k: int | Mapping[str, int] | None = None,
        *,
        tokens: float | Mapping[str, float] | None = None,
        tokenizer: TokenizerLike | None = None,
        token_column: str | None = None,
        seed: int = 0,
        method: Method = "gumbel",
        temperature: float = 1.0,
        normalize: Normalize = "none",
        clip: tuple[float, float] | None = None,
        min_length: int = 0,
        columns: Literal["all", "text"] = "all",
        chunk_words: int | None = None,
        quiet: bool = True,
    ) -> Selection:
        """Choose ``k`` documents (or ``tokens`` tokens) of ``source`` in one streaming pass.

        Parameters
        ----------
        source
            The raw corpus (anything :func:`thresher.read` takes).
        k
            How many documents; with several targets, a mapping ``{name: k}``, or an
            int split across targets in proportion to their fitted sizes.
        tokens
            Instead of ``k``, a budget in tokens (``2e9`` is accepted): documents are
            taken best key first while the total stays at most the budget, the first
            that would exceed it stopping the walk (see :mod:`thresher.tokens`). With
            several targets, a mapping ``{name: tokens}`` or a total split as ``k`` is.
            The budget must not exceed the tokens of the eligible documents.
        tokenizer, token_column
            With ``tokens``, where each document's count comes from: a
            :class:`~thresher.tokens.TokenCounter` (or the path of a
            ``tokenizer.json``) counting the text column, or an integer column of
            counts computed earlier. With ``chunk_words`` only a tokenizer fits (it
            counts each chunk).
        seed
            Seed of the sampling noise. The noise of a document depends only on the
            seed and its position, so results do not depend on threads or batches.
        method
            ``"gumbel"``: sample without replacement with probability proportional to
            ``exp(log_weight / temperature)`` (Gumbel top-k); ``"top_k"``: the k largest.
        temperature
            Divides log weights before sampling; < 1 sharpens, > 1 flattens.
        normalize, clip
            As in :meth:`log_weights`.
        min_length
            Documents with fewer tokens are never selected (data-selection uses 100).
        columns
            Keep ``"all"`` columns of the selected rows, or only the ``"text"`` column.
        chunk_words
            Split documents into chunks of at most this many words (equal lengths,
            as in the paper, which used 128) and select chunks; the output gains
            ``chunk_doc`` (the document's row) and ``chunk_index``.
        quiet
            No progress bar.
        """
        check_select(columns, min_length, seed)
        model = self.model  # raises if not fitted
        budgets: list[int] | None = None
        counter: _core.TokenCounter | None = None
        if tokens is not None:
            if k is not None:
                _invalid("k", "give either k or tokens, not both")
            budgets = self._quotas(tokens, "tokens")
            counter, token_column = count_source(tokenizer, token_column)
            quotas: list[int] = []
        elif k is None:
            _invalid("k", "give k (documents) or tokens (a budget in tokens)")
        else:
            if tokenizer is not None or token_column is not None:
                _invalid("tokenizer", "tokenizer and token_column go with tokens=, not k=")
            quotas = self._quotas(k)
        src = self._source(source)
        bar = ProgressBar("select", src.total_bytes, quiet=quiet)
        out = call_kernel(
            src,
            _core.dsir_select,
            model,
            self._cache.stream(src),
            src.text_column,
            quotas,
            seed,
            method,
            temperature,
            normalize,
            clip,
            min_length,
            columns == "all",
            chunk_words,
            bar,
            budgets,
            counter,
            token_column,
        )
        bar.close()
        table = pa.Table.from_batches([out.rows])
        table = table.append_column("dsir_row", pa.array(out.row, pa.uint64()))
        table = table.append_column("dsir_log_weight", pa.array(out.log_weight, pa.float64()))
        if budgets is not None:
            table = table.append_column("dsir_tokens", pa.array(out.tokens, pa.uint32()))
        if len(self.target_names) > 1:
            names = np.asarray(self.target_names, dtype=object)[out.target]
            table = table.append_column("dsir_target", pa.array(names.tolist(), pa.string()))
        return Selection(
            table=table,
            rows=out.row,
            log_weights=out.log_weight,
            targets=out.target,
            documents=out.documents,
            eligible=out.eligible,
            kl_reduction=dict(zip(self.target_names, out.kl_reduction, strict=True)),
            target_names=list(self.target_names),
            tokens=out.tokens if budgets is not None else None,
        )

    def _quotas(self, k: float | Mapping[str, float], what: str = "k") -> list[int]:
        names = self.target_names
        amount = check.budget if what == "tokens" else check.count
        if isinstance(k, Mapping):
            unknown = set(k) - set(names)
            if unknown or len(k) != len(names):
                _invalid(what, f"needs one count for each target {names}, got {dict(k)}")
            return [amount(f"{what}[{name!r}]", k[name]) for name in names]
        k = check.budget(what, k) if what == "tokens" else check.positive_count(what, k)
        if len(names) == 1:
            return [k]
        # Split like data-selection: floor of k * proportion, remainder to the last.
        sizes = np.array([self.fit_stats[n].features for n in names], dtype=float)
        quotas = [int(k * p) for p in sizes / sizes.sum()]
        quotas[-1] += k - sum(quotas)
        return quotas

    def _source(self, corpus: SourceLike) -> Source:
        return read(corpus, text_column=self.text_column)

    def explain(
        self, text: str, *, top: int = 8, target: str | None = None
    ) -> list[tuple[str, float]]:
        """The n-grams of ``text`` that contribute most to its log weight.

        Returns ``(ngram, contribution)`` pairs, largest first, where a contribution is
        the n-gram's count times ``log_diff`` of its bucket; the contributions of all
        n-grams sum to the document's log weight.
        """
        index = self._target_index(target)
        log_diff = self.log_diff[index]
        totals: dict[str, float] = {}
        for ngram, bucket in _core.feature_buckets(text, self.ngrams, self.num_buckets, self.hash):
            totals[ngram] = totals.get(ngram, 0.0) + float(log_diff[bucket])
        return sorted(totals.items(), key=lambda item: -item[1])[:top]

    def _target_index(self, target: str | None) -> int:
        self.model  # noqa: B018 - raises if not fitted
        name = target if target is not None else self.target_names[0]
        if name not in self.target_names:
            _invalid("target", f"unknown target {name!r}; fitted: {self.target_names}")
        return self.target_names.index(name)

    # ------------------------------------------------------------------ metric
    def kl_reduction(self, selected: SourceLike, target: str | None = None) -> float:
        """KL reduction of an arbitrary selected corpus against a fitted target.

        ``KL(target || raw) - KL(target || selected)`` on the hashed n-gram features.
        """
        index = self._target_index(target)
        counts, _ = self._count(selected, None, "kl", True)
        state = self._state_arrays()
        return float(_core.kl_reduction(state["target_counts"][index], state["raw_counts"], counts))

    # ------------------------------------------------------------------ persistence
    def _state_arrays(self) -> dict[str, npt.NDArray[Any]]:
        if self._model is None:
            raise InvalidParameterError("this DSIR is not fitted: nothing to save")
        return {"target_counts": self._target_counts, "raw_counts": self._raw_counts}

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Save the fitted model as a ``.npz`` file (no pickle; loads safely anywhere)."""
        self._state_arrays()  # raises when not fitted
        return super().save(path)

    def _to_state(self) -> State:
        """Parameters, target names and fit statistics, and the counts if fitted
        (pickling an unfitted DSIR ships its parameters only; the raw cache of
        :meth:`fit` stays with the original)."""
        header = {
            "ngrams": self.ngrams,
            "num_buckets": self.num_buckets,
            "hash": self.hash,
            "target_smoothing": self.target_smoothing,
            "raw_smoothing": self.raw_smoothing,
            "epsilon": self.epsilon,
            "compat": self.compat,
            "text_column": self.text_column,
            "target_names": self.target_names,
            "fit_stats": {k: vars(v) for k, v in self.fit_stats.items()},
        }
        arrays = self._state_arrays() if self._model is not None else {}
        return header, arrays

    @classmethod
    def _from_state(cls, header: dict[str, Any], arrays: dict[str, Any], where: str) -> DSIR:
        dsir = cls(
            header["ngrams"],
            header["num_buckets"],
            hash=header["hash"],
            target_smoothing=header["target_smoothing"],
            raw_smoothing=header["raw_smoothing"],
            epsilon=header["epsilon"],
            text_column=header["text_column"],
        )
        dsir.compat = header["compat"]
        dsir.target_names = list(header["target_names"])
        dsir.fit_stats = {k: FitStats(**v) for k, v in header["fit_stats"].items()}
        if "target_counts" not in arrays and "raw_counts" not in arrays:
            return dsir
        target_counts = np.array(arrays["target_counts"], dtype=np.uint64)
        raw_counts = np.array(arrays["raw_counts"], dtype=np.uint64)
        if target_counts.shape != (len(dsir.target_names), dsir.num_buckets):
            raise _model_error(Path(where), f"target_counts has shape {target_counts.shape}")
        dsir._set_counts(target_counts, raw_counts)
        return dsir

    def __repr__(self) -> str:
        fitted = f"targets={self.target_names}" if self._model is not None else "not fitted"
        return (
            f"DSIR(ngrams={self.ngrams}, num_buckets={self.num_buckets}, hash={self.hash!r}, "
            f"{fitted})"
        )


def check_select(columns: str, min_length: int, seed: int) -> None:
    """Check the arguments of a selection (shared with :func:`thresher.ray.select`)."""
    check.choice("columns", columns, ("all", "text"))
    check.count("min_length", min_length)
    check.seed(seed)


def _invalid(parameter: str, message: str) -> NoReturn:
    raise invalid_parameter(parameter, message)


def _model_error(path: Path, message: str) -> ModelFileError:
    return located(ModelFileError, f"{path}: {message}", path=str(path))
