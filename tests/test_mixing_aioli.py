"""Aioli online mixing: planted dynamics, the simplex, LearnParams, state, bad input."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from thresher.exceptions import InvalidParameterError
from thresher.mixing import Aioli, static_mixture


def drive(mixer: Aioli, gain: np.ndarray, steps: int, noise: float = 0.0, seed: int = 0) -> None:
    """A toy loop whose per-group losses follow the linear dynamic law L -= gain @ p."""
    rng = np.random.default_rng(seed)
    losses = np.full(mixer.m, 10.0)
    for step in range(steps):
        if mixer.needs_losses(step):
            mixer.observe(step, np.maximum(losses, 0.0))
        p = mixer.next_mixture(step)
        assert p.shape == (mixer.m,) and abs(p.sum() - 1) < 1e-12 and np.all(p >= 0)
        losses = losses - gain @ p + noise * rng.standard_normal(mixer.m)


def test_planted_fastest_group_gains_share() -> None:
    # Training on group 2 lowers every group's loss most: its share must grow.
    gain = np.array([[0.004, 0.0, 0.006], [0.0, 0.004, 0.006], [0.0, 0.0, 0.01]])
    mixer = Aioli(3, update_steps=60, lp_rounds=2, lp_steps=3, eta=0.5, seed=1)
    drive(mixer, gain, 60 * 6)
    shares = [h[2] for h in mixer.history]
    assert len(shares) == 6
    assert all(b > a for a, b in zip([1 / 3, *shares], shares, strict=False))
    assert mixer.proportions.argmax() == 2
    for h in mixer.history:
        assert np.all(h > 0) and abs(h.sum() - 1) < 1e-12


def test_learnparams_recovers_the_linear_law() -> None:
    # Exactly linear dynamics: with normalisation off, A^t is the planted matrix.
    gain = np.array([[0.03, 0.01, 0.0], [0.0, 0.02, 0.01], [0.005, 0.0, 0.04]])
    mixer = Aioli(3, update_steps=50, lp_rounds=2, lp_steps=4, normalize=False, seed=0)
    drive(mixer, gain, 50)
    a = mixer.mixing_matrix
    assert a is not None
    # Each sweep of lp_steps steps lowers the loss by lp_steps * gain @ p.
    np.testing.assert_allclose(a, 4 * gain, rtol=1e-9, atol=1e-12)
    expected = np.exp(0.2 * a.sum(axis=0))
    np.testing.assert_allclose(mixer.proportions, expected / expected.sum(), rtol=1e-12)


def test_ema_restarts_from_the_initial_mixture() -> None:
    gain = np.array([[0.03, 0.0], [0.0, 0.01]])
    initial = [0.3, 0.7]
    mixer = Aioli(
        2,
        initial=initial,
        update_steps=20,
        lp_rounds=1,
        lp_steps=2,
        ema=0.5,
        normalize=False,
        one_hot_factor=1.0,
    )
    drive(mixer, gain, 40)
    a = 2 * gain  # the same every round, so the smoothed matrix equals it
    expected = np.array(initial) * np.exp(0.2 * a.sum(axis=0))
    np.testing.assert_allclose(mixer.proportions, expected / expected.sum(), rtol=1e-12)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.floats(-0.05, 0.05), min_size=9, max_size=9),
    st.floats(0.01, 20.0),
    st.sampled_from([None, 0.3]),
)
def test_proportions_stay_on_the_simplex(flat: list[float], eta: float, ema: float | None) -> None:
    gain = np.array(flat).reshape(3, 3)
    mixer = Aioli(3, update_steps=30, lp_rounds=1, lp_steps=2, eta=eta, ema=ema, seed=3)
    drive(mixer, gain, 120, noise=0.01)
    for p in [*mixer.history, mixer.proportions]:
        assert np.all(np.isfinite(p)) and np.all(p >= 0)
        assert abs(p.sum() - 1.0) < 1e-9


def test_schedule_and_prior_steps() -> None:
    mixer = Aioli(["a", "b"], update_steps=10, lp_rounds=1, lp_steps=2, prior_steps=3)
    assert [mixer.phase(s) for s in (0, 2, 3, 6, 7, 12, 13)] == [
        "prior",
        "prior",
        "learn",
        "learn",
        "train",
        "train",
        "learn",
    ]
    assert not mixer.needs_losses(0) and mixer.needs_losses(3)
    np.testing.assert_allclose(mixer.next_mixture(0), [0.5, 0.5])
    with pytest.raises(InvalidParameterError, match="not been observed"):
        mixer.next_mixture(3)
    mixer.observe(3, [1.0, 1.0])
    assert mixer.next_mixture(3).max() == 0.625
    with pytest.raises(InvalidParameterError, match="awaited before step 5"):
        mixer.observe(4, [1.0, 1.0])
    assert set(mixer.mixture_dict()) == {"a", "b"}


def test_state_round_trip_mid_round() -> None:
    gain = np.array([[0.02, 0.01], [0.0, 0.03]])
    a = Aioli(2, update_steps=20, lp_rounds=2, lp_steps=2, ema=0.2, seed=7)
    b = Aioli(2, update_steps=20, lp_rounds=2, lp_steps=2, ema=0.2, seed=7)
    losses_a = np.full(2, 5.0)
    losses_b = np.full(2, 5.0)
    for step in range(100):
        if step == 45:  # in the middle of the third round's LearnParams
            b = Aioli.from_state(json.loads(json.dumps(b.state_dict())))
        for mixer, losses in ((a, losses_a), (b, losses_b)):
            if mixer.needs_losses(step):
                mixer.observe(step, losses)
            losses -= gain @ mixer.next_mixture(step)
    np.testing.assert_array_equal(a.proportions, b.proportions)
    assert len(a.history) == len(b.history) == 5
    with pytest.raises(InvalidParameterError):
        Aioli.from_state({"version": 99})


@pytest.mark.parametrize(
    ("kwargs", "parameter"),
    [
        ({"eta": 0.0}, "eta"),
        ({"eta": -1.0}, "eta"),
        ({"eta": float("nan")}, "eta"),
        ({"initial": [0.5, 0.6, 0.1]}, "initial"),
        ({"initial": [0.5, 0.5]}, "initial"),
        ({"initial": [1.2, -0.2, 0.0]}, "initial"),
        ({"one_hot_factor": 1 / 3}, "one_hot_factor"),
        ({"ema": 1.0}, "ema"),
        ({"update_steps": 24}, "update_steps"),
        ({"lp_steps": 0}, "lp_steps"),
        ({"seed": -1}, "seed"),
    ],
)
def test_bad_options(kwargs: dict[str, object], parameter: str) -> None:
    options: dict[str, object] = {"update_steps": 100, "lp_rounds": 2, "lp_steps": 4}
    options.update(kwargs)
    with pytest.raises(InvalidParameterError) as info:
        Aioli(3, **options)  # type: ignore[arg-type]
    assert info.value.parameter == parameter


def test_bad_groups_and_losses() -> None:
    with pytest.raises(InvalidParameterError):
        Aioli(1)
    with pytest.raises(InvalidParameterError):
        Aioli(["a", "a"])
    mixer = Aioli(3, update_steps=40, lp_rounds=1, lp_steps=2)
    for losses in ([1.0, 2.0], [1.0, float("nan"), 2.0], [1.0, -0.5, 2.0], [[1.0, 2.0, 3.0]]):
        with pytest.raises(InvalidParameterError) as info:
            mixer.observe(0, losses)
        assert info.value.parameter == "losses"
    with pytest.raises(InvalidParameterError):
        mixer.next_mixture(-1)


def test_static_baselines() -> None:
    assert static_mixture({"a": 9, "b": 1}) == {"a": 0.5, "b": 0.5}
    np.testing.assert_allclose(static_mixture([9, 1], "proportional"), [0.9, 0.1])
    p = static_mixture([9, 1], "temperature", temperature=2.0)
    np.testing.assert_allclose(p, [0.75, 0.25])
    with pytest.raises(InvalidParameterError):
        static_mixture([9, 1], "nope")  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError):
        static_mixture([9, 1], "temperature", temperature=0.0)


def test_static_mixture_old_names_warn() -> None:
    with pytest.warns(DeprecationWarning, match="allocation='stratified' is deprecated"):
        assert static_mixture([9, 1], "stratified") == static_mixture([9, 1], "equal")
    with pytest.warns(DeprecationWarning, match="'method' is deprecated: use 'allocation'"):
        assert static_mixture([9, 1], method="proportional") == static_mixture(
            [9, 1], "proportional"
        )
