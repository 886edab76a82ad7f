"""ONNX export under the contract: checker, names, dtypes, dynamic batch, metadata, ONNX Runtime == torch."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch

from diffviz.core.schedule import Schedule
from diffviz.runtime import load_model
from diffviz.zoo.config import default_config
from diffviz.zoo.export import ExportError, contract_metadata, export_onnx
from diffviz.zoo.model import ScoreModel, build_model
from diffviz.zoo.pipeline import config_metadata, example_input


def _random_model(data: str, kind: str, **arch: object) -> tuple[torch.nn.Module, object]:
    config = default_config(data, prediction_type=kind, arch=arch)
    model = build_model(config)
    torch.manual_seed(0)
    with torch.no_grad():
        for p in model.net.parameters():
            p.normal_(0, 0.2)
    return model.eval(), config


def _ort_vs_torch(path: Path, model: torch.nn.Module, shape: tuple[int, ...], n: int) -> float:
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(n)
    x = rng.standard_normal((n, *shape)).astype(np.float32)
    t = rng.integers(0, 1000, n).astype(np.int64)
    (got,) = session.run(None, {"x": x, "t": t})
    with torch.no_grad():
        want = model(torch.from_numpy(x), torch.from_numpy(t)).numpy()
    assert got.dtype == np.float32 and got.shape == x.shape
    return float(np.abs(got - want).max())


@pytest.mark.slow
@pytest.mark.parametrize(
    "data, kind, arch",
    [
        ("moons", "epsilon", {}),
        ("rings", "score", {}),
        ("checkerboard", "v_prediction", {}),
        ("spiral", "sample", {}),
        ("digits", "epsilon", {"channels": (8, 16)}),
    ],
)
def test_export_follows_the_contract(tmp_path: Path, data: str, kind: str, arch: dict) -> None:
    model, config = _random_model(data, kind, **arch)
    path = tmp_path / f"{data}.onnx"
    meta = config_metadata(config, name=data, description="test")
    diff = export_onnx(model, path, example_input(config), meta)
    assert diff <= 1e-4

    proto = onnx.load(str(path))
    onnx.checker.check_model(proto, full_check=True)
    inputs = {i.name: i.type.tensor_type for i in proto.graph.input}
    assert set(inputs) == {"x", "t"} and len(proto.graph.output) == 1
    assert inputs["x"].elem_type == onnx.TensorProto.FLOAT and inputs["t"].elem_type == onnx.TensorProto.INT64
    assert inputs["x"].shape.dim[0].dim_param and not inputs["x"].shape.dim[0].dim_value  # symbolic batch
    props = {p.key: p.value for p in proto.metadata_props}
    assert props["diffviz.prediction_type"] == kind and props["diffviz.data"] == data
    assert props["diffviz.contract_version"] == "1" and props["diffviz.time_input"] == "index"

    shape = (1, 16, 16) if data == "digits" else (2,)
    for n in (1, 7, 33):  # batch sizes the export never saw
        assert _ort_vs_torch(path, model, shape, n) <= 1e-4

    loaded = load_model(path)  # the app's loader accepts it and reads the same facts
    assert loaded.prediction_type == kind and loaded.data_shape == shape
    assert loaded.train_schedule is not None
    np.testing.assert_allclose(loaded.train_schedule.betas, config.train_schedule().betas, rtol=1e-12)


def test_metadata_records_the_named_schedule() -> None:
    schedule = Schedule.from_name("scaled_linear", 500, 0.00085, 0.012)
    meta = contract_metadata(
        prediction_type="epsilon", schedule=schedule, data="digits", data_range=(-1, 1), clip_sample=True
    )
    rebuilt = Schedule.from_name(
        meta["diffviz.beta_schedule"],
        int(meta["diffviz.num_train_timesteps"]),
        float(meta["diffviz.beta_start"]),
        float(meta["diffviz.beta_end"]),
    )
    np.testing.assert_array_equal(rebuilt.betas, schedule.betas)
    assert meta["diffviz.data_range"] == "-1,1" and meta["diffviz.clip_sample"] == "true"


def test_custom_schedules_are_refused() -> None:
    with pytest.raises(ValueError, match="named schedules only"):
        contract_metadata(prediction_type="epsilon", schedule=Schedule.from_betas(np.full(10, 0.1)))


@pytest.mark.slow
def test_a_failed_check_writes_nothing(tmp_path: Path) -> None:
    model, config = _random_model("moons", "epsilon")
    path = tmp_path / "m.onnx"
    with pytest.raises(ExportError, match="disagree"):
        export_onnx(model, path, example_input(config), config_metadata(config), atol=-1.0)  # nothing passes
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_score_output_matches_the_schedule_in_the_file(tmp_path: Path) -> None:
    # The exported score model must use the σ_t of the schedule written into its metadata.
    model, config = _random_model("rings", "score")
    config = config.replace(schedule="squaredcos_cap_v2", num_train_timesteps=400)
    model = ScoreModel(model.net, "score", config.train_schedule().alpha_bars).eval()
    path = tmp_path / "s.onnx"
    export_onnx(model, path, example_input(config), config_metadata(config))
    loaded = load_model(path)
    x = np.random.default_rng(0).standard_normal((5, 2)).astype(np.float32)
    with torch.no_grad():
        raw = model.net(torch.from_numpy(x), torch.full((5,), 37)).numpy()
    sigma = np.sqrt(1 - loaded.train_schedule.alpha_bars[37])
    np.testing.assert_allclose(loaded(x, 37.0), -raw / sigma, rtol=1e-4)
