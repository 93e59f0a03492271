"""QuaDMix sampling: the formula (recomputed in numpy), draws, determinism, bad input."""

from __future__ import annotations

import json
import math

import numpy as np
import pyarrow as pa
import pytest
import thresher
from thresher.exceptions import EmptyInputError, InvalidParameterError
from thresher.mixing import DomainParams, quadmix


def mid_rank(values: np.ndarray) -> np.ndarray:
    """(#below + #equal / 2) / n, by binary search on the sorted values."""
    ordered = np.sort(values)
    below = np.searchsorted(ordered, values, side="left")
    upto = np.searchsorted(ordered, values, side="right")
    return (below + (upto - below) / 2.0) / len(values)


def reference(
    scores: list[np.ndarray], domains: np.ndarray, params: dict[str, DomainParams], how: str
) -> np.ndarray:
    n = len(domains)
    labels = sorted(set(domains.tolist()))
    normalised = []
    for s in scores:
        u = np.empty(n)
        if how == "domain":
            for d in labels:
                rows = domains == d
                u[rows] = mid_rank(s[rows])
        elif how == "corpus":
            u = mid_rank(s)
        else:
            u = s.copy()
        normalised.append(u)
    merged = np.zeros(n)
    for i in range(n):
        w = params[domains[i]].weights
        assert w is not None
        q = 0.0
        for c, u in enumerate(normalised):
            q += float(list(w)[c]) * u[i]  # type: ignore[arg-type]
        merged[i] = q
    expected = np.zeros(n)
    for d in labels:
        rows = domains == d
        r = 1.0 - mid_rank(merged[rows])
        p = params[d]
        s = p.rate * 2.0 / (1.0 + np.exp(p.steepness * (r - p.threshold)))
        expected[rows] = np.where(r <= p.threshold, s, 0.0)
    return expected


@pytest.fixture
def corpus() -> tuple[list[np.ndarray], np.ndarray, dict[str, DomainParams]]:
    rng = np.random.default_rng(0)
    n = 3000
    # Rounded scores make many ties, which mid-ranks must treat alike.
    s1 = np.round(rng.normal(size=n), 1)
    s2 = np.round(rng.uniform(size=n), 2)
    domains = rng.choice(np.array(["web", "code", "books"]), size=n, p=[0.6, 0.3, 0.1])
    params = {
        "web": DomainParams(threshold=0.3, steepness=8.0, rate=2.5, weights=[0.7, 0.3]),
        "code": DomainParams(threshold=0.8, steepness=2.0, rate=1.2, weights=[0.0, 1.0]),
        "books": DomainParams(threshold=1.0, steepness=0.0, rate=0.4, weights=[0.5, 0.5]),
    }
    return [s1, s2], domains, params


@pytest.mark.parametrize("how", ["domain", "corpus", "none"])
def test_expected_copies_equal_the_formula(corpus, how) -> None:  # type: ignore[no-untyped-def]
    scores, domains, params = corpus
    got = quadmix.expected_copies({"a": scores[0], "b": scores[1]}, domains, params, normalize=how)
    np.testing.assert_allclose(got, reference(scores, domains, params, how), rtol=1e-12, atol=0)
    # Scores as an (n, 2) matrix give the same.
    again = quadmix.expected_copies(np.stack(scores, axis=1), domains, params, normalize=how)
    np.testing.assert_array_equal(got, again)


def test_kept_share_follows_the_threshold(corpus) -> None:  # type: ignore[no-untyped-def]
    scores, domains, params = corpus
    _, ranks = quadmix.quality_ranks(scores[1], domains, DomainParams())
    for d in ("web", "code", "books"):
        r = np.sort(ranks[domains == d])
        assert 0 < r[0] < r[-1] < 1
    params = {"web": DomainParams(threshold=0.3)}
    expected = quadmix.expected_copies(scores[1], domains, params, default=DomainParams())
    web = domains == "web"
    assert abs((expected[web] > 0).mean() - 0.3) < 0.02


def test_drawn_copies_match_expectations(corpus) -> None:  # type: ignore[no-untyped-def]
    lists, domains, params = corpus
    scores = {"a": lists[0], "b": lists[1]}
    expected = quadmix.expected_copies(scores, domains, params)
    frac = expected - np.floor(expected)
    total_e, var = expected.sum(), (frac * (1 - frac)).sum()
    for seed in range(5):
        copies = quadmix.sample(scores, domains, params, seed=seed)
        assert copies.dtype == np.uint32
        assert np.all((copies == np.floor(expected)) | (copies == np.floor(expected) + 1))
        z = (copies.sum() - total_e) / math.sqrt(var)
        assert abs(z) < 3.29, z  # two-sided alpha = 0.001
    # Over many seeds, each document's mean copies approaches its expectation.
    draws = np.stack([quadmix.sample(scores, domains, params, seed=s) for s in range(200)])
    se = np.sqrt(frac * (1 - frac) / 200)
    z = (draws.mean(axis=0) - expected)[se > 0] / se[se > 0]
    assert np.mean(np.abs(z) > 3.29) < 0.005


