"""``diffviz import-diffusers``: a tiny random UNet2DModel, saved as diffusers saves it, becomes a contract model."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnx
import pytest
import torch

diffusers = pytest.importorskip("diffusers")

from diffviz.cli import main  # noqa: E402
from diffviz.runtime import load_model  # noqa: E402


def _tiny_unet(**changes: object) -> diffusers.UNet2DModel:
    torch.manual_seed(0)
    kwargs = dict(
        sample_size=8,
        in_channels=1,
        out_channels=1,
        block_out_channels=(8, 16),
        layers_per_block=1,
        down_block_types=("DownBlock2D", "AttnDownBlock2D"),
        up_block_types=("AttnUpBlock2D", "UpBlock2D"),
        norm_num_groups=4,
        attention_head_dim=4,
    )
    kwargs.update(changes)
    return diffusers.UNet2DModel(**kwargs).eval()


def _scheduler(**changes: object) -> diffusers.DDPMScheduler:
    kwargs = dict(
        num_train_timesteps=500, beta_schedule="squaredcos_cap_v2", prediction_type="v_prediction", clip_sample=False
    )
    kwargs.update(changes)
    return diffusers.DDPMScheduler(**kwargs)


def _import(capsys: pytest.CaptureFixture[str], folder: Path, out: Path, *extra: str) -> tuple[int, str, str]:
    rc = main(["import-diffusers", str(folder), "-o", str(out), *extra])
    o, e = capsys.readouterr()
    return rc, o, e


@pytest.mark.slow
def test_unet_and_scheduler_become_a_contract_model(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    unet = _tiny_unet()
    folder = tmp_path / "tiny"
    unet.save_pretrained(folder)
    _scheduler().save_pretrained(folder)
    out = tmp_path / "tiny.onnx"
    rc, _, err = _import(capsys, folder, out, "--data", "digits")
    assert rc == 0, err

    props = {p.key: p.value for p in onnx.load(str(out)).metadata_props}
    assert props["diffviz.prediction_type"] == "v_prediction"
    assert props["diffviz.num_train_timesteps"] == "500" and props["diffviz.beta_schedule"] == "squaredcos_cap_v2"
    assert props["diffviz.clip_sample"] == "false" and props["diffviz.data"] == "digits"

    model = load_model(out)
    assert model.prediction_type == "v_prediction" and model.data_shape == (1, 8, 8)
    reference = diffusers.DDPMScheduler.from_pretrained(folder)  # diffusers' own ᾱ for the same config
    np.testing.assert_allclose(
        model.train_schedule.alpha_bars, reference.alphas_cumprod.numpy(), rtol=1e-4
    )  # theirs is float32
    x = np.random.default_rng(0).standard_normal((3, 1, 8, 8)).astype(np.float32)
    with torch.no_grad():
        want = unet(torch.from_numpy(x), torch.full((3,), 123)).sample.numpy()
    assert np.abs(model(x, 123.0) - want).max() <= 1e-4


@pytest.mark.slow
def test_steps_offset_and_spacing_carry_over(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Stable Diffusion-style configs say steps_offset = 1: the imported model keeps it, and sampling it takes the
    same steps as diffusers' own pipeline (leading, shifted by one)."""
    from diffviz.core import Trajectory
    from diffviz.session import ScheduleSettings

    folder = tmp_path / "offset"
    _tiny_unet().save_pretrained(folder)
    _scheduler(steps_offset=1, timestep_spacing="leading", num_train_timesteps=1000).save_pretrained(folder)
    out = tmp_path / "offset.onnx"
    rc, _, err = _import(capsys, folder, out)
    assert rc == 0, err
    model = load_model(out)
    assert (model.card.timestep_spacing, model.card.steps_offset) == ("leading", 1)
    reference = diffusers.DDPMScheduler.from_pretrained(folder)
    reference.set_timesteps(10)
    settings = ScheduleSettings.matching(model.train_schedule, 10, model.card.timestep_spacing, model.card.steps_offset)
    assert np.array_equal(settings.build().timesteps[::-1], reference.timesteps.numpy())
    run_path = tmp_path / "run.npz"
    assert main(["sample", str(out), "-o", str(run_path), "--n", "2", "--num-inference-steps", "10"]) == 0
    recorded = Trajectory.load(run_path).params.schedule_timesteps
    assert np.array_equal(recorded[::-1], reference.timesteps.numpy())  # 901 … 1


@pytest.mark.slow
def test_a_pipeline_folder_works_too(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pipe = diffusers.DDPMPipeline(unet=_tiny_unet(), scheduler=_scheduler(prediction_type="epsilon"))
    pipe.save_pretrained(tmp_path / "pipe")
    rc, _, err = _import(capsys, tmp_path / "pipe", tmp_path / "p.onnx")
    assert rc == 0, err
    assert load_model(tmp_path / "p.onnx").prediction_type == "epsilon"


def _refused(capsys, tmp_path: Path, folder: Path, *phrases: str) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "out.onnx"
    rc, _, err = _import(capsys, folder, out)
    assert rc == 2 and err.startswith("diffviz import-diffusers: ") and "Traceback" not in err
    for phrase in phrases:
        assert phrase in err
    assert not out.exists() and not list(tmp_path.glob(".out.onnx*"))


def test_another_diffusers_model_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "vae"
    diffusers.AutoencoderKL(block_out_channels=(8,), norm_num_groups=4, latent_channels=2).save_pretrained(folder)
    _scheduler().save_pretrained(folder)
    _refused(capsys, tmp_path, folder, "holds a AutoencoderKL, not a UNet2DModel")


def test_folders_without_the_files_are_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _refused(capsys, tmp_path, tmp_path / "nowhere", "is not a folder")
    only_scheduler = tmp_path / "sched"
    _scheduler().save_pretrained(only_scheduler)
    _refused(capsys, tmp_path, only_scheduler, "no config.json")
    no_scheduler = tmp_path / "unet"
    _tiny_unet().save_pretrained(no_scheduler)
    _refused(capsys, tmp_path, no_scheduler, "no scheduler_config.json")


def test_missing_weights_are_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "noweights"
    _tiny_unet().save_pretrained(folder)
    _scheduler().save_pretrained(folder)
    for f in folder.glob("diffusion_pytorch_model.*"):
        f.unlink()
    _refused(capsys, tmp_path, folder, "diffusers cannot load the UNet2DModel")


@pytest.mark.parametrize(
    "unet_change, sched_change, phrase",
    [
        (dict(num_class_embeds=10), {}, "class-conditional"),
        ({}, dict(trained_betas=[0.01] * 10, num_train_timesteps=10), "trained_betas"),
        ({}, dict(beta_schedule="sigmoid", beta_start=0.5, beta_end=0.2), "invalid schedule"),
    ],
)
def test_what_the_contract_cannot_hold_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], unet_change: dict, sched_change: dict, phrase: str
) -> None:
    folder = tmp_path / "m"
    _tiny_unet(**unet_change).save_pretrained(folder)
    _scheduler(**sched_change).save_pretrained(folder)
    _refused(capsys, tmp_path, folder, phrase)


def test_unknown_beta_schedule_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "m"
    _tiny_unet().save_pretrained(folder)
    _scheduler().save_pretrained(folder)
    cfg = json.loads((folder / "scheduler_config.json").read_text())
    cfg["beta_schedule"] = "exp"
    (folder / "scheduler_config.json").write_text(json.dumps(cfg))
    _refused(capsys, tmp_path, folder, "beta_schedule 'exp'")
