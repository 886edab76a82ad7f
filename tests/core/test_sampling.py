"""The sampling driver: recording, injection, reproduction, cancellation, bad outputs, persistence."""

import threading

import numpy as np
import pytest

from diffviz.core.denoiser import NoiseLevelTime
from diffviz.core.mixture import GaussianMixture
from diffviz.core.sampling import ModelOutputError, SamplingCancelled, SamplingRun, rerun, sample
from diffviz.core.schedule import Schedule
from diffviz.core.trajectory import Trajectory

GM = GaussianMixture.eight_gaussians()
SCHED = Schedule.from_name("linear", 1000).subsample(50)


def test_recorded_quantities_are_the_models_at_each_step() -> None:
    run = sample(GM, SCHED, "ddpm", n=300, seed=0)
    assert run.x.shape == (51, 300, 2) and run.eps_hat.shape == (50, 300, 2) and run.complete
    for k in (0, 25, 49):
        a = run.alpha_bar[k]
        np.testing.assert_allclose(run.score_at(k), GM.score(run.x[k].astype(np.float64), a), rtol=1e-4, atol=1e-4)
        # Tweedie x̂_0 from the recorded ε̂ is the exact posterior mean
        np.testing.assert_allclose(
            run.x0_hat_at(k), GM.posterior_mean(run.x[k].astype(np.float64), a), rtol=1e-4, atol=2e-4
        )
    np.testing.assert_allclose(run.score[10], run.score_at(10), rtol=1e-6)
    np.testing.assert_allclose(run.x0_hat[10], run.x0_hat_at(10), rtol=1e-6)
    # the score field on the grid is recorded at the same model time
    k = 30
    np.testing.assert_allclose(
        run.field_score_at(k), GM.score(run.field_points.astype(np.float64), run.alpha_bar[k]), rtol=1e-4, atol=1e-4
    )
    assert run.field_points.shape == (32 * 32, 2)


def test_injected_x_T_and_noise_reproduce_a_run_whatever_the_seed() -> None:
    rng = np.random.default_rng(9)
    x_T = rng.standard_normal((100, 2)).astype(np.float32)
    noise = rng.standard_normal((50, 100, 2)).astype(np.float32)
    a = sample(GM, SCHED, "ddpm", x_T=x_T, noise=noise, seed=1)
    b = sample(GM, SCHED, "ddpm", x_T=x_T, noise=noise, seed=2)
    np.testing.assert_array_equal(a.x, b.x)
    c = sample(GM, SCHED, "ddpm", x_T=x_T, seed=1)
    assert not np.array_equal(a.sample, c.sample)


def test_noise_of_the_wrong_shape_is_refused() -> None:
    with pytest.raises(ValueError, match=r"takes noise of shape \(50, 10, 2\)"):
        sample(GM, SCHED, "ddpm", n=10, noise=np.zeros((49, 10, 2)))
    with pytest.raises(ValueError, match=r"takes noise of shape \(50, 2, 10, 2\)"):
        sample(GM, SCHED, "pc", n=10, noise=np.zeros((50, 10, 2)))
    with pytest.raises(ValueError, match="unknown sampler 'euler2'"):
        sample(GM, SCHED, "euler2", n=10)


def test_saved_run_loads_back_identical_and_reruns_bit_for_bit(tmp_path) -> None:
    run = sample(GM, SCHED, "pc", n=64, seed=7, target_snr=0.2)
    path = run.save(tmp_path / "run.npz")
    back = Trajectory.load(path)
    for name in ("x", "eps_hat", "alpha_bar", "alpha_bar_prev", "model_time", "clamped", "field_eps", "field_points"):
        np.testing.assert_array_equal(getattr(back, name), getattr(run, name))
    assert back.params == run.params and back.params.options["target_snr"] == 0.2
    again = rerun(back, GM)
    np.testing.assert_array_equal(again.x, run.x)
    np.testing.assert_array_equal(again.eps_hat, run.eps_hat)


def test_rerun_with_a_custom_schedule_and_injected_x_T(tmp_path) -> None:
    sched = Schedule.from_betas(np.linspace(1e-3, 0.2, 40))
    x_T = np.random.default_rng(0).standard_normal((20, 2))
    run = sample(GM, sched, "ddim", x_T=x_T, seed=3, eta=0.3)
    again = rerun(Trajectory.load(run.save(tmp_path / "r.npz")), GM)
    np.testing.assert_array_equal(again.x, run.x)


