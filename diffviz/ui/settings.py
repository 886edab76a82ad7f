"""What the user chose: schedule, sampler and view settings as frozen dataclasses (no Qt here).

They are plain values: the app state swaps one for another (``dataclasses.replace``) and emits a signal, the
settings store writes them to QSettings as dicts, and the sampling controller turns them into core objects.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

from diffviz.core import SAMPLERS, SCHEDULE_NAMES, Schedule
from diffviz.core.schedule import SPACINGS

SAMPLER_LABELS = {
    "ddpm": "DDPM (ancestral)",
    "ddim": "DDIM (η)",
    "euler": "Probability-flow ODE (Euler)",
    "heun": "Probability-flow ODE (Heun)",
    "pc": "Predictor–corrector",
}
VARIANCE_TYPES = ("fixed_small", "fixed_large")
DEFAULT_POINTS = 2000  # particles for 2D models
DEFAULT_IMAGES = 64  # particles for image models: all of them fit one 8×8 mosaic
DEFAULT_SAMPLING_STEPS = 100  # sub-sampled steps: a full run streams in well under a second on 2D models


@dataclass(frozen=True)
class ScheduleSettings:
    """A named schedule of ``num_train_steps`` steps, sampled at ``num_steps`` of them (``spacing``)."""

    name: str = "linear"
    num_train_steps: int = 1000
    beta_start: float = 1e-4
    beta_end: float = 0.02
    cosine_s: float = 0.008
    num_steps: int = DEFAULT_SAMPLING_STEPS
    spacing: str = "trailing"

    def full(self) -> Schedule:
        """The schedule of all ``num_train_steps`` steps (what the β plot shows)."""
        return Schedule.from_name(
            self.name, self.num_train_steps, self.beta_start, self.beta_end, cosine_s=self.cosine_s)

    def build(self) -> Schedule:
        """The schedule the sampler runs: :meth:`full`, sub-sampled to ``num_steps`` when fewer."""
        full = self.full()
        if self.num_steps >= full.num_steps:
            return full
        return full.subsample(int(self.num_steps), self.spacing)  # type: ignore[arg-type]

    @classmethod
    def matching(cls, schedule: Schedule | None, num_steps: int = DEFAULT_SAMPLING_STEPS) -> ScheduleSettings:
        """Settings that rebuild a model's training schedule (DDPM's linear 1e-4→0.02, T=1000 when it has none)."""
        cfg = dict(schedule.config) if schedule is not None else {}
        if cfg.get("name") not in SCHEDULE_NAMES:
            return cls(num_steps=num_steps)
        T = int(cfg["num_steps"])
        return cls(
            name=cfg["name"], num_train_steps=T, beta_start=float(cfg["beta_start"]),
            beta_end=float(cfg["beta_end"]), cosine_s=float(cfg.get("cosine_s", 0.008)), num_steps=min(num_steps, T),
        )


@dataclass(frozen=True)
class SamplerSettings:
    """Sampler choice and its options (diffusers' names), the particle count, the seed and the noise lock."""

    kind: str = "ddpm"
    variance_type: str = "fixed_small"
    clip_sample: bool = False
    eta: float = 0.0
    snr: float = 0.16
    n: int = DEFAULT_POINTS
    seed: int = 0
    same_noise: bool = False

    def options(self, clip_range: float = 1.0) -> dict[str, Any]:
        """Keyword options of the core sampler ``kind``; only the ones it takes."""
        if self.kind == "ddpm":
            return dict(variance_type=self.variance_type, clip_sample=self.clip_sample, clip_sample_range=clip_range)
        if self.kind == "ddim":
            return dict(eta=self.eta, clip_sample=self.clip_sample, clip_sample_range=clip_range)
        if self.kind == "pc":
            return dict(snr=self.snr, variance_type=self.variance_type)
        return {}


@dataclass(frozen=True)
class ViewSettings:
    """What the views draw besides the particles."""

    trails: bool = True
    trail_length: int = 8
    segments: bool = False
    data: bool = True


def from_dict(cls: type, data: Any) -> Any:
    """Rebuild a settings dataclass from a stored dict, keeping defaults for missing or mistyped entries."""
    default = cls()
    if not isinstance(data, dict):
        return default
    values = {}
    for f in fields(cls):
        want = type(getattr(default, f.name))
        v = data.get(f.name, getattr(default, f.name))
        try:
            v = (v in (True, "true", "1", 1)) if want is bool else want(v)
        except (TypeError, ValueError):
            v = getattr(default, f.name)
        values[f.name] = v
    candidate = cls(**values)
    return candidate if is_valid(candidate) else default


def to_dict(settings: Any) -> dict[str, Any]:
    return asdict(settings)


def is_valid(settings: Any) -> bool:
    """Whether stored settings name things that exist (a hand-edited store may not)."""
    if isinstance(settings, ScheduleSettings):
        try:
            settings.full()
        except ValueError:
            return False
        return settings.spacing in SPACINGS and 1 <= settings.num_steps
    if isinstance(settings, SamplerSettings):
        return (settings.kind in SAMPLERS and settings.variance_type in VARIANCE_TYPES and settings.n >= 1
                and settings.seed >= 0 and settings.eta >= 0 and settings.snr > 0)
    if isinstance(settings, ViewSettings):
        return settings.trail_length >= 1
    return False
