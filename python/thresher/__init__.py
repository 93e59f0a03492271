"""thresher: choose the data a model trains on.

Fast, streaming data selection with a Rust core: DSIR importance resampling toward a
target domain and sampling kernels (:mod:`thresher.sample`), over JSON Lines, Parquet,
pyarrow, polars and Hugging Face datasets.

Examples
--------
Select 100 of the 8,000 documents of the bundled demo corpus that look most like its
PostgreSQL target (1.4% of the raw corpus is PostgreSQL documentation):

>>> import thresher
>>> from thresher.demo import demo_paths
>>> target, raw = demo_paths()
>>> selection = thresher.DSIR().fit(target, raw).select(raw, k=100, seed=0)
>>> len(selection), selection.table.column("domain").to_pylist().count("postgresql") > 20
(100, True)
"""

from thresher import (
    cluster,
    diversity,
    exceptions,
    mixing,
    quality,
    rebalance,
    sample,
    select,
    tokens,
    valuation,
)
from thresher._core import __version__
from thresher.cluster import KMeans
from thresher.dedup import Deduplication, DedupSummary, MinHasher, dedup, optimal_param
from thresher.dsir import DSIR, Selection
from thresher.gme import GME
from thresher.io.sources import Source, read
from thresher.io.writers import write_table
from thresher.pipeline import Pipeline
from thresher.threads import get_num_threads, set_num_threads
from thresher.tokens import TokenCounter, count_tokens

__all__ = [
    "DSIR",
    "GME",
    "DedupSummary",
    "Deduplication",
    "KMeans",
    "MinHasher",
    "Pipeline",
    "Selection",
    "Source",
    "TokenCounter",
    "__version__",
    "cluster",
    "count_tokens",
    "dedup",
    "diversity",
    "exceptions",
    "get_num_threads",
    "mixing",
    "optimal_param",
    "quality",
    "read",
    "rebalance",
    "sample",
    "select",
    "set_num_threads",
    "tokens",
    "valuation",
    "write_table",
]
