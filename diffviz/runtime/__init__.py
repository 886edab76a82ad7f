"""ONNX Runtime layer: loads models that follow docs/model-format.md and runs them on CUDA or CPU.

The only package of diffviz that imports onnxruntime.
"""

from .errors import (
    InputNamesError,
    InputTypeError,
    MetadataError,
    ModelError,
    ModelFileNotFoundError,
    ModelLoadError,
    NonFiniteOutputError,
    NotOnnxError,
    OutputError,
    OutputShapeError,
    ProviderError,
    UnknownModelError,
)
from .loader import analytic_names, bundled_models, default_model_name, load_model
from .onnx_model import OnnxDenoiser
from .timing import time_model_call

__all__ = [
    "InputNamesError",
    "InputTypeError",
    "MetadataError",
    "ModelError",
    "ModelFileNotFoundError",
    "ModelLoadError",
    "NonFiniteOutputError",
    "NotOnnxError",
    "OnnxDenoiser",
    "OutputError",
    "OutputShapeError",
    "ProviderError",
    "UnknownModelError",
    "analytic_names",
    "bundled_models",
    "default_model_name",
    "load_model",
    "time_model_call",
]
