"""load_model's names: files, bundled zoo entries, analytic mixtures, Denoisers; and the lazy import."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import diffviz
from diffviz.core import GaussianMixture
from diffviz.runtime import (
    ModelFileNotFoundError,
    OnnxDenoiser,
    UnknownModelError,
    bundled_models,
    default_model_name,
    load_model,
    loader,
)
from tests.helpers import onnx_models as om


def test_analytic_names() -> None:
    model = load_model("analytic:8gaussians")
    assert isinstance(model, GaussianMixture) and model.name == "analytic:8gaussians" and len(model.weights) == 8
    ideal = load_model("ideal:moons")
    assert isinstance(ideal, GaussianMixture) and ideal.covs is None and ideal.data_shape == (2,)


def test_unknown_name_lists_the_valid_ones() -> None:
    with pytest.raises(UnknownModelError) as info:
        load_model("no-such-model")
    message = str(info.value)
    assert "'no-such-model'" in message and "analytic:8gaussians" in message and "ideal:swiss_roll" in message
    assert all(name in message for name in bundled_models())
    with pytest.raises(UnknownModelError, match="unknown data set 'pizza'"):
        load_model("ideal:pizza")


def test_missing_onnx_path() -> None:
    with pytest.raises(ModelFileNotFoundError, match="absent.onnx: no such file"):
        load_model("absent.onnx")


def test_denoiser_returned_as_is() -> None:
    mixture = GaussianMixture.eight_gaussians()
    assert load_model(mixture) is mixture
    with pytest.raises(TypeError):
        load_model(3.5)  # type: ignore[arg-type]


def test_lazy_attribute_on_the_package(echo_onnx: Path) -> None:
    assert isinstance(diffviz.load_model(echo_onnx), OnnxDenoiser)


def test_import_diffviz_does_not_load_onnxruntime() -> None:
    code = "import sys, diffviz; print('onnxruntime' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


@pytest.fixture
def fake_zoo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A real package on sys.path holding zoo.json and one model, standing in for diffviz.zoo."""
    package = tmp_path / "fakezoo_pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    om.echo_t_model(package / "rings_mlp.onnx", metadata={**om.schedule_metadata(T=64), "diffviz.data": "rings"})
    index = {
        "default": "rings_mlp",
        "models": {
            "rings_mlp": {"file": "rings_mlp.onnx", "data": "rings", "modality": "points", "description": "test"}
        },
    }
    (package / "zoo.json").write_text(json.dumps(index))
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "fakezoo_pkg", raising=False)  # one test's package is not the next one's
    monkeypatch.setattr(loader, "ZOO_PACKAGE", "fakezoo_pkg")
    return package


def test_bundled_name(fake_zoo: Path) -> None:
    assert default_model_name() == "rings_mlp"
    assert bundled_models()["rings_mlp"]["modality"] == "points"
    model = load_model("rings_mlp")
    assert isinstance(model, OnnxDenoiser)
    assert (model.name, model.data, model.train_schedule.num_steps) == ("rings_mlp", "rings", 64)
    with pytest.raises(UnknownModelError, match="rings_mlp"):
        load_model("moons_mlp")


def test_bundled_entry_with_missing_file(fake_zoo: Path) -> None:
    (fake_zoo / "rings_mlp.onnx").unlink()
    with pytest.raises(ModelFileNotFoundError, match="rings_mlp.onnx is missing"):
        load_model("rings_mlp")


def test_no_zoo_falls_back(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(loader, "ZOO_PACKAGE", "no_such_zoo_package")
    assert bundled_models() == {} and default_model_name() == "analytic:8gaussians"


def test_real_zoo_entries_are_well_formed() -> None:
    """Whatever the bundled zoo holds (nothing yet is fine), each entry names its file, data and kind."""
    for name, entry in bundled_models().items():
        assert {"file", "data", "modality"} <= set(entry), name
        assert entry["modality"] in ("points", "image")
    assert default_model_name() in {*bundled_models(), "analytic:8gaussians"}
