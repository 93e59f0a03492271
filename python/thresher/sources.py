"""Old home of :mod:`thresher.io.sources`, kept so ``thresher.sources`` imports work.

The private names are re-exported too, for code written against the old module
(thresher itself imports from :mod:`thresher.io`).
"""

from thresher.io.sources import (
    COMPRESSION_SUFFIXES,
    DEFAULT_BATCH_SIZE,
    JSONL_SUFFIXES,
    PARQUET_SUFFIXES,
    ArrowStreamExportable,
    FileSource,
    PathLike,
    Source,
    SourceLike,
    StreamSource,
    TableSource,
    _check_text_field,
    _expand,
    _hf_table,
    _parquet_batches,
    _parquet_schema,
    call_kernel,
    file_format,
    read,
)

__all__ = [
    "COMPRESSION_SUFFIXES",
    "DEFAULT_BATCH_SIZE",
    "JSONL_SUFFIXES",
    "PARQUET_SUFFIXES",
    "ArrowStreamExportable",
    "FileSource",
    "PathLike",
    "Source",
    "SourceLike",
    "StreamSource",
    "TableSource",
    "_check_text_field",
    "_expand",
    "_hf_table",
    "_parquet_batches",
    "_parquet_schema",
    "call_kernel",
    "file_format",
    "read",
]
