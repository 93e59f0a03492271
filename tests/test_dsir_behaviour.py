"""What DSIR computes and selects, checked against first principles on real text:
target-domain enrichment, KL reduction, quotas of several targets, eligibility,
normalisation and clipping, early stopping of the fit, explanations, the weight as a
dot product, writing selections, and the command line."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
import thresher
from corpus_helpers import run_dsir_cli
from thresher import _core
from thresher.cli import main
from thresher.exceptions import InvalidParameterError


def domains_of(sel: thresher.Selection) -> list[str]:
    return sel.table.column("domain").to_pylist()


def tokens_of(dsir: thresher.DSIR, source: Any) -> np.ndarray:
    src = thresher.read(source)
    _, tokens = _core.dsir_log_weights(dsir.model, src.stream(), src.text_column)
    return tokens.astype(np.int64)


# ---------------------------------------------------------------- enrichment
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_selection_is_enriched_in_the_target_domain(
    seed: int, small_dsir: thresher.DSIR, raw_path: Path, raw_table: pa.Table
) -> None:
    base_rate = Counter(raw_table.column("domain").to_pylist())["postgresql"] / raw_table.num_rows
    assert base_rate == pytest.approx(16 / 400)
    sel = small_dsir.select(raw_path, k=16, seed=seed)
    share = Counter(domains_of(sel))["postgresql"] / len(sel)
    assert share >= 10 * base_rate, Counter(domains_of(sel))


def test_postgresql_documents_have_the_highest_weights(
    small_log_weights: np.ndarray, raw_table: pa.Table
) -> None:
    is_pg = np.array(raw_table.column("domain").to_pylist()) == "postgresql"
    # The median PostgreSQL document outranks 90% of the others.
    assert np.median(small_log_weights[is_pg]) > np.quantile(small_log_weights[~is_pg], 0.9)


# ---------------------------------------------------------------- KL reduction
def test_kl_reduction_of_selection_is_positive_and_beats_random(
    small_dsir: thresher.DSIR, raw_path: Path, raw_table: pa.Table
) -> None:
    # Half the corpus: a uniform half is close to the raw distribution, so its KL
    # reduction is ~0 (slightly negative: a smaller sample is smoothed more).
    sel = small_dsir.select(raw_path, k=200, seed=0)
    assert sel.kl_reduction["target"] > 0.01
    rng = np.random.default_rng(0)
    for _ in range(3):
        uniform = raw_table.take(np.sort(rng.choice(raw_table.num_rows, 200, replace=False)))
        random_kl = small_dsir.kl_reduction(uniform)
        assert abs(random_kl) < 0.015
        assert sel.kl_reduction["target"] > random_kl + 0.015


def test_kl_reduction_of_the_raw_corpus_itself_is_zero(
    small_dsir: thresher.DSIR, raw_path: Path
) -> None:
    assert small_dsir.kl_reduction(raw_path) == pytest.approx(0.0, abs=1e-12)


def test_kl_reduction_of_the_target_itself_is_the_largest(
    small_dsir: thresher.DSIR, raw_path: Path, target_path: Path
) -> None:
    best = small_dsir.kl_reduction(target_path)
    sel = small_dsir.select(raw_path, k=100, seed=0)
    assert best > sel.kl_reduction["target"] > 0


def test_selection_kl_reduction_equals_kl_reduction_of_its_table(
    small_dsir: thresher.DSIR, raw_path: Path
) -> None:
    sel = small_dsir.select(raw_path, k=60, seed=3)
    assert sel.kl_reduction["target"] == pytest.approx(
        small_dsir.kl_reduction(sel.table), abs=1e-12
    )


def test_kl_reduction_matches_its_definition(small_dsir: thresher.DSIR, raw_path: Path) -> None:
    sel = small_dsir.select(raw_path, k=50, seed=1)
    with_counts = _core.count_features(sel.table, "text", 2, 1000, "xxh3")[0].astype(float)
    state = small_dsir._state_arrays()
    target = state["target_counts"][0].astype(float)
    raw = state["raw_counts"].astype(float)

    def kl(p_counts: np.ndarray, q_counts: np.ndarray) -> float:
        p = p_counts / p_counts.sum()
        q = (q_counts + 1) / (q_counts.sum() + len(q_counts))
        mask = p > 0
        return float((p[mask] * np.log(p[mask] / q[mask])).sum())

    expected = kl(target, raw) - kl(target, with_counts)
    assert sel.kl_reduction["target"] == pytest.approx(expected, abs=1e-9)


# ---------------------------------------------------------------- several targets
@pytest.fixture(scope="module")
def two_targets(target_path: Path, raw_path: Path, raw_table: pa.Table) -> thresher.DSIR:
    rust = raw_table.filter(pc.equal(raw_table.column("domain"), "rust"))
    return thresher.DSIR(num_buckets=1000).fit({"pg": target_path, "rust": rust}, raw_path)


def test_several_targets_with_quota_mapping(two_targets: thresher.DSIR, raw_path: Path) -> None:
    sel = two_targets.select(raw_path, k={"pg": 10, "rust": 15}, seed=0)
    assert len(sel) == 25
    assert len(set(sel.rows.tolist())) == 25  # disjoint
    assert Counter(sel.table.column("dsir_target").to_pylist()) == {"pg": 10, "rust": 15}
    targets = sel.table.column("dsir_target").to_pylist()
    by_target = Counter(zip(targets, domains_of(sel), strict=True))
    assert by_target[("pg", "postgresql")] >= 6
    assert by_target[("rust", "rust")] >= 12
    np.testing.assert_array_equal(
        sel.targets, [0 if t == "pg" else 1 for t in sel.table.column("dsir_target").to_pylist()]
    )
    assert set(sel.kl_reduction) == {"pg", "rust"}


def test_several_targets_integer_k_is_split_by_target_size(
    two_targets: thresher.DSIR, raw_path: Path
) -> None:
    k = 31
    sizes = np.array([two_targets.fit_stats[n].features for n in ("pg", "rust")], dtype=float)
    first = int(k * sizes[0] / sizes.sum())
    sel = two_targets.select(raw_path, k=k, seed=0)
    assert len(sel) == k == len(set(sel.rows.tolist()))
    assert Counter(sel.table.column("dsir_target").to_pylist()) == {"pg": first, "rust": k - first}


def test_several_targets_resolve_in_order_without_overlap(
    two_targets: thresher.DSIR, raw_path: Path
) -> None:
    weights = two_targets.log_weights(raw_path)
    assert weights.shape == (400, 2)
    sel = two_targets.select(raw_path, k={"pg": 20, "rust": 30}, method="top_k")
    pg_rows = set(np.argsort(-weights[:, 0], kind="stable")[:20].tolist())
    rust_order = [int(r) for r in np.argsort(-weights[:, 1], kind="stable") if r not in pg_rows]
    targets = sel.table.column("dsir_target").to_pylist()
    got_pg = {int(r) for r, t in zip(sel.rows, targets, strict=True) if t == "pg"}
    got_rust = {int(r) for r, t in zip(sel.rows, targets, strict=True) if t == "rust"}
    assert got_pg == pg_rows
    assert got_rust == set(rust_order[:30])


def test_each_target_weighs_like_a_single_target_model(
    two_targets: thresher.DSIR, raw_path: Path, small_log_weights: np.ndarray
) -> None:
    np.testing.assert_array_equal(two_targets.log_weights(raw_path)[:, 0], small_log_weights)


def test_explain_takes_a_target_name(two_targets: thresher.DSIR, raw_table: pa.Table) -> None:
    text = raw_table.column("text")[0].as_py()
    weights = two_targets.log_weights(pa.table({"text": [text]}))[0]
    for index, name in enumerate(("pg", "rust")):
        total = sum(c for _, c in two_targets.explain(text, top=10**9, target=name))
        assert total == pytest.approx(weights[index], abs=1e-6)
    with pytest.raises(InvalidParameterError) as info:
        two_targets.explain(text, target="java")
    assert info.value.parameter == "target"


# ---------------------------------------------------------------- eligibility
@pytest.mark.parametrize("min_length", [100, 200, 650])
def test_min_length_excludes_short_documents(
    min_length: int, small_dsir: thresher.DSIR, raw_path: Path
) -> None:
    tokens = tokens_of(small_dsir, raw_path)
    eligible = int((tokens >= min_length).sum())
    assert 0 < eligible < 400
    sel = small_dsir.select(raw_path, k=eligible, min_length=min_length, seed=0)
    assert (sel.documents, sel.eligible) == (400, eligible)
    assert np.all(tokens[sel.rows.astype(np.int64)] >= min_length)
    # Asking for all of them selects exactly the eligible documents.
    np.testing.assert_array_equal(sel.rows, np.flatnonzero(tokens >= min_length))


def test_token_counts_are_the_unigram_counts(
    small_dsir: thresher.DSIR, raw_table: pa.Table
) -> None:
    tokens = tokens_of(small_dsir, raw_table)
    for i in range(0, 400, 37):
        text = raw_table.column("text")[i].as_py()
        unigrams = _core.feature_buckets(text, 1, 1000, "xxh3")
        assert tokens[i] == len(unigrams)


# ---------------------------------------------------------------- normalisation, clipping
def test_per_token_divides_by_the_token_count(small_dsir: thresher.DSIR, raw_path: Path) -> None:
    plain = small_dsir.log_weights(raw_path)
    tokens = tokens_of(small_dsir, raw_path)
    per_token = small_dsir.log_weights(raw_path, normalize="per_token")
    np.testing.assert_allclose(per_token, plain / np.maximum(tokens, 1), rtol=1e-14, atol=0)


def test_per_token_of_an_empty_document_is_zero(small_dsir: thresher.DSIR) -> None:
    weights = small_dsir.log_weights(
        pa.table({"text": ["", " \n\t", "select"]}), normalize="per_token"
    )
    assert weights[:2].tolist() == [0.0, 0.0]
    assert np.isfinite(weights[2])


def test_clip_clamps_the_log_weights(small_dsir: thresher.DSIR, raw_path: Path) -> None:
    plain = small_dsir.log_weights(raw_path)
    low, high = np.quantile(plain, [0.1, 0.9])
    clipped = small_dsir.log_weights(raw_path, clip=(low, high))
    np.testing.assert_array_equal(clipped, np.clip(plain, low, high))
    assert (clipped == low).sum() >= 39 and (clipped == high).sum() >= 39


def test_clip_applies_after_per_token(small_dsir: thresher.DSIR, raw_path: Path) -> None:
    per_token = small_dsir.log_weights(raw_path, normalize="per_token")
    both = small_dsir.log_weights(raw_path, normalize="per_token", clip=(-0.5, 0.5))
    np.testing.assert_array_equal(both, np.clip(per_token, -0.5, 0.5))


def test_select_reports_normalized_and_clipped_weights(
    small_dsir: thresher.DSIR, raw_path: Path
) -> None:
    expected = small_dsir.log_weights(raw_path, normalize="per_token", clip=(-1.0, 0.2))
    sel = small_dsir.select(raw_path, k=30, seed=2, normalize="per_token", clip=(-1.0, 0.2))
    np.testing.assert_array_equal(sel.log_weights, expected[sel.rows.astype(np.int64)])
    np.testing.assert_array_equal(sel.table.column("dsir_log_weight").to_numpy(), sel.log_weights)


def test_clip_makes_clipped_documents_equally_likely(
    small_dsir: thresher.DSIR, raw_path: Path
) -> None:
    # With every weight clipped to one value, top_k keeps the first rows (ties by row).
    sel = small_dsir.select(raw_path, k=10, method="top_k", clip=(0.0, 0.0))
    assert sel.rows.tolist() == list(range(10))


# ---------------------------------------------------------------- early stopping of the fit
@pytest.mark.parametrize("limit", [1, 10_000, 100_000])
def test_num_tokens_to_fit_stops_after_the_crossing_document(
    limit: int, target_path: Path, raw_path: Path, raw_table: pa.Table
) -> None:
    dsir = thresher.DSIR(num_buckets=1000).fit(target_path, raw_path, num_tokens_to_fit=limit)
    features = np.array(
        [
            len(_core.feature_buckets(t, 2, 1000, "xxh3"))
            for t in raw_table.column("text").to_pylist()
        ]
    )
    cumulative = np.cumsum(features)
    documents = int(np.searchsorted(cumulative, limit, side="right")) + 1
    stats = dsir.fit_stats["raw"]
    assert stats.documents == documents < 400
    assert stats.features == cumulative[documents - 1] > limit
    prefix = thresher.DSIR(num_buckets=1000).fit(target_path, raw_table.slice(0, documents))
    np.testing.assert_array_equal(dsir.log_diff, prefix.log_diff)


def test_num_tokens_to_fit_does_not_limit_the_target(target_path: Path, raw_path: Path) -> None:
    full = thresher.DSIR(num_buckets=1000).fit(target_path, raw_path)
    limited = thresher.DSIR(num_buckets=1000).fit(target_path, raw_path, num_tokens_to_fit=5_000)
    assert limited.fit_stats["target"] == full.fit_stats["target"]
    assert limited.fit_stats["raw"].documents < full.fit_stats["raw"].documents


def test_num_tokens_to_fit_larger_than_corpus_counts_everything(
    target_path: Path, raw_path: Path, small_dsir: thresher.DSIR
) -> None:
    dsir = thresher.DSIR(num_buckets=1000).fit(target_path, raw_path, num_tokens_to_fit=10**12)
    assert dsir.fit_stats == small_dsir.fit_stats


# ---------------------------------------------------------------- weights from first principles
def test_explain_contributions_sum_to_the_log_weight(
    small_dsir: thresher.DSIR, raw_table: pa.Table, small_log_weights: np.ndarray
) -> None:
    for i in range(0, 400, 23):
        text = raw_table.column("text")[i].as_py()
        contributions = small_dsir.explain(text, top=10**9)
        assert sum(c for _, c in contributions) == pytest.approx(small_log_weights[i], abs=1e-6)
        values = [c for _, c in contributions]
        assert values == sorted(values, reverse=True)
        assert len({g for g, _ in contributions}) == len(contributions)  # one entry per n-gram


def test_explain_top_returns_the_strongest_ngrams(small_dsir: thresher.DSIR) -> None:
    text = "SELECT relname FROM pg_class WHERE relkind = 'r'; the cat sat"
    top3 = small_dsir.explain(text, top=3)
    everything = small_dsir.explain(text, top=10**9)
    assert top3 == everything[:3]
    # A contribution is the n-gram's count times log_diff of its bucket.
    pairs = _core.feature_buckets(text, 2, 1000, "xxh3")
    for ngram, contribution in top3:
        buckets = [b for g, b in pairs if g == ngram]
        expected = len(buckets) * small_dsir.log_diff[0][buckets[0]]
        assert contribution == pytest.approx(expected, abs=1e-12)


def test_log_weight_is_log_diff_dot_naive_counts(
    small_dsir: thresher.DSIR, raw_table: pa.Table, small_log_weights: np.ndarray
) -> None:
    log_diff = small_dsir.log_diff[0]
    for i, text in enumerate(raw_table.column("text").to_pylist()):
        counts = np.zeros(1000)
        for _, bucket in _core.feature_buckets(text, 2, 1000, "xxh3"):
            counts[bucket] += 1
        assert small_log_weights[i] == pytest.approx(float(counts @ log_diff), abs=1e-6), i


def test_log_diff_is_the_smoothed_log_ratio(small_dsir: thresher.DSIR) -> None:
    state = small_dsir._state_arrays()
    target = state["target_counts"][0].astype(float)
    raw = state["raw_counts"].astype(float)
    p_target = (target + 1) / (target.sum() + 1000)
    p_raw = (raw + 1) / (raw.sum() + 1000)
    np.testing.assert_allclose(small_dsir.log_diff[0], np.log(p_target) - np.log(p_raw), atol=1e-12)


# ---------------------------------------------------------------- writing selections
@pytest.mark.parametrize("name", ["sel.parquet", "sel.jsonl", "sel.jsonl.zst", "sel.jsonl.gz"])
def test_selection_write_round_trips(
    name: str, tmp_path: Path, small_dsir: thresher.DSIR, raw_path: Path
) -> None:
    sel = small_dsir.select(raw_path, k=25, seed=6)
    path = sel.write(tmp_path / name)
    assert path == tmp_path / name
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]  # no temporary file left
    back = thresher.read(path).to_reader().read_all()
    assert back.num_rows == 25
    for column in ("text", "domain", "source", "dsir_row"):
        assert back.column(column).to_pylist() == sel.table.column(column).to_pylist(), column
    np.testing.assert_array_equal(back.column("dsir_log_weight").to_numpy(), sel.log_weights)


def test_jsonl_output_is_one_object_per_line_in_schema_order(
    tmp_path: Path, small_dsir: thresher.DSIR, raw_path: Path
) -> None:
    sel = small_dsir.select(raw_path, k=5, seed=0, columns="text")
    path = sel.write(tmp_path / "sel.jsonl")
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 5
    for line, row, weight in zip(lines, sel.rows, sel.log_weights, strict=True):
        obj = json.loads(line)
        assert list(obj) == ["text", "dsir_row", "dsir_log_weight"]
        assert (obj["dsir_row"], obj["dsir_log_weight"]) == (int(row), float(weight))


def test_write_table_rejects_unknown_extension(tmp_path: Path) -> None:
    with pytest.raises(InvalidParameterError, match=r"out\.csv"):
        thresher.write_table(pa.table({"text": ["a"]}), tmp_path / "out.csv")
    assert list(tmp_path.iterdir()) == []


def test_write_table_accepts_a_record_batch(tmp_path: Path) -> None:
    batch = pa.record_batch({"text": ["héllo", "wörld"], "n": [1, 2]})
    path = thresher.write_table(batch, tmp_path / "b.jsonl.zst")
    assert thresher.read(path).to_reader().read_all().to_pylist() == batch.to_pylist()


def test_columns_text_keeps_only_text_and_dsir_columns(
    small_dsir: thresher.DSIR, two_targets: thresher.DSIR, raw_path: Path
) -> None:
    sel = small_dsir.select(raw_path, k=5, seed=0, columns="text")
    assert sel.table.column_names == ["text", "dsir_row", "dsir_log_weight"]
    full = small_dsir.select(raw_path, k=5, seed=0)
    assert set(full.table.column_names) == {
        "text",
        "domain",
        "source",
        "dsir_row",
        "dsir_log_weight",
    }
    assert sel.table.column("text").to_pylist() == full.table.column("text").to_pylist()
    multi = two_targets.select(raw_path, k=6, seed=0, columns="text")
    assert multi.table.column_names == ["text", "dsir_row", "dsir_log_weight", "dsir_target"]


def test_selection_summary_and_length(small_dsir: thresher.DSIR, raw_path: Path) -> None:
    sel = small_dsir.select(raw_path, k=12, seed=0, min_length=10)
    assert len(sel) == 12
    summary = sel.summary()
    assert summary.startswith(f"selected 12 of 400 documents ({sel.eligible} eligible)")
    assert "KL reduction target:" in summary


# ---------------------------------------------------------------- command line
def cli(*args: str) -> int:
    return main(list(args))


@pytest.mark.parametrize("out_name", ["sel.parquet", "sel.jsonl.zst"])
def test_cli_dsir_end_to_end(
    out_name: str,
    tmp_path: Path,
    raw_path: Path,
    target_path: Path,
    capsys: pytest.CaptureFixture[str],
    default_threads: None,
) -> None:
    out = tmp_path / out_name
    options = ("--seed", "3", "--num-buckets", "1000", "--min-length", "30", "--threads", "1")
    code = run_dsir_cli(target_path, raw_path, 20, out, *options)
    assert code == 0
    stdout = capsys.readouterr().out
    assert "selected 20 of 400 documents" in stdout and out_name in stdout
    table = thresher.read(out).to_reader().read_all()
    expected = (
        thresher.DSIR(num_buckets=1000)
        .fit(target_path, raw_path)
        .select(raw_path, k=20, seed=3, min_length=30)
    )
    assert table.column("dsir_row").to_pylist() == expected.rows.tolist()
    assert table.column("text").to_pylist() == expected.table.column("text").to_pylist()
    assert set(table.column_names) == {"text", "domain", "source", "dsir_row", "dsir_log_weight"}
    assert Counter(table.column("domain").to_pylist())["postgresql"] >= 8


def test_cli_save_model_then_load_model_gives_the_same_output(
    tmp_path: Path,
    raw_path: Path,
    target_path: Path,
    capsys: pytest.CaptureFixture[str],
    default_threads: None,
) -> None:
    common = ["--target", str(target_path), "--raw", str(raw_path), "-k", "15", "--quiet"]
    model = tmp_path / "model.npz"
    assert cli("dsir", *common, "--out", str(tmp_path / "a.jsonl"), "--save-model", str(model)) == 0
    assert model.exists()
    assert cli("dsir", *common, "--out", str(tmp_path / "b.jsonl"), "--load-model", str(model)) == 0
    first = (tmp_path / "a.jsonl").read_bytes()
    assert first == (tmp_path / "b.jsonl").read_bytes()
    assert len(first.splitlines()) == 15


def test_cli_ids_only(
    tmp_path: Path,
    raw_path: Path,
    target_path: Path,
    capsys: pytest.CaptureFixture[str],
    default_threads: None,
) -> None:
    out = tmp_path / "ids.parquet"
    extra = ("--ids-only", "--method", "top_k")
    assert run_dsir_cli(target_path, raw_path, 7, out, *extra) == 0
    table = pq.read_table(out)
    assert table.column_names == ["dsir_row", "dsir_log_weight"]
    assert table.num_rows == 7


def test_cli_several_named_targets(
    tmp_path: Path,
    raw_path: Path,
    target_path: Path,
    raw_records: list[dict[str, Any]],
    capsys: pytest.CaptureFixture[str],
    default_threads: None,
) -> None:
    java = tmp_path / "java.jsonl"
    java.write_text("".join(json.dumps(r) + "\n" for r in raw_records if r["domain"] == "java"))
    out = tmp_path / "sel.parquet"
    assert (
        cli(
            "dsir",
            "--target",
            f"pg={target_path}",
            "--target",
            f"java={java}",
            "--raw",
            str(raw_path),
            "-k",
            "20",
            "--out",
            str(out),
            "--quiet",
        )
        == 0
    )
    table = pq.read_table(out)
    assert table.num_rows == 20
    assert set(table.column("dsir_target").to_pylist()) == {"pg", "java"}


def test_cli_several_targets_need_names(
    tmp_path: Path,
    raw_path: Path,
    target_path: Path,
    capsys: pytest.CaptureFixture[str],
    default_threads: None,
) -> None:
    out = tmp_path / "sel.parquet"
    assert (
        cli(
            "dsir",
            "--target",
            str(target_path),
            "--target",
            str(target_path),
            "--raw",
            str(raw_path),
            "-k",
            "5",
            "--out",
            str(out),
            "--quiet",
        )
        == 2
    )
    assert "NAME=PATH" in capsys.readouterr().err
    assert not out.exists()


def test_cli_demo_prints_postgresql(
    capsys: pytest.CaptureFixture[str], default_threads: None
) -> None:
    assert cli("demo", "-k", "100", "--quiet") == 0
    out = capsys.readouterr().out
    assert "postgresql" in out
    shares = [line.split() for line in out.splitlines() if line.strip().startswith("postgresql")]
    assert shares and int(shares[0][1]) >= 30  # far above its 1.4% base rate


def test_cli_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        cli("--version")
    assert info.value.code == 0
    assert thresher.__version__ in capsys.readouterr().out
