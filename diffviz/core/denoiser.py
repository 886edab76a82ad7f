"""What the engine needs of a model, and how a live schedule picks the model's time (math.md: "A live schedule
and a fixed model")."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol, runtime_checkable

import numpy as np

from .card import ModelCard
from .schedule import Schedule

TimeInput = Literal["index", "continuous"]


@runtime_checkable
class Denoiser(Protocol):
    """A model the samplers can call: ONNX models, analytic mixtures and test doubles all implement this.

    ``__call__(x, t)`` returns the raw prediction (of ``prediction_type``) for a batch ``x`` of shape
    ``(N, *data_shape)`` at model time ``t`` (one value for the whole batch), where ``t`` comes from
    :meth:`model_time`.
    """

    @property
    def name(self) -> str: ...

    @property
    def prediction_type(self) -> str:
        """``epsilon``, ``score``, ``sample`` or ``v_prediction``."""
        ...

    @property
    def data_shape(self) -> tuple[int, ...]: ...

    @property
    def train_schedule(self) -> Schedule | None:
        """The schedule the model was trained on (None for analytic models, exact at every ᾱ)."""
        ...

    @property
    def card(self) -> ModelCard:
        """What the model is, frozen at load time (name, prediction type, shapes, schedule, provider, notices…)."""
        ...

    def model_time(self, alpha_bar: float) -> tuple[float, bool]:
        """The model time for noise level ᾱ, and whether it had to be clamped to the trained range."""
        ...

    def __call__(self, x: np.ndarray, t: float) -> np.ndarray: ...


@dataclass(frozen=True)
class NoiseLevelTime:
    """Maps a noise level ᾱ' to the training time t* with ᾱ_train(t*) = ᾱ' by interpolating in log-SNR.

    ``continuous`` models get fractional t (in index units, 0..T−1); ``index`` models the nearest index. A level
    outside the trained range [ᾱ_train(T−1), ᾱ_train(0)] is clamped to the end and flagged.
    """

    train_schedule: Schedule
    time_input: TimeInput = "index"
    rtol: float = 1e-9

    def __post_init__(self) -> None:
        log_snr = self.train_schedule.log_snr  # decreasing in t; computed once (it is asked twice per step)
        object.__setattr__(self, "_log_snr_up", np.ascontiguousarray(log_snr[::-1]))
        object.__setattr__(self, "_t_up", np.ascontiguousarray(self.train_schedule.timesteps.astype(np.float64)[::-1]))
        object.__setattr__(self, "_range", (float(log_snr[0]), float(log_snr[-1])))

    def __call__(self, alpha_bar: float) -> tuple[float, bool]:
        target = float(np.log(alpha_bar) - np.log1p(-alpha_bar))
        hi, lo = self._range  # type: ignore[attr-defined]
        slack = self.rtol * max(1.0, abs(target))
        clamped = target > hi + slack or target < lo - slack
        t = float(np.interp(target, self._log_snr_up, self._t_up))  # type: ignore[attr-defined]  # clamps outside
        if self.time_input == "index":
            t = float(np.rint(t))
        return t, bool(clamped)


def trained_alpha_bar(train_schedule: Schedule, t: float) -> float:
    """ᾱ of the training schedule at model time t (fractional t interpolated in log-SNR; the inverse of
    :class:`NoiseLevelTime` inside the trained range)."""
    idx = train_schedule.timesteps.astype(np.float64)
    log_snr = float(np.interp(t, idx, train_schedule.log_snr))
    return float(1.0 / (1.0 + np.exp(-log_snr)))
