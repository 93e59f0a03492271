"""Every fitted class saves, loads and pickles through thresher._persist: the same
results before and after, the format and its version checked on load with an error
naming the file, and pickling shipping the bytes of save()."""

from __future__ import annotations

import io
import json
import pickle
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
import thresher
from thresher import _persist
from thresher.cluster import hierarchical
from thresher.exceptions import ModelFileError, ReadError
from thresher.mixing import Aioli

TEXTS = [
    "the cat sat on the mat",
    "the cat sat on a mat",
    "select rows from the table where id = 1",
    "dogs bark at night and sleep by day",
]


def _points() -> np.ndarray[Any, Any]:
    rng = np.random.default_rng(3)
    return np.concatenate([rng.normal(c, 0.2, (40, 3)) for c in (0, 4, 8)]).astype(np.float32)


def _dsir() -> thresher.DSIR:
    target = pa.table({"text": TEXTS[2:3] * 3})
    return thresher.DSIR(num_buckets=500).fit(target, pa.table({"text": TEXTS}))


def _aioli() -> Aioli:
    mixer = Aioli(["a", "b"], update_steps=20, lp_rounds=1, lp_steps=2)
    mixer.observe(0, [1.0, 2.0])
    return mixer


def _same_dsir(a: thresher.DSIR, b: thresher.DSIR) -> None:
    raw = pa.table({"text": TEXTS})
    assert np.array_equal(a.log_weights(raw), b.log_weights(raw))
    assert (a.target_names, a.fit_stats) == (b.target_names, b.fit_stats)
    assert a.select(raw, k=2, seed=4).rows.tolist() == b.select(raw, k=2, seed=4).rows.tolist()


def _same_minhasher(a: thresher.MinHasher, b: thresher.MinHasher) -> None:
    assert repr(a) == repr(b)
    assert np.array_equal(a.signatures(TEXTS), b.signatures(TEXTS))


def _same_kmeans(a: thresher.KMeans, b: thresher.KMeans) -> None:
    x = _points()
    assert np.array_equal(a.centroids_, b.centroids_)
    assert np.array_equal(a.labels_, b.labels_)
    assert np.array_equal(a.distances_, b.distances_)
    assert (a.inertia_, a.n_iter_, a.inertia_history_) == (
        b.inertia_,
        b.n_iter_,
        b.inertia_history_,
    )
    assert np.array_equal(a.predict(x), b.predict(x))


def _same_hierarchy(a: Any, b: Any) -> None:
    assert np.array_equal(a.labels, b.labels)
    for x, y in zip(a.levels, b.levels, strict=True):
        _same_kmeans(x, y)
    assert np.array_equal(a.sample(12, seed=1), b.sample(12, seed=1))


def _same_aioli(a: Aioli, b: Aioli) -> None:
    assert a.state_dict() == b.state_dict()
    assert a.needs_losses(2) == b.needs_losses(2)
    assert np.array_equal(a.next_mixture(1), b.next_mixture(1))


CASES: list[tuple[str, Callable[[], Any], Callable[[Any, Any], None]]] = [
    ("dsir", _dsir, _same_dsir),
    ("minhasher", lambda: thresher.MinHasher(num_perm=16, ngram=2, seed=7), _same_minhasher),
    ("kmeans", lambda: thresher.KMeans(3, seed=2).fit(_points()), _same_kmeans),
    ("hierarchical", lambda: hierarchical(_points(), [6, 2], seed=1), _same_hierarchy),
    ("aioli", _aioli, _same_aioli),
]
IDS = [name for name, _, _ in CASES]


@pytest.mark.parametrize(("name", "make", "same"), CASES, ids=IDS)
def test_save_and_load_round_trip(
    tmp_path: Path, name: str, make: Callable[[], Any], same: Callable[[Any, Any], None]
) -> None:
    model = make()
    path = model.save(tmp_path / f"{name}.npz")
    assert path == tmp_path / f"{name}.npz"
    loaded = type(model).load(path)
    same(model, loaded)
    # No pickle in the file: it loads with allow_pickle=False.
    with np.load(path, allow_pickle=False) as data:
        header = json.loads(str(data["header"]))
    assert (header["format"], header["version"]) == (model.FORMAT, model.FORMAT_VERSION)


@pytest.mark.parametrize(("name", "make", "same"), CASES, ids=IDS)
def test_pickle_round_trip_ships_the_saved_bytes(
    tmp_path: Path, name: str, make: Callable[[], Any], same: Callable[[Any, Any], None]
) -> None:
    model = make()
    same(model, pickle.loads(pickle.dumps(model)))
    _, (cls, data) = model.__reduce__()
    assert cls is type(model)
    assert data == model.save(tmp_path / f"{name}.npz").read_bytes()


@pytest.mark.parametrize(("name", "make", "same"), CASES, ids=IDS)
def test_a_file_of_another_version_names_the_file(
    tmp_path: Path, name: str, make: Callable[[], Any], same: Callable[[Any, Any], None]
) -> None:
    model = make()
    path = model.save(tmp_path / f"{name}.npz")
    with np.load(path, allow_pickle=False) as data:
        arrays = {key: data[key] for key in data.files}
    header = json.loads(str(arrays["header"]))
    arrays["header"] = np.array(json.dumps({**header, "version": 99}))
    with open(path, "wb") as f:
        np.savez(f, **arrays)
    with pytest.raises(ModelFileError, match="version 99 is not supported") as caught:
        type(model).load(path)
    assert str(path) in str(caught.value)


def test_another_format_and_garbage_are_model_file_errors(tmp_path: Path) -> None:
    path = thresher.MinHasher(num_perm=8).save(tmp_path / "hasher.npz")
    with pytest.raises(ModelFileError, match=r"expected 'thresher\.kmeans'"):
        thresher.KMeans.load(path)
    (tmp_path / "garbage.npz").write_bytes(b"not a zip")
    with pytest.raises(ModelFileError, match=r"garbage\.npz"):
        Aioli.load(tmp_path / "garbage.npz")
    with pytest.raises(ReadError):
        thresher.MinHasher.load(tmp_path / "absent.npz")


def test_unfitted_models_pickle_but_do_not_save(tmp_path: Path) -> None:
    for model in (thresher.DSIR(num_buckets=100), thresher.KMeans(4, seed=3)):
        again = pickle.loads(pickle.dumps(model))
        assert type(again) is type(model)
        with pytest.raises(thresher.exceptions.InvalidParameterError, match="not fitted"):
            model.save(tmp_path / "unfitted.npz")
    assert pickle.loads(pickle.dumps(thresher.KMeans(4, seed=3))).seed == 3


def test_kmeans_files_of_format_version_1_still_load(tmp_path: Path) -> None:
    km = thresher.KMeans(3, metric="cosine", seed=5).fit(_points())
    params = {"k": 3, "metric": "cosine", "seed": 5, "inertia": km.inertia_}
    buffer = io.BytesIO()
    np.savez(
        buffer,
        format=np.array("thresher.kmeans"),
        version=np.array(1),
        params=np.array(json.dumps(params)),
        centroids=km.centroids_,
    )
    (tmp_path / "v1.npz").write_bytes(buffer.getvalue())
    loaded = thresher.KMeans.load(tmp_path / "v1.npz")
    assert loaded.metric == "cosine"
    assert np.array_equal(loaded.predict(_points()), km.predict(_points()))


def test_the_header_names_are_reserved() -> None:
    with pytest.raises(ValueError, match="reserved"):
        _persist.dumps("x", 1, ({}, {"header": np.zeros(1)}))
