"""Samplers: step-for-step against diffusers' schedulers, and end to end on the exact 8-gaussians score."""

import numpy as np
import pytest
import torch
from diffusers import DDIMScheduler, DDPMScheduler

from diffviz.core.mixture import GaussianMixture
from diffviz.core.parameterization import convert
from diffviz.core.samplers import Plan, ddpm_variance
from diffviz.core.sampling import sample
from diffviz.core.schedule import Schedule

GM = GaussianMixture.eight_gaussians()


class EpsMixture:
    """The exact 8-gaussians model seen as an ε-predictor indexed by diffusers' training timestep."""

    name, prediction_type, data_shape, train_schedule = "eps-8g", "epsilon", (2,), None

    @property
    def card(self):  # a ModelCard (imported here so the test double stays self-contained)
        from diffviz.core.card import ModelCard

        return ModelCard.create(name=self.name, prediction_type=self.prediction_type, data_shape=self.data_shape)

    def __init__(self, alphas_cumprod: np.ndarray) -> None:
        self.alphas_cumprod = alphas_cumprod

    def model_time(self, alpha_bar: float) -> tuple[float, bool]:
        return float(np.argmin(np.abs(self.alphas_cumprod - alpha_bar))), False

    def __call__(self, x: np.ndarray, t: float) -> np.ndarray:
        a = float(self.alphas_cumprod[int(t)])
        return convert("score", GM.score(x, a), x, a, "epsilon").astype(np.float32)


def diffusers_loop(scheduler, model: EpsMixture, x_T: np.ndarray, noise: np.ndarray, **step_kw) -> np.ndarray:
    x = torch.from_numpy(x_T.copy())
    for k, t in enumerate(scheduler.timesteps):
        eps = torch.from_numpy(model(x.numpy(), float(t)))
        if isinstance(scheduler, DDIMScheduler):
            x = scheduler.step(eps, t, x, variance_noise=torch.from_numpy(noise[k]), **step_kw).prev_sample
        else:  # DDPMScheduler draws its own noise: replay ours through a generator-shaped stub
            g = torch.Generator().manual_seed(k)
            out = scheduler.step(eps, t, x, generator=g, **step_kw).prev_sample
            drawn = torch.randn(x.shape, generator=torch.Generator().manual_seed(k))
            # re-add our noise in place of diffusers' draw (variance is deterministic given t)
            var = scheduler._get_variance(t, scheduler.previous_timestep(t)) if t > 0 else torch.tensor(0.0)
            x = out - var**0.5 * drawn + var**0.5 * torch.from_numpy(noise[k]) if t > 0 else out
    return x.numpy()


def assert_same_up_to_float32(ours: np.ndarray, theirs: np.ndarray) -> None:
    """diffusers runs its coefficients in float32, we in float64: almost every coordinate agrees to 1e-4; a rare
    particle near a decision boundary between modes may drift a little further, never far."""
    err = np.abs(ours - theirs)
    assert np.quantile(err, 0.99) < 1e-4
    assert err.max() < 5e-3


def compare_with_diffusers(ref, sampler: str, steps: int, seed: int, step_kw: dict, **options) -> None:  # type: ignore[no-untyped-def]
    """Run our sampler and diffusers' scheduler on the same model, x_T and noise, over `steps` leading steps."""
    ref.set_timesteps(steps)
    schedule = Schedule.from_name("linear", 1000).subsample(steps, "leading")
    model = EpsMixture(ref.alphas_cumprod.double().numpy())
    rng = np.random.default_rng(seed)
    x_T = rng.standard_normal((256, 2)).astype(np.float32)
    noise = rng.standard_normal((steps, 256, 2)).astype(np.float32)
    ours = sample(model, schedule, sampler, x_T=x_T, noise=noise, field_grid=0, **options)
    assert_same_up_to_float32(ours.sample, diffusers_loop(ref, model, x_T, noise, **step_kw))


@pytest.mark.parametrize("variance_type", ["fixed_small", "fixed_large"])
@pytest.mark.parametrize("clip", [False, True])
def test_ddpm_matches_diffusers_step_for_step(variance_type: str, clip: bool) -> None:
    ref = DDPMScheduler(num_train_timesteps=1000, variance_type=variance_type, clip_sample=clip, clip_sample_range=1.0)
    compare_with_diffusers(ref, "ddpm", 40, 0, {}, variance_type=variance_type, clip_sample=clip)


@pytest.mark.parametrize("eta", [0.0, 0.5, 1.0])
@pytest.mark.parametrize("clip", [False, True])
def test_ddim_matches_diffusers_step_for_step(eta: float, clip: bool) -> None:
    ref = DDIMScheduler(num_train_timesteps=1000, clip_sample=clip, set_alpha_to_one=True)
    compare_with_diffusers(ref, "ddim", 25, 1, {"eta": eta}, eta=eta, clip_sample=clip)


