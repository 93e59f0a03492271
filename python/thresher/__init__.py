"""thresher: choose the data a model trains on.

Fast, streaming data selection with a Rust core: DSIR importance resampling toward a
target domain, over JSON Lines, Parquet, pyarrow, polars and Hugging Face datasets.

Examples
--------
>>> import thresher
>>> import pyarrow as pa
>>> raw = pa.table({"text": ["CREATE INDEX ON t (id)", "a cat", "SELECT id FROM t"]})
>>> target = pa.table({"text": ["SELECT * FROM t WHERE id = 2", "CREATE TABLE t (id int)"]})
>>> sel = thresher.DSIR(num_buckets=500).fit(target, raw).select(raw, k=2, method="top_k")
>>> sorted(sel.table.column("text").to_pylist())
['CREATE INDEX ON t (id)', 'SELECT id FROM t']
"""

from thresher import exceptions
from thresher._core import __version__, get_num_threads, set_num_threads
from thresher.dsir import DSIR, Selection
from thresher.sources import Source, read
from thresher.writers import write_table

__all__ = [
    "DSIR",
    "Selection",
    "Source",
    "__version__",
    "exceptions",
    "get_num_threads",
    "read",
    "set_num_threads",
    "write_table",
]
