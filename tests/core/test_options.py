"""Sampler options are declared once and checked when a run is built, before any step."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

from diffviz.core import SAMPLERS, GaussianMixture, OptionError, SamplerSpec, SamplingRun, Schedule, prediction_from
from diffviz.core.samplers import Step

GM = GaussianMixture.eight_gaussians()
SCHED = Schedule.from_name("linear", 50)


@pytest.mark.parametrize(
    "sampler, options, words",
    [
        ("ddim", {"eta": -0.5}, ["eta", "-0.5", "[0, 1]"]),
        ("ddim", {"eta": "high"}, ["eta", "'high'"]),
        ("ddpm", {"variance_type": "learned"}, ["variance_type", "fixed_small, fixed_large"]),
        ("pc", {"corrector_steps": 2.5}, ["corrector_steps", "2.5"]),
        ("pc", {"target_snr": float("inf")}, ["target_snr", "inf"]),
        ("euler", {"eta": 0.0}, ["euler sampler does not take 'eta'", "no options"]),
        ("ddpm", {"clip_sample": 1}, ["clip_sample", "true or false"]),
    ],
)
def test_bad_options_are_refused_when_the_run_is_built(sampler: str, options: dict, words: list[str]) -> None:
    with pytest.raises(OptionError) as info:
        SamplingRun(GM, SCHED, sampler, n=4, **options)  # not on the first next()
    for word in words:
        assert word in str(info.value)


def test_every_declared_option_reaches_its_sampler() -> None:
    """Changing any option away from its default changes the run (so none is silently dropped)."""
    sched = Schedule.from_name("linear", 200).subsample(20)
    changed = {
        "variance_type": "fixed_large",
        "clip_sample": True,
        "clip_sample_range": 0.5,
        "eta": 0.8,
        "use_clipped_model_output": True,
        "target_snr": 0.5,
        "corrector_steps": 3,
    }
    for name, spec in SAMPLERS.items():
        for option in spec.options:
            base = {"clip_sample": True} if option.name in ("clip_sample_range", "use_clipped_model_output") else {}
            a = SamplingRun(GM, sched, name, n=64, seed=1, field_grid=0, **base)
            b = SamplingRun(GM, sched, name, n=64, seed=1, field_grid=0, **base, **{option.name: changed[option.name]})
            for _ in a:
                pass
            for _ in b:
                pass
            assert not np.array_equal(a.trajectory.x, b.trajectory.x), (name, option.name)
            assert b.trajectory.params.options[option.name] == changed[option.name]


def test_the_recorded_eps_is_the_one_the_sampler_says_belongs_to_the_step(monkeypatch: pytest.MonkeyPatch) -> None:
    """A corrector-first sampler calls the model at a nudged x before the step's own call: the run records the
    prediction at (x_t, ᾱ_t), not the first call."""

    def corrector_first(predict, x, plan, noise) -> Iterator[Step]:  # type: ignore[no-untyped-def]
        for k in range(plan.num_steps):
            predict(x + 1.0, plan.alpha_bar[k])  # a look-ahead call first
            pred = predict(x, plan.alpha_bar[k])
            x = (x + 0.1 * pred.score).astype(x.dtype)
            yield Step(x, pred)

    monkeypatch.setitem(SAMPLERS, "corrector_first", SamplerSpec(corrector_first, "test", (), lambda o: 0))
    run = SamplingRun(GM, SCHED, "corrector_first", n=32, seed=0)
    for _ in run:
        pass
    tr = run.trajectory

    def eps_hat(x: np.ndarray, alpha_bar: float) -> np.ndarray:
        return prediction_from(GM.prediction_type, GM(x, GM.model_time(alpha_bar)[0]), x, alpha_bar).eps_hat

    for k in (0, 10, 49):
        a = float(tr.alpha_bar[k])
        np.testing.assert_allclose(tr.eps_hat[k], eps_hat(tr.x[k], a), rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(tr.field_eps[k], eps_hat(tr.field_points, a), rtol=1e-5, atol=1e-6)
        assert not np.allclose(tr.eps_hat[k], eps_hat(tr.x[k] + 1.0, a))  # the look-ahead call is not recorded