def test_save_is_atomic_and_load_refuses_other_files(tmp_path) -> None:
    run = sample(GM, SCHED, "ddim", n=8, seed=0)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        run.save(tmp_path / "missing" / "run.npz")
    assert list(tmp_path.iterdir()) == []
    junk = tmp_path / "junk.npz"
    junk.write_bytes(b"not a zip at all")
    with pytest.raises(ValueError, match="not a diffviz run"):
        Trajectory.load(junk)
    other = tmp_path / "other.npz"
    np.savez(other, a=np.zeros(3))
    with pytest.raises(ValueError, match="missing"):
        Trajectory.load(other)


def test_cancel_stops_between_steps_and_keeps_what_was_done() -> None:
    stop = threading.Event()
    seen = []

    def callback(traj: Trajectory, k: int) -> None:
        seen.append(k)
        if k == 4:
            stop.set()

    with pytest.raises(SamplingCancelled) as info:
        sample(GM, SCHED, "ddpm", n=16, callback=callback, cancel=stop)
    assert seen == [0, 1, 2, 3, 4]
    assert info.value.trajectory.steps_done == 5 and not info.value.trajectory.complete


def test_iterator_form_fills_the_trajectory_step_by_step() -> None:
    run = SamplingRun(GM, SCHED, "euler", n=16, seed=0)
    assert run.trajectory.steps_done == 0
    assert next(run) == 0 and run.trajectory.steps_done == 1
    assert list(run) == list(range(1, 50)) and run.trajectory.complete


class Broken:
    name, prediction_type, data_shape, train_schedule = "broken", "epsilon", (2,), None

    @property
    def card(self):  # a ModelCard (imported here so the test double stays self-contained)
        from diffviz.core.card import ModelCard

        return ModelCard.create(name=self.name, prediction_type=self.prediction_type, data_shape=self.data_shape)

    def __init__(self, bad_from: int, kind: str = "nan") -> None:
        self.calls, self.bad_from, self.kind = 0, bad_from, kind

    def model_time(self, alpha_bar: float) -> tuple[float, bool]:
        return alpha_bar, False

    def __call__(self, x: np.ndarray, t: float) -> np.ndarray:
        self.calls += 1
        if self.kind == "shape":
            return np.zeros((len(x), 3), np.float32)
        out = np.zeros_like(x)
        if self.calls > self.bad_from:
            out[0, 0] = np.inf
        return out


def test_nan_or_inf_output_is_reported_with_its_step() -> None:
    with pytest.raises(ModelOutputError, match="NaN/Inf at step 4"):
        sample(Broken(3), SCHED, "ddpm", n=5)
    with pytest.raises(ModelOutputError, match=r"returned shape \(41, 3\) for input \(41, 2\)"):
        sample(Broken(0, "shape"), SCHED, "ddpm", n=5, field_grid=6, field_lazy=False)  # the grid rides along


def test_a_field_on_demand_fails_when_it_is_read() -> None:
    """sample()'s default evaluates the grid when a step's field is read: a model failing only on the grid
    samples, then says so (with the step) at the read."""

    class FailsOnTheGrid(Broken):
        def __call__(self, x: np.ndarray, t: float) -> np.ndarray:
            out = super().__call__(x, t)
            if len(x) == 36:
                out[0, 0] = np.nan
            return out

    run = sample(FailsOnTheGrid(10**9), SCHED, "ddpm", n=5, field_grid=6)
    assert run.complete
    with pytest.raises(ModelOutputError, match="NaN/Inf at step 3"):
        run.field_score_at(2)


def test_noise_level_time_is_exact_on_the_training_schedule_and_flags_the_rest() -> None:
    train = Schedule.from_name("linear", 1000)
    to_t = NoiseLevelTime(train, "index")
    for i in (0, 1, 500, 999):
        assert to_t(train.alpha_bars[i]) == (float(i), False)
    cosine = Schedule.from_name("squaredcos_cap_v2", 1000)
    flags = [to_t(a)[1] for a in cosine.alpha_bars]
    # cosine starts cleaner (β_1 ≈ 4e-5 < 1e-4) and ends noisier (ᾱ_T ≈ 0) than linear: both ends clamped
    assert flags[0] and flags[-1] and not flags[500]
    cont = NoiseLevelTime(train, "continuous")
    a_mid = float(np.sqrt(train.alpha_bars[300] * train.alpha_bars[301]))  # between two training levels
    t, clamped = cont(a_mid)
    assert 300 < t < 301 and not clamped
    assert to_t(1 - 1e-9) == (0.0, True)


