"""Every bad input of the clustering and selection API raises a clear typed error."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import thresher
from thresher import select
from thresher.cli import main
from thresher.exceptions import EmptyInputError, InvalidParameterError, ThresherError

X = np.random.default_rng(0).normal(size=(20, 4)).astype(np.float32)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_values_name_the_row(bad: float) -> None:
    x = X.copy()
    x[7, 2] = bad
    for call in (
        lambda: thresher.KMeans(2).fit(x),
        lambda: select.k_center(x, 2),
        lambda: select.semantic_dedup(x, np.zeros(20, dtype=int), 0.9),
        lambda: thresher.KMeans(2).fit(X).predict(x),
    ):
        with pytest.raises(InvalidParameterError, match="row 7") as e:
            call()
        assert e.value.parameter == "x"


@pytest.mark.parametrize("k", [0, -1, 21])
def test_k_out_of_range(k: int) -> None:
    with pytest.raises(InvalidParameterError) as e:
        thresher.KMeans(k).fit(X)
    assert e.value.parameter == "k"


@pytest.mark.parametrize(
    "x", [X[0], X[None], X.astype(np.float64), X.astype(np.int32), np.asfortranarray(X), X[:, ::2]]
)
def test_wrong_shapes_dtypes_and_layouts(x: np.ndarray) -> None:
    with pytest.raises(InvalidParameterError) as e:
        thresher.KMeans(2).fit(x)
    assert e.value.parameter == "x"


def test_other_parameters() -> None:
    km = thresher.KMeans(2).fit(X)
    with pytest.raises(InvalidParameterError, match="columns"):
        km.predict(X[:, :3].copy())
    with pytest.raises(InvalidParameterError):
        thresher.KMeans(2, metric="manhattan")  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError):
        thresher.KMeans(2, init="kmeans").fit(X)  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError):
        thresher.KMeans(2, init=np.zeros((3, 4), dtype=np.float32)).fit(X)
    with pytest.raises(InvalidParameterError):
        thresher.KMeans(2, max_iter=-1)
    with pytest.raises(InvalidParameterError, match="all zeros"):
        thresher.KMeans(2, metric="cosine").fit(np.zeros((3, 2), dtype=np.float32))
    with pytest.raises(EmptyInputError):
        thresher.KMeans(1).fit(np.zeros((0, 4), dtype=np.float32))


def test_cli_cluster_and_gme(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    np.save(tmp_path / "emb.npy", X.astype(np.float16))
    out = tmp_path / "labels.parquet"
    assert main(["cluster", str(tmp_path / "emb.npy"), "-k", "3", "--out", str(out)]) == 0
    labels = pq.read_table(out)
    assert labels.column_names == ["row", "cluster", "distance"] and labels.num_rows == 20
    expected = thresher.KMeans(3).fit(X.astype(np.float16)).labels_
    assert labels.column("cluster").to_pylist() == expected.tolist()
    assert main(["cluster", str(tmp_path / "missing.npy"), "-k", "3", "--out", str(out)]) == 2
    assert (
        main(
            ["cluster", str(tmp_path / "emb.npy"), "-k", "30", "--out", str(tmp_path / "x.parquet")]
        )
        == 2
    )
    assert not (tmp_path / "x.parquet").exists()
    assert "invalid k" in capsys.readouterr().err

    pq.write_table(pa.table({"doc": ["a", "b", "b"], "e": ["x", "y", "x"]}), tmp_path / "t.parquet")
    ranked = tmp_path / "ranked.jsonl"
    argv = [
        "gme",
        str(tmp_path / "t.parquet"),
        "--item",
        "doc",
        "--on",
        "e",
        "-n",
        "5",
        "--out",
        str(ranked),
    ]
    assert main(argv) == 0
    assert "larger than the number of items" in capsys.readouterr().out
    assert len(ranked.read_text().splitlines()) == 2
    argv[5] = "entity"
    assert main(argv) == 2
    assert "no column 'entity'" in capsys.readouterr().err


def test_errors_are_thresher_errors() -> None:
    with pytest.raises(ThresherError):
        select.balanced([0, 1], 3)
