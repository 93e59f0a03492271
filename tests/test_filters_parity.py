"""Parity of thresher.filters with datatrove 0.10.1 (installed), run live: on a fixture
of 450 real documents and on handcrafted texts that hit each rule's edge."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
import zstandard

datatrove = pytest.importorskip("datatrove")
pytest.importorskip("spacy")

from datatrove.data import Document  # noqa: E402
from datatrove.pipeline.filters import (  # noqa: E402
    C4QualityFilter,
    FineWebQualityFilter,
    GopherQualityFilter,
    GopherRepetitionFilter,
)
from datatrove.pipeline.filters.base_filter import get_filter_result  # noqa: E402
from datatrove.utils.text import split_into_words  # noqa: E402
from thresher import filters  # noqa: E402

FIXTURE = Path(__file__).parent / "data" / "filters_sample.jsonl.zst"
DT = {
    "gopher_quality": GopherQualityFilter,
    "gopher_repetition": GopherRepetitionFilter,
    "c4": C4QualityFilter,
    "fineweb": FineWebQualityFilter,
}


def reference(rule: str, texts: list[str], **params: object) -> list[tuple[bool, str | None, str]]:
    flt = DT[rule](**params)
    out = []
    for i, text in enumerate(texts):
        doc = Document(text=text, id=str(i))
        try:
            keep, reason = get_filter_result(flt.filter(doc))
        except ZeroDivisionError:
            keep, reason = False, "error:ZeroDivisionError"
        out.append((bool(keep), reason, doc.text))
    return out


def ours(
    rule: str, texts: list[str], **params: object
) -> tuple[list[bool], list[str | None], list[str | None]]:
    table = filters.apply(texts, rules=[filters.rule_set(rule, **params)]).table
    c4 = table.column("c4_text").to_pylist() if rule == "c4" else [None] * len(texts)
    return (
        table.column(f"{rule}_keep").to_pylist(),
        table.column(f"{rule}_reason").to_pylist(),
        c4,
    )


@pytest.fixture(scope="module")
def sample() -> list[dict[str, object]]:
    raw = zstandard.ZstdDecompressor().stream_reader(FIXTURE.open("rb"))
    return [json.loads(line) for line in io.TextIOWrapper(raw, encoding="utf-8")]


@pytest.mark.parametrize("rule", list(DT))
def test_fixture_decisions_equal_datatrove(sample: list[dict[str, object]], rule: str) -> None:
    texts = [str(d["text"]) for d in sample]
    ref = reference(rule, texts)
    keep, reason, c4 = ours(rule, texts)
    disagree = [
        (sample[i]["corpus"], sample[i]["row"], ref[i][1], reason[i])
        for i in range(len(texts))
        if keep[i] != ref[i][0]
    ]
    assert disagree == []
    assert reason == [r[1] for r in ref]
    if rule == "c4":
        assert [t for t, k in zip(c4, keep, strict=False) if k] == [r[2] for r in ref if r[0]]


def test_fixture_words_equal_spacy(sample: list[dict[str, object]]) -> None:
    same = sum(
        filters.words(str(d["text"])) == split_into_words(str(d["text"]), "en") for d in sample
    )
    assert same / len(sample) >= 0.99


LONG = " ".join(["the word of the day and to be with that"] * 8)
EDGES = {
    "gopher_quality": [
        "",
        "word " * 49 + "the of.",
        LONG,
        LONG.replace("word", "#"),
        LONG + " ... ... ... ... ... ... ... ... ...",
        "\n".join(["- " + LONG[:60]] * 10),
        "\n".join([LONG[:60] + "..."] * 4),
        " ".join(["12345 67890 3.14 !!!"] * 30),
        " ".join(["xyzzy"] * 60),
        "a " * 80,
        ("internationalisation " * 60) + "the of",
        "I don't know what you're saying, e.g. 10km (roughly) isn't far.\n" * 8,
    ],
    "gopher_repetition": [
        "",
        "same line\n" * 5 + "other\n",
        "para one\n\npara one\n\npara two\n\npara three",
        " ".join(["alpha beta"] * 40),
        LONG,
        "\n\n" + LONG + "\n\n",
        "a b c d e f g h i j " * 3 + "k",
    ],
    "c4": [
        "",
        "One. Two. Three. Four. Five.",
        "\n".join(["This is a sentence that ends well."] * 5),
        "\n".join(["This is a sentence that ends well."] * 4 + ["Lorem ipsum dolor sit amet."]),
        "\n".join(["This is a sentence that ends well."] * 5 + ["A line with { in it."]),
        "\n".join(["This line cites a source [1] here."] * 5 + ["Enable Javascript please now."]),
        "\n".join(["We use cookies on this site ok."] + ["Short one."] * 5 + ["This one ends..."]),
        "\n".join(
            ["A line of words with " + "x" * 1001 + " inside."] + ["Fine line here, yes."] * 5
        ),
        "\r\n".join(["Windows line endings are here."] * 6),
        "\n".join(["Is it a question? Yes it is! Really."] * 2),
    ],
    "fineweb": [
        "",
        "\n\n  \n",
        "short\n" * 10,
        "\n".join([LONG + "."] * 3),
        "\n".join([LONG[:40] + str(i) + "." for i in range(10)]),
        LONG + "\n" * 50,
        "A line ending in a full stop.\nno stop here at all in this line of text\n" * 3,
    ],
}


@pytest.mark.parametrize("rule", list(EDGES))
def test_edge_cases_equal_datatrove(rule: str) -> None:
    texts = EDGES[rule]
    ref = reference(rule, texts)
    keep, reason, c4 = ours(rule, texts)
    assert [(k, r) for k, r in zip(keep, reason, strict=False)] == [(r[0], r[1]) for r in ref]
    if rule == "c4":
        assert [t for t, k in zip(c4, keep, strict=False) if k] == [r[2] for r in ref if r[0]]


@pytest.mark.parametrize(
    ("rule", "params"),
    [
        ("gopher_quality", {"min_doc_words": 5, "max_avg_word_length": None}),
        ("gopher_quality", {"min_stop_words": 0, "max_non_alpha_words_ratio": 0.5}),
        ("gopher_repetition", {"top_n_grams": ((2, 0.5),), "dup_n_grams": ((3, 0.3),)}),
        ("c4", {"min_num_sentences": 1, "filter_no_terminal_punct": False}),
        ("c4", {"remove_citations": False, "min_words_per_line": -1}),
        ("fineweb", {"line_punct_thr": 0.5, "line_punct_exclude_zero": True}),
        ("fineweb", {"short_line_length": 10, "stop_chars": (".", "!")}),
    ],
)
def test_overrides_equal_datatrove(rule: str, params: dict[str, object]) -> None:
    texts = [t for ts in EDGES.values() for t in ts]
    ref = reference(rule, texts, **params)
    keep, reason, _ = ours(rule, texts, **params)
    assert list(zip(keep, reason, strict=False)) == [(r[0], r[1]) for r in ref]
