"""A bad pipeline fails before any work starts, with a PipelineError naming the file
and the line at fault."""

from __future__ import annotations

from pathlib import Path

import pytest
import thresher
from pipeline_corpus import write_corpus
from thresher.cli import main
from thresher.exceptions import ParseError, PipelineError

GOOD = """title = "checks"

[input]
paths = ["corpus/*"]
label_column = "domain"

[output]
path = "out/"

[[step]]
type = "length"
min_words = 5

[[step]]
type = "sample"
k = 10
"""


@pytest.fixture
def directory(tmp_path: Path) -> Path:
    write_corpus(tmp_path / "corpus")
    return tmp_path


def _fails(directory: Path, text: str, line: int | None, *needles: str) -> PipelineError:
    path = directory / "pipeline.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PipelineError) as info:
        thresher.Pipeline.from_file(path)
    error = info.value
    message = str(error)
    assert error.path == str(path)
    assert error.line == line, message
    if line is not None:
        assert message.startswith(f"{path}:{line}: "), message
    for needle in needles:
        assert needle in message, message
    assert not (directory / "out.work").exists()  # nothing was started
    return error


def test_good_pipeline_checks(directory: Path) -> None:
    (directory / "pipeline.toml").write_text(GOOD, encoding="utf-8")
    pipeline = thresher.Pipeline.from_file(directory / "pipeline.toml")
    assert [s.type for s in pipeline.config.steps] == ["length", "sample"]
    assert len(pipeline.plan.files) == 3


def test_unknown_step_type(directory: Path) -> None:
    _fails(
        directory,
        GOOD.replace('type = "sample"', 'type = "smaple"'),
        15,
        "step 2",
        "unknown step type 'smaple'",
        "sample",
    )


def test_wrong_parameter_type(directory: Path) -> None:
    _fails(
        directory,
        GOOD.replace("min_words = 5", 'min_words = "five"'),
        12,
        "step 1 (length)",
        "min_words must be an integer",
        "'five'",
    )


def test_unknown_parameter(directory: Path) -> None:
    _fails(directory, GOOD.replace("k = 10", "kk = 10"), 16, "unknown parameter 'kk'")


def test_out_of_range_parameter(directory: Path) -> None:
    _fails(directory, GOOD.replace("k = 10", "k = -3"), 16, "k must be at least 0")


def test_column_no_earlier_step_makes(directory: Path) -> None:
    text = GOOD.replace("k = 10", 'k = 10\nlog_weight_column = "dsir_log_weight"')
    _fails(directory, text, 14, "needs column 'dsir_log_weight'", "no earlier step makes")


def test_column_made_by_a_later_step(directory: Path) -> None:
    text = GOOD.replace("k = 10", 'k = 10\nweight_column = "words"').replace(
        'type = "length"\nmin_words = 5', 'type = "filter"\ncolumn = "id"\nmin = 0'
    )
    text += '\n[[step]]\ntype = "length"\nmin_words = 1\n'
    _fails(directory, text, 15, "needs column 'words', made by step 3 (length)", "runs after")


def test_missing_input(directory: Path) -> None:
    _fails(directory, GOOD.replace("corpus/*", "nowhere/*.jsonl"), 4, "[input]")


def test_missing_text_column(directory: Path) -> None:
    text = GOOD.replace('label_column = "domain"', 'text_column = "body"')
    _fails(directory, text, 5, "text column 'body'", "columns: ")


def test_invalid_toml(directory: Path) -> None:
    _fails(directory, GOOD.replace("k = 10", "k = = 10"), 16, "invalid TOML")


def test_no_step(directory: Path) -> None:
    _fails(directory, GOOD.split("[[step]]")[0], None, "at least one step")


def test_selection_needs_exactly_one_amount(directory: Path) -> None:
    _fails(
        directory,
        GOOD.replace("k = 10", "k = 10\nfraction = 0.5"),
        17,
        "give one of k, fraction and tokens",
    )


def test_cli_reports_the_error_and_exits_2(
    directory: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = directory / "pipeline.toml"
    path.write_text(GOOD.replace("min_words = 5", "min_words = 5.5"), encoding="utf-8")
    assert main(["run", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"{path}:12: step 1 (length): min_words must be an integer" in err


def test_cli_check_only(directory: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = directory / "pipeline.toml"
    path.write_text(GOOD, encoding="utf-8")
    assert main(["run", str(path), "--check"]) == 0
    assert "valid (3 input files" in capsys.readouterr().out
    assert not (directory / "out.work").exists()


def test_a_bad_line_stops_the_run_naming_file_and_line(directory: Path) -> None:
    """A malformed row is a typed error naming its file and line, never a skipped row."""
    with open(directory / "corpus" / "a.jsonl", "a", encoding="utf-8") as f:
        f.write('{"id": 1, "text": "unterminated\n')
    lines = (directory / "corpus" / "a.jsonl").read_text(encoding="utf-8").count("\n")
    (directory / "pipeline.toml").write_text(GOOD, encoding="utf-8")
    with pytest.raises(ParseError) as info:
        thresher.Pipeline.from_file(directory / "pipeline.toml").run(quiet=True)
    assert info.value.path == str(directory / "corpus" / "a.jsonl")
    assert info.value.line == lines
    assert not list((directory / "out").glob("part-*"))
