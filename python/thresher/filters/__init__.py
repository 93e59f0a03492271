"""Heuristic quality filters: Gopher quality, Gopher repetition, C4 and FineWeb rules.

The four rule sets of datatrove's ``GopherQualityFilter``, ``GopherRepetitionFilter``,
``C4QualityFilter`` and ``FineWebQualityFilter`` (datatrove 0.10.1), with its default
parameters and reason strings, computed in Rust over every document in parallel.
English words are split as ``spacy.blank("en")`` splits them (a re-implementation of
spaCy's tokenizer over tables generated from spaCy, see
``scripts/gen_filter_tables.py``); ``language="en"`` is the only language implemented,
any other is refused.

:func:`apply` returns a :class:`FilterResult`: per document ``keep`` (all rule sets
pass), ``reason`` (the first failing rule, rule sets in the order given), per rule set
``<rule>_keep`` and ``<rule>_reason``, every statistic the thresholds compare (so
thresholds can be tuned without recomputing) and, when C4 runs, ``c4_text``: the text
after C4's line removal. :meth:`FilterResult.write_kept` writes the kept rows (with
C4's cleaned text when C4 ran).

Examples
--------
>>> from thresher import filters
>>> text = ("The cat sat on the mat and looked at the birds in the tree. " * 3 + "\\n") * 5
>>> result = filters.apply([text, "Too short."], rules=["gopher_quality", "c4"])
>>> result.table.column("keep").to_pylist()
[True, False]
>>> result.table.column("reason").to_pylist()
[None, 'gopher_short_doc']
>>> result.table.column("gopher_n_words").to_pylist()
[225.0, 3.0]
>>> filters.apply(["a b c"], rules=[filters.GopherQuality(min_doc_words=2)]).table.column(
...     "gopher_quality_reason").to_pylist()
['gopher_below_avg_threshold']
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeAlias

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from thresher import _core
from thresher import _validation as check
from thresher._results import TableResult
from thresher.exceptions import invalid_parameter
from thresher.io.sources import Source, SourceLike, call_kernel, read
from thresher.progress import ProgressBar

__all__ = [
    "C4",
    "LANGUAGES",
    "RULE_SETS",
    "FilterResult",
    "FineWeb",
    "GopherQuality",
    "GopherRepetition",
    "RuleSet",
    "apply",
    "rule_set",
    "words",
]

#: The rule sets, by name.
RULE_SETS = ("gopher_quality", "gopher_repetition", "c4", "fineweb")
#: The languages whose word splitting is implemented.
LANGUAGES = ("en",)


@dataclass(frozen=True)
class GopherQuality:
    """Gopher's quality rules (datatrove's ``GopherQualityFilter`` defaults).

    A threshold of ``None`` or 0 disables its rule, as in datatrove.
    """

    min_doc_words: int | None = 50
    max_doc_words: int | None = 100000
    min_avg_word_length: float | None = 3
    max_avg_word_length: float | None = 10
    max_symbol_word_ratio: float | None = 0.1
    max_bullet_lines_ratio: float | None = 0.9
    max_ellipsis_lines_ratio: float | None = 0.3
    max_non_alpha_words_ratio: float | None = 0.8
    min_stop_words: int | None = 2
    stop_words: tuple[str, ...] = ("the", "be", "to", "of", "and", "that", "have", "with")
    name = "gopher_quality"


@dataclass(frozen=True)
class GopherRepetition:
    """Gopher's repetition rules (datatrove's ``GopherRepetitionFilter`` defaults)."""

    dup_line_frac: float | None = 0.3
    dup_para_frac: float | None = 0.3
    dup_line_char_frac: float | None = 0.2
    dup_para_char_frac: float | None = 0.2
    top_n_grams: tuple[tuple[int, float], ...] = ((2, 0.2), (3, 0.18), (4, 0.16))
    dup_n_grams: tuple[tuple[int, float], ...] = (
        (5, 0.15),
        (6, 0.14),
        (7, 0.13),
        (8, 0.12),
        (9, 0.11),
        (10, 0.10),
    )
    name = "gopher_repetition"


@dataclass(frozen=True)
class C4:
    """C4's rules (datatrove's ``C4QualityFilter`` defaults; -1 disables a count).

    Lines are split as ``str.splitlines`` does (datatrove's ``split_paragraph=True``).
    """

    remove_citations: bool = True
    filter_no_terminal_punct: bool = True
    min_num_sentences: int = 5
    min_words_per_line: int = 3
    max_word_length: int = 1000
    filter_lorem_ipsum: bool = True
    filter_javascript: bool = True
    filter_curly_bracket: bool = True
    filter_policy: bool = True
    name = "c4"


@dataclass(frozen=True)
class FineWeb:
    """FineWeb's rules (datatrove's ``FineWebQualityFilter`` defaults).

    ``stop_chars=None`` is datatrove's ``TERMINAL_PUNCTUATION``.
    """

    line_punct_thr: float = 0.12
    line_punct_exclude_zero: bool = False
    stop_chars: tuple[str, ...] | None = None
    short_line_thr: float = 0.67
    short_line_length: int = 30
    char_duplicates_ratio: float = 0.01
    new_line_ratio: float = 0.3
    name = "fineweb"


#: A rule set: its parameter object, or its name (datatrove's defaults).
RuleSet: TypeAlias = "GopherQuality | GopherRepetition | C4 | FineWeb"
_CLASSES: dict[str, type[Any]] = {
    "gopher_quality": GopherQuality,
    "gopher_repetition": GopherRepetition,
    "c4": C4,
    "fineweb": FineWeb,
}


def rule_set(name: str, **overrides: Any) -> RuleSet:
    """The parameter object of rule set ``name`` with ``overrides`` of its defaults.

    Examples
    --------
    >>> rule_set("c4", min_num_sentences=3)
    C4(remove_citations=True, filter_no_terminal_punct=True, min_num_sentences=3, ...)
    """
    cls = _CLASSES[check.choice("rules", name, RULE_SETS)]
    known = {f.name for f in dataclasses.fields(cls)}
    for key in overrides:
        if key not in known:
            raise invalid_parameter(
                f"{name}.{key}", f"unknown parameter; {name} has {sorted(known)}"
            )
    result: RuleSet = cls(**overrides)
    return result


def _numbers(name: str, obj: Any, skip: tuple[str, ...], optional: bool) -> list[Any]:
    out: list[Any] = []
    for f in dataclasses.fields(obj):
        if f.name in skip:
            continue
        value = getattr(obj, f.name)
        if value is None and optional:
            out.append((f.name, None))
            continue
        if isinstance(value, bool):
            out.append((f.name, 1.0 if value else 0.0))
            continue
        out.append((f.name, check.real(f"{name}.{f.name}", value)))
    return out


def _ngrams(name: str, value: Any) -> list[tuple[int, float]]:
    pairs = []
    for item in value:
        if not (isinstance(item, (tuple, list)) and len(item) == 2):
            raise invalid_parameter(name, f"must be (n, fraction) pairs, got {item!r}")
        pairs.append((check.count(name, item[0], minimum=1), check.real(name, item[1])))
    return pairs


def _config(rules: Sequence[RuleSet | str], language: str) -> _core.FilterConfig:
    if isinstance(rules, (str, GopherQuality, GopherRepetition, C4, FineWeb)):
        rules = [rules]
    if not rules:
        raise invalid_parameter("rules", f"must name at least one of {list(RULE_SETS)}")
    if not isinstance(language, str):
        raise invalid_parameter("language", f"must be a str, got {language!r}")
    if language not in LANGUAGES:
        raise invalid_parameter(
            "language",
            f"must be one of {list(LANGUAGES)} (the word splitters implemented), got {language!r}",
        )
    chosen: dict[str, Any] = {}
    for rule in rules:
        obj = rule_set(rule) if isinstance(rule, str) else rule
        if not isinstance(obj, (GopherQuality, GopherRepetition, C4, FineWeb)):
            raise invalid_parameter(
                "rules", f"must be rule set names or parameter objects, got {rule!r}"
            )
        if obj.name in chosen:
            raise invalid_parameter("rules", f"names {obj.name!r} twice")
        chosen[obj.name] = obj
    kwargs: dict[str, Any] = {"language": language}
    if (g := chosen.get("gopher_quality")) is not None:
        kwargs["gopher_quality"] = _numbers("gopher_quality", g, ("stop_words",), True)
        kwargs["stop_words"] = [str(w) for w in g.stop_words]
    if (r := chosen.get("gopher_repetition")) is not None:
        kwargs["gopher_repetition"] = _numbers(
            "gopher_repetition", r, ("top_n_grams", "dup_n_grams"), True
        )
        kwargs["top_n_grams"] = _ngrams("gopher_repetition.top_n_grams", r.top_n_grams)
        kwargs["dup_n_grams"] = _ngrams("gopher_repetition.dup_n_grams", r.dup_n_grams)
    if (c := chosen.get("c4")) is not None:
        kwargs["c4"] = _numbers("c4", c, (), False)
    if (f := chosen.get("fineweb")) is not None:
        kwargs["fineweb"] = _numbers("fineweb", f, ("stop_chars",), False)
        if f.stop_chars is not None:
            kwargs["stop_chars"] = [str(s) for s in f.stop_chars]
    order = [name for name in (r if isinstance(r, str) else r.name for r in rules)]
    config = _core.FilterConfig(**kwargs)
    config_order = list(config.rule_sets)
    assert sorted(order) == sorted(config_order)
    return config


class FilterResult(TableResult):
    """Per-document results of :func:`apply`.

    Attributes
    ----------
    table
        One row per document: ``keep``, ``reason``, ``<rule>_keep``, ``<rule>_reason``
        per rule set, the statistics, and ``c4_text`` when C4 ran.
    keep
        The ``keep`` column as a numpy bool array.
    rule_sets
        The rule sets that ran.
    """

    KIND = "filter-stats"

    def __init__(
        self, output: _core.FilterOutput, order: list[str], source: Source | None, text_column: str
    ) -> None:
        self._source = source
        self._text_column = text_column
        self.rule_sets = order
        index = {name: i for i, name in enumerate(output.rule_sets)}
        n = len(output)
        keep = np.ones(n, dtype=bool)
        reason: list[str | None] = [None] * n
        columns: dict[str, Any] = {}
        for name in order:
            k = output.keep(index[name])
            r = output.reason(index[name])
            for row in np.flatnonzero(keep & ~k).tolist():
                reason[row] = f"{r[row]}"
            keep &= k
            columns[f"{name}_keep"] = pa.array(k)
            columns[f"{name}_reason"] = pa.array(r, pa.string())
        for i, stat in enumerate(output.stat_names):
            columns[stat] = pa.array(output.stat(i))
        self._c4_text = output.c4_text
        if self._c4_text is not None:
            columns["c4_text"] = pa.array(self._c4_text, pa.large_string())
        self.keep: npt.NDArray[np.bool_] = keep
        self._table = pa.table(
            {"keep": pa.array(keep), "reason": pa.array(reason, pa.string()), **columns}
        )

    @property
    def table(self) -> pa.Table:
        """The per-document columns."""
        return self._table

    def kept(self) -> Iterator[pa.RecordBatch]:
        """The kept rows of the corpus (text replaced by C4's cleaned text when C4 ran)."""
        if self._source is None:
            raise invalid_parameter("source", "the result of texts has no corpus rows to write")
        if not self._source.reopenable:
            raise invalid_parameter(
                "source", "a one-shot stream cannot be read again to write the kept rows"
            )
        start = 0
        for batch in self._source.to_reader():
            n = batch.num_rows
            mask = pa.array(self.keep[start : start + n])
            if self._c4_text is not None:
                i = batch.schema.get_field_index(self._text_column)
                cleaned = pa.array(self._c4_text[start : start + n], batch.column(i).type)
                batch = batch.set_column(i, batch.schema.field(i), cleaned)
            start += n
            yield batch.filter(mask)

    def kept_schema(self) -> pa.Schema | None:
        """The schema of :meth:`kept`'s batches (None for a result of texts)."""
        if self._source is None or not self._source.reopenable:
            return None
        return self._source.to_reader().schema

    def write_kept(self, path: str | os.PathLike[str], **options: Any) -> Path | str:
        """Write the kept rows (:meth:`kept`) to ``path`` through
        :func:`thresher.io.writers.open_output` (a file or a directory of shards)."""
        from thresher.io.writers import open_output

        options.setdefault("kind", "filter")
        with open_output(path, schema=self.kept_schema(), **options) as out:
            for batch in self.kept():
                out.write(batch)
        return out.close()


def _source(
    source: SourceLike | Sequence[str] | pa.Array | pa.ChunkedArray, text_column: str
) -> Source:
    if isinstance(source, (pa.Array, pa.ChunkedArray)):
        return read(pa.table({text_column: source}), text_column=text_column)
    if isinstance(source, (list, tuple)) and all(isinstance(t, str) for t in source):
        return read(
            pa.table({text_column: pa.array(source, pa.large_string())}), text_column=text_column
        )
    return read(source, text_column=text_column)


def apply(
    source: SourceLike | Sequence[str] | pa.Array | pa.ChunkedArray,
    rules: Sequence[RuleSet | str] = RULE_SETS,
    text_column: str = "text",
    language: str = "en",
    *,
    quiet: bool = True,
) -> FilterResult:
    """Run quality rule sets over every document of ``source``.

    Parameters
    ----------
    source
        A corpus (anything :func:`thresher.read` takes) or the texts (a list of
        ``str``, a pyarrow string array).
    rules
        Rule set names (``"gopher_quality"``, ``"gopher_repetition"``, ``"c4"``,
        ``"fineweb"``) or parameter objects (:class:`GopherQuality`...); ``reason``
        reports the first failure in this order.
    text_column
        The column holding the text.
    language
        The word splitter's language; only ``"en"`` is implemented.
    quiet
        No progress bar.

    Returns
    -------
    FilterResult
        Per-document keep flags, reasons, statistics (and C4's cleaned text).

    Examples
    --------
    >>> r = apply(["", "one two three"], rules=["fineweb"])
    >>> r.table.column("fineweb_reason").to_pylist()
    ['empty', 'line_punct_ratio']
    """
    if isinstance(rules, (str, GopherQuality, GopherRepetition, C4, FineWeb)):
        rules = [rules]
    config = _config(rules, language)
    order = [r if isinstance(r, str) else r.name for r in rules]
    src = _source(source, text_column)
    bar = ProgressBar("filters", src.total_bytes, quiet=quiet)
    output = call_kernel(src, _core.filter_corpus, src.stream(), config, text_column, bar)
    bar.close()
    return FilterResult(output, order, src, text_column)


def words(text: str, language: str = "en") -> list[str]:
    """The words of ``text`` as the filters split them (``spacy.blank("en")``'s
    tokens, whitespace dropped).

    Examples
    --------
    >>> words("I don't know (e.g. 10km).")
    ['I', 'do', "n't", 'know', '(', 'e.g.', '10', 'km', ')', '.']
    """
    if language not in LANGUAGES:
        raise invalid_parameter("language", f"must be one of {list(LANGUAGES)}, got {language!r}")
    return _core.filter_words(text, language)
