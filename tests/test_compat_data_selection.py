"""compat="data-selection" reproduces PyPI data-selection 1.0.3 (HashedNgramDSIR):
its log importance weights to 1e-6 on real and multilingual text, its bucketing
(sha256 test vectors) and its per-example length metadata (token counts)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import thresher
from data_selection import HashedNgramDSIR
from nltk.tokenize import WordPunctTokenizer
from thresher import _core


@dataclass
class Reference:
    """What data-selection computed on one raw corpus."""

    log_weights: np.ndarray
    lengths: np.ndarray
    log_diff: np.ndarray


def run_data_selection(raw: Path, target: Path, cache_dir: Path) -> Reference:
    ds = HashedNgramDSIR(
        raw_datasets=[str(raw)],
        target_datasets=[str(target)],
        cache_dir=str(cache_dir),
        num_proc=1,
    )
    ds.fit_importance_estimator(num_tokens_to_fit="all")
    ds.compute_importance_weights()
    weight_files = sorted((cache_dir / "log_importance_weights").glob("*.npy"))
    assert [p.name for p in weight_files] == ["0.npy"]
    return Reference(
        log_weights=np.load(weight_files[0]),
        lengths=np.load(cache_dir / "perexample_metadata" / "0.npy"),
        log_diff=np.asarray(ds.log_diff),
    )


@pytest.fixture(scope="module", params=["raw_small.jsonl", "unicode_small.jsonl"])
def corpus(
    request: pytest.FixtureRequest,
    data_dir: Path,
    target_path: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, Reference, thresher.DSIR]:
    raw = data_dir / request.param
    reference = run_data_selection(raw, target_path, tmp_path_factory.mktemp("ds_cache"))
    dsir = thresher.DSIR(compat="data-selection").fit(target_path, raw)
    return raw, reference, dsir


def test_log_weights_match_data_selection(corpus: tuple[Path, Reference, thresher.DSIR]) -> None:
    raw, reference, dsir = corpus
    ours = dsir.log_weights(raw)
    assert ours.shape == reference.log_weights.shape
    difference = np.abs(ours - reference.log_weights)
    worst = int(difference.argmax())
    assert difference.max() < 1e-6, (
        f"document {worst}: {ours[worst]} vs {reference.log_weights[worst]}"
    )


def test_log_diff_matches_data_selection(corpus: tuple[Path, Reference, thresher.DSIR]) -> None:
    _, reference, dsir = corpus
    assert dsir.log_diff.shape == (1, 10_000)
    np.testing.assert_allclose(dsir.log_diff[0], reference.log_diff, rtol=0, atol=1e-9)


def test_token_counts_match_data_selection_lengths(
    corpus: tuple[Path, Reference, thresher.DSIR],
) -> None:
    raw, reference, dsir = corpus
    _, tokens = _core.dsir_log_weights(dsir.model, thresher.read(raw).stream(), "text")
    np.testing.assert_array_equal(tokens, reference.lengths.astype(np.int64))


def test_min_length_eligibility_matches_data_selection_filter(
    corpus: tuple[Path, Reference, thresher.DSIR],
) -> None:
    raw, reference, dsir = corpus
    min_length = 100  # data-selection's default min_example_length
    expected = int((reference.lengths >= min_length).sum())
    assert 0 < expected < len(reference.lengths)
    sel = dsir.select(raw, k=min(5, expected), min_length=min_length, method="top_k")
    assert sel.eligible == expected
    assert np.all(reference.lengths[sel.rows.astype(np.int64)] >= min_length)


def test_top_k_selects_data_selection_top_k(corpus: tuple[Path, Reference, thresher.DSIR]) -> None:
    raw, reference, dsir = corpus
    k = 20
    sel = dsir.select(raw, k=k, method="top_k")
    expected = np.sort(np.argsort(-reference.log_weights, kind="stable")[:k])
    np.testing.assert_array_equal(sel.rows, expected)


def test_fit_stats_count_what_data_selection_counts(
    corpus: tuple[Path, Reference, thresher.DSIR],
) -> None:
    _, reference, dsir = corpus
    stats = dsir.fit_stats["raw"]
    assert stats.documents == len(reference.lengths)
    assert stats.tokens == int(reference.lengths.sum())
    # With bigrams, a document of t >= 1 tokens has 2t - 1 features.
    assert stats.features == int(sum(2 * t - 1 for t in reference.lengths if t > 0))


def test_compat_sets_data_selection_estimator() -> None:
    dsir = thresher.DSIR(compat="data-selection")
    assert (dsir.hash, dsir.target_smoothing, dsir.raw_smoothing, dsir.epsilon) == (
        "sha256",
        0.0,
        0.0,
        1e-8,
    )
    assert (dsir.ngrams, dsir.num_buckets) == (2, 10_000)


# ---------------------------------------------------------------- bucketing
def test_sha256_bucket_test_vectors() -> None:
    pairs = dict(_core.feature_buckets("alice went", 2, 10_000, "sha256"))
    assert pairs["alice"] == 6720
    assert pairs["alice went"] == 114


def test_sha256_buckets_lowercase_first() -> None:
    assert dict(_core.feature_buckets("Alice WENT", 2, 10_000, "sha256"))["alice went"] == 114


@pytest.mark.parametrize("num_buckets", [1, 7, 10_000, 2**32 - 1])
def test_sha256_buckets_equal_python_hashlib(num_buckets: int, unicode_path: Path) -> None:
    text = unicode_path.read_text(encoding="utf-8")[:3000]
    for ngram, bucket in _core.feature_buckets(text, 3, num_buckets, "sha256"):
        expected = int(hashlib.sha256(ngram.encode("utf-8")).hexdigest(), 16) % num_buckets
        assert bucket == expected, ngram


def test_tokens_equal_nltk_wordpunct_on_multilingual_text(unicode_path: Path) -> None:
    tokenizer = WordPunctTokenizer()
    for line in unicode_path.read_text(encoding="utf-8").splitlines():
        text = json.loads(line)["text"]
        unigrams = [g for g, _ in _core.feature_buckets(text, 1, 10, "sha256")]
        assert unigrams == tokenizer.tokenize(text.lower())


def test_tokens_of_tricky_strings_equal_nltk() -> None:
    tokenizer = WordPunctTokenizer()
    samples = [
        "Good muffins cost $3.88\nin New-York.",
        "ΚΟΣΜΟΣ καλημέρα ΣΑΣ",  # final sigma when lowercasing
        "İstanbul ǅemal ﬁne",  # dotted I, titlecase digraph, ligature
        "naïve café—déjà vu…",
        "x\u00a0y\u2003z\u200bw",  # no-break, em space, zero-width space
        "a_b __init__ 3.14e-5 ١٢٣",  # connector punctuation, Arabic-Indic digits
        "日本語のテキスト。한국어 텍스트!",
        "e\u0301 combining, क्षत्रिय, ශ්‍රී",  # marks, virama, ZWJ
        "emoji 👍🏽 and flags 🇫🇷!",
    ]
    for text in samples:
        unigrams = [g for g, _ in _core.feature_buckets(text, 1, 10, "sha256")]
        assert unigrams == tokenizer.tokenize(text.lower()), text
