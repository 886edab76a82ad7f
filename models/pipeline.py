"""Train → export → write: the one path shared by ``diffviz train`` and the zoo build."""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from diffviz.core.atomic import atomic_write_many

from .config import TrainConfig
from .data import data_range
from .export import checked_onnx_bytes, contract_metadata
from .training import TrainResult, train


@dataclass
class BuiltModel:
    path: Path
    loss_csv: Path | None
    result: TrainResult
    onnx_max_abs_diff: float


def loss_csv_path(model_path: str | os.PathLike[str]) -> Path:
    """``model.onnx`` → ``model.loss.csv`` (beside the model)."""
    p = Path(model_path)
    return p.with_name(p.stem + ".loss.csv")


def loss_csv_text(result: TrainResult) -> str:
    buf = io.StringIO()
    steps = np.arange(1, len(result.losses) + 1)
    np.savetxt(
        buf,
        np.column_stack([steps, result.losses, result.lrs]),
        fmt=["%d", "%.6g", "%.6g"],
        delimiter=",",
        header="step,loss,lr",
        comments="",
    )
    return buf.getvalue()


def config_metadata(config: TrainConfig, name: str | None = None, description: str | None = None) -> dict[str, str]:
    """Contract metadata for a model trained with ``config``; images get x̂_0 clipping to [-1, 1]."""
    return contract_metadata(
        prediction_type=config.prediction_type,
        schedule=config.train_schedule(),
        data=config.data,
        data_range=data_range(config.data),
        clip_sample=config.modality == "image",
        name=name,
        description=description,
    )


def example_input(config: TrainConfig, n: int = 4) -> torch.Tensor:
    shape = (1, 16, 16) if config.modality == "image" else (2,)
    return torch.zeros((n, *shape))


def train_and_export(
    config: TrainConfig,
    out: str | os.PathLike[str],
    *,
    name: str | None = None,
    description: str | None = None,
    progress: bool = False,
    loss_csv: bool = True,
) -> BuiltModel:
    """Train, export ``out`` (ONNX, checked) and ``<stem>.loss.csv`` beside it (unless ``loss_csv`` is False);
    on any failure neither is written."""
    out = Path(out)
    result = train(config, progress=progress)
    meta = config_metadata(config, name=name or out.stem, description=description)
    data, diff = checked_onnx_bytes(result.model, example_input(config), meta)
    csv = loss_csv_path(out) if loss_csv else None
    files: dict[Path, bytes | str] = {out: data}
    if csv is not None:
        files[csv] = loss_csv_text(result)
    atomic_write_many(files)  # both or neither
    return BuiltModel(out, csv, result, diff)
