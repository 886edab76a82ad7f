"""What a session is set to: schedule, sampler, view and playback, as frozen dataclasses of plain values.

Each is a value: the session swaps one for another (``dataclasses.replace``) and emits one event; scenes and the
settings store write them as tables; :meth:`validate` refuses a bad value naming the field and the value.
Names follow diffusers where it has one (``num_train_timesteps``, ``num_inference_steps``, ``timestep_spacing``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from types import MappingProxyType
from typing import Any

from diffviz.core import SAMPLERS, SCHEDULE_NAMES, OptionError, Schedule, ScheduleError
from diffviz.core.options import OptionValue
from diffviz.core.samplers import all_options
from diffviz.core.schedule import SPACINGS

DEFAULT_POINTS = 2000  # particles for 2D models
DEFAULT_IMAGES = 64  # particles for image models: all of them fit one 8×8 mosaic
DEFAULT_INFERENCE_STEPS = 100  # sub-sampled steps: a full run streams in well under a second on 2D models
MAX_TRAIN_TIMESTEPS = 10_000
MAX_PARTICLES = 200_000
MAX_SEED = 2**31 - 1
PANELS = ("x_t", "score", "eps_hat", "x0_hat", "forward")  # every panel a 2D model has
DEFAULT_PANELS = PANELS[:4]  # a new window; "forward" is asked for (a scene, a lesson, --panels)
LAYOUTS = ("2x2", "1x4", "single")
THEMES = ("dark", "light")
SPEEDS = (5, 10, 30, 60, 120, 300, 1000)  # playback, steps per second
DEFAULT_SPEED = 30
ALL_PIECES = 2  # a step taken apart: the drift, then the noise
Extent = tuple[float, float, float, float]


class SettingsError(ValueError):
    """A setting out of its range or of the wrong type; the message names the setting and the value."""


def _bad(section: str, name: str, value: Any, want: str) -> SettingsError:
    return SettingsError(f"{section}.{name} = {value!r} is invalid: expected {want}")


def _check_int(section: str, name: str, value: Any, lo: int, hi: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise _bad(section, name, value, f"an integer in [{lo}, {hi}]")


def _check_float(section: str, name: str, value: Any, lo: float, hi: float, *, open_low: bool = False) -> None:
    ok = (
        not isinstance(value, bool)
        and isinstance(value, (int, float))
        and math.isfinite(value)
        and (lo < value if open_low else lo <= value)
        and value <= hi
    )
    if not ok:
        raise _bad(section, name, value, f"a number in {'(' if open_low else '['}{lo:g}, {hi:g}]")


def _check_choice(section: str, name: str, value: Any, choices: tuple[Any, ...]) -> None:
    if isinstance(value, bool) or value not in choices:
        raise _bad(section, name, value, "one of " + ", ".join(map(str, choices)))


def _check_bool(section: str, name: str, value: Any) -> None:
    if not isinstance(value, bool):
        raise _bad(section, name, value, "true or false")


@dataclass(frozen=True)
class ScheduleSettings:
    """A named schedule of ``num_train_timesteps`` steps, sampled at ``num_inference_steps`` of them."""

    name: str = "linear"
    num_train_timesteps: int = 1000
    beta_start: float = 1e-4
    beta_end: float = 0.02
    cosine_s: float = 0.008
    num_inference_steps: int = DEFAULT_INFERENCE_STEPS
    timestep_spacing: str = "trailing"
    steps_offset: int = 0  # diffusers' name: shifts ``leading`` steps (Stable Diffusion configs say 1)

    def full(self) -> Schedule:
        """The schedule of all ``num_train_timesteps`` steps (what the β plot shows)."""
        return Schedule.from_name(
            self.name, self.num_train_timesteps, self.beta_start, self.beta_end, cosine_s=self.cosine_s
        )

    def build(self) -> Schedule:
        """The schedule the sampler runs: :meth:`full`, sub-sampled to ``num_inference_steps`` when fewer."""
        full = self.full()
        if self.num_inference_steps >= full.num_steps:
            return full
        return full.subsample(
            int(self.num_inference_steps),
            self.timestep_spacing,  # type: ignore[arg-type]
            int(self.steps_offset),
        )

    def validate(self) -> None:
        s = "schedule"
        _check_choice(s, "name", self.name, SCHEDULE_NAMES)
        _check_int(s, "num_train_timesteps", self.num_train_timesteps, 2, MAX_TRAIN_TIMESTEPS)
        _check_int(s, "num_inference_steps", self.num_inference_steps, 1, MAX_TRAIN_TIMESTEPS)
        _check_float(s, "beta_start", self.beta_start, 0.0, 1.0, open_low=True)
        _check_float(s, "beta_end", self.beta_end, 0.0, 1.0, open_low=True)
        _check_float(s, "cosine_s", self.cosine_s, 0.0, 1.0)
        _check_choice(s, "timestep_spacing", self.timestep_spacing, SPACINGS)
        _check_int(s, "steps_offset", self.steps_offset, 0, MAX_TRAIN_TIMESTEPS)
        try:
            self.full()
        except ScheduleError as exc:
            raise SettingsError(f"schedule: {exc}") from None

    @classmethod
    def matching(
        cls,
        schedule: Schedule | None,
        num_inference_steps: int = DEFAULT_INFERENCE_STEPS,
        timestep_spacing: str | None = None,
        steps_offset: int = 0,
    ) -> ScheduleSettings:
        """Settings that rebuild a model's training schedule (DDPM's linear 1e-4→0.02, T=1000 when it has none).

        ``num_inference_steps`` is kept as asked even above T (:meth:`build` then runs all T steps), so a short
        model does not cut the step count of every model opened after it. ``timestep_spacing`` and
        ``steps_offset``: what the model's own pipeline uses (its card), else the default spacing."""
        cfg = dict(schedule.config) if schedule is not None else {}
        spacing = dict(timestep_spacing=timestep_spacing, steps_offset=steps_offset) if timestep_spacing else {}
        if cfg.get("name") not in SCHEDULE_NAMES:
            return cls(num_inference_steps=num_inference_steps, **spacing)  # type: ignore[arg-type]
        T = int(cfg["num_steps"])
        return cls(
            name=cfg["name"],
            num_train_timesteps=T,
            beta_start=float(cfg["beta_start"]),
            beta_end=float(cfg["beta_end"]),
            cosine_s=float(cfg.get("cosine_s", 0.008)),
            num_inference_steps=num_inference_steps,
            **spacing,  # type: ignore[arg-type]
        )


