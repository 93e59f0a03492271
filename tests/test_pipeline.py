"""``thresher.Pipeline`` / ``thresher run``: each step equals the library function it
stands for, outputs (sharded or single-file) hold the kept rows in corpus order, the
corpus is read at most twice, and a changed downstream step reuses upstream work."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
import thresher
from pipeline_corpus import target_path, write_corpus
from thresher import sample as samplers
from thresher.io.sources import read
from thresher.report.schema import validate


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Path], pa.Table]:
    directory = tmp_path_factory.mktemp("corpus")
    paths = write_corpus(directory)
    table = pa.concat_tables(
        [read(p).to_reader().read_all().select(["id", "text", "domain"]) for p in paths]
    )
    return paths, table


def _config(
    paths: list[Path], out: str | Path, *steps: dict[str, Any], **output: Any
) -> dict[str, Any]:
    return {
        "title": "test",
        "input": {"paths": [str(p) for p in paths], "label_column": "domain"},
        "output": {"path": str(out), **output},
        "run": {"block_size": 100_000},
        "step": list(steps),
    }


def _ids(out: Path) -> list[int]:
    return read(out, text_column=None).to_reader().read_all().column("id").to_pylist()


def test_length_step_equals_whitespace_word_bounds(corpus: Any, tmp_path: Path) -> None:
    paths, table = corpus
    config = _config(
        paths, f"{tmp_path}/out/", {"type": "length", "min_words": 30, "max_words": 400}
    )
    thresher.Pipeline(config).run(quiet=True)
    words = np.array([len(t.split()) for t in table.column("text").to_pylist()])
    expected = table.column("id").to_numpy()[(words >= 30) & (words <= 400)]
    assert _ids(tmp_path / "out") == expected.tolist()


def test_dedup_step_equals_dedup_with_signature_verification(corpus: Any, tmp_path: Path) -> None:
    paths, table = corpus
    config = _config(paths, f"{tmp_path}/out/", {"type": "dedup", "threshold": 0.8})
    result = thresher.Pipeline(config).run(quiet=True)
    found = thresher.dedup(table, threshold=0.8, verify="signature")
    expected = table.column("id").to_numpy()[~found.is_duplicate]
    assert _ids(tmp_path / "out") == expected.tolist()
    assert found.is_duplicate.sum() >= 45  # the planted copies (30 near, 20 exact)
    sizes = result.stats["cluster_sizes"]
    assert sum((int(s) - 1) * n for s, n in sizes.items()) == int(found.is_duplicate.sum())


def test_dsir_step_equals_dsir_select(corpus: Any, tmp_path: Path) -> None:
    paths, table = corpus
    config = _config(
        paths,
        f"{tmp_path}/out/",
        {"type": "dsir", "target": str(target_path()), "k": 150, "seed": 4},
        columns=["dsir_log_weight"],
    )
    thresher.Pipeline(config).run(quiet=True)
    dsir = thresher.DSIR().fit(target_path(), table)
    chosen = dsir.select(table, k=150, seed=4)
    expected = sorted(table.column("id").to_numpy()[chosen.rows.astype(np.int64)].tolist())
    written = read(tmp_path / "out", text_column=None).to_reader().read_all()
    assert written.column("id").to_pylist() == expected
    weights = dsir.log_weights(table)
    np.testing.assert_allclose(
        written.column("dsir_log_weight").to_numpy(), weights[np.asarray(expected)], rtol=1e-12
    )


def test_sample_step_equals_uniform_sample_of_the_rows_received(
    corpus: Any, tmp_path: Path
) -> None:
    paths, table = corpus
    config = _config(
        paths,
        f"{tmp_path}/out/",
        {"type": "length", "min_words": 30},
        {"type": "sample", "k": 100, "seed": 9},
    )
    thresher.Pipeline(config).run(quiet=True)
    words = np.array([len(t.split()) for t in table.column("text").to_pylist()])
    survivors = table.column("id").to_numpy()[words >= 30]
    expected = survivors[samplers.uniform(survivors.size, 100, seed=9)]
    assert _ids(tmp_path / "out") == expected.tolist()


def test_weighted_sample_by_dsir_log_weight(corpus: Any, tmp_path: Path) -> None:
    paths, table = corpus
    config = _config(
        paths,
        f"{tmp_path}/out/",
        {"type": "dsir", "target": str(target_path())},
        {"type": "sample", "k": 100, "log_weight_column": "dsir_log_weight"},
    )
    thresher.Pipeline(config).run(quiet=True)
    weights = thresher.DSIR().fit(target_path(), table).log_weights(table)
    expected = samplers.weighted(np.exp(weights - weights.max()), 100, seed=0)
    assert _ids(tmp_path / "out") == table.column("id").to_numpy()[expected].tolist()


def test_mixture_step_meets_its_quotas(corpus: Any, tmp_path: Path) -> None:
    paths, table = corpus
    domains = table.column("domain").to_numpy(zero_copy_only=False)
    big = [d for d, n in zip(*np.unique(domains, return_counts=True), strict=True) if n >= 30][:3]
    weights = {big[0]: 0.5, big[1]: 0.3, big[2]: 0.2}
    config = _config(
        paths,
        f"{tmp_path}/out/",
        {"type": "mixture", "column": "domain", "weights": weights, "k": 60},
    )
    thresher.Pipeline(config).run(quiet=True)
    written = read(tmp_path / "out", text_column=None).to_reader().read_all()
    counts = {d: written.column("domain").to_pylist().count(d) for d in big}
    assert counts == {big[0]: 30, big[1]: 18, big[2]: 12}


def test_token_budget_of_a_sample(corpus: Any, tmp_path: Path) -> None:
    """With DSIR's token counts (whitespace-and-punctuation tokens) as the budget."""
    paths, _ = corpus
    config = _config(
        paths,
        f"{tmp_path}/out/",
        {"type": "dsir", "target": str(target_path())},
        {"type": "sample", "tokens": 20_000, "token_column": "dsir_tokens"},
        columns=["dsir_tokens"],
    )
    result = thresher.Pipeline(config).run(quiet=True)
    written = read(tmp_path / "out", text_column=None).to_reader().read_all()
    total = int(pc.sum(written.column("dsir_tokens")).as_py())
    assert total <= 20_000
    assert total > 20_000 - int(pc.max(written.column("dsir_tokens")).as_py()) - 2_000
    assert result.stats["output"]["documents"] == written.num_rows


