"""Document quality signals: classifiers that score every document of a corpus.

:class:`FastText` runs fastText supervised classifiers (``.bin`` files and quantized
``.ftz`` files) in Rust, in parallel, with the labels and probabilities of the
``fasttext`` package; :func:`language_id` gives each document a language and its
probability with fastText's ``lid.176`` model.

:func:`train` trains a fastText-style classifier (hashed word n-grams, a linear model)
from labelled texts, deterministically for a seed; the :class:`TrainedClassifier` it
returns predicts, reports its held-out AUC and saves a ``.bin`` that ``fasttext``
loads. :func:`select_by_score` keeps documents by score: a threshold, the top ``k``, or
GPT-3's Pareto-noise rule.
"""

from __future__ import annotations

from thresher.quality.fasttext import FastText, language_id, lid176_path
from thresher.quality.selection import pareto_inclusion, select_by_score
from thresher.quality.train import TrainedClassifier, roc_auc, train

__all__ = [
    "FastText",
    "TrainedClassifier",
    "language_id",
    "lid176_path",
    "pareto_inclusion",
    "roc_auc",
    "select_by_score",
    "train",
]
