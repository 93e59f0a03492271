"""Trained quality classifiers (thresher.quality.train) and selection by score.

Parity is checked against the ``fasttext`` package itself: the saved ``.bin`` loads in
``fasttext.load_model`` and predicts the same labels and probabilities (within 1e-5).
AUC is checked against ``sklearn.metrics.roc_auc_score``.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import fasttext
import numpy as np
import pyarrow as pa
import pytest
import thresher
from sklearn.metrics import roc_auc_score
from thresher.cli import main
from thresher.exceptions import EmptyInputError, InvalidParameterError, MissingFieldError
from thresher.quality import pareto_inclusion, roc_auc, select_by_score, train

SMALL = {"dim": 16, "buckets": 20_000, "epochs": 25, "lr": 0.5, "holdout": 0.2}


def _texts(path: Path, keep: object = None) -> list[str]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    return [r["text"] for r in rows if keep is None or r["domain"] != keep]


@pytest.fixture(scope="module")
def corpora(raw_path: Path, target_path: Path) -> tuple[pa.Table, pa.Table]:
    """PostgreSQL documentation (positive) and the other domains of the raw fixture."""
    pos = pa.table({"text": _texts(target_path)})
    neg = pa.table({"text": _texts(raw_path, keep="postgresql")})
    return pos, neg


@pytest.fixture(scope="module")
def trained(corpora: tuple[pa.Table, pa.Table]) -> thresher.quality.TrainedClassifier:
    return train(*corpora, **SMALL, seed=0)


def test_separable_fixture_has_high_auc_and_consistent_report(trained) -> None:
    assert trained.auc is not None and trained.auc > 0.95  # 0.966 at seed 0
    r = trained.report
    assert sum(r["train_documents"].values()) + sum(r["holdout_documents"].values()) == 60 + 384
    assert len(trained.holdout_rows) == sum(r["holdout_documents"].values())
    assert r["epoch_loss"][-1] < r["epoch_loss"][0]
    # The reported AUC is the exact AUC of the held-out scores.
    y = trained.holdout_rows < 60
    assert trained.auc == pytest.approx(roc_auc_score(y, trained.holdout_scores[:, 0]), abs=1e-12)


def test_saved_bin_loads_in_fasttext_and_predicts_the_same(trained, corpora, tmp_path) -> None:
    path = trained.save(tmp_path / "pg.bin")
    ft = fasttext.load_model(str(path))
    assert ft.labels == trained.labels
    texts = [t.replace("\n", " ") for t in corpora[0].column("text").to_pylist()[:30]]
    texts += [t.replace("\n", " ") for t in corpora[1].column("text").to_pylist()[:30]]
    texts += ["", "zzzz-unknown-word"]
    ft_labels, ft_probs = ft.predict(texts, k=2)
    ours_labels, ours_probs = trained.predict(texts, k=2)
    for a, b, pa_, pb in zip(ft_labels, ours_labels, ft_probs, ours_probs, strict=True):
        assert tuple(a) == tuple(b)
        np.testing.assert_allclose(pa_, pb, atol=1e-5)
    # predict_proba agrees too, column by name.
    proba = trained.predict_proba(texts[:5])
    for i, t in enumerate(texts[:5]):
        labels, probs = ft.predict(t, k=-1)
        got = dict(zip(labels, probs, strict=True))
        assert proba[i, 0] == pytest.approx(got["__label__positive"], abs=1e-5)
    assert trained.to_bytes() == path.read_bytes()
    assert isinstance(trained.to_fasttext(), thresher.quality.FastText)
    table = trained.predict_source(pa.table({"text": texts[:3]}))
    assert table.column("label").to_pylist() == [x[0][len("__label__") :] for x in ours_labels[:3]]


def test_same_model_bytes_whatever_the_thread_count(corpora) -> None:
    before = thresher.get_num_threads()
    try:
        out = []
        for threads in (1, 2, 4):
            thresher.set_num_threads(threads)
            out.append(train(*corpora, **SMALL, seed=11).to_bytes())
    finally:
        thresher.set_num_threads(before)
    assert out[0] == out[1] == out[2]
    assert train(*corpora, **SMALL, seed=12).to_bytes() != out[0]


def test_label_column_and_ova_loss(raw_path: Path) -> None:
    rows = [json.loads(line) for line in raw_path.read_text(encoding="utf-8").splitlines()]
    rows = [r for r in rows if r["domain"] in ("java", "rust", "linux")]
    table = pa.table({"text": [r["text"] for r in rows], "domain": [r["domain"] for r in rows]})
    clf = train(table, label_column="domain", **SMALL, seed=0)
    assert clf.names == ["java", "linux", "rust"]
    assert clf.auc is not None and clf.auc > 0.9
    assert set(clf.report["auc_per_class"]) == {"java", "linux", "rust"}
    ova = train(table, label_column="domain", loss="ova", **SMALL, seed=0)
    assert ova.auc is not None and ova.auc > 0.9


def test_roc_auc_is_exact_against_sklearn() -> None:
    rng = np.random.default_rng(0)
    for n in (2, 7, 100, 1000):
        y = rng.integers(0, 2, n)
        y[0], y[-1] = 0, 1
        s = rng.integers(0, 5, n) / 4.0  # many ties
        assert roc_auc(s, y) == pytest.approx(roc_auc_score(y, s), abs=1e-12)
        s = rng.random(n)
        assert roc_auc(s, y) == pytest.approx(roc_auc_score(y, s), abs=1e-12)
    assert roc_auc([0.1, 0.2], [1, 1]) is None


@pytest.mark.parametrize("s", [0.0, 0.25, 0.5, 0.8, 0.95, 1.0])
def test_pareto_rule_inclusion_rate(s: float) -> None:
    # P(pareto(alpha) > 1 - s) = (2 - s) ** -alpha for a Lomax draw; n draws give a
    # binomial count whose standard error is sqrt(p (1 - p) / n): 5 of them is a
    # tolerance a correct rule fails with probability below 1e-6.
    n, alpha = 200_000, 9.0
    kept = select_by_score(np.full(n, s), pareto_alpha=alpha, seed=5)
    p = (1.0 / (2.0 - s)) ** alpha
    assert pareto_inclusion(s, alpha) == pytest.approx(p)
    se = math.sqrt(p * (1 - p) / n)
    assert abs(len(kept) / n - p) <= 5 * se + 1e-12


def test_pareto_rule_matches_numpy_pareto_distribution() -> None:
    # The empirical rates of many scores at once, against numpy's own Pareto draws
    # (the rule GPT-3 wrote with np.random.pareto): same expected rate per score.
    n = 100_000
    scores = np.repeat(np.array([0.3, 0.6, 0.9]), n)
    kept = np.zeros(len(scores), bool)
    kept[select_by_score(scores, pareto_alpha=3.0, seed=2)] = True
    ref = np.random.default_rng(0).pareto(3.0, len(scores)) > 1 - scores
    for i in range(3):
        ours, theirs = kept[i * n : (i + 1) * n].mean(), ref[i * n : (i + 1) * n].mean()
        p = (2 - scores[i * n]) ** -3.0
        se = math.sqrt(2 * p * (1 - p) / n)
        assert abs(ours - theirs) <= 5 * se


def test_pareto_selection_is_deterministic_across_threads() -> None:
    scores = np.linspace(0, 1, 50_001)
    before = thresher.get_num_threads()
    try:
        thresher.set_num_threads(1)
        a = select_by_score(scores, pareto_alpha=9, seed=4)
        thresher.set_num_threads(3)
        b = select_by_score(scores, pareto_alpha=9, seed=4)
    finally:
        thresher.set_num_threads(before)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, select_by_score(scores, pareto_alpha=9, seed=5))


def test_threshold_and_top_k() -> None:
    s = np.array([0.2, 0.9, 0.9, 0.1, 0.5])
    np.testing.assert_array_equal(select_by_score(s, threshold=0.5), [1, 2, 4])
    np.testing.assert_array_equal(select_by_score(s, k=2), [1, 2])
    np.testing.assert_array_equal(select_by_score(s, k=10), np.arange(5))
    with pytest.raises(InvalidParameterError):
        select_by_score(s)
    with pytest.raises(InvalidParameterError):
        select_by_score(s, k=1, threshold=0.3)
    with pytest.raises(InvalidParameterError):
        select_by_score([0.5, float("nan")], k=1)
    with pytest.raises(InvalidParameterError):
        select_by_score([1.5], pareto_alpha=9)


def test_bad_input(corpora) -> None:
    pos, neg = corpora
    empty = pa.table({"text": pa.array([], pa.string())})
    with pytest.raises(EmptyInputError):
        train(pos, empty, **SMALL)
    one = pa.table({"text": ["a b", "c d", "e f"], "label": ["x", "x", "x"]})
    with pytest.raises(EmptyInputError):
        train(one, label_column="label", **SMALL)
    with pytest.raises(InvalidParameterError):
        train(pos, neg, label_column="label")
    with pytest.raises(InvalidParameterError):
        train(pos)
    with pytest.raises(MissingFieldError):
        train(pos, label_column="nope")
    with pytest.raises(InvalidParameterError):
        train(pos, neg, dim=0)
    with pytest.raises(InvalidParameterError):
        train(pos, neg, holdout=1.0)
    with pytest.raises(InvalidParameterError):
        train(pos, neg, loss="hs")
    spaced = pa.table({"text": ["a", "b", "c", "d"], "label": ["x y", "z", "x y", "z"]})
    with pytest.raises(InvalidParameterError):
        train(spaced, label_column="label", **SMALL)


def test_cli_trains_and_prints_the_auc(raw_path, target_path, tmp_path, capsys) -> None:
    out = tmp_path / "m.bin"
    args = ["train-classifier", "--positive", str(target_path), "--negative", str(raw_path)]
    args += ["--out", str(out), "--dim", "16", "--buckets", "20000", "--holdout", "0.2"]
    assert main(args) == 0
    printed = capsys.readouterr().out
    assert "held-out AUC" in printed
    assert fasttext.load_model(str(out)).labels[0].startswith("__label__")
