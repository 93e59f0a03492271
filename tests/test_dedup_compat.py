"""Bit-compatibility with datasketch 2.0: signatures of the ``affine32`` and ``legacy``
schemes equal datasketch's own on the same shingles (random and real text, several
seeds and permutation counts), and ``optimal_param`` equals ``_optimal_param``."""

from __future__ import annotations

import random
from typing import Any

import numpy as np
import pytest
import thresher
from datasketch import MinHash
from datasketch.lsh import _optimal_param


def random_texts(seed: int, count: int) -> list[str]:
    rng = random.Random(seed)
    vocabulary = ["alpha", "beta", "Gamma", "δέλτα", "ε", "zeta", "eta!", "théta", "ιώτα", "k"]
    texts = []
    for _ in range(count):
        words = rng.choices(vocabulary, k=rng.randint(0, 30))
        texts.append(" ".join(words) + rng.choice(["", ".", " ...", "\n\t"]))
    return texts


def datasketch_signature(
    hasher: thresher.MinHasher, text: str, scheme: str, num_perm: int, seed: int
) -> np.ndarray[Any, Any]:
    m = MinHash(num_perm=num_perm, seed=seed, scheme=scheme)
    shingles = hasher.shingles(text)
    if shingles:
        m.update_batch([s.encode("utf8") for s in shingles])
    return np.asarray(m.hashvalues, dtype=np.uint64)


@pytest.mark.parametrize("scheme", ["affine32", "legacy"])
@pytest.mark.parametrize(("num_perm", "seed", "ngram"), [(128, 1, 5), (64, 42, 3), (17, 7, 1)])
def test_signatures_equal_datasketch_on_random_text(
    scheme: str, num_perm: int, seed: int, ngram: int
) -> None:
    texts = random_texts(seed, 60)
    hasher = thresher.MinHasher(num_perm, ngram, scheme=scheme, seed=seed)  # type: ignore[arg-type]
    ours = hasher.signatures(texts)
    for i, text in enumerate(texts):
        expected = datasketch_signature(hasher, text, scheme, num_perm, seed)
        assert ours[i].astype(np.uint64).tolist() == expected.tolist(), (i, text)


@pytest.mark.parametrize("scheme", ["affine32", "legacy"])
@pytest.mark.parametrize("unit", ["word", "char"])
def test_signatures_equal_datasketch_on_real_text(
    scheme: str, unit: str, raw_records: list[dict[str, Any]]
) -> None:
    texts = [r["text"] for r in raw_records[:40]]
    hasher = thresher.MinHasher(128, 5, scheme=scheme, seed=3, unit=unit)  # type: ignore[arg-type]
    ours = hasher.signatures(texts)
    for i, text in enumerate(texts):
        expected = datasketch_signature(hasher, text, scheme, 128, 3)
        assert ours[i].astype(np.uint64).tolist() == expected.tolist()


def test_shingles_are_what_datasketch_users_build() -> None:
    hasher = thresher.MinHasher(ngram=3)
    text = "The  quick, brown fox; jumps!"
    words = ["the", "quick", "brown", "fox", "jumps"]
    expected = [" ".join(words[i : i + 3]) for i in range(len(words) - 2)]
    assert hasher.shingles(text) == expected
    assert thresher.MinHasher(ngram=9).shingles(text) == [" ".join(words)]


@pytest.mark.parametrize("threshold", [0.3, 0.5, 0.7, 0.8, 0.9])
@pytest.mark.parametrize(("num_perm", "weights"), [(128, (0.5, 0.5)), (64, (0.3, 0.7))])
def test_optimal_param_equals_datasketch(
    threshold: float, num_perm: int, weights: tuple[float, float]
) -> None:
    expected = _optimal_param(threshold, num_perm, *weights)
    assert thresher.optimal_param(threshold, num_perm, *weights) == expected