def test_ddpm_score_form_equals_posterior_mean_form() -> None:
    """Seed eq. 6 (μ from the score) equals μ̃_t(x̂_0, x_t); clip with an unreachable range takes the μ̃ branch."""
    schedule = Schedule.from_name("linear", 1000).subsample(20)
    x_T = np.random.default_rng(2).standard_normal((128, 2)).astype(np.float32)
    a = sample(GM, schedule, "ddim", x_T=x_T, eta=1.0, seed=5, field_grid=0)  # DDIM η=1 is DDPM (fixed_small)
    b = sample(GM, schedule, "ddpm", x_T=x_T, seed=5, field_grid=0)
    c = sample(GM, schedule, "ddpm", x_T=x_T, seed=5, clip_sample=True, clip_sample_range=1e9, field_grid=0)
    np.testing.assert_allclose(a.sample, b.sample, atol=1e-4)
    np.testing.assert_allclose(b.sample, c.sample, atol=1e-4)


def test_fixed_large_first_variance_follows_the_original_ddpm_code() -> None:
    plan = Plan.from_schedule(Schedule.from_name("linear", 1000))
    last = plan.num_steps - 1  # the step from t=1 to t=0
    assert ddpm_variance(plan, last, "fixed_small") == 0.0
    assert ddpm_variance(plan, last, "fixed_large") == pytest.approx(ddpm_variance(plan, last - 1, "fixed_small"))
    assert ddpm_variance(plan, 0, "fixed_large") == pytest.approx(0.02)


def mode_statistics(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Weight, mean and radial-free std of each of the 8 modes (points assigned to the nearest centre)."""
    d = np.linalg.norm(x[:, None] - GM.means[None], axis=-1)
    k = d.argmin(1)
    weights = np.bincount(k, minlength=8) / len(x)
    means = np.stack([x[k == i].mean(0) for i in range(8)])
    stds = np.array([x[k == i].std(0).mean() for i in range(8)])
    return weights, means, stds


@pytest.mark.parametrize(
    "sampler, steps, opts",
    [
        pytest.param("ddpm", 1000, {}, marks=pytest.mark.slow),
        ("ddim", 100, {"eta": 0.0}),
        ("heun", 100, {}),
        pytest.param("pc", 200, {"target_snr": 0.16}, marks=pytest.mark.slow),
    ],
)
def test_exact_score_sampling_recovers_the_mixture(sampler: str, steps: int, opts: dict) -> None:
    schedule = Schedule.from_name("linear", 1000)
    if steps < 1000:
        schedule = schedule.subsample(steps, "leading")
    run = sample(GM, schedule, sampler, n=4000, seed=11, field_grid=0, **opts)
    w, m, s = mode_statistics(run.sample)
    np.testing.assert_allclose(w, 1 / 8, atol=0.03)
    np.testing.assert_allclose(m, GM.means, atol=0.03)
    np.testing.assert_allclose(s, 0.1, rtol=0.2)


def test_sampling_with_a_broken_variance_is_caught_by_the_mode_check() -> None:
    """The statistics above can fail: a Langevin corrector run at 12× the target SNR over-diffuses the modes."""
    run = sample(
        GM, Schedule.from_name("linear", 1000).subsample(100), "pc", n=4000, seed=11, field_grid=0, target_snr=2.0
    )
    _, _, s = mode_statistics(run.sample)
    assert not np.allclose(s, 0.1, rtol=0.2)


def test_probability_flow_is_deterministic_and_heun_beats_euler() -> None:
    base = Schedule.from_name("linear", 1000)
    x_T = np.random.default_rng(3).standard_normal((200, 2)).astype(np.float32)
    a = sample(GM, base.subsample(30), "euler", x_T=x_T, seed=1, field_grid=0)
    b = sample(GM, base.subsample(30), "euler", x_T=x_T, seed=2, field_grid=0)
    np.testing.assert_array_equal(a.sample, b.sample)
    reference = sample(GM, base, "heun", x_T=x_T, field_grid=0).sample
    err_euler = np.abs(a.sample - reference).mean()
    err_heun = np.abs(sample(GM, base.subsample(30), "heun", x_T=x_T, field_grid=0).sample - reference).mean()
    assert err_heun < 0.5 * err_euler


def test_ddim_eta_zero_draws_no_noise() -> None:
    schedule = Schedule.from_name("linear", 1000).subsample(20)
    x_T = np.random.default_rng(4).standard_normal((50, 2)).astype(np.float32)
    runs = [sample(GM, schedule, "ddim", x_T=x_T, seed=s, eta=0.0, field_grid=0).sample for s in (0, 1)]
    np.testing.assert_array_equal(*runs)


def test_the_corrector_moves_the_chain_that_the_predictor_continues() -> None:
    """PC with the same predictor noise as DDPM must end elsewhere: the corrected x is where the next step starts."""
    schedule = Schedule.from_name("linear", 1000).subsample(20)
    rng = np.random.default_rng(5)
    x_T = rng.standard_normal((64, 2)).astype(np.float32)
    noise = rng.standard_normal((20, 2, 64, 2)).astype(np.float32)  # draw 0: predictor, draw 1: corrector
    pc = sample(GM, schedule, "pc", x_T=x_T, noise=noise, target_snr=0.3, field_grid=0)
    ddpm = sample(GM, schedule, "ddpm", x_T=x_T, noise=noise[:, 0], field_grid=0)
    assert np.abs(pc.sample - ddpm.sample).mean() > 1e-3
    # with a zero target SNR the corrector is the identity and PC is exactly DDPM
    still = sample(GM, schedule, "pc", x_T=x_T, noise=noise, target_snr=0.0, field_grid=0)
    np.testing.assert_allclose(still.sample, ddpm.sample, atol=1e-6)
