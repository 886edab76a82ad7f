"""Pure-numpy diffusion engine: schedules, parameterizations, samplers, trajectories, exact scores.

Imports numpy only (a test enforces it): no Qt, no onnxruntime, no torch.
"""

from .card import ModelCard
from .datasets import DATASETS, make_dataset
from .denoiser import Denoiser, NoiseLevelTime
from .mixture import GaussianMixture
from .options import Option, OptionError
from .parameterization import PREDICTION_TYPES, Prediction, convert, prediction_from
from .run_params import RunParams, RunParamsError
from .samplers import SAMPLERS, SamplerSpec
from .sampling import ModelOutputError, SamplingCancelled, SamplingRun, rerun, sample
from .schedule import SCHEDULE_NAMES, Schedule, ScheduleError
from .trajectory import Trajectory

__all__ = [
    "DATASETS",
    "Denoiser",
    "GaussianMixture",
    "ModelCard",
    "ModelOutputError",
    "NoiseLevelTime",
    "Option",
    "OptionError",
    "RunParams",
    "RunParamsError",
    "SamplerSpec",
    "PREDICTION_TYPES",
    "Prediction",
    "SAMPLERS",
    "SCHEDULE_NAMES",
    "SamplingCancelled",
    "SamplingRun",
    "Schedule",
    "ScheduleError",
    "Trajectory",
    "convert",
    "make_dataset",
    "prediction_from",
    "rerun",
    "sample",
]