def test_same_copies_whatever_the_thread_count() -> None:
    rng = np.random.default_rng(5)
    n = 300_000  # large domains take the parallel sort
    scores = {"q": rng.normal(size=n), "r": np.round(rng.uniform(size=n), 3)}
    domains = rng.integers(0, 2, size=n)
    params = {0: DomainParams(threshold=0.5, steepness=3.0, rate=1.7)}
    default = DomainParams(threshold=0.9, rate=0.6, weights={"r": 1.0})
    before = thresher.get_num_threads()
    try:
        runs = []
        for threads in (1, 2, 4):
            thresher.set_num_threads(threads)
            runs.append(
                (
                    quadmix.expected_copies(scores, domains, params, default=default),
                    quadmix.sample(scores, domains, params, default=default, seed=11),
                )
            )
    finally:
        thresher.set_num_threads(before)
    for e, c in runs[1:]:
        np.testing.assert_array_equal(e, runs[0][0])
        np.testing.assert_array_equal(c, runs[0][1])


def test_sample_rows_repeats_documents(tmp_path) -> None:  # type: ignore[no-untyped-def]
    table = pa.table(
        {"text": ["a", "b", "c", "d", "e", "f"], "q": [1, 5, 3, 2, 9, 4], "d": list("xxxyyy")}
    )
    params = DomainParams(threshold=0.4, rate=2.0)
    out = quadmix.sample_rows(table, ["q"], "d", params)
    assert out.column("text").to_pylist() == ["b", "b", "e", "e"]
    once = quadmix.sample_rows(table, ["q"], "d", params, repeat=False)
    assert once.column("copies").to_pylist() == [2, 2]
    path = tmp_path / "docs.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in table.to_pylist()))
    assert quadmix.sample_rows(str(path), ["q"], "d", params).column("text").to_pylist() == [
        "b",
        "b",
        "e",
        "e",
    ]


def test_bad_input_names_the_fault() -> None:
    q = np.array([0.1, 0.2, 0.3, 0.4])
    d = np.array(["a", "a", "b", "b"])
    ok = DomainParams()

    def fault(**kwargs: object) -> InvalidParameterError:
        args: dict[str, object] = {"scores": q, "domains": d, "params": {"a": ok, "b": ok}}
        args.update(kwargs)
        with pytest.raises(InvalidParameterError) as info:
            quadmix.expected_copies(**args)  # type: ignore[arg-type]
        return info.value

    e = fault(scores=np.array([0.1, np.nan, 0.3, 0.4]))
    assert (e.parameter, e.row) == ("scores", 1)
    assert fault(scores={"x": q, "y": q[:3]}).parameter == "scores"
    assert fault(domains=d[:3]).parameter == "domains"
    assert fault(domains=pa.array(["a", None, "b", "b"])).row == 1
    assert fault(params={"a": ok, "b": ok, "zz": ok}).parameter == "params"  # unknown domain
    assert fault(params={"a": ok}).parameter == "params"  # b has none
    two = {"x": q, "y": q}
    assert fault(scores=two, params=DomainParams(weights=[0.6, 0.6])).parameter == "weights"
    assert fault(scores=two, params=DomainParams(weights=[1.5, -0.5])).parameter == "weights"
    assert fault(scores=two, params=DomainParams(weights={"nope": 1.0})).parameter == "weights"
    assert fault(params=DomainParams(threshold=1.5)).parameter == "threshold"
    assert fault(params=DomainParams(steepness=-1.0)).parameter == "steepness"
    assert fault(params=DomainParams(rate=float("inf"))).parameter == "rate"
    assert fault(normalize="zscore").parameter == "normalize"
    with pytest.raises(EmptyInputError):
        quadmix.expected_copies(np.array([]), np.array([]), ok)
    with pytest.raises(InvalidParameterError):
        quadmix.sample(q, d, ok, seed=-1)


def test_cli_writes_the_sampled_corpus(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    from thresher.cli import main

    rows = [
        {"text": t, "q": q, "d": d}
        for t, q, d in zip("abcdef", [1, 5, 3, 2, 9, 4], "xxxyyy", strict=True)
    ]
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in rows))
    params = tmp_path / "params.json"
    params.write_text(json.dumps({"x": {"threshold": 0.4, "rate": 2.0}, "*": {"rate": 0.0}}))
    out = tmp_path / "out.parquet"
    argv = [
        "quadmix",
        str(src),
        "--score",
        "q",
        "--domain",
        "d",
        "--params",
        str(params),
        "--out",
        str(out),
    ]
    assert main(argv) == 0
    assert "wrote 2 rows" in capsys.readouterr().out
    import pyarrow.parquet as pq

    assert pq.read_table(out).column("text").to_pylist() == ["b", "b"]
    params.write_text(json.dumps({"x": {"threshold": 0.5, "bogus": 1}}))
    assert main(argv) == 2
    assert "invalid params" in capsys.readouterr().err
