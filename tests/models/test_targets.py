"""Training targets follow math.md's identities, checked through the engine's own conversions."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from diffviz.core.parameterization import PREDICTION_TYPES, convert, eps_from, x0_from_eps
from diffviz.zoo.targets import loss_weight, noisy, output_scale, training_target


@pytest.fixture
def batch() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    return rng.normal(size=(64, 2)), rng.normal(size=(64, 2))


@pytest.mark.parametrize("kind", PREDICTION_TYPES)
@pytest.mark.parametrize("alpha_bar", [0.9999, 0.5, 4e-5])
def test_target_converts_back_to_the_noise_and_the_data(kind: str, alpha_bar: float, batch) -> None:
    x0, eps = batch
    x_t = noisy(x0, eps, alpha_bar)
    target = training_target(kind, x0, eps, alpha_bar)
    np.testing.assert_allclose(eps_from(kind, target, x_t, alpha_bar), eps, rtol=1e-7, atol=1e-7)
    x0_back = convert(kind, target, x_t, alpha_bar, "sample")
    np.testing.assert_allclose(x0_back, x0, atol=1e-9 / np.sqrt(alpha_bar) + 1e-6)


def test_score_loss_is_the_epsilon_loss_of_the_raw_network(batch) -> None:
    # λ (c_out r − s)² with λ = 1−ᾱ, c_out = −1/√(1−ᾱ), s = −ε/√(1−ᾱ) equals (r − ε)².
    x0, eps = batch
    raw = np.random.default_rng(1).normal(size=eps.shape)
    for ab in (0.9999, 0.3, 1e-3):
        out = output_scale("score", ab) * raw
        loss = loss_weight("score", ab) * (out - training_target("score", x0, eps, ab)) ** 2
        np.testing.assert_allclose(loss, (raw - eps) ** 2, rtol=1e-9)


def test_sample_loss_is_the_larger_of_the_eps_and_x0_losses(batch) -> None:
    # SNR ‖x̂_0 − x_0‖² = ‖ε̂ − ε‖², so λ = max(SNR, 1) gives max(ε loss, x_0 loss) (truncated SNR weighting).
    x0, eps = batch
    eps_hat = eps + np.random.default_rng(2).normal(size=eps.shape)
    for ab in (0.9999, 0.6, 0.4, 1e-3):
        x_t = noisy(x0, eps, ab)
        x0_hat = x0_from_eps(eps_hat, x_t, ab)
        got = loss_weight("sample", ab) * (x0_hat - training_target("sample", x0, eps, ab)) ** 2
        np.testing.assert_allclose(got, np.maximum((eps_hat - eps) ** 2, (x0_hat - x0) ** 2), rtol=1e-6)


@pytest.mark.parametrize("kind", PREDICTION_TYPES)
def test_numpy_and_torch_agree(kind: str, batch) -> None:
    x0, eps = batch
    ab = np.linspace(0.01, 0.99, len(x0))[:, None]
    want = training_target(kind, x0, eps, ab)
    got = training_target(kind, torch.from_numpy(x0), torch.from_numpy(eps), torch.from_numpy(ab))
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-12)
    np.testing.assert_allclose(
        loss_weight(kind, torch.from_numpy(ab)).numpy(), loss_weight(kind, ab) * np.ones_like(ab)
    )


def test_unknown_prediction_type_is_refused(batch) -> None:
    with pytest.raises(ValueError, match="unknown prediction type 'noise'"):
        training_target("noise", *batch, 0.5)