def _default_options() -> Mapping[str, OptionValue]:
    return MappingProxyType({name: o.default for name, o in all_options().items()})


@dataclass(frozen=True)
class SamplerSettings:
    """The sampler, the value of every sampler option (one per name), the particle count, seed and noise lock."""

    name: str = "ddpm"
    options: Mapping[str, OptionValue] = field(default_factory=_default_options)
    num_particles: int = DEFAULT_POINTS
    seed: int = 0
    same_noise: bool = False

    def __post_init__(self) -> None:
        merged = dict(_default_options())
        merged.update(self.options)
        object.__setattr__(self, "options", MappingProxyType(merged))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SamplerSettings):
            return NotImplemented
        return (self.name, dict(self.options), self.num_particles, self.seed, self.same_noise) == (
            other.name,
            dict(other.options),
            other.num_particles,
            other.seed,
            other.same_noise,
        )

    def __hash__(self) -> int:
        return hash((self.name, tuple(sorted(self.options.items())), self.num_particles, self.seed, self.same_noise))

    def active_options(self) -> dict[str, OptionValue]:
        """The keyword options of the chosen sampler, and only those."""
        return {o.name: self.options[o.name] for o in SAMPLERS[self.name].options}

    def with_options(self, **changes: OptionValue) -> SamplerSettings:
        unknown = set(changes) - set(self.options)
        if unknown:
            raise SettingsError(f"no sampler takes the option(s) {', '.join(sorted(unknown))}")
        return SamplerSettings(self.name, {**self.options, **changes}, self.num_particles, self.seed, self.same_noise)

    def validate(self) -> None:
        s = "sampler"
        _check_choice(s, "name", self.name, tuple(SAMPLERS))
        _check_int(s, "num_particles", self.num_particles, 1, MAX_PARTICLES)
        _check_int(s, "seed", self.seed, 0, MAX_SEED)
        _check_bool(s, "same_noise", self.same_noise)
        declared = all_options()
        for name, value in self.options.items():
            if name not in declared:
                raise SettingsError(f"sampler.options.{name}: no sampler takes this option")
            try:
                declared[name].check(value)
            except OptionError:
                raise _bad("sampler.options", name, value, declared[name].describe_range()) from None


