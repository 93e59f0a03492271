"""Modules moved into packages keep their old import paths."""

from __future__ import annotations


def test_select_and_gme_are_the_diversity_modules() -> None:
    import thresher.gme
    import thresher.select

    assert thresher.select is thresher.diversity.select
    assert thresher.gme is thresher.diversity.gme
    assert thresher.GME is thresher.diversity.GME
    from thresher.select import balanced, k_center, semantic_dedup

    assert (balanced, k_center, semantic_dedup) == (
        thresher.diversity.balanced,
        thresher.diversity.k_center,
        thresher.diversity.semantic_dedup,
    )


def test_sample_package_keeps_its_names() -> None:
    from thresher import sample
    from thresher.sample import Allocation, group_quotas

    assert sample.__all__ == [
        "Allocation",
        "CooldownSchedule",
        "DomainUpsampling",
        "RS2Sampler",
        "WeightedReservoir",
        "allocate",
        "mixture",
        "reservoir",
        "stratified",
        "stratified_rows",
        "stratified_stream",
        "take",
        "take_batches",
        "uniform",
        "unimax",
        "weighted",
    ]
    for name in sample.__all__:
        assert getattr(sample, name) is not None
    assert group_quotas(["a", "b"], [3, 1], 2, None, "proportional", None) == [2, 0]
    assert Allocation is sample.allocation.Allocation
