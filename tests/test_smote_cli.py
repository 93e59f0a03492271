"""`thresher smote` and `thresher value`: inputs, outputs, errors, nothing written on failure."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from thresher.cli import main
from thresher.valuation import knn_shapley


def _data(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = np.concatenate([rng.normal(0, 1, (80, 4)), rng.normal(3, 1, (20, 4))]).astype(np.float32)
    y = np.array([0] * 80 + [1] * 20)
    return x, y


def test_smote_npz_to_npz(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    x, y = _data()
    np.savez(tmp_path / "in.npz", x=x, y=y)
    out = tmp_path / "out.npz"
    assert main(["smote", str(tmp_path / "in.npz"), "--out", str(out), "--seed", "3"]) == 0
    assert "100 rows -> 160" in capsys.readouterr().out
    with np.load(out) as r:
        assert np.bincount(r["y"]).tolist() == [80, 80]
        i = 120
        p, nb, u = r["parent"][i], r["neighbor"][i], r["gap"][i]
        np.testing.assert_allclose(r["x"][i], x[p] + u * (x[nb] - x[p]), rtol=1e-5)


def test_smote_parquet_and_npy_inputs(tmp_path: Path) -> None:
    x, y = _data(1)
    table = pa.table({**{f"f{j}": x[:, j] for j in range(4)}, "label": y})
    pq.write_table(table, tmp_path / "in.parquet")
    out = tmp_path / "out.parquet"
    args = ["smote", str(tmp_path / "in.parquet"), "--out", str(out), "--method", "under"]
    assert main(args) == 0
    result = pq.read_table(out)
    assert result.num_rows == 40 and set(result.column_names) >= {"x0", "label", "parent"}
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "y.npy", y)
    out2 = tmp_path / "over.npz"
    args = ["smote", str(tmp_path / "x.npy"), "--labels", str(tmp_path / "y.npy")]
    assert main([*args, "--out", str(out2), "--sampling-strategy", "1=50"]) == 0
    with np.load(out2) as r:
        assert np.bincount(r["y"]).tolist() == [80, 50]


def test_value_writes_one_value_per_training_row(tmp_path: Path) -> None:
    x, y = _data(2)
    np.savez(tmp_path / "train.npz", x=x[:70], y=y[:70])
    np.savez(tmp_path / "val.npz", x=x[70:], y=y[70:])
    out = tmp_path / "values.parquet"
    args = ["value", str(tmp_path / "train.npz"), "--val", str(tmp_path / "val.npz")]
    assert main([*args, "-k", "3", "--out", str(out)]) == 0
    values = pq.read_table(out).column("value").to_numpy()
    np.testing.assert_array_equal(values, knn_shapley(x[:70], y[:70], x[70:], y[70:], k=3))
    assert main([*args, "--out", str(tmp_path / "v.npy")]) == 0
    assert np.load(tmp_path / "v.npy").shape == (70,)


def test_errors_are_reported_and_nothing_is_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    x, y = _data(3)
    x[5, 2] = np.nan
    np.savez(tmp_path / "bad.npz", x=x, y=y)
    out = tmp_path / "out.npz"
    assert main(["smote", str(tmp_path / "bad.npz"), "--out", str(out)]) == 2
    assert "row 5, column 2" in capsys.readouterr().err
    assert not out.exists() and not list(tmp_path.glob(".out*"))
    assert main(["smote", str(tmp_path / "missing.npz"), "--out", str(out)]) == 2
    assert "no such file" in capsys.readouterr().err
    np.save(tmp_path / "x.npy", x)
    assert main(["smote", str(tmp_path / "x.npy"), "--out", str(out)]) == 2
    assert "--labels" in capsys.readouterr().err
    np.savez(tmp_path / "few.npz", x=np.zeros((10, 2)), y=[0] * 7 + [1] * 3)
    assert main(["smote", str(tmp_path / "few.npz"), "--out", str(out)]) == 2
    assert "at least 6" in capsys.readouterr().err
    np.savez(tmp_path / "empty.npz", x=np.zeros((0, 4), dtype=np.float32), y=np.zeros(0))
    np.savez(tmp_path / "train.npz", x=x[10:], y=y[10:])
    args = ["value", str(tmp_path / "train.npz"), "--val", str(tmp_path / "empty.npz")]
    assert main([*args, "--out", str(tmp_path / "v.parquet")]) == 2
    assert "validation set is empty" in capsys.readouterr().err
