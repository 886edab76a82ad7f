"""Sampler options, declared once (name, type, default, range, label, help).

Every reader of a sampler's options derives from these declarations: the sampler panel builds its widgets from
them, ``diffviz sample`` its flags, scenes and saved runs their parameters, and :func:`validate_options` checks a
request before any step runs. Names follow diffusers (``variance_type``, ``clip_sample``, ``eta``…).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

OptionValue = bool | int | float | str


class OptionError(ValueError):
    """An option that the sampler does not take, or a value of the wrong type or out of range."""


@dataclass(frozen=True)
class Option:
    """One keyword option of a sampler.

    ``type`` is ``bool``, ``int``, ``float`` or ``str``; numbers lie in [``low``, ``high``] (a bound may be None);
    strings are one of ``choices``.
    """

    name: str
    type: type
    default: OptionValue
    label: str
    help: str
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] = ()
    low_open: bool = False  # the low bound itself is excluded (e.g. a step size > 0)

    @property
    def flag(self) -> str:
        """The command-line flag: ``--variance-type``."""
        return "--" + self.name.replace("_", "-")

    def describe_range(self) -> str:
        if self.choices:
            return "one of " + ", ".join(self.choices)
        if self.type is bool:
            return "true or false"
        lo = "−∞" if self.low is None else f"{self.low:g}"
        hi = "∞" if self.high is None else f"{self.high:g}"
        return f"{self.type.__name__} in {'(' if self.low_open else '['}{lo}, {hi}]"

    def check(self, value: Any, sampler: str = "") -> OptionValue:
        """``value`` as this option's type, or :class:`OptionError` naming the option, the value and the range."""
        where = f" of the {sampler} sampler" if sampler else ""

        def bad() -> OptionError:
            return OptionError(f"option {self.name}{where} = {value!r} is invalid: expected {self.describe_range()}")

        if self.type is bool:
            if not isinstance(value, bool):
                raise bad()
            return value
        if self.type is str:
            if not isinstance(value, str) or (self.choices and value not in self.choices):
                raise bad()
            return value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise bad()
        if self.type is int:
            if isinstance(value, float) and not value.is_integer():
                raise bad()
            number: int | float = int(value)
        else:
            number = float(value)
            if not math.isfinite(number):
                raise bad()
        below = self.low is not None and (number <= self.low if self.low_open else number < self.low)
        if below or (self.high is not None and number > self.high):
            raise bad()
        return number


VARIANCE_TYPE = Option(
    "variance_type",
    str,
    "fixed_small",
    "Variance",
    "σ_t² = β̃_t (fixed_small) or β_t (fixed_large)",
    choices=("fixed_small", "fixed_large"),
)
CLIP_SAMPLE = Option("clip_sample", bool, False, "Clip x̂_0", "clip x̂_0 to ±clip_sample_range before the update")
CLIP_SAMPLE_RANGE = Option(
    "clip_sample_range",
    float,
    1.0,
    "Clip range",
    "x̂_0 is clipped to [−r, r] (the model's data range)",
    low=0.0,
    low_open=True,
)
ETA = Option("eta", float, 0.0, "η", "η = 0: deterministic DDIM; η = 1: DDPM's noise", low=0.0, high=1.0)
USE_CLIPPED_MODEL_OUTPUT = Option(
    "use_clipped_model_output",
    bool,
    False,
    "ε̂ from clipped x̂_0",
    "with clip_sample, recompute ε̂ from the clipped x̂_0 (diffusers' option)",
)
TARGET_SNR = Option(
    "target_snr",
    float,
    0.16,
    "Corrector r",
    "target signal-to-noise ratio r of the Langevin corrector (Song et al. 2021); 0: no correction",
    low=0.0,
    high=2.0,
)
CORRECTOR_STEPS = Option(
    "corrector_steps", int, 1, "Corrector steps", "Langevin corrector steps after each predictor step", low=0, high=20
)


def defaults(options: tuple[Option, ...]) -> dict[str, OptionValue]:
    return {o.name: o.default for o in options}


def validate_options(sampler: str, declared: tuple[Option, ...], given: Mapping[str, Any]) -> dict[str, OptionValue]:
    """All options of a sampler: the declared defaults overridden by ``given``, each value checked.

    An option the sampler does not take is refused with the list of those it does.
    """
    by_name = {o.name: o for o in declared}
    unknown = [k for k in given if k not in by_name]
    if unknown:
        takes = ", ".join(by_name) or "no options"
        raise OptionError(f"the {sampler} sampler does not take {', '.join(map(repr, unknown))} (it takes: {takes})")
    return {o.name: o.check(given.get(o.name, o.default), sampler) for o in declared}