def test_clamped_steps_are_flagged_in_the_trajectory() -> None:
    class Indexed(GaussianMixture):
        def model_time(self, alpha_bar: float) -> tuple[float, bool]:
            t, clamped = NoiseLevelTime(Schedule.from_name("linear", 1000), "index")(alpha_bar)
            return alpha_bar, clamped

    gm = Indexed(GM.means, GM.weights, GM.covs)
    run = sample(gm, Schedule.from_name("squaredcos_cap_v2", 100), "ddim", n=4)
    assert run.clamped[0] and not run.clamped[50]  # step 0 is the noisiest: ᾱ ≈ 0 beyond linear's ᾱ_T


def test_saved_runs_have_ordinary_permissions_and_truncated_files_are_refused(tmp_path) -> None:
    import os
    import stat

    run = sample(GM, SCHED, "ddim", n=4, seed=0)
    path = run.save(tmp_path / "run.npz")
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask
    partial = tmp_path / "partial.npz"
    np.savez(partial, x=run.x, eps_hat=run.eps_hat, alpha_bar=run.alpha_bar, params=np.array("{}"))
    with pytest.raises(ValueError, match="missing alpha_bar_prev, clamped, model_time, steps_done"):
        Trajectory.load(partial)
    np.savez(
        partial,
        **{k: getattr(run, k) for k in ("x", "eps_hat", "alpha_bar", "alpha_bar_prev", "model_time", "clamped")},
        steps_done=np.int64(1),
        params=np.array("[1]"),
    )
    with pytest.raises(ValueError, match="not a JSON object"):
        Trajectory.load(partial)


class TrainedOnLinear(GaussianMixture):
    """The exact ε of a mixture, but only at the levels of a linear T = 1000 training schedule (ᾱ_T ≈ 4e-5), like
    an ε-network: a level outside that range is answered at the nearest trained one."""

    LINEAR = Schedule.from_name("linear", 1000)

    def model_time(self, alpha_bar: float) -> tuple[float, bool]:
        return NoiseLevelTime(self.LINEAR, "index")(alpha_bar)

    def __call__(self, x: np.ndarray, t: float) -> np.ndarray:
        a = float(self.LINEAR.alpha_bars[int(t)])
        return (-np.sqrt(1 - a) * self.score(x, a)).astype(np.float32)


@pytest.mark.parametrize("sampler, options", [("ddim", {"eta": 0.0}), ("ddpm", {})])
def test_an_eps_model_beyond_its_trained_noise_keeps_x0_hat_bounded(sampler: str, options: dict) -> None:
    """Cosine reaches ᾱ ≈ 0, below linear's trained ᾱ_T: x̂_0 read through the trained level stays near the exact
    run's (reading ε̂ at the real ᾱ would be off by ~1 here, and by far more for a network's ε error)."""
    cosine = Schedule.from_name("squaredcos_cap_v2", 1000).subsample(50, "trailing")
    limited = TrainedOnLinear(
        GM.means, GM.weights, GM.covs, prediction_type="epsilon", train_schedule=TrainedOnLinear.LINEAR
    )
    run = sample(limited, cosine, sampler, n=2000, seed=1, field_grid=8, **options)
    exact = sample(GM, cosine, sampler, n=2000, seed=1, field_grid=8, **options)
    assert run.clamped[0] and not run.clamped[1:].any()
    assert np.abs(run.x0_hat[0] - exact.x0_hat[0]).mean() < 0.05
    assert np.abs(run.x0_hat[0]).max() < 10  # the data sit on a circle of radius 2
    assert np.abs(run.x[-1] - exact.x[-1]).mean() < 0.01
    assert np.isfinite(run.field_eps).all()


class PredictsX0(GaussianMixture):
    """The exact posterior mean E[x_0 | x_t] as an x̂_0-model (``sample``), output in float32 like a network."""

    def __call__(self, x: np.ndarray, t: float) -> np.ndarray:
        return self.posterior_mean(np.asarray(x, np.float64), t).astype(np.float32)


