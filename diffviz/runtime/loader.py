"""``load_model``: one entry point for files, bundled zoo names, analytic mixtures and ready Denoisers."""

from __future__ import annotations

import json
import os
from contextlib import ExitStack
from importlib import resources
from pathlib import Path
from typing import Any

from ..core.datasets import DATASETS
from ..core.denoiser import Denoiser
from ..core.mixture import GaussianMixture
from .errors import MetadataError, ModelFileNotFoundError, UnknownModelError
from .onnx_model import OnnxDenoiser

ZOO_PACKAGE = "diffviz.zoo"
ZOO_INDEX = "zoo.json"
FALLBACK_DEFAULT = "analytic:8gaussians"
ANALYTIC = {"analytic:8gaussians": GaussianMixture.eight_gaussians}
_zoo_files = ExitStack()  # keeps extracted bundled files alive when the package is zipped


def _zoo_index() -> dict[str, Any]:
    try:
        index = resources.files(ZOO_PACKAGE) / ZOO_INDEX
        if not index.is_file():
            return {}
        return dict(json.loads(index.read_text(encoding="utf-8")))
    except (ModuleNotFoundError, FileNotFoundError, json.JSONDecodeError):
        return {}


def bundled_models() -> dict[str, dict[str, Any]]:
    """The zoo's models by short name: ``{"file", "data", "modality", "description"}`` each (empty before a zoo)."""
    return dict(_zoo_index().get("models", {}))


def default_model_name() -> str:
    """The zoo's default model, or ``analytic:8gaussians`` while no zoo is installed."""
    index = _zoo_index()
    name = index.get("default")
    return str(name) if name and name in index.get("models", {}) else FALLBACK_DEFAULT


def analytic_names() -> list[str]:
    return [*ANALYTIC, *(f"ideal:{d}" for d in DATASETS)]


def _bundled_path(entry: dict[str, Any]) -> Path:
    resource = resources.files(ZOO_PACKAGE) / str(entry["file"])
    return Path(_zoo_files.enter_context(resources.as_file(resource)))


def load_model(model: str | os.PathLike[str] | Denoiser) -> Denoiser:
    """A Denoiser from an ``.onnx`` path, a bundled name, ``analytic:8gaussians``, ``ideal:<2D data set>``, or a
    Denoiser (returned as is). Raises a :class:`~diffviz.runtime.errors.ModelError` subclass saying what is wrong."""
    if not isinstance(model, (str, os.PathLike)):
        if isinstance(model, Denoiser):
            return model
        raise TypeError(f"load_model takes a path, a model name or a Denoiser, not {type(model).__name__}")
    text = os.fspath(model)
    if text in ANALYTIC:
        return ANALYTIC[text]()
    if text.startswith("ideal:"):
        dataset = text[len("ideal:") :]
        if dataset not in DATASETS:
            raise UnknownModelError(
                f"{text}: unknown data set {dataset!r}; valid: " + ", ".join(f"ideal:{d}" for d in DATASETS)
            )
        return GaussianMixture.ideal(dataset)
    path = Path(text)
    try:
        exists = path.exists()
    except (OSError, ValueError):  # a name too long to be a path (ENAMETOOLONG) is no file
        exists = False
    if exists:
        return OnnxDenoiser(path)
    zoo = bundled_models()
    if text in zoo:
        entry = zoo[text]
        bundled = _bundled_path(entry)
        if not bundled.is_file():
            raise ModelFileNotFoundError(f"{text}: the bundled model's file {entry['file']} is missing from the zoo")
        denoiser = OnnxDenoiser(bundled, name=text, data=entry.get("data"))
        if "data" in entry and denoiser.data not in (None, entry["data"]):
            raise MetadataError(f"{text}: zoo.json says data {entry['data']!r}, the model says {denoiser.data!r}")
        return denoiser
    if path.suffix == ".onnx" or os.sep in text or (os.altsep and os.altsep in text):
        raise ModelFileNotFoundError(f"{path.name}: no such file ({text})")
    names = [*zoo, *analytic_names()]
    raise UnknownModelError(
        f"{text!r} is not a file or a known model; bundled and analytic models: " + ", ".join(names)
    )
