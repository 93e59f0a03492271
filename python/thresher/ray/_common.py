"""Shared pieces of :mod:`thresher.ray`: the row-id column, error unwrapping and runs
of consecutive row ids (random keys and hashes are core functions of
:mod:`thresher._core`, never Python copies)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from thresher.exceptions import ThresherError, invalid_parameter

#: The column holding every row's global 0-based position (its row in a local run).
ROW = "thresher_row"


def find_thresher_error(error: BaseException) -> ThresherError | None:
    """The thresher error a Ray task raised, from the exception chain Ray built."""
    stack: list[BaseException] = [error]
    seen: set[int] = set()
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        cause = getattr(current, "cause", None)
        if isinstance(cause, ThresherError):
            return cause
        if isinstance(current, ThresherError) and type(current).__module__.startswith("thresher"):
            return current
        for link in (cause, current.__cause__, current.__context__):
            if isinstance(link, BaseException):
                stack.append(link)
    return None


_RAY_NOTE = "\nFailed to apply UDF transform"


def _clean(error: ThresherError) -> ThresherError:
    """``error`` without the retry advice Ray Data appends to a task's exception."""
    message = str(error.args[0]) if error.args else ""
    if _RAY_NOTE not in message:
        return error
    clean = type(error)(message.split(_RAY_NOTE)[0], *error.args[1:])
    clean.__dict__.update(error.__dict__)
    return clean


@contextmanager
def thresher_errors() -> Iterator[None]:
    """Re-raise a thresher error raised inside a Ray task as itself (Ray wraps it)."""
    try:
        yield
    except ThresherError as e:
        if type(e).__module__.startswith("thresher"):
            raise
        found = find_thresher_error(e)
        raise _clean(found or e) from None
    except Exception as e:
        found = find_thresher_error(e)
        if found is None:
            raise
        raise _clean(found) from None


def per_block(dataset: Any, fn: Any, **kwargs: Any) -> Any:
    """``fn(block, **kwargs)`` on every block of ``dataset``, as a pyarrow Table
    (zero-copy, one call per block)."""
    return dataset.map_batches(
        fn, batch_format="pyarrow", zero_copy_batch=True, batch_size=None, fn_kwargs=kwargs
    )


def row_ids(batch: pa.Table) -> npt.NDArray[np.int64]:
    """The global row ids of a batch (checked present)."""
    if ROW not in batch.column_names:
        raise invalid_parameter(
            "dataset",
            f"has no {ROW!r} column: read it with thresher.ray.read(...) or number its "
            "rows with thresher.ray.with_row_ids(...)",
        )
    return np.asarray(batch.column(ROW).to_numpy(), dtype=np.int64)


def runs(rows: npt.NDArray[np.int64]) -> list[tuple[int, int, int]]:
    """``(first_row, start, stop)`` of each run of consecutive ids in sorted ``rows``."""
    if rows.size == 0:
        return []
    breaks = np.flatnonzero(np.diff(rows) != 1) + 1
    starts = np.concatenate([[0], breaks])
    stops = np.concatenate([breaks, [rows.size]])
    return [(int(rows[a]), int(a), int(b)) for a, b in zip(starts, stops, strict=True)]


def sorted_by_row(batch: pa.Table) -> pa.Table:
    """``batch`` in increasing row id order (a no-op when already sorted)."""
    rows = row_ids(batch)
    if rows.size > 1 and bool((np.diff(rows) < 0).any()):
        return batch.take(pa.array(np.argsort(rows, kind="stable")))
    return batch


def check_column(schema: Any, column: str, what: str = "text column") -> None:
    """Raise the local run's error if ``column`` is missing from a Dataset schema."""
    from thresher.exceptions import MissingFieldError, located

    names = list(getattr(schema, "names", []) or [])
    if names and column not in names:
        raise located(
            MissingFieldError,
            f"{what} {column!r} not found; the dataset has columns {names}",
            field=column,
        )


def drop_helpers(table: pa.Table) -> pa.Table:
    """``table`` without thresher's helper columns."""
    return table.drop_columns([c for c in table.column_names if c.startswith("thresher_")])
