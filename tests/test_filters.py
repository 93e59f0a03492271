"""thresher.filters: results shape, overrides, bad input, the CLI verb and the
pipeline step (parity with datatrove is in test_filters_parity.py)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
import thresher
import zstandard
from thresher import filters
from thresher.cli import main
from thresher.io.sources import read

FIXTURE = Path(__file__).parent / "data" / "filters_sample.jsonl.zst"


def _sample(n: int = 120) -> list[str]:
    raw = zstandard.ZstdDecompressor().stream_reader(FIXTURE.open("rb"))
    texts = [json.loads(line)["text"] for line in io.TextIOWrapper(raw, encoding="utf-8")]
    return texts[:n]


def test_columns_and_combined_decision() -> None:
    texts = _sample()
    result = filters.apply(texts)
    table = result.table
    assert table.num_rows == len(texts)
    for rule in filters.RULE_SETS:
        assert f"{rule}_keep" in table.column_names
        assert f"{rule}_reason" in table.column_names
    for stat in (
        "gopher_n_words",
        "gopher_mean_word_length",
        "dup_line_frac",
        "top_2gram_char_frac",
        "dup_10gram_char_frac",
        "c4_lines_removed",
        "c4_n_sentences",
        "fineweb_line_punct_ratio",
        "c4_text",
    ):
        assert stat in table.column_names
    each = np.column_stack([table.column(f"{r}_keep").to_numpy() for r in filters.RULE_SETS])
    assert result.keep.tolist() == each.all(axis=1).tolist()
    reasons = table.column("reason").to_pylist()
    for i, keep in enumerate(result.keep):
        first = next(
            (
                table.column(f"{r}_reason")[i].as_py()
                for r in filters.RULE_SETS
                if not table.column(f"{r}_keep")[i].as_py()
            ),
            None,
        )
        assert reasons[i] == first and (first is None) == keep


def test_rule_order_sets_the_reason_and_results_do_not_depend_on_input_shape() -> None:
    texts = _sample(40)
    a = filters.apply(texts, rules=["fineweb", "gopher_quality"]).table
    b = filters.apply(
        pa.chunked_array([texts[:7], texts[7:]]), rules=["gopher_quality", "fineweb"]
    ).table
    assert a.column("keep") == b.column("keep")
    assert a.column("gopher_n_words") == b.column("gopher_n_words")
    both = [
        i
        for i in range(len(texts))
        if not a.column("fineweb_keep")[i].as_py()
        and not a.column("gopher_quality_keep")[i].as_py()
    ]
    for i in both:
        assert a.column("reason")[i].as_py() == a.column("fineweb_reason")[i].as_py()
        assert b.column("reason")[i].as_py() == b.column("gopher_quality_reason")[i].as_py()


def test_overrides_change_decisions() -> None:
    text = "one two three four five six"
    assert (
        filters.apply([text], rules=["gopher_quality"]).table.column("reason")[0].as_py()
        == "gopher_short_doc"
    )
    loose = filters.GopherQuality(min_doc_words=3, min_stop_words=None)
    assert filters.apply([text], rules=[loose]).table.column("keep")[0].as_py() is True


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: filters.apply(["x"], rules=["nope"]), "rules"),
        (lambda: filters.apply(["x"], rules=[]), "rules"),
        (lambda: filters.apply(["x"], rules=["c4", "c4"]), "twice"),
        (lambda: filters.apply(["x"], language="fr"), "language"),
        (lambda: filters.rule_set("c4", min_sentences=3), "c4.min_sentences"),
        (lambda: filters.apply(["x"], rules=[filters.C4(min_num_sentences=2.5)]), "integer"),
        (
            lambda: filters.apply(["x"], rules=[filters.GopherRepetition(top_n_grams=((0, 0.1),))]),
            "n",
        ),
        (
            lambda: filters.apply(["x"], rules=[filters.GopherQuality(min_doc_words="many")]),
            "min_doc_words",
        ),
        (lambda: filters.apply(pa.table({"body": ["x"]})), "text"),
    ],
)
def test_bad_input_is_refused(call: object, match: str) -> None:
    with pytest.raises(thresher.exceptions.ThresherError, match=match):
        call()  # type: ignore[operator]


def test_write_kept_writes_c4_cleaned_text(tmp_path: Path) -> None:
    texts = _sample(60)
    table = pa.table({"id": list(range(len(texts))), "text": texts})
    result = filters.apply(table, rules=["c4"])
    out = result.write_kept(tmp_path / "kept.parquet")
    written = read(out, text_column=None).to_reader().read_all()
    kept = np.flatnonzero(result.keep)
    assert written.column("id").to_pylist() == kept.tolist()
    assert written.column("text").to_pylist() == [
        result.table.column("c4_text")[i].as_py() for i in kept
    ]


def test_cli_filter_end_to_end(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    texts = _sample(80)
    src = tmp_path / "in.jsonl"
    thresher.write_table(pa.table({"id": list(range(len(texts))), "text": texts}), src)
    code = main(
        [
            "filter",
            str(src),
            "--rules",
            "gopher_quality,fineweb",
            "--set",
            "gopher_quality.min_doc_words=20",
            "--out",
            str(tmp_path / "out.jsonl"),
            "--stats",
            str(tmp_path / "stats.parquet"),
            "--quiet",
        ]
    )
    assert code == 0
    expected = filters.apply(texts, rules=[filters.GopherQuality(min_doc_words=20), "fineweb"])
    stats = read(tmp_path / "stats.parquet", text_column=None).to_reader().read_all()
    assert stats.column("keep").to_pylist() == expected.keep.tolist()
    written = read(tmp_path / "out.jsonl", text_column=None).to_reader().read_all()
    assert written.column("id").to_pylist() == np.flatnonzero(expected.keep).tolist()
    assert "kept" in capsys.readouterr().out
    assert main(["filter", str(src), "--set", "nodot=1", "--out", str(tmp_path / "x.jsonl")]) != 0


def test_pipeline_quality_step(tmp_path: Path) -> None:
    texts = _sample(80)
    thresher.write_table(
        pa.table({"id": list(range(len(texts))), "text": texts}), tmp_path / "c.jsonl"
    )
    config = {
        "title": "test",
        "input": {"paths": [str(tmp_path / "c.jsonl")]},
        "output": {"path": f"{tmp_path}/out/", "columns": ["gopher_n_words"]},
        "run": {"block_size": 50_000},
        "step": [
            {
                "type": "quality",
                "rules": ["gopher_quality", "c4"],
                "set": {"gopher_quality.min_doc_words": 40},
            }
        ],
    }
    thresher.Pipeline(config).run(quiet=True)
    written = read(tmp_path / "out", text_column=None).to_reader().read_all()
    expected = filters.apply(texts, rules=[filters.GopherQuality(min_doc_words=40), "c4"])
    assert written.column("id").to_pylist() == np.flatnonzero(expected.keep).tolist()
    # the kept rows carry C4's cleaned text (lines removed), not the input's
    cleaned = expected.table.column("c4_text").to_pylist()
    assert written.column("text").to_pylist() == [cleaned[i] for i in np.flatnonzero(expected.keep)]
    assert any(cleaned[i] != texts[i] for i in np.flatnonzero(expected.keep))
    assert written.column("gopher_n_words").to_pylist() == [
        expected.table.column("gopher_n_words")[i].as_py() for i in np.flatnonzero(expected.keep)
    ]