def test_sharded_output_equals_single_file_output(corpus: Any, tmp_path: Path) -> None:
    paths, _ = corpus
    steps = ({"type": "length", "min_words": 20}, {"type": "dedup"})
    sharded = thresher.Pipeline(_config(paths, f"{tmp_path}/dir/", *steps, shard_size=150_000))
    result = sharded.run(quiet=True)
    assert len(result.shards) >= 3
    manifest = json.loads((tmp_path / "dir" / "manifest.json").read_text())
    assert manifest["complete"] and [s["name"] for s in manifest["shards"]] == [
        s.name for s in result.shards
    ]
    single = thresher.Pipeline(_config(paths, tmp_path / "one.jsonl.zst", *steps))
    single.run(quiet=True)
    a = read(tmp_path / "dir", text_column=None).to_reader().read_all()
    b = read(tmp_path / "one.jsonl.zst", text_column=None).to_reader().read_all()
    assert a.column("id").to_pylist() == b.column("id").to_pylist()
    assert a.column("text").to_pylist() == b.column("text").to_pylist()


def test_corpus_read_at_most_twice_and_downstream_changes_reuse_work(
    corpus: Any, tmp_path: Path
) -> None:
    paths, _ = corpus
    steps = [
        {"type": "length", "min_words": 20},
        {"type": "dedup"},
        {"type": "dsir", "target": str(target_path())},
        {"type": "sample", "k": 100},
    ]
    config = _config(paths, f"{tmp_path}/out/", *steps)
    first = thresher.Pipeline(config).run(quiet=True)
    assert first.corpus_reads == 2
    work = tmp_path / "out.work" / "annotations"
    side = {p: p.stat().st_mtime_ns for p in work.rglob("*.parquet")}
    again = thresher.Pipeline(config).run(quiet=True)
    assert again.corpus_reads == 0  # the same run: nothing to read or write
    config["step"][3] = {"type": "sample", "k": 50}
    changed = thresher.Pipeline(config).run(quiet=True)
    assert changed.corpus_reads == 1  # only the write pass
    assert {p: p.stat().st_mtime_ns for p in work.rglob("*.parquet")} == side
    assert changed.stats["output"]["documents"] == 50


