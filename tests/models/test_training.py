"""The training loop: it learns the true denoiser, is deterministic by seed, and stops on divergence."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from diffviz.core.mixture import GaussianMixture
from diffviz.zoo.config import ConfigError, default_config
from diffviz.zoo.training import TrainingDiverged, lr_at, train


def _eval(model: torch.nn.Module, x: np.ndarray, t: int) -> np.ndarray:
    with torch.no_grad():
        return model(torch.from_numpy(x.astype(np.float32)), torch.full((len(x),), t)).numpy()


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["epsilon", "score"])
def test_a_short_run_learns_the_exact_score_of_8gaussians(kind: str) -> None:
    # 8gaussians is a Gaussian mixture: its score at every noise level is known exactly (math.md: exact scores).
    config = default_config("8gaussians", steps=1500, prediction_type=kind, seed=1)
    result = train(config)
    assert result.losses[-100:].mean() < 0.7 * result.losses[:100].mean()
    mixture = GaussianMixture.eight_gaussians()
    schedule = config.train_schedule()
    rng = np.random.default_rng(0)
    for t in (300, 600):
        ab = float(schedule.alpha_bars[t])
        x_t = np.sqrt(ab) * mixture.sample_data(2000, rng) + np.sqrt(1 - ab) * rng.standard_normal((2000, 2))
        exact_eps = -np.sqrt(1 - ab) * mixture.score(x_t, ab)  # ε = −√(1−ᾱ) s
        out = _eval(result.model, x_t, t)
        eps_hat = out if kind == "epsilon" else -np.sqrt(1 - ab) * out
        err = np.mean((eps_hat - exact_eps) ** 2)
        assert err < 0.1 * np.mean(exact_eps**2), f"t={t}: ε̂ error {err:.3g}"


@pytest.mark.slow
def test_same_seed_same_model_other_seed_other_model() -> None:
    config = default_config("moons", steps=60)
    a, b, c = train(config), train(config), train(config.replace(seed=1))
    np.testing.assert_array_equal(a.losses, b.losses)
    for pa, pb in zip(a.model.parameters(), b.model.parameters(), strict=True):
        assert torch.equal(pa, pb)
    assert not np.array_equal(a.losses, c.losses)


@pytest.mark.slow
def test_images_train_too() -> None:
    config = default_config("digits", steps=4, batch_size=8, arch=dict(channels=(8, 16)))
    result = train(config)
    assert np.all(np.isfinite(result.losses))
    with torch.no_grad():
        out = result.model(torch.zeros(3, 1, 16, 16), torch.tensor([0, 1, 2]))
    assert out.shape == (3, 1, 16, 16)


def test_an_absurd_learning_rate_stops_with_a_clear_message() -> None:
    with pytest.raises(TrainingDiverged, match=r"diverged: .* at step \d+ .*smaller --lr"):
        train(default_config("moons", steps=200, lr=1e12))


def test_learning_rate_warms_up_then_decays_to_zero() -> None:
    config = default_config("moons", steps=1000, lr=1e-3, warmup_steps=100)
    lrs = np.array([lr_at(s, config) for s in range(1000)])
    assert lrs.max() == pytest.approx(1e-3)
    assert np.all(np.diff(lrs[:100]) > 0) and np.all(np.diff(lrs[100:]) <= 0)
    assert lrs[-1] < 1e-7


@pytest.mark.parametrize(
    "change, match",
    [
        (dict(steps=0), "steps must be ≥ 1"),
        (dict(lr=-1.0), "lr must be > 0"),
        (dict(prediction_type="noise"), "unknown prediction type"),
        (dict(ema_decay=1.0), "ema_decay"),
    ],
)
def test_bad_options_are_named(change: dict, match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        default_config("moons", **change)
