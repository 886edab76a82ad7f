"""Opening models by name or path, and what the views need to know about one (no Qt here)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from diffviz.core import DATASETS, Denoiser, GaussianMixture, ModelCard, make_dataset

DATA_POINTS = 1000  # training points drawn faintly behind x̂_0
PROVIDER_NAMES = {"CUDAExecutionProvider": "CUDA", "CPUExecutionProvider": "CPU"}  # kept for callers; see card


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
    """A loaded model and what the app shows about it; ``card`` is the model's own :class:`ModelCard`."""

    model: Denoiser
    spec: str
    modality: str  # "points" (2D vectors) or "image"
    provider: str
    data_points: np.ndarray | None = None  # (M, 2) training data for 2D models, when known
    data_range: tuple[float, float] | None = None
    notices: tuple[str, ...] = field(default=())
    card: ModelCard = field(kw_only=True)

    @property
    def name(self) -> str:
        return self.card.name

    @property
    def is_image(self) -> bool:
        return self.modality == "image"


def _training_points(model: Denoiser, card: ModelCard) -> np.ndarray | None:
    if card.data_shape != (2,):
        return None
    if isinstance(model, GaussianMixture):  # analytic mixtures know their exact law
        return np.ascontiguousarray(model.sample_data(DATA_POINTS, np.random.default_rng(0)), dtype=np.float32)
    if card.data in DATASETS:
        return make_dataset(card.data, DATA_POINTS, seed=0).astype(np.float32)
    return None


def describe(model: Denoiser, spec: str | Path | Denoiser) -> ModelInfo:
    """What the app shows about ``model`` (read from ``model.card``); ``spec`` is how it was asked for (a path, a
    name, or the model)."""
    card = model.card
    shape = card.data_shape
    if len(shape) not in (1, 3):
        raise ValueError(f"{card.name}: data shape {shape} is neither a vector (D,) nor an image (C, H, W)")
    if len(shape) == 1 and shape != (2,):
        raise ValueError(f"{card.name}: the app draws 2D points or images; this model's vectors have D = {shape[0]}")
    return ModelInfo(
        model=model,
        spec=str(spec) if isinstance(spec, (str, Path)) else card.name,
        modality=card.modality,
        provider=card.provider,
        data_points=_training_points(model, card),
        data_range=card.data_range,
        notices=card.notices,
        card=card,
    )
