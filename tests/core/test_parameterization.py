"""The four parameterizations describe one quantity: every conversion must land on the truth built from x_0, ε."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from diffviz.core.parameterization import PREDICTION_TYPES, convert, prediction_from, tweedie_x0

alpha_bars = st.one_of(st.floats(1e-6, 1e-3), st.floats(1e-3, 1 - 1e-3), st.floats(1 - 1e-3, 1 - 1e-6))


def truth(x0: np.ndarray, eps: np.ndarray, a: float) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """x_t and each parameterization, written straight from their definitions (math.md)."""
    x_t = np.sqrt(a) * x0 + np.sqrt(1 - a) * eps
    return x_t, {
        "epsilon": eps,
        "score": -eps / np.sqrt(1 - a),
        "sample": x0,
        "v_prediction": np.sqrt(a) * eps - np.sqrt(1 - a) * x0,
    }


@settings(max_examples=200, deadline=None)
@given(
    a=alpha_bars,
    seed=st.integers(0, 2**32 - 1),
    kind_in=st.sampled_from(PREDICTION_TYPES),
    kind_out=st.sampled_from(PREDICTION_TYPES),
)
def test_every_conversion_recovers_the_truth(a: float, seed: int, kind_in: str, kind_out: str) -> None:
    rng = np.random.default_rng(seed)
    x0, eps = rng.normal(size=(16, 2)), rng.normal(size=(16, 2))
    x_t, true = truth(x0, eps, a)
    out = convert(kind_in, true[kind_in], x_t, a, kind_out)
    assert np.all(np.isfinite(out))
    # Going through ε divides by √(1−ᾱ) or √ᾱ, which loses digits at the extremes: scale tolerance accordingly.
    scale = 1 / np.sqrt(min(a, 1 - a))
    np.testing.assert_allclose(out, true[kind_out], atol=1e-12 * scale * (1 + np.abs(true[kind_out]).max()), rtol=1e-8)


@settings(max_examples=100, deadline=None)
@given(a=alpha_bars, seed=st.integers(0, 2**32 - 1), kind=st.sampled_from(PREDICTION_TYPES))
def test_prediction_is_self_consistent_and_tweedie(a: float, seed: int, kind: str) -> None:
    rng = np.random.default_rng(seed)
    x0, eps = rng.normal(size=(8, 3)), rng.normal(size=(8, 3))
    x_t, true = truth(x0, eps, a)
    p = prediction_from(kind, true[kind], x_t, a)
    for arr in (p.eps_hat, p.score, p.x0_hat):
        assert np.all(np.isfinite(arr))
    # ε̂ = −√(1−ᾱ) s, and Tweedie's formula with that score gives back x̂_0
    np.testing.assert_allclose(p.eps_hat, -np.sqrt(1 - a) * p.score, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(tweedie_x0(p.score, x_t, a), p.x0_hat, rtol=1e-6, atol=1e-9 / np.sqrt(a))


def test_unknown_prediction_type_is_named() -> None:
    with pytest.raises(ValueError, match="'noise'.*valid: epsilon, score, sample, v_prediction"):
        convert("noise", np.zeros(2), np.zeros(2), 0.5, "epsilon")


@pytest.mark.parametrize("kind", PREDICTION_TYPES)
def test_a_float32_output_gives_float32_quantities_and_a_float64_accurate_x0(kind: str) -> None:
    """ε̂, s and x̂_0 stay in the model's float32 (a float64 ᾱ scalar would carry float64 through every array), while
    x̂_0 is computed in float64 where ε̂ is derived: at ᾱ = 1e-8 it equals the float64 computation rounded to float32
    (an ε-model's, computed from its float32 ε̂, is within a few float32 roundings of it)."""
    rng = np.random.default_rng(5)
    a = np.float64(1e-8)
    x = rng.standard_normal((64, 2)).astype(np.float32)
    out = rng.standard_normal((64, 2)).astype(np.float32)
    pred = prediction_from(kind, out, x, a)
    assert {pred.eps_hat.dtype, pred.score.dtype, pred.x0_hat.dtype} == {np.dtype(np.float32)}
    exact = prediction_from(kind, out.astype(np.float64), x.astype(np.float64), a)
    if kind == "epsilon":
        np.testing.assert_allclose(pred.x0_hat, exact.x0_hat, rtol=5e-7)
    else:
        np.testing.assert_array_equal(pred.x0_hat, exact.x0_hat.astype(np.float32))
    np.testing.assert_allclose(pred.score, exact.score, rtol=1e-6)