def test_stats_follow_the_report_schema_and_the_report_is_written(
    corpus: Any, tmp_path: Path
) -> None:
    paths, table = corpus
    config = _config(
        paths,
        f"{tmp_path}/out/",
        {"type": "length", "min_words": 20},
        {"type": "dedup"},
        {"type": "dsir", "target": str(target_path()), "k": 200},
    )
    result = thresher.Pipeline(config).run(quiet=True)
    stats = validate(result.stats)
    assert stats["input"]["documents"] == table.num_rows
    assert [s["documents_out"] for s in stats["steps"]][-1] == 200
    assert sum(stats["composition"]["after"].values()) == 200
    assert stats["histograms"] and stats["cluster_sizes"]
    assert result.report is not None and Path(result.report).exists()
    assert "corpus read 2 times" in result.summary


def test_example_pipeline_runs_on_the_demo_corpus(tmp_path: Path) -> None:
    """examples/pipeline.toml, as the README runs it, with its output moved to tmp."""
    example = Path(__file__).parents[1] / "examples" / "pipeline.toml"
    data = target_path().parent
    text = example.read_text(encoding="utf-8").replace("../python/thresher/data/", f"{data}/")
    text = text.replace("../demo-curated/", f"{tmp_path}/curated/")
    pipeline = tmp_path / "pipeline.toml"
    pipeline.write_text(text, encoding="utf-8")
    result = thresher.Pipeline.from_file(pipeline).run(quiet=True)
    written = read(tmp_path / "curated", text_column=None).to_reader().read_all()
    assert written.num_rows == 400
    assert written.column_names[-2:] == ["dsir_log_weight", "words"]
    assert written.column("domain").to_pylist().count("postgresql") > 80
    assert [s["kind"] for s in result.stats["steps"]] == ["filter", "dedup", "dsir"]
    assert (tmp_path / "curated" / "report.html").exists()


def test_tokens_step_counts_like_the_tokenizers_package_and_budgets_use_them(
    corpus: Any, tmp_path: Path
) -> None:
    tokenizers = pytest.importorskip("tokenizers")
    paths, table = corpus
    texts = table.column("text").to_pylist()
    tok = tokenizers.Tokenizer(tokenizers.models.BPE(unk_token="[UNK]"))
    tok.pre_tokenizer = tokenizers.pre_tokenizers.Whitespace()
    trainer = tokenizers.trainers.BpeTrainer(vocab_size=600, special_tokens=["[UNK]"])
    tok.train_from_iterator(texts[:300], trainer)
    tokenizer = tmp_path / "tokenizer.json"
    tok.save(str(tokenizer))
    budget = 60_000
    weights = {"java": 0.5, "rust": 0.3, "linux": 0.2}
    config = _config(
        paths,
        f"{tmp_path}/out/",
        {"type": "tokens", "tokenizer": str(tokenizer), "min_tokens": 10},
        {"type": "mixture", "column": "domain", "tokens": budget, "weights": weights},
        columns=["tokens"],
    )
    result = thresher.Pipeline(config).run(quiet=True)
    written = read(tmp_path / "out", text_column=None).to_reader().read_all()
    encoded = tok.encode_batch(written.column("text").to_pylist(), add_special_tokens=False)
    expected = [len(e.ids) for e in encoded]
    assert written.column("tokens").to_pylist() == expected
    assert min(expected) >= 10
    domains = written.column("domain").to_pylist()
    for domain, share in weights.items():  # each label's walk stops within one document
        spent = [t for t, d in zip(expected, domains, strict=True) if d == domain]
        assert budget * share - max(spent) < sum(spent) <= budget * share, domain
    total = sum(expected)
    assert result.stats["output"]["tokens"] == total
    assert result.stats["input"]["tokens"] == sum(
        len(e.ids) for e in tok.encode_batch(texts, add_special_tokens=False)
    )


