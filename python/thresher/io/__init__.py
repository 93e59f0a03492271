"""Where data comes in and goes out: corpora (:mod:`~thresher.io.sources`), streamed
outputs, single files or shards with a manifest (:mod:`~thresher.io.writers`,
:mod:`~thresher.io.manifest`), remote URLs through fsspec (:mod:`~thresher.io.remote`),
the decoded spill kept between DSIR's passes (:mod:`~thresher.io.spill`) and labelled
feature matrices (:mod:`~thresher.io.labelled`)."""

from thresher.io.labelled import load_labelled
from thresher.io.manifest import InputFile, Manifest, ShardInfo, describe_inputs, fingerprint
from thresher.io.sources import Source, SourceLike, call_kernel, file_format, read
from thresher.io.writers import OutputWriter, atomic_path, open_output, write_part, write_table

__all__ = [
    "InputFile",
    "Manifest",
    "OutputWriter",
    "ShardInfo",
    "Source",
    "SourceLike",
    "atomic_path",
    "call_kernel",
    "describe_inputs",
    "file_format",
    "fingerprint",
    "load_labelled",
    "open_output",
    "read",
    "write_part",
    "write_table",
]
