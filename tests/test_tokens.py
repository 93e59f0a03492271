"""Token counts (thresher.tokens) against the Python ``tokenizers`` package, and token
budgets in DSIR selection, sampling and mixtures."""

from __future__ import annotations

import json
import pickle
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
import thresher
from thresher import sample
from thresher.exceptions import InvalidParameterError, ReadError, TokenizerError
from thresher.tokens import TokenCounter, count_tokens

tokenizers = pytest.importorskip("tokenizers")


def _texts(raw_records: list[dict[str, Any]], unicode_path: Path) -> list[str]:
    """Real English documentation, multilingual paragraphs, and awkward strings."""
    unicode = [json.loads(line)["text"] for line in unicode_path.read_text("utf-8").splitlines()]
    awkward = [
        "",
        " ",
        "\n\n\t  trailing   ",
        "x" * 5000,
        " " * 3000 + "end",
        "emoji 🙂🙂 and CJK 漢字かな",
        "it's we'll they'd I'M",
        "<|endoftext|> inside text",
    ]
    return [r["text"] for r in raw_records] + unicode + awkward


@pytest.fixture(scope="module")
def corpus_texts(raw_records: list[dict[str, Any]], unicode_path: Path) -> list[str]:
    return _texts(raw_records, unicode_path)


@pytest.fixture(scope="module")
def bpe_path(tmp_path_factory: pytest.TempPathFactory, corpus_texts: list[str]) -> Path:
    """A small BPE (whitespace pre-tokenizer, NFKC, [UNK]) trained on the corpus."""
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE(unk_token="[UNK]"))
    tok.normalizer = normalizers.NFKC()
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    trainer = trainers.BpeTrainer(vocab_size=800, special_tokens=["[UNK]", "[CLS]", "[SEP]"])
    tok.train_from_iterator(corpus_texts[:300], trainer)
    path = tmp_path_factory.mktemp("tok") / "bpe.json"
    tok.save(str(path))
    return path


