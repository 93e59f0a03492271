"""Token counts with a Hugging Face tokenizer, and the budgets in tokens they feed.

:class:`TokenCounter` loads a ``tokenizer.json`` (the file ``tokenizers`` and
``transformers`` save) in Rust and counts the tokens of every document of a corpus in
parallel on thresher's thread pool. The counts are those of the ``tokenizers``
package's ``len(tokenizer.encode(text, add_special_tokens=False).ids)``: whole
documents (the file's truncation and padding are ignored), without the special tokens
a post-processor adds unless ``add_special_tokens=True``.

Budgets in tokens replace counts of documents in :meth:`thresher.DSIR.select`,
:func:`thresher.sample.uniform`, :func:`~thresher.sample.weighted`,
:func:`~thresher.sample.reservoir` and the per-group samples
:func:`~thresher.sample.stratified` / :func:`~thresher.sample.stratified_rows`
(``tokens=`` instead of ``k=``). Documents are taken in the selection's priority order
(DSIR keys best first, a random order, the keyed order of a weighted sample) while the
total stays at most the budget; the first document that would exceed it stops the walk.
So a selection never holds more tokens than its budget and falls short of it by less
than one document.

Examples
--------
>>> import json, pyarrow as pa
>>> vocab = {"[UNK]": 0, "the": 1, "cat": 2, "sat": 3}
>>> spec = {"version": "1.0", "model": {"type": "WordLevel", "vocab": vocab,
...         "unk_token": "[UNK]"}, "pre_tokenizer": {"type": "Whitespace"}}
>>> counter = TokenCounter.from_json(json.dumps(spec))
>>> counter.count(["the cat sat", "the dog", ""]).tolist()
[3, 2, 0]
>>> counter.count(pa.table({"body": ["a b c d"]}), text_column="body").tolist()
[4]
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TypeAlias

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from thresher import _core
from thresher.exceptions import invalid_parameter
from thresher.io.sources import Source, SourceLike, call_kernel, read
from thresher.progress import ProgressBar

__all__ = ["TokenCounter", "TokenizerLike", "count_tokens"]

#: A tokenizer: a :class:`TokenCounter` or the path of a ``tokenizer.json``.
TokenizerLike: TypeAlias = "TokenCounter | str | os.PathLike[str]"

TokenCounts = npt.NDArray[np.uint32]


class TokenCounter:
    """Counts tokens of documents with a Hugging Face ``tokenizer.json``.

    Parameters
    ----------
    tokenizer_json_path
        The ``tokenizer.json`` file. A missing file raises
        :class:`~thresher.exceptions.ReadError`, one that is not a tokenizer
        :class:`~thresher.exceptions.TokenizerError`, both naming it.
    add_special_tokens
        Count the special tokens the tokenizer's post-processor adds (BOS, EOS,
        ``[CLS]``...): what a model is fed when each document is encoded on its own.

    Counters pickle (as their path, or their JSON for :meth:`from_json`), so process
    pools and Ray workers receive them.
    """

    def __init__(
        self, tokenizer_json_path: str | os.PathLike[str], *, add_special_tokens: bool = False
    ) -> None:
        self.path: Path | None = Path(tokenizer_json_path)
        self._json: str | None = None
        self._core = _core.TokenCounter(self.path, bool(add_special_tokens))

    @classmethod
    def from_json(cls, json: str, *, add_special_tokens: bool = False) -> TokenCounter:
        """A counter from the text of a ``tokenizer.json``."""
        counter = cls.__new__(cls)
        counter.path = None
        counter._json = json
        counter._core = _core.TokenCounter.from_json(json, bool(add_special_tokens))
        return counter

    @property
    def add_special_tokens(self) -> bool:
        """Whether the tokens the post-processor adds are counted."""
        return self._core.add_special_tokens

    def count(
        self,
        source_or_texts: SourceLike | Sequence[str] | pa.Array | pa.ChunkedArray,
        text_column: str = "text",
        *,
        quiet: bool = True,
    ) -> TokenCounts:
        """The tokens of every document, in corpus order, as ``uint32``.

        Parameters
        ----------
        source_or_texts
            A corpus (anything :func:`thresher.read` takes: a path or glob, tables,
            streams, a :class:`~thresher.Source`), or the texts themselves: a list of
            strings or a pyarrow string array. A list of ``str`` is always texts:
            give several files as ``thresher.read([...])`` or a list of ``Path``.
        text_column
            The column of the corpus holding the text.
        quiet
            No progress bar.
        """
        source = _texts_source(source_or_texts, text_column)
        bar = ProgressBar("tokens", source.total_bytes, quiet=quiet)
        counts = call_kernel(source, self._core.count, source.stream(), text_column, bar)
        bar.close()
        return counts

    def __reduce__(self) -> tuple[Any, ...]:
        return (_restore, (self.path, self._json, self.add_special_tokens))

    def __repr__(self) -> str:
        where = str(self.path) if self.path is not None else "<json>"
        return f"TokenCounter({where!r}, add_special_tokens={self.add_special_tokens})"


def _restore(path: Path | None, json: str | None, add_special_tokens: bool) -> TokenCounter:
    if json is not None:
        return TokenCounter.from_json(json, add_special_tokens=add_special_tokens)
    assert path is not None
    return TokenCounter(path, add_special_tokens=add_special_tokens)


def _texts_source(
    source_or_texts: SourceLike | Sequence[str] | pa.Array | pa.ChunkedArray, text_column: str
) -> Source:
    """A :class:`Source` of the corpus, or of a one-column table of the texts."""
    texts = source_or_texts
    if isinstance(texts, (pa.Array, pa.ChunkedArray)):
        return read(pa.table({text_column: texts}), text_column=text_column)
    if isinstance(texts, (list, tuple)) and all(isinstance(t, str) for t in texts):
        return read(pa.table({text_column: pa.array(texts, pa.string())}), text_column=text_column)
    return read(texts, text_column=text_column)


def counter(tokenizer: TokenizerLike, *, name: str = "tokenizer") -> TokenCounter:
    """``tokenizer`` as a :class:`TokenCounter` (a path is loaded)."""
    if isinstance(tokenizer, TokenCounter):
        return tokenizer
    if isinstance(tokenizer, (str, os.PathLike)):
        return TokenCounter(tokenizer)
    raise invalid_parameter(
        name, f"must be a TokenCounter or the path of a tokenizer.json, got {tokenizer!r}"
    )


def count_source(
    tokenizer: TokenizerLike | None, token_column: str | None
) -> tuple[_core.TokenCounter | None, str | None]:
    """The ``(counter, token_column)`` pair a kernel takes: exactly one of a tokenizer
    (counting the text column) and a column of precomputed counts."""
    if (tokenizer is None) == (token_column is None):
        raise invalid_parameter(
            "tokens", "a budget in tokens needs exactly one of tokenizer= and token_column="
        )
    return (counter(tokenizer)._core if tokenizer is not None else None), token_column


def count_tokens(
    source: SourceLike | Sequence[str] | pa.Array | pa.ChunkedArray,
    *,
    tokenizer: TokenizerLike,
    text_column: str = "text",
    quiet: bool = True,
) -> TokenCounts:
    """The tokens of every document of ``source`` with ``tokenizer``, as ``uint32``.

    :meth:`TokenCounter.count` with the tokenizer given as a path or a counter.

    Examples
    --------
    >>> import json
    >>> spec = {"version": "1.0", "pre_tokenizer": {"type": "Whitespace"},
    ...         "model": {"type": "WordLevel", "vocab": {"[UNK]": 0}, "unk_token": "[UNK]"}}
    >>> count_tokens(["one two", "three"], tokenizer=TokenCounter.from_json(json.dumps(spec)))
    array([2, 1], dtype=uint32)
    """
    return counter(tokenizer).count(source, text_column, quiet=quiet)
