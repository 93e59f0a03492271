"""Document quality signals: classifiers that score every document of a corpus.

:class:`FastText` runs fastText supervised classifiers (``.bin`` files and quantized
``.ftz`` files) in Rust, in parallel, with the labels and probabilities of the
``fasttext`` package; :func:`language_id` gives each document a language and its
probability with fastText's ``lid.176`` model.
"""

from __future__ import annotations

from thresher.quality.fasttext import FastText, language_id, lid176_path

__all__ = ["FastText", "language_id", "lid176_path"]
