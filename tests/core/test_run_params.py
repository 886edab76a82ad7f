"""Saved runs carry typed parameters with a format version; older runs migrate, newer ones are refused."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from diffviz.core import GaussianMixture, RunParams, RunParamsError, Schedule, Trajectory, rerun, sample
from diffviz.core.run_params import RUN_FORMAT_VERSION

GM = GaussianMixture.eight_gaussians()


def _rewrite_params(path: Path, out: Path, edit) -> Path:  # type: ignore[no-untyped-def]
    with np.load(path) as z:
        arrays = {k: z[k] for k in z.files}
    params = json.loads(str(arrays["params"]))
    arrays["params"] = np.array(json.dumps(edit(params)))
    np.savez(out, **arrays)
    return out


def test_a_version_1_run_is_migrated_and_reruns_bit_for_bit(tmp_path: Path) -> None:
    run = sample(
        GM, Schedule.from_name("linear", 40), "pc", n=16, seed=3, target_snr=0.25, field_grid=8, noise_method="ziggurat"
    )
    path = run.save(tmp_path / "run.npz")

    def as_v1(p: dict) -> dict:  # what diffviz wrote before run params were typed
        p = dict(p, format_version=1, field={"grid": p.pop("field_grid"), "extent": p.pop("field_extent")})
        p.pop("noise_method")
        p["options"] = {"snr": p["options"].pop("target_snr"), **p["options"]}
        p.pop("extra")
        return p

    old = Trajectory.load(_rewrite_params(path, tmp_path / "v1.npz", as_v1))
    assert old.params == run.params and old.params.options["target_snr"] == 0.25
    np.testing.assert_array_equal(rerun(old, GM).x, run.x)


@pytest.mark.parametrize(
    "edit, words",
    [
        (lambda p: dict(p, format_version=RUN_FORMAT_VERSION + 1), ["newer diffviz", "update diffviz"]),
        (lambda p: dict(p, seed="seven"), ["seed = 'seven'", "not an integer"]),
        (lambda p: dict(p, options={"eta": 2.0}), ["the ddpm sampler does not take 'eta'"]),
        (lambda p: dict(p, sampler="magic"), ["sampler = 'magic' is unknown"]),
        (lambda p: dict(p, field_extent=[0, 1]), ["field_extent"]),
        (lambda p: {k: v for k, v in p.items() if k != "model"}, ["lack 'model'"]),
        (lambda p: dict(p, schedule_timesteps=[2**64] * 10), ["schedule arrays are not numeric"]),  # beyond int64
        (lambda p: dict(p, noise_method="dice"), ["noise_method = 'dice' is unknown", "box_muller"]),
        (lambda p: {k: v for k, v in p.items() if k != "noise_method"}, ["lack 'noise_method'"]),
    ],
)
def test_bad_run_parameters_are_refused_naming_the_entry(tmp_path: Path, edit, words: list[str]) -> None:  # type: ignore[no-untyped-def]
    path = sample(GM, Schedule.from_name("linear", 10), "ddpm", n=4).save(tmp_path / "run.npz")
    bad = _rewrite_params(path, tmp_path / "bad.npz", edit)
    with pytest.raises(ValueError) as info:
        Trajectory.load(bad)
    for word in words:
        assert word in str(info.value)


def test_params_are_typed() -> None:
    run = sample(GM, Schedule.from_name("linear", 10).subsample(5), "ddim", n=4, seed=2, eta=0.5)
    p = run.params
    assert isinstance(p, RunParams) and p.sampler == "ddim" and p.seed == 2 and p.n == 4
    assert p.options == {"eta": 0.5, "clip_sample": False, "clip_sample_range": 1.0, "use_clipped_model_output": False}
    np.testing.assert_array_equal(p.schedule().alpha_bars, Schedule.from_name("linear", 10).subsample(5).alpha_bars)
    with pytest.raises(RunParamsError):
        RunParams.from_dict([1, 2])


def test_a_version_2_run_reruns_with_the_noise_it_was_drawn_with(tmp_path: Path) -> None:
    """Runs of format 2 drew their noise with NumPy's ziggurat; they still re-run bit for bit, and a run made now
    (Box–Muller) re-runs bit for bit as well. The two methods give different noise for one seed."""
    schedule = Schedule.from_name("linear", 30)
    old = sample(GM, schedule, "ddpm", n=32, seed=4, field_grid=0, noise_method="ziggurat")
    path = old.save(tmp_path / "v2.npz")
    as_v2 = _rewrite_params(
        path, tmp_path / "v2.npz", lambda p: {k: v for k, v in p.items() if k != "noise_method"} | {"format_version": 2}
    )
    loaded = Trajectory.load(as_v2)
    assert loaded.params.noise_method == "ziggurat"
    np.testing.assert_array_equal(rerun(loaded, GM).x, old.x)

    new = sample(GM, schedule, "ddpm", n=32, seed=4, field_grid=0)
    assert new.params.noise_method == "box_muller"
    np.testing.assert_array_equal(new.x[0], old.x[0])  # x_T is drawn the same way
    assert not np.array_equal(new.x[-1], old.x[-1])
    again = Trajectory.load(new.save(tmp_path / "v3.npz"))
    np.testing.assert_array_equal(rerun(again, GM).x, new.x)