def test_length_step_counts_words_as_python_split(tmp_path: Path) -> None:
    texts = [" x", "a  b", "", "  ", "x\n\ny ", "é\u00a0b", "one two three"]
    thresher.write_table(
        pa.table({"id": list(range(len(texts))), "text": texts}), tmp_path / "c.jsonl"
    )
    config = _config(
        [tmp_path / "c.jsonl"],
        f"{tmp_path}/out/",
        {"type": "length", "min_words": 1},
        columns=["words"],
    )
    config["input"].pop("label_column")
    thresher.Pipeline(config).run(quiet=True)
    written = read(tmp_path / "out", text_column=None).to_reader().read_all()
    kept = [t for t in texts if t.split()]
    assert written.column("text").to_pylist() == kept
    assert written.column("words").to_pylist() == [len(t.split()) for t in kept]


def test_unimax_mixture_spreads_the_budget_evenly_within_sizes(corpus: Any, tmp_path: Path) -> None:
    """UniMax over the domains: every domain gets the same quota unless it has fewer
    rows, which it then gives entirely (thresher.sample.unimax's amounts)."""
    paths, table = corpus
    domains = table.column("domain").to_pylist()
    sizes = {d: domains.count(d) for d in sorted(set(domains))}
    k = 20 * len(sizes)
    config = _config(
        paths,
        f"{tmp_path}/out/",
        {"type": "mixture", "column": "domain", "method": "unimax", "k": k},
    )
    thresher.Pipeline(config).run(quiet=True)
    written = read(tmp_path / "out", text_column=None).to_reader().read_all()
    counts = {d: written.column("domain").to_pylist().count(d) for d in sizes}
    amounts = samplers.unimax(sizes, k)
    assert sum(counts.values()) == k
    assert any(sizes[d] < 20 for d in sizes)  # the test needs a small domain
    for domain, amount in amounts.items():
        assert abs(counts[domain] - amount) < 1, (domain, counts[domain], amount)


class _Upper(thresher.pipeline.steps.Step):
    """A step rewriting the text (upper case), for the writer's text replacement."""

    type = "upper-test"
    kind = "filter"
    params: ClassVar[Mapping[str, Any]] = {}
    document_part = True

    def produces(self) -> list[str]:
        return ["upper_text"]

    def text_rewrite(self) -> str | None:
        return "upper_text"

    def annotate(self, block: pa.Table, context: Any) -> dict[str, pa.Array]:
        return {"upper_text": pc.utf8_upper(block.column("text").combine_chunks())}


class _Lower(_Upper):
    type = "lower-test"

    def produces(self) -> list[str]:
        return ["lower_text"]

    def text_rewrite(self) -> str | None:
        return "lower_text"

    def annotate(self, block: pa.Table, context: Any) -> dict[str, pa.Array]:
        return {"lower_text": pc.utf8_lower(block.column("text").combine_chunks())}


def test_a_step_may_rewrite_the_text_of_the_rows_written(
    corpus: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from thresher.pipeline.steps import STEP_TYPES

    monkeypatch.setitem(STEP_TYPES, "upper-test", _Upper)
    monkeypatch.setitem(STEP_TYPES, "lower-test", _Lower)
    paths, table = corpus
    config = _config(
        paths, f"{tmp_path}/out/", {"type": "upper-test"}, {"type": "length", "min_words": 30}
    )
    thresher.Pipeline(config).run(quiet=True)
    written = read(tmp_path / "out", text_column=None).to_reader().read_all()
    kept = [t for t in table.column("text").to_pylist() if len(t.split()) >= 30]
    assert written.column("text").to_pylist() == [t.upper() for t in kept]
    twice = _config(paths, f"{tmp_path}/two/", {"type": "upper-test"}, {"type": "lower-test"})
    with pytest.raises(thresher.exceptions.PipelineError, match="only one step may rewrite"):
        thresher.Pipeline(twice).run(quiet=True)
