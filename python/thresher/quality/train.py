"""Training quality classifiers: fastText's supervised model, in Rust, deterministic.

:func:`train` fits a hashed n-gram linear classifier in fastText's model form (Joulin
et al., 2017): a dictionary of the words seen ``min_count`` times, word n-grams (and
optionally character n-grams) hashed into ``buckets`` rows, a hidden vector that is
the mean of the document's rows of the input matrix, a softmax (or one-vs-all) output
layer, and SGD with fastText's learning rate decayed linearly to 0 over all epochs.
It is the classifier behind GPT-3's and DCLM's quality filters. The model saves as a
fastText ``.bin`` file: ``fasttext.load_model`` reads it and predicts the same labels
with the same probabilities (within ``1e-5``).

Determinism
-----------
Documents are tokenised and hashed in parallel (order kept), the weights initialised
from counter-based draws of the seed, and SGD visits the documents in one fixed
shuffled order per epoch: the model bytes depend on the data and the seed only, never
on the thread count. (fastText's own threads update the weights concurrently, so its
models change from run to run when ``thread > 1``.)

Documents are split on fastText's separators (space, tab, newline, ``\\v``, ``\\f``,
``\\r``, ``\\0``); a newline inside a document is a space (the document is one
example, as :class:`thresher.quality.FastText` predicts it with ``newlines="space"``).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeAlias

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from thresher import _core
from thresher import _validation as check
from thresher.exceptions import EmptyInputError, MissingFieldError, invalid_parameter, located
from thresher.io.sources import Source, SourceLike, read
from thresher.quality.fasttext import FastText

__all__ = ["TrainedClassifier", "roc_auc", "train"]

_PREFIX = "__label__"
_LOSSES = ("softmax", "ova")
Texts: TypeAlias = "Sequence[str] | pa.Array | pa.ChunkedArray"


def roc_auc(scores: npt.ArrayLike, positive: npt.ArrayLike) -> float | None:
    """The exact area under the ROC curve: the share of (positive, negative) pairs the
    scores order correctly, a tie counting one half (mid-ranks, as
    ``sklearn.metrics.roc_auc_score``).

    Returns ``None`` without positives or without negatives (or with a NaN score).

    Examples
    --------
    >>> roc_auc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1])
    0.75
    >>> roc_auc([0.5, 0.5, 0.7], [1, 0, 1])
    0.75
    """
    s = np.ascontiguousarray(scores, dtype=np.float64).reshape(-1)
    y = np.ascontiguousarray(positive).reshape(-1).astype(bool)
    if len(s) != len(y):
        raise invalid_parameter("positive", f"{len(y)} labels for {len(s)} scores")
    return _core.roc_auc(s, y)


@dataclass
class TrainedClassifier:
    """A classifier trained by :func:`train`, with its held-out measurements.

    Attributes
    ----------
    labels
        The labels with their ``__label__`` prefix, in the model's order (fastText's:
        by decreasing training count).
    names
        The class names in the order :func:`train` was given them (``["positive",
        "negative"]`` for two corpora).
    auc
        Held-out ROC AUC of the first name (``positive``) versus the rest by its
        probability; with more than two classes the mean of the one-vs-rest AUCs.
        ``None`` if the held-out part lacks a class (``holdout=0`` for example).
    report
        The numbers behind it: documents trained on and held out per class,
        per-class AUC, mean training loss of each epoch, dictionary words, tokens,
        the hyperparameters.
    holdout_rows
        Indices (into the positive documents then the negative ones, or into the rows
        of the single corpus) of the held-out documents.
    holdout_scores
        Their probabilities, one column per name.
    """

    names: list[str]
    auc: float | None
    report: dict[str, Any]
    holdout_rows: npt.NDArray[np.int64]
    holdout_scores: npt.NDArray[np.float32]
    _model: Any = field(repr=False)
    _fasttext: FastText | None = field(default=None, repr=False)

    @property
    def labels(self) -> list[str]:
        """The labels with their ``__label__`` prefix, in the model's order."""
        return list(self._model.labels)

    def to_bytes(self) -> bytes:
        """The model in fastText's file format (version 12)."""
        return bytes(self._model.to_bytes())

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the model as a fastText ``.bin`` (``fasttext.load_model`` reads it);
        the file appears complete or not at all."""
        self._model.save(Path(path))
        return Path(path)

    def to_fasttext(self) -> FastText:
        """The model as a :class:`~thresher.quality.FastText` (the same predictions;
        :meth:`~thresher.quality.FastText.predict_source` scores any corpus)."""
        if self._fasttext is None:
            self._fasttext = FastText.from_bytes(self.to_bytes())
        return self._fasttext

    def predict_source(
        self, source: SourceLike, text_column: str = "text", **options: Any
    ) -> pa.Table:
        """:meth:`thresher.quality.FastText.predict_source` with this model: the best
        label (without ``__label__``) and its probability for every document."""
        return self.to_fasttext().predict_source(source, text_column, **options)

    def predict_proba(self, texts: Texts) -> npt.NDArray[np.float32]:
        """The probability of every class for each text: a ``len(texts) x
        len(names)`` float32 array, columns in :attr:`names` order (fastText's
        ``exp(log(p + 1e-5))``; 0 for a text without any known word or n-gram)."""
        column = _as_column(texts)
        proba = self._model.probabilities(column)
        order = [self.labels.index(_PREFIX + n) for n in self.names]
        return np.ascontiguousarray(proba[:, order])

    def score(self, texts: Texts, label: str | None = None) -> npt.NDArray[np.float64]:
        """The probability of ``label`` (default: the first name, ``positive``) for
        each text, as float64: the score :func:`select_by_score` takes."""
        name = self.names[0] if label is None else label
        if name not in self.names:
            raise invalid_parameter("label", f"{name!r} is not one of {self.names}")
        return self.predict_proba(texts)[:, self.names.index(name)].astype(np.float64)

    def predict(
        self, texts: str | Texts, k: int = 1, threshold: float = 0.0, *, newlines: str = "space"
    ) -> Any:
        """The ``k`` most probable labels of each text, with the ``fasttext`` package's
        shapes (:meth:`thresher.quality.FastText.predict` on this model)."""
        return self.to_fasttext().predict(texts, k, threshold, newlines=newlines)

    def __repr__(self) -> str:
        auc = "None" if self.auc is None else f"{self.auc:.4f}"
        return f"TrainedClassifier(names={self.names}, auc={auc})"


def _as_column(texts: Texts) -> pa.ChunkedArray:
    if isinstance(texts, pa.ChunkedArray):
        return texts
    if isinstance(texts, pa.Array):
        return pa.chunked_array([texts])
    if isinstance(texts, str):
        raise invalid_parameter("texts", "give a list of texts (or use predict for one)")
    return pa.chunked_array([pa.array(list(texts), pa.string())], pa.string())


def _column(source: Source, name: str, what: str) -> pa.ChunkedArray:
    table = source.to_reader().read_all()
    if name not in table.column_names:
        raise located(
            MissingFieldError,
            f"{source.describe()}: the {what} has no column {name!r}",
            field=name,
        )
    return table.column(name)


def _texts(source: SourceLike, text_column: str, what: str) -> pa.ChunkedArray:
    column = _column(read(source, text_column=text_column), text_column, what)
    if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
        column = column.cast(pa.large_string())
    return column


def train(
    positive: SourceLike,
    negative: SourceLike | None = None,
    *,
    label_column: str | None = None,
    text_column: str = "text",
    dim: int = 100,
    epochs: int = 5,
    lr: float = 0.1,
    word_ngrams: int = 2,
    min_count: int = 1,
    buckets: int = 2_000_000,
    minn: int = 0,
    maxn: int = 0,
    loss: str = "softmax",
    holdout: float = 0.1,
    seed: int = 0,
) -> TrainedClassifier:
    """Train a quality classifier of positive versus negative documents (or of the
    classes of a label column).

    Parameters
    ----------
    positive
        The positive documents (any corpus :func:`thresher.read` takes), or, with
        ``label_column``, every document.
    negative
        The negative documents; ``None`` with ``label_column``.
    label_column
        A column of ``positive`` giving each document's class (strings or integers;
        the classes are its distinct values, sorted; no whitespace in a class).
    text_column
        The column holding the text.
    dim, epochs, lr, word_ngrams, min_count, buckets, minn, maxn
        fastText's ``dim``, ``epoch``, ``lr``, ``wordNgrams``, ``minCount``,
        ``bucket``, ``minn`` and ``maxn`` (character n-grams of ``minn..maxn`` code
        points; ``maxn=0``: none). ``buckets`` is unused (0) without word or
        character n-grams, as in fastText.
    loss
        ``"softmax"`` (fastText's default) or ``"ova"`` (one sigmoid per class).
    holdout
        Share of the documents held out (chosen by the seed) to measure the AUC.
    seed
        Seed of the held-out split, the initial weights and the order of SGD.

    Returns
    -------
    TrainedClassifier

    Raises
    ------
    EmptyInputError
        A class has no training document (an empty corpus, or a label column with a
        single value).
    InvalidParameterError
        A hyperparameter out of range; ``negative`` and ``label_column`` both or
        neither given.
    MissingFieldError
        The text or label column is missing.

    Examples
    --------
    >>> import pyarrow as pa
    >>> pos = pa.table({"text": [f"select rows from table t{i}" for i in range(200)]})
    >>> neg = pa.table({"text": [f"the cat sat on mat {i}" for i in range(200)]})
    >>> clf = train(pos, neg, dim=16, buckets=10_000, epochs=25, lr=0.5, holdout=0.2, seed=1)
    >>> clf.auc
    1.0
    >>> clf.predict("select the rows")[0]
    ('__label__positive',)
    >>> clf.score(["select from table", "a cat on the mat"]).round(1)
    array([1., 0.])
    """
    if (negative is None) == (label_column is None):
        raise invalid_parameter(
            "negative", "give either negative= (a corpus) or label_column= (not both)"
        )
    options: dict[str, Any] = {
        "dim": check.count("dim", dim, minimum=1, maximum=100_000),
        "epochs": check.count("epochs", epochs, minimum=1),
        "lr": check.positive("lr", lr),
        "word_ngrams": check.count("word_ngrams", word_ngrams, minimum=1),
        "min_count": check.count("min_count", min_count, minimum=1),
        "bucket": check.count("buckets", buckets, maximum=2**31 - 1),
        "minn": check.count("minn", minn),
        "maxn": check.count("maxn", maxn),
        "loss": check.choice("loss", loss, _LOSSES),
        "holdout": check.fraction("holdout", holdout),
        "seed": check.seed(seed),
    }
    if options["holdout"] >= 1:
        raise invalid_parameter("holdout", "must be below 1 (something must be trained on)")
    if negative is not None:
        names = ["positive", "negative"]
        pos = _texts(positive, text_column, "positive corpus")
        neg = _texts(negative, text_column, "negative corpus")
        for n, what in ((pos, "positive"), (neg, "negative")):
            if len(n) == 0:
                raise located(EmptyInputError, f"the {what} corpus has no document", field=what)
        kind = pa.large_string()
        texts = pa.chunked_array(
            [c.cast(kind) for c in pos.chunks] + [c.cast(kind) for c in neg.chunks], kind
        )
        labels = np.concatenate([np.zeros(len(pos), np.uint32), np.ones(len(neg), np.uint32)])
    else:
        assert label_column is not None
        source = read(positive, text_column=text_column)
        table = source.to_reader().read_all()
        for name in (text_column, label_column):
            if name not in table.column_names:
                raise located(
                    MissingFieldError,
                    f"{source.describe()}: no column {name!r}",
                    field=name,
                )
        texts = table.column(text_column)
        raw = table.column(label_column)
        if raw.null_count:
            row = int(np.flatnonzero(raw.is_null().to_numpy(zero_copy_only=False))[0])
            raise located(
                MissingFieldError,
                f"{source.describe()}: row {row} has no {label_column!r}",
                field=label_column,
                row=row,
            )
        values = pc.cast(raw, pa.string()) if not pa.types.is_string(raw.type) else raw
        names = sorted(set(values.to_pylist()))
        if len(names) < 2:
            raise located(
                EmptyInputError,
                f"{label_column!r} has {len(names)} distinct value(s) {names}: a "
                "classifier needs at least 2 classes",
                field=label_column,
            )
        index = {n: i for i, n in enumerate(names)}
        labels = np.fromiter((index[v] for v in values.to_pylist()), np.uint32, len(values))
    model, out = _core.train_classifier(texts, labels, names, **options)
    per_class = list(out["auc"])
    defined = [a for a in per_class if a is not None]
    if len(names) == 2:
        auc = per_class[0]
    else:
        auc = float(np.mean(defined)) if len(defined) == len(names) else None
    report: dict[str, Any] = {
        "train_documents": dict(zip(names, out["train_counts"], strict=True)),
        "holdout_documents": dict(zip(names, out["holdout_counts"], strict=True)),
        "auc_per_class": dict(zip(names, per_class, strict=True)),
        "epoch_loss": list(out["epoch_loss"]),
        "words": int(out["nwords"]),
        "tokens": int(out["ntokens"]),
        "options": options,
    }
    return TrainedClassifier(
        names=names,
        auc=auc,
        report=report,
        holdout_rows=out["holdout_rows"],
        holdout_scores=out["holdout_scores"],
        _model=model,
    )
