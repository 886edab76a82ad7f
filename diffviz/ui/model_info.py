"""Opening models by name or path, and what the views need to know about one (no Qt here)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from diffviz.core import DATASETS, Denoiser, make_dataset

DATA_POINTS = 1000  # training points drawn faintly behind x̂_0
PROVIDER_NAMES = {"CUDAExecutionProvider": "CUDA", "CPUExecutionProvider": "CPU"}


def open_model(spec: str | Path | Denoiser) -> Denoiser:
    """A model from an ``.onnx`` path, a bundled short name, ``analytic:8gaussians`` or ``ideal:<dataset>`` (a
    ready Denoiser is returned as is).

    Raises the runtime's ``ModelError`` subclasses (a ``ValueError``) with a message naming the problem.
    """
    from diffviz.runtime import load_model

    return load_model(str(spec) if isinstance(spec, (str, Path)) else spec)


def default_model_spec() -> str:
    """The bundled default model (``models/zoo.json``), or ``analytic:8gaussians`` while none is bundled."""
    from diffviz.runtime import default_model_name

    return default_model_name()


def bundled_model_names() -> list[str]:
    """Short names of the bundled ONNX models (empty when the zoo is missing)."""
    from diffviz.runtime import bundled_models

    return list(bundled_models())


def analytic_model_names() -> list[str]:
    """``analytic:8gaussians`` and the ideal denoisers ``ideal:<2D data set>``."""
    from diffviz.runtime import analytic_names

    return analytic_names()


@dataclass(frozen=True, eq=False)
class ModelInfo:
    """A loaded model and what the app shows about it."""

    model: Denoiser
    spec: str
    kind: str  # "points" (2D vectors) or "image"
    provider: str
    data_points: np.ndarray | None = None  # (M, 2) training data for 2D models, when known
    data_range: tuple[float, float] | None = None
    notices: tuple[str, ...] = field(default=())

    @property
    def name(self) -> str:
        return str(getattr(self.model, "name", self.spec))

    @property
    def is_image(self) -> bool:
        return self.kind == "image"


def _training_points(model: Denoiser) -> np.ndarray | None:
    if tuple(model.data_shape) != (2,):
        return None
    draw = getattr(model, "sample_data", None)
    if callable(draw):  # analytic mixtures know their exact law
        return np.ascontiguousarray(draw(DATA_POINTS, np.random.default_rng(0)), dtype=np.float32)
    data = getattr(model, "data", None)
    if data in DATASETS:
        return make_dataset(data, DATA_POINTS, seed=0).astype(np.float32)
    return None


def describe(model: Denoiser, spec: str | Path | Denoiser) -> ModelInfo:
    """What the app shows about ``model``; ``spec`` is how it was asked for (a path, a name, or the model)."""
    shape = tuple(model.data_shape)
    if len(shape) not in (1, 3):
        raise ValueError(f"{model.name}: data shape {shape} is neither a vector (D,) nor an image (C, H, W)")
    if len(shape) == 1 and shape != (2,):
        raise ValueError(f"{model.name}: the app draws 2D points or images; this model's vectors have D = {shape[0]}")
    provider = getattr(model, "provider", None)
    provider_text = PROVIDER_NAMES.get(str(provider), str(provider)) if provider else "CPU (numpy)"
    data_range = getattr(model, "data_range", None)
    return ModelInfo(
        model=model, spec=str(spec) if isinstance(spec, (str, Path)) else model.name, kind="image" if len(shape) == 3 else "points", provider=provider_text,
        data_points=_training_points(model),
        data_range=tuple(float(v) for v in data_range) if data_range is not None else None,  # type: ignore[arg-type]
        notices=tuple(getattr(model, "notices", ()) or ()),
    )
