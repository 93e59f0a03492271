"""Where data comes in and goes out: corpora (:mod:`~thresher.io.sources`), outputs
written atomically (:mod:`~thresher.io.writers`), the decoded spill kept between
DSIR's passes (:mod:`~thresher.io.spill`) and labelled feature matrices
(:mod:`~thresher.io.labelled`)."""

from thresher.io.labelled import load_labelled
from thresher.io.sources import Source, SourceLike, call_kernel, file_format, read
from thresher.io.writers import atomic_path, write_table

__all__ = [
    "Source",
    "SourceLike",
    "atomic_path",
    "call_kernel",
    "file_format",
    "load_labelled",
    "read",
    "write_table",
]