def test_x0_hat_is_recorded_with_full_precision_where_alpha_bar_is_tiny(tmp_path) -> None:
    """At ᾱ = 1e-8, x̂_0 rebuilt from float32 ε̂ as (x − √(1−ᾱ) ε̂)/√ᾱ is off by ~1e-3; the recorded one is the
    sampler's own value (here the model's output), and survives a save."""
    betas = np.concatenate([np.full(9, 0.01), [1 - 1e-8 / np.prod(np.full(9, 0.99))]])  # ᾱ_T = 1e-8 exactly
    schedule = Schedule.from_betas(betas)
    assert np.isclose(schedule.alpha_bars[-1], 1e-8, rtol=1e-9)
    model = PredictsX0(GM.means, GM.weights, GM.covs, prediction_type="sample")
    run = sample(model, schedule, "ddpm", n=500, seed=2, field_grid=0)
    said = model(run.x[0], float(run.alpha_bar[0]))  # what the model answered at the first step
    assert np.abs(run.x0_hat[0] - said).max() < 1e-7
    rebuilt = (run.x[0] - np.sqrt(1 - run.alpha_bar[0]) * run.eps_hat[0]) / np.sqrt(run.alpha_bar[0])
    assert np.abs(rebuilt - said).max() > 1e-4  # what the recording avoids
    run.save(tmp_path / "tiny.npz")
    again = Trajectory.load(tmp_path / "tiny.npz")
    assert np.array_equal(again.x0_hat, run.x0_hat) and np.array_equal(again.x0_hat_at(0), run.x0_hat[0])


class _Counting(GaussianMixture):
    """The 8-Gaussian mixture, noting the batch size of every call in ``calls``."""

    def __init__(self, calls: list[int]) -> None:
        super().__init__(GM.means, GM.weights, GM.covs)
        self.calls = calls

    def __call__(self, x: np.ndarray, t: float) -> np.ndarray:
        self.calls.append(len(x))
        return super().__call__(x, t)


def _counted_eager_run() -> tuple[_Counting, Schedule, Trajectory, list[int]]:
    """A counting model, a 20-step schedule, and its run with the field (8×8) evaluated at every step."""
    calls: list[int] = []
    model = _Counting(calls)
    schedule = Schedule.from_name("linear", 200).subsample(20, "trailing")
    return model, schedule, sample(model, schedule, "ddpm", n=50, seed=3, field_grid=8, field_lazy=False), calls


def test_a_lazy_field_is_evaluated_only_where_asked_and_equals_the_eager_one() -> None:
    """The window's runs skip the score-field grid while sampling; a step's field, once asked for, is the same
    as an eager run's (same model, same ᾱ, the same conversion)."""
    model, schedule, eager, calls = _counted_eager_run()
    assert all(c == 50 + 64 for c in calls)  # the grid rides along with every step's call
    calls.clear()
    run = SamplingRun(model, schedule, "ddpm", n=50, seed=3, field_grid=8, field_lazy=True)
    for _ in run:
        pass
    assert calls == [50] * 20 and np.isnan(run.trajectory.field_eps).all()
    assert np.array_equal(run.trajectory.x, eager.x)  # the particles do not depend on it
    run.ensure_field(7)
    run.ensure_field(7)  # once
    assert calls[20:] == [64]
    np.testing.assert_allclose(run.trajectory.field_eps[7], eager.field_eps[7], rtol=1e-6, atol=1e-6)
    run.ensure_fields()
    np.testing.assert_allclose(run.trajectory.field_eps, eager.field_eps, rtol=1e-6, atol=1e-6)
    assert len(calls) == 20 + 20


def test_sample_evaluates_the_field_when_it_is_read() -> None:
    """sample()'s default: the particles alone while sampling; a step's field at its first read, every step's on
    reading field_eps (or saving); each once."""
    model, schedule, eager, calls = _counted_eager_run()
    calls.clear()
    run = sample(model, schedule, "ddpm", n=50, seed=3, field_grid=8)
    assert calls == [50] * 20 and np.array_equal(run.x, eager.x)
    assert run.field_eps_stored is not None and np.isnan(run.field_eps_stored).all()
    np.testing.assert_allclose(run.field_score_at(7), eager.field_score_at(7), rtol=1e-6, atol=1e-6)
    assert calls[20:] == [64]
    np.testing.assert_allclose(run.field_eps, eager.field_eps, rtol=1e-6, atol=1e-6)
    assert calls[20:] == [64] * 20
    run.field_eps, run.field_score_at(3)  # noqa: B018 (all there now: no more calls)
    assert len(calls) == 40


def test_a_run_prints_as_a_summary_without_evaluating_its_field() -> None:
    model, schedule, _, calls = _counted_eager_run()
    run = sample(model, schedule, "ddpm", n=50, seed=3, field_grid=8)
    calls.clear()
    text = repr(run)
    assert calls == [] and len(text) < 200
    for part in ("ddpm", model.name, "20/20 steps", "50 particles", "seed 3", "field 8×8 on demand"):
        assert part in text, text