@pytest.fixture(scope="module")
def byte_level_path(tmp_path_factory: pytest.TempPathFactory, corpus_texts: list[str]) -> Path:
    """A GPT-2-style byte-level BPE (byte-level pre-tokenizer with its look-ahead regex)
    with an end-of-text post-processor."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=1000,
        special_tokens=["<|endoftext|>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    tok.train_from_iterator(corpus_texts[:300], trainer)
    tok.post_processor = processors.TemplateProcessing(
        single="$A <|endoftext|>", special_tokens=[("<|endoftext|>", 0)]
    )
    path = tmp_path_factory.mktemp("tok") / "byte_level.json"
    tok.save(str(path))
    return path


def _reference(path: Path, texts: list[str], special: bool = False) -> list[int]:
    tok = tokenizers.Tokenizer.from_file(str(path))
    return [len(tok.encode(t, add_special_tokens=special).ids) for t in texts]


@pytest.mark.parametrize("which", ["bpe_path", "byte_level_path"])
def test_counts_equal_the_tokenizers_package(
    which: str, request: pytest.FixtureRequest, corpus_texts: list[str]
) -> None:
    path = request.getfixturevalue(which)
    expected = _reference(path, corpus_texts)
    counter = TokenCounter(path)
    got = counter.count(corpus_texts)
    assert got.dtype == np.uint32
    assert got.tolist() == expected
    assert sum(expected) > 50_000  # the corpus is not trivially small
    # With the post-processor's special tokens, as the package adds them.
    with_special = TokenCounter(path, add_special_tokens=True).count(corpus_texts[:50])
    assert with_special.tolist() == _reference(path, corpus_texts[:50], special=True)


def test_counts_of_files_tables_and_arrays_agree(
    bpe_path: Path, raw_path: Path, raw_table: pa.Table, raw_records: list[dict[str, Any]]
) -> None:
    counter = TokenCounter(bpe_path)
    from_file = counter.count(raw_path)
    assert from_file.tolist() == counter.count(raw_table).tolist()
    assert from_file.tolist() == counter.count(raw_table.column("text")).tolist()
    assert from_file.tolist() == count_tokens(raw_path, tokenizer=str(bpe_path)).tolist()
    assert from_file.tolist() == _reference(bpe_path, [r["text"] for r in raw_records])
    renamed = raw_table.rename_columns(["body", "domain", "source"])
    assert counter.count(renamed, "body").tolist() == from_file.tolist()


def test_counts_do_not_depend_on_the_thread_count(bpe_path: Path, corpus_texts: list[str]) -> None:
    counter = TokenCounter(bpe_path)
    try:
        thresher.set_num_threads(1)
        one = counter.count(corpus_texts)
        thresher.set_num_threads(2)
        two = counter.count(corpus_texts)
    finally:
        thresher.set_num_threads(0)
    assert one.tolist() == two.tolist()


def test_a_counter_pickles(bpe_path: Path) -> None:
    counter = TokenCounter(bpe_path)
    back = pickle.loads(pickle.dumps(counter))
    assert back.count(["a few words here"]).tolist() == counter.count(["a few words here"]).tolist()
    from_json = TokenCounter.from_json(bpe_path.read_text("utf-8"), add_special_tokens=True)
    again = pickle.loads(pickle.dumps(from_json))
    assert again.add_special_tokens and again.count(["x y"]).tolist() == [2]


def test_a_bad_tokenizer_file_is_a_tokenizer_error_naming_it(tmp_path: Path) -> None:
    bad = tmp_path / "tokenizer.json"
    bad.write_text('{"model": {"type": "NoSuchModel"}}', "utf-8")
    with pytest.raises(TokenizerError, match=r"tokenizer\.json") as info:
        TokenCounter(bad)
    assert info.value.path == str(bad)
    not_json = tmp_path / "broken.json"
    not_json.write_text("{not json", "utf-8")
    with pytest.raises(TokenizerError, match=r"broken\.json"):
        TokenCounter(not_json)
    with pytest.raises(ReadError, match=r"missing\.json"):
        TokenCounter(tmp_path / "missing.json")
    with pytest.raises(InvalidParameterError, match="tokenizer"):
        count_tokens(["x"], tokenizer=3)  # type: ignore[arg-type]


def test_missing_or_null_text_names_the_row(bpe_path: Path) -> None:
    counter = TokenCounter(bpe_path)
    with pytest.raises(thresher.exceptions.MissingFieldError, match="row 1"):
        counter.count(pa.table({"text": ["a", None, "b"]}))
    with pytest.raises(thresher.exceptions.MissingFieldError, match="body"):
        counter.count(pa.table({"text": ["a"]}), "body")


# ---------------------------------------------------------------- budgets
def _lengths(n: int, seed: int = 0) -> np.ndarray[Any, Any]:
    return np.random.default_rng(seed).integers(0, 400, n).astype(np.uint32)


@pytest.mark.parametrize("budget", [1, 999, 25_000, 100_000])
def test_a_uniform_budget_sample_is_within_one_document(budget: int) -> None:
    lengths = _lengths(2_000)
    rows = sample.uniform(2_000, tokens=budget, token_counts=lengths, seed=4)
    total = int(lengths[rows].sum())
    assert total <= budget
    left = np.setdiff1d(np.arange(2_000), rows)
    # Short of the budget by less than the longest document left out.
    assert budget - total < int(lengths[left].max(initial=0)) + 1


def test_budget_samples_do_not_depend_on_the_thread_count() -> None:
    lengths = _lengths(50_000, 1)
    weights = np.random.default_rng(2).random(50_000)
    groups = np.random.default_rng(3).integers(0, 4, 50_000)
    runs = []
    for threads in (1, 2):
        thresher.set_num_threads(threads)
        try:
            runs.append(
                (
                    sample.uniform(50_000, tokens=1e6, token_counts=lengths, seed=9),
                    sample.weighted(weights, tokens=1e6, token_counts=lengths, seed=9),
                    sample.stratified(groups, tokens=1e6, token_counts=lengths, seed=9),
                )
            )
        finally:
            thresher.set_num_threads(0)
    for a, b in zip(*runs, strict=True):
        assert a.tolist() == b.tolist()


def test_uniform_budget_inclusion_is_uniform_across_equal_lengths() -> None:
    # 60 documents: 30 of 10 tokens, 30 of 30 tokens; a budget of 300 tokens. Within
    # each length class every document must be included equally often.
    lengths = np.array([10, 30] * 30, dtype=np.uint32)
    trials = 3_000
    hits = np.zeros(60)
    for seed in range(trials):
        hits[sample.uniform(60, tokens=300, token_counts=lengths, seed=seed)] += 1
    for length in (10, 30):
        members = hits[lengths == length]
        p = members.mean() / trials
        assert 0 < p < 1
        sd = np.sqrt(p * (1 - p) / trials)
        # Each member within 4.5 binomial sd of its class mean (a false failure has
        # probability ~1e-4 over the 60 documents).
        assert np.all(np.abs(members / trials - p) <= 4.5 * sd), (length, members)
        # A chi-square test of homogeneity within the class (30 cells, df 29): the
        # 0.9999 quantile is ~66.6.
        expected = members.mean()
        chi2 = float(((members - expected) ** 2 / expected).sum() * (1 / (1 - p)))
        assert chi2 < 66.6, chi2


def test_weighted_budget_follows_the_keyed_order_of_weighted() -> None:
    weights = np.random.default_rng(5).random(5_000)
    ones = np.ones(5_000, np.uint32)
    # With one token each, a budget of k tokens is the weighted sample of k.
    by_tokens = sample.weighted(weights, tokens=300, token_counts=ones, seed=11)
    assert by_tokens.tolist() == sample.weighted(weights, 300, seed=11).tolist()


def test_budget_arguments_are_checked() -> None:
    with pytest.raises(InvalidParameterError, match="exactly one of k"):
        sample.uniform(10, 3, tokens=5, token_counts=np.ones(10, np.uint32))
    with pytest.raises(InvalidParameterError, match="token_counts"):
        sample.uniform(10, tokens=5)
    with pytest.raises(InvalidParameterError, match="9 counts for 10"):
        sample.uniform(10, tokens=5, token_counts=np.ones(9, np.uint32))
    with pytest.raises(InvalidParameterError, match="hold only 10"):
        sample.uniform(10, tokens=11, token_counts=np.ones(10, np.uint32))
    with pytest.raises(InvalidParameterError, match="whole number"):
        sample.uniform(10, tokens=2.5, token_counts=np.ones(10, np.uint32))
    with pytest.raises(InvalidParameterError, match="replacement"):
        sample.weighted(np.ones(4), tokens=2, token_counts=np.ones(4, np.uint32), replace=True)


def test_mixture_budgets_split_tokens_by_the_weights() -> None:
    groups = np.array(["en"] * 600 + ["fr"] * 300 + ["sw"] * 100)
    lengths = _lengths(1_000, 7)
    mix = {"en": 0.5, "fr": 0.3, "sw": 0.2}
    rows = sample.stratified(groups, tokens=20_000, token_counts=lengths, mixture=mix, seed=3)
    for name, share in mix.items():
        mine = rows[groups[rows] == name]
        got = int(lengths[mine].sum())
        budget = 20_000 * share
        assert got <= budget
        left = np.setdiff1d(np.flatnonzero(groups == name), mine)
        assert budget - got < int(lengths[left].max(initial=0)) + 1
    # A group with fewer tokens than its share gives all of them; the rest goes on.
    small = {"en": 0.1, "fr": 0.1, "sw": 0.8}
    rows = sample.stratified(groups, tokens=40_000, token_counts=lengths, mixture=small, seed=3)
    assert set(np.flatnonzero(groups == "sw")) <= set(rows.tolist())
    # Fixed per-group budgets.
    rows = sample.stratified(
        groups, tokens=1, token_counts=lengths, allocation={"en": 900, "fr": 0, "sw": 50}
    )
    assert int(lengths[rows[groups[rows] == "en"]].sum()) <= 900
    assert not (groups[rows] == "fr").any()
    with pytest.raises(InvalidParameterError, match="unknown groups"):
        sample.stratified(groups, tokens=10, token_counts=lengths, mixture={"de": 1.0})


def test_reservoir_by_tokens_matches_the_index_sample(
    bpe_path: Path, raw_path: Path, raw_table: pa.Table
) -> None:
    counter = TokenCounter(bpe_path)
    lengths = counter.count(raw_path)
    budget = int(lengths.sum()) // 5
    table = sample.reservoir(raw_path, tokens=budget, tokenizer=counter, seed=2)
    expected = sample.uniform(len(lengths), tokens=budget, token_counts=lengths, seed=2)
    assert table.column("row").to_pylist() == expected.tolist()
    assert table.column("tokens").to_pylist() == lengths[expected].tolist()
    assert sum(table.column("tokens").to_pylist()) <= budget
    # From a column of counts, weighted: the same rows as the index-level sample.
    annotated = raw_table.append_column("n", pa.array(lengths)).append_column(
        "w", pa.array(np.arange(1, raw_table.num_rows + 1, dtype=np.float64))
    )
    weighted = sample.reservoir(
        annotated, tokens=budget, token_column="n", weight_column="w", seed=5
    )
    expected = sample.weighted(
        np.arange(1, raw_table.num_rows + 1, dtype=np.float64),
        tokens=budget,
        token_counts=lengths,
        seed=5,
    )
    assert weighted.column("row").to_pylist() == expected.tolist()
    with pytest.raises(InvalidParameterError, match="exactly one of tokenizer"):
        sample.reservoir(raw_path, tokens=10)


def test_stratified_rows_by_tokens(bpe_path: Path, raw_path: Path) -> None:
    table = sample.stratified_rows(
        raw_path, "domain", tokens=20_000, tokenizer=bpe_path, allocation="equal", seed=1
    )
    assert sum(table.column("tokens").to_pylist()) <= 20_000
    assert len(set(table.column("domain").to_pylist())) > 1


# ---------------------------------------------------------------- DSIR
def test_dsir_selects_by_tokens_within_one_document(
    bpe_path: Path, raw_path: Path, target_path: Path
) -> None:
    dsir = thresher.DSIR(num_buckets=2_000).fit(target_path, raw_path)
    counter = TokenCounter(bpe_path)
    lengths = counter.count(raw_path)
    budget = int(lengths.sum()) // 10
    sel = dsir.select(raw_path, tokens=budget, tokenizer=counter, seed=3)
    assert sel.tokens is not None
    assert sel.tokens.tolist() == lengths[sel.rows.astype(np.int64)].tolist()
    assert sel.table.column("dsir_tokens").to_pylist() == sel.tokens.tolist()
    total = int(sel.tokens.sum())
    assert total <= budget
    # The walk: best key first; the first document left out would exceed the budget.
    weights = dsir.log_weights(raw_path)
    keys = thresher._core.dsir_keys(weights, np.arange(len(weights), dtype=np.uint64), 0, 3)
    order = np.lexsort((np.arange(len(keys)), -keys))
    expected = thresher._core.take_until_budget(order.astype(np.uint64), lengths, budget)
    assert sorted(expected.tolist()) == sel.rows.tolist()
    assert budget - total < int(lengths[order[len(expected)]])
    # The same with a column of counts, and for any thread count.
    table = pa.Table.from_pylist([json.loads(x) for x in raw_path.read_text("utf-8").splitlines()])
    table = table.append_column("n", pa.array(lengths))
    thresher.set_num_threads(1)
    try:
        by_column = dsir.select(table, tokens=budget, token_column="n", seed=3)
    finally:
        thresher.set_num_threads(0)
    assert by_column.rows.tolist() == sel.rows.tolist()
    assert "tokens" in sel.summary()


def test_dsir_tokens_arguments(bpe_path: Path, raw_path: Path, target_path: Path) -> None:
    dsir = thresher.DSIR(num_buckets=500).fit(target_path, raw_path)
    with pytest.raises(InvalidParameterError, match="either k or tokens"):
        dsir.select(raw_path, 5, tokens=100, tokenizer=bpe_path)
    with pytest.raises(InvalidParameterError, match="give k"):
        dsir.select(raw_path)
    with pytest.raises(InvalidParameterError, match="exactly one of tokenizer"):
        dsir.select(raw_path, tokens=100)
    with pytest.raises(InvalidParameterError, match="hold only"):
        dsir.select(raw_path, tokens=10**12, tokenizer=bpe_path)
    with pytest.raises(InvalidParameterError, match="go with tokens"):
        dsir.select(raw_path, 5, tokenizer=bpe_path)


def test_dsir_with_several_targets_by_tokens(
    bpe_path: Path, raw_path: Path, target_path: Path, raw_table: pa.Table
) -> None:
    other = raw_table.filter(pa.compute.equal(raw_table.column("domain"), "python")).slice(0, 40)
    dsir = thresher.DSIR(num_buckets=2_000).fit({"pg": target_path, "py": other}, raw_path)
    counter = TokenCounter(bpe_path)
    lengths = counter.count(raw_path)
    sel = dsir.select(raw_path, tokens={"pg": 5_000, "py": 3_000}, tokenizer=counter, seed=1)
    names = sel.table.column("dsir_target").to_pylist()
    assert sel.tokens is not None
    for name, budget in (("pg", 5_000), ("py", 3_000)):
        got = sum(t for t, n in zip(sel.tokens.tolist(), names, strict=True) if n == name)
        assert got <= budget
        assert budget - got < int(lengths.max())
    assert len(set(sel.rows.tolist())) == len(sel.rows)
