"""Fixtures for the runtime tests: real ONNX files written into temporary folders."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import onnx_models as om


@pytest.fixture(scope="session")
def torch_mlp():  # type: ignore[no-untyped-def]
    return om.make_torch_mlp()


@pytest.fixture(scope="session")
def mlp_onnx(tmp_path_factory: pytest.TempPathFactory, torch_mlp) -> Path:  # type: ignore[no-untyped-def]
    """The torch MLP exported once per session, with full diffviz metadata (T = 100)."""
    path = tmp_path_factory.mktemp("mlp") / "mlp.onnx"
    meta = om.schedule_metadata(T=100, beta_start=1e-4, beta_end=0.2, name="tiny-mlp", data="moons")
    return om.export_torch_mlp(path, torch_mlp, metadata=meta)


@pytest.fixture
def echo_onnx(tmp_path: Path) -> Path:
    return om.echo_t_model(tmp_path / "echo.onnx", metadata=om.schedule_metadata(T=100, beta_end=0.2))
