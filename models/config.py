"""What a training run needs, as one frozen record, and the default recipe per data set (no torch here)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from diffviz.core.parameterization import check_prediction_type
from diffviz.core.schedule import Schedule

from .data import check_dataset, data_modality

# Architecture defaults: the bundled sizes (models/README.md).
MLP_ARCH = dict(hidden=128, depth=3, emb_dim=32)
UNET_ARCH = dict(channels=(32, 64), patch=2)


class ConfigError(ValueError):
    """A training option out of range; the message names it."""


@dataclass(frozen=True)
class TrainConfig:
    """One training run. ``arch`` holds the network's keyword arguments (``MLP_ARCH`` / ``UNET_ARCH`` keys)."""

    data: str
    steps: int = 20_000
    batch_size: int = 512
    lr: float = 2e-3
    prediction_type: str = "epsilon"
    schedule: str = "linear"
    num_train_timesteps: int = 1000
    beta_start: float = 1e-4
    beta_end: float = 0.02
    seed: int = 0
    warmup_steps: int = 200
    ema_decay: float = 0.999
    grad_clip: float = 1.0
    threads: int = 1
    arch: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        check_dataset(self.data)
        try:
            check_prediction_type(self.prediction_type)
        except ValueError as e:
            raise ConfigError(str(e)) from None
        for name in ("steps", "batch_size", "num_train_timesteps", "threads"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be ≥ 1, got {getattr(self, name)}")
        if not self.lr > 0:
            raise ConfigError(f"lr must be > 0, got {self.lr}")
        if not 0 <= self.ema_decay < 1:
            raise ConfigError(f"ema_decay must be in [0, 1), got {self.ema_decay}")
        self.train_schedule()  # raises ScheduleError naming a bad β

    @property
    def modality(self) -> str:
        return data_modality(self.data)

    def train_schedule(self) -> Schedule:
        return Schedule.from_name(self.schedule, self.num_train_timesteps, self.beta_start, self.beta_end)

    def network_arch(self) -> dict[str, Any]:
        base = dict(UNET_ARCH if self.modality == "image" else MLP_ARCH)
        base.update(self.arch)
        return base

    def replace(self, **changes: Any) -> TrainConfig:
        return dataclasses.replace(self, **changes)

    def as_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["arch"] = self.network_arch()
        return d


def default_config(data: str, **overrides: Any) -> TrainConfig:
    """The recipe the zoo uses for ``data`` (image sets: smaller batch, fewer steps), with ``overrides``."""
    if data_modality(data) == "image":
        base = TrainConfig(data, steps=6000, batch_size=128, lr=1e-3, warmup_steps=200, ema_decay=0.999, threads=2)
    else:
        base = TrainConfig(data)
    given = {k: v for k, v in overrides.items() if v is not None}
    return base.replace(**given) if given else base
