"""``model.card`` of loaded models against what their files say, and ``diffviz info`` reading it.

(Named test_model_card.py: tests/core/test_card.py already takes the basename, and tests/ has no packages.)
"""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path

import numpy as np
import onnx
import pytest

from diffviz.cli import main
from diffviz.core import ModelCard
from diffviz.runtime import OnnxDenoiser, load_model
from diffviz.views.model_info import describe
from tests.helpers import onnx_models as om

PROVIDER_WORDS = {"CPUExecutionProvider": "CPU", "CUDAExecutionProvider": "CUDA"}


def _file_metadata(path: Path) -> dict[str, str]:
    """The metadata_props of an ONNX file, read with the onnx package (not with diffviz)."""
    return {p.key: p.value for p in onnx.load(str(path), load_external_data=False).metadata_props}


def _betas(meta: dict[str, str]) -> np.ndarray:
    """β of the training schedule the metadata describes (linear only: what the bundled moons model uses)."""
    assert meta["diffviz.beta_schedule"] == "linear"
    return np.linspace(
        float(meta["diffviz.beta_start"]), float(meta["diffviz.beta_end"]), int(meta["diffviz.num_train_timesteps"])
    )


def test_a_bundled_models_card_is_what_its_file_says() -> None:
    model = load_model("moons")
    assert isinstance(model, OnnxDenoiser)
    card = model.card
    assert isinstance(card, ModelCard) and model.card is card  # built once
    path = Path(str(card.path))
    meta = _file_metadata(path)
    assert dict(card.metadata or {}) == meta
    assert card.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert card.name == "moons" and card.description == meta["diffviz.description"]
    assert card.prediction_type == meta["diffviz.prediction_type"]
    assert card.data == meta["diffviz.data"] and card.time_input == meta["diffviz.time_input"]
    lo, hi = (float(v) for v in meta["diffviz.data_range"].split(","))
    assert card.data_range == (lo, hi) and card.clip_sample_range == max(abs(lo), abs(hi))
    assert card.clip_sample == (meta["diffviz.clip_sample"] == "true")
    assert card.data_shape == (2,) and card.modality == "points" and card.batch_size is None
    assert card.provider == PROVIDER_WORDS[model.provider]
    assert card.notices == tuple(model.notices)

    schedule = card.train_schedule
    assert schedule is not None and schedule.num_steps == int(meta["diffviz.num_train_timesteps"])
    alpha_bars = np.cumprod(1.0 - _betas(meta))
    np.testing.assert_allclose(schedule.alpha_bars, alpha_bars, rtol=1e-12)
    assert card.trained_alpha_bar is not None
    a_lo, a_hi = card.trained_alpha_bar
    assert np.all((alpha_bars >= a_lo * (1 - 1e-12)) & (alpha_bars <= a_hi * (1 + 1e-12)))
    assert a_lo == pytest.approx(alpha_bars[-1], rel=1e-9) and a_hi == pytest.approx(alpha_bars[0], rel=1e-9)
    # the model's own mapping agrees: the ends of the trained range are inside it, beyond them is clamped
    assert not model.model_time(a_hi)[1] and not model.model_time(a_lo)[1]
    assert model.model_time(min(1.0, a_hi + 1e-5))[1] and model.model_time(a_lo / 2)[1]


def test_a_loaded_card_is_frozen() -> None:
    card = load_model("moons").card
    with pytest.raises(dataclasses.FrozenInstanceError):
        card.sha256 = "0" * 64  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        card.provider = "CUDA"  # type: ignore[misc]
    with pytest.raises(TypeError):
        card.metadata["diffviz.prediction_type"] = "score"  # type: ignore[index]


def test_an_analytic_models_card() -> None:
    card = load_model("analytic:8gaussians").card
    assert (card.name, card.prediction_type, card.data_shape) == ("analytic:8gaussians", "score", (2,))
    assert card.train_schedule is None and card.trained_alpha_bar is None
    assert card.provider == "numpy (analytic)" and card.sha256 is None and card.path is None
    assert card.metadata is None and card.notices == () and card.time_input is None


def test_an_image_models_card_and_describe(tmp_path: Path) -> None:
    meta = {
        **om.schedule_metadata(T=50, beta_end=0.3),
        "diffviz.data_range": "-1,1",
        "diffviz.data": "digits",
        "diffviz.clip_sample": "true",
    }
    model = OnnxDenoiser(om.echo_t_model(tmp_path / "img.onnx", x_shape=("N", 1, 4, 4), metadata=meta))
    card = model.card
    assert card.is_image and card.modality == "image" and card.data_shape == (1, 4, 4)
    assert card.clip_sample and card.clip_sample_range == 1.0 and card.data == "digits"
    assert card.path == str(tmp_path / "img.onnx") and dict(card.metadata or {}) == meta
    info = describe(model, tmp_path / "img.onnx")
    assert info.card is card and info.modality == "image" and info.is_image and info.name == card.name
    assert info.provider == card.provider and info.data_range == (-1.0, 1.0) and info.notices == card.notices


def test_a_fixed_batch_models_card_carries_its_notices(tmp_path: Path) -> None:
    card = OnnxDenoiser(om.scale_model(tmp_path / "bare.onnx", 1.0, x_shape=(8, 2))).card
    assert card.batch_size == 8 and card.metadata == {}
    assert any("no diffviz metadata" in n for n in card.notices)
    assert any("fixed batch size 8" in n for n in card.notices)


def test_info_names_provider_sha256_and_notices(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DIFFVIZ_PROVIDER", "cpu")
    path = om.scale_model(tmp_path / "bare.onnx", 1.0, x_shape=(8, 2))
    assert main(["info", str(path), "--n", "16"]) == 0
    lines = capsys.readouterr().out.splitlines()
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    assert f"{'sha256:':<19}{digest}" in lines
    assert f"{'provider:':<19}CPUExecutionProvider" in lines
    assert f"{'file:':<19}{path}" in lines and f"{'batch size:':<19}8" in lines
    notices = lines[lines.index("notices:") + 1 : -1]
    assert "  - DIFFVIZ_PROVIDER=cpu: running on CPU" in notices
    assert any("no diffviz metadata" in n for n in notices) and any("fixed batch size 8" in n for n in notices)
    assert all(n.startswith("  - ") for n in notices)


def test_info_on_an_analytic_model(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["info", "analytic:8gaussians", "--n", "16"]) == 0
    out = capsys.readouterr().out
    assert f"{'provider:':<19}numpy (analytic)" in out and f"{'notices:':<19}none" in out
    assert "sha256:" not in out and "metadata:" not in out and "alpha_bar (analytic)" in out
