"""Metadata per docs/model-format.md: documented defaults with a notice, and a clear MetadataError per bad value."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from diffviz.runtime import MetadataError, OnnxDenoiser, load_model
from tests.helpers import onnx_models as om


def test_no_metadata_loads_with_documented_defaults_and_notice(tmp_path: Path) -> None:
    model = OnnxDenoiser(om.echo_t_model(tmp_path / "bare.onnx"))
    assert model.prediction_type == "epsilon"
    assert model.name == "bare" and model.data is None and model.data_range is None and not model.clip_sample
    np.testing.assert_allclose(model.train_schedule.betas, np.linspace(1e-4, 0.02, 1000), rtol=0, atol=1e-15)
    assert model.time_input == "index"  # from t's dtype
    assert model.metadata == {}
    assert "no diffviz metadata: assuming epsilon, linear 1e-4→0.02, T=1000" in model.notices


def test_full_metadata_is_read(tmp_path: Path) -> None:
    meta = om.schedule_metadata(
        "v_prediction",
        T=250,
        schedule="squaredcos_cap_v2",
        name="my model",
        description="a test",
        data="spiral",
        data_range="-2.5,2.5",
        clip_sample="true",
        time_input="index",
    )
    model = OnnxDenoiser(om.echo_t_model(tmp_path / "full.onnx", t_dtype=om.FLOAT, metadata=meta))
    assert (model.name, model.description, model.prediction_type) == ("my model", "a test", "v_prediction")
    assert model.train_schedule.config["name"] == "squaredcos_cap_v2" and model.train_schedule.num_steps == 250
    assert (model.data, model.data_range, model.clip_sample) == ("spiral", (-2.5, 2.5), True)
    assert model.time_input == "index"  # an index model may take its t as float32
    assert model(np.zeros((2, 2), np.float32), 7.4)[0, 0] == 7.0  # …and is fed whole indices
    assert model.metadata == meta
    assert not any("metadata" in n for n in model.notices)


def test_partial_metadata_names_the_defaults(tmp_path: Path) -> None:
    model = OnnxDenoiser(om.echo_t_model(tmp_path / "p.onnx", metadata={"diffviz.prediction_type": "score"}))
    assert model.prediction_type == "score"
    assert any("diffviz.num_train_timesteps" in n and "1000" in n for n in model.notices)


def test_unknown_data_set_is_a_notice_not_an_error(tmp_path: Path) -> None:
    model = OnnxDenoiser(
        om.echo_t_model(tmp_path / "d.onnx", metadata={**om.schedule_metadata(), "diffviz.data": "cifar10"})
    )
    assert model.data is None and any("cifar10" in n for n in model.notices)


@pytest.mark.parametrize(
    "key, value, words",
    [
        ("prediction_type", "noise", ["diffviz.prediction_type", "'noise'", "epsilon, score, sample, v_prediction"]),
        ("beta_schedule", "cosine", ["diffviz.beta_schedule", "'cosine'", "squaredcos_cap_v2"]),
        ("beta_start", "2", ["schedule", "beta_start", "outside (0, 1)"]),
        ("beta_start", "0.5", ["schedule", "larger than beta_end"]),
        ("beta_end", "lots", ["diffviz.beta_end", "not a number"]),
        ("num_train_timesteps", "ten", ["diffviz.num_train_timesteps", "not an integer"]),
        ("num_train_timesteps", "0", ["diffviz.num_train_timesteps", "≥ 1"]),
        ("contract_version", "2", ["diffviz.contract_version", "version 1"]),
        ("time_input", "continuous", ["time_input", "float32", "int64"]),
        ("time_input", "seconds", ["diffviz.time_input", "index, continuous"]),
        ("data_range", "1,-1", ["data_range", "lo < hi"]),
        ("data_range", "1", ["data_range", "lo,hi"]),
        ("clip_sample", "yes", ["diffviz.clip_sample", "true or false"]),
    ],
)
def test_bad_metadata_value(tmp_path: Path, key: str, value: str, words: list[str]) -> None:
    path = om.echo_t_model(tmp_path / "meta.onnx", metadata={**om.schedule_metadata(), f"diffviz.{key}": value})
    with pytest.raises(MetadataError) as info:
        load_model(path)
    assert str(info.value).startswith("meta.onnx: ")
    for word in words:
        assert word in str(info.value)


def test_2d_data_set_on_an_image_model(tmp_path: Path) -> None:
    path = om.echo_t_model(
        tmp_path / "img.onnx", x_shape=("N", 1, 8, 8), metadata={**om.schedule_metadata(), "diffviz.data": "moons"}
    )
    with pytest.raises(MetadataError, match="'moons' is a 2D data set"):
        load_model(path)
