"""Behaviour of thresher.dedup: clusters equal a naive quadratic computation, keep
policies, exact deduplication and verification, output shapes, determinism across
thread counts and batch layouts, and the CLI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import thresher
from hypothesis import given, settings
from hypothesis import strategies as st
from thresher.cli import main


def naive_dedup(
    texts: list[str], threshold: float, num_perm: int, ngram: int, bands: int, rows: int
) -> tuple[list[int], list[bool], list[float]]:
    """Quadratic reference: every pair sharing a band whose signature agreement reaches
    the threshold is an edge; components by repeated relaxation; keep the first."""
    sigs = thresher.MinHasher(num_perm, ngram).signatures(texts)
    empty = [not thresher.MinHasher(num_perm, ngram).shingles(t) for t in texts]
    n = len(texts)
    label = list(range(n))
    edges = []
    for i in range(n):
        for j in range(i + 1, n):
            if empty[i] or empty[j]:
                continue
            shares_band = any(
                (sigs[i, b * rows : (b + 1) * rows] == sigs[j, b * rows : (b + 1) * rows]).all()
                for b in range(bands)
            )
            if shares_band and (sigs[i] == sigs[j]).mean() >= threshold:
                edges.append((i, j))
    changed = True
    while changed:
        changed = False
        for i, j in edges:
            low = min(label[i], label[j])
            if label[i] != low or label[j] != low:
                label[i] = label[j] = low
                changed = True
    duplicate = [label[i] != i for i in range(n)]
    similarity = [
        float((sigs[i] == sigs[label[i]]).mean()) if duplicate[i] else float("nan")
        for i in range(n)
    ]
    return label, duplicate, similarity


WORDS = st.sampled_from(["a", "b", "c", "d", "e", "f"])
DOCS = st.lists(st.lists(WORDS, min_size=0, max_size=12).map(" ".join), min_size=1, max_size=25)


@settings(max_examples=40, deadline=None)
@given(texts=DOCS, threshold=st.sampled_from([0.3, 0.5, 0.8]))
def test_clusters_equal_naive_computation(texts: list[str], threshold: float) -> None:
    num_perm, ngram, bands, rows = 32, 2, 8, 4
    result = thresher.dedup(
        pa.table({"text": texts}),
        threshold=threshold,
        num_perm=num_perm,
        ngram=ngram,
        bands=bands,
        rows=rows,
        verify="signature",
    )
    label, duplicate, similarity = naive_dedup(texts, threshold, num_perm, ngram, bands, rows)
    assert result.cluster_id.tolist() == label
    assert result.is_duplicate.tolist() == duplicate
    np.testing.assert_allclose(result.similarity, np.asarray(similarity, np.float32))
    assert result.summary.duplicates == sum(duplicate)


def corpus_with_copies() -> list[str]:
    base = [
        "postgres stores tables in heap files made of eight kilobyte pages with tuples",
        "the rust borrow checker enforces that references never outlive their data owner",
        "vim opens files in buffers and shows them in windows arranged in tab pages",
    ]
    return [
        base[0],
        base[1],
        base[0] + " today",  # near copy of 0, longer
        base[2],
        base[1].upper(),  # exact copy of 1 after lowercasing
        base[0] + " and more words here",  # the longest copy of 0
    ]


def test_keep_policies_and_output_columns() -> None:
    texts = corpus_with_copies()
    table = pa.table({"text": texts, "quality": [0.1, 0.9, 0.5, 0.3, 0.2, 0.4]})
    first = thresher.dedup(table, threshold=0.5, ngram=2)
    assert first.cluster_id.tolist() == [0, 1, 0, 3, 1, 0]
    assert first.is_duplicate.tolist() == [False, False, True, False, True, True]
    assert first.table.column_names == [
        "text",
        "quality",
        "cluster_id",
        "is_duplicate",
        "similarity",
    ]
    assert first.table.column("similarity").null_count == 3  # the kept documents
    assert first.similarity[4] == 1.0
    longest = thresher.dedup(table, threshold=0.5, ngram=2, keep="longest")
    assert longest.is_duplicate.tolist() == [True, False, True, False, True, False]
    by_score = thresher.dedup(table, threshold=0.5, ngram=2, keep="score", score="quality")
    assert by_score.is_duplicate.tolist() == [True, False, False, False, True, True]
    values = thresher.dedup(table, threshold=0.5, ngram=2, keep="score", score=[0, 0, 0, 0, 1, 0])
    assert values.is_duplicate.tolist() == [False, True, True, False, False, True]
    kept = thresher.dedup(table, threshold=0.5, ngram=2, output="keep")
    assert kept.table.column("text").to_pylist() == [texts[0], texts[1], texts[3]]
    assert kept.table.column_names == ["text", "quality"]
    s = first.summary
    assert (s.documents, s.clusters, s.duplicates, s.kept) == (6, 2, 3, 3)
    assert s.bytes_removed == sum(len(texts[i].encode()) for i in (2, 4, 5))


def test_exact_method_and_exact_verification() -> None:
    texts = ["Hello,  World!", "hello world", "hello world again", "HELLO WORLD."]
    exact = thresher.dedup(pa.table({"text": texts}), method="exact")
    assert exact.is_duplicate.tolist() == [False, True, False, True]
    assert exact.cluster_id.tolist() == [0, 0, 2, 0]
    assert exact.summary.clusters == 1
    texts = corpus_with_copies()
    verified = thresher.dedup(pa.table({"text": texts}), threshold=0.5, ngram=2)
    # Exact Jaccard of 2-gram sets: doc 2 adds 1 bigram to doc 0's 12: 12/13.
    assert verified.is_duplicate.tolist() == [False, False, True, False, True, True]
    assert verified.similarity[2] == pytest.approx(12 / 13)


def test_signatures_accept_arrow_inputs() -> None:
    texts = ["one two three four five six", "", "x y"]
    hasher = thresher.MinHasher(num_perm=16, ngram=2)
    expected = hasher.signatures(texts)
    assert (expected[1] == 2**32 - 1).all()
    chunked = pa.chunked_array([pa.array(texts[:1]), pa.array(texts[1:])])
    assert (hasher.signatures(chunked) == expected).all()
    assert (hasher.signatures(pa.array(texts, pa.string_view())) == expected).all()
    assert expected.flags["C_CONTIGUOUS"] and expected.flags["OWNDATA"] is False


def test_deterministic_across_threads_and_batches(
    raw_records: list[dict[str, Any]], default_threads: None
) -> None:
    texts = [r["text"] for r in raw_records]
    texts += [t + " copy" for t in texts[::7]]
    table = pa.table({"text": texts})
    thresher.set_num_threads(1)
    one = thresher.dedup(table, threshold=0.7)
    sigs_one = thresher.MinHasher().signatures(texts)
    thresher.set_num_threads(2)
    two = thresher.dedup(pa.Table.from_batches(table.to_batches(max_chunksize=37)), threshold=0.7)
    sigs_two = thresher.MinHasher().signatures(texts)
    assert one.summary.duplicates >= len(texts[400:])
    assert (one.cluster_id == two.cluster_id).all()
    assert (one.is_duplicate == two.is_duplicate).all()
    np.testing.assert_array_equal(one.similarity, two.similarity)
    assert (sigs_one == sigs_two).all()


def test_cli_writes_kept_rows(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    texts = corpus_with_copies()
    source = tmp_path / "docs.jsonl"
    source.write_text("".join(json.dumps({"text": t, "id": i}) + "\n" for i, t in enumerate(texts)))
    out = tmp_path / "deduped.parquet"
    args = ["dedup", str(source), "--threshold", "0.5", "--ngram", "2", "--out", str(out)]
    assert main([*args, "--quiet"]) == 0
    assert pq.read_table(out).column("id").to_pylist() == [0, 1, 3]
    assert "3 removed" in capsys.readouterr().out
    annotated = tmp_path / "annotated.jsonl"
    assert main([*args[:-1], str(annotated), "--annotate", "--method", "exact", "--quiet"]) == 0
    rows = [json.loads(line) for line in annotated.read_text().splitlines()]
    assert [r["is_duplicate"] for r in rows] == [False, False, False, False, True, False]


@pytest.mark.parametrize("verify", ["exact", "signature"])
def test_texts_list_equals_table_input(raw_records: list[dict[str, Any]], verify: str) -> None:
    texts = [r["text"] for r in raw_records[:150]]
    texts += [t.replace(" the ", " a ", 1) for t in texts[:40]]
    scores = [float(len(t) % 7) for t in texts]
    from_list = thresher.dedup(texts=texts, keep="score", score=scores, verify=verify)  # type: ignore[arg-type]
    from_table = thresher.dedup(
        pa.table({"text": texts}),
        keep="score",
        score=scores,
        verify=verify,  # type: ignore[arg-type]
    )
    assert from_list.summary == from_table.summary
    assert (from_list.cluster_id == from_table.cluster_id).all()
    assert from_list.table.equals(from_table.table)
    exact = thresher.dedup(texts=texts, method="exact", output="keep")
    assert exact.table.num_rows == len(texts) - exact.summary.duplicates