@dataclass(frozen=True)
class ViewSettings:
    """What the views draw and how: panels and layout, trails, the score field's grid and extent, the camera."""

    panels: tuple[str, ...] = DEFAULT_PANELS
    layout: str = "2x2"
    trails: bool = True
    trail_length: int = 8
    segments: bool = False
    data: bool = True
    field_grid: int = 32
    field_extent: Extent = (-4.0, 4.0, -4.0, 4.0)
    camera: Extent | None = None  # (x0, x1, y0, y1) of the linked 2D views; None: the default range
    score_levels: tuple[float, float] | None = None  # colour range of log10 |s| on the score map; None: per run
    score_background: bool = True  # the grey |s| map behind the score arrows
    ui_scale: float = 1.0
    theme: str = "dark"
    explain: bool = False  # a line under each view's title saying what it shows (lessons turn it on)
    exact: bool = False  # the exact score s* of the model's known data over the learned one, and the error map

    def validate(self) -> None:
        s = "view"
        if not self.panels or any(p not in PANELS for p in self.panels) or len(set(self.panels)) != len(self.panels):
            raise _bad(s, "panels", list(self.panels), "distinct names among " + ", ".join(PANELS))
        _check_choice(s, "layout", self.layout, LAYOUTS)
        for name in ("trails", "segments", "data", "score_background", "explain", "exact"):
            _check_bool(s, name, getattr(self, name))
        _check_int(s, "trail_length", self.trail_length, 1, 200)
        _check_int(s, "field_grid", self.field_grid, 0, 128)
        for name, extent in (("field_extent", self.field_extent), ("camera", self.camera)):
            if extent is None and name == "camera":
                continue
            if (
                not isinstance(extent, tuple)
                or len(extent) != 4
                or not all(
                    isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) and abs(v) <= 1e6
                    for v in extent
                )
                or not (extent[0] < extent[1] and extent[2] < extent[3])
            ):
                raise _bad(
                    s,
                    name,
                    list(extent) if isinstance(extent, tuple) else extent,
                    "[x0, x1, y0, y1] with x0 < x1 and y0 < y1, |v| ≤ 1e6",
                )
        levels = self.score_levels
        if levels is not None and (
            not isinstance(levels, tuple)
            or len(levels) != 2
            or not all(isinstance(v, (int, float)) and not isinstance(v, bool) and abs(v) <= 300 for v in levels)
            or not levels[0] < levels[1]
        ):
            raise _bad(s, "score_levels", levels, "[low, high] of log10 |s| with low < high")
        _check_float(s, "ui_scale", self.ui_scale, 0.5, 4.0)
        _check_choice(s, "theme", self.theme, THEMES)


@dataclass(frozen=True)
class Playback:
    """The playhead (0 = x_T … K = x_0), whether it plays, at how many steps per second, and whether it loops;
    ``pieces``: how much of the step from here is drawn for followed particles (one step taken apart, key N): 0
    nothing yet, 1 the drift x_t → μ_θ, 2 the drift and the noise μ_θ → x_{t−1} (the default)."""

    step: int = 0
    playing: bool = False
    speed: int = DEFAULT_SPEED
    loop: bool = False
    pieces: int = ALL_PIECES

    def validate(self) -> None:
        _check_int("playback", "pieces", self.pieces, 0, ALL_PIECES)
        _check_int("playback", "step", self.step, 0, MAX_TRAIN_TIMESTEPS)
        _check_bool("playback", "playing", self.playing)
        _check_choice("playback", "speed", self.speed, SPEEDS)
        _check_bool("playback", "loop", self.loop)


def field_names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in fields(cls))
