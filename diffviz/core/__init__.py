"""Pure-numpy diffusion engine: schedules, parameterizations, samplers, trajectories, exact scores.

Imports numpy only (a test enforces it): no Qt, no onnxruntime, no torch.
"""

from .datasets import DATASETS, make_dataset
from .denoiser import Denoiser, NoiseLevelTime
from .mixture import GaussianMixture
from .parameterization import PREDICTION_TYPES, Prediction, convert, prediction_from
from .samplers import SAMPLERS
from .sampling import ModelOutputError, SamplingCancelled, SamplingRun, rerun, sample
from .schedule import SCHEDULE_NAMES, Schedule, ScheduleError
from .trajectory import Trajectory

__all__ = [
    "DATASETS", "Denoiser", "GaussianMixture", "ModelOutputError", "NoiseLevelTime", "PREDICTION_TYPES",
    "Prediction", "SAMPLERS", "SCHEDULE_NAMES", "SamplingCancelled", "SamplingRun", "Schedule", "ScheduleError",
    "Trajectory", "convert", "make_dataset", "prediction_from", "rerun", "sample",
]
