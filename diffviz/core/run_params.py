"""The typed parameters a saved run carries: everything that made it, with a format version and one reader.

Written as JSON inside the run's ``.npz``. :meth:`RunParams.from_dict` reads every version this code knows,
migrating older ones (version 1: the predictor–corrector's ``snr`` is now ``target_snr``; the field grid was a
nested ``field`` entry; versions 1 and 2 drew their noise with NumPy's ziggurat, ``noise_method`` says how since
version 3), and refuses a newer version or a malformed entry with a message naming it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .noise import NOISE_METHODS
from .options import OptionError, OptionValue
from .samplers import SAMPLERS
from .schedule import Schedule

RUN_FORMAT_VERSION = 3
Extent = tuple[float, float, float, float]


class RunParamsError(ValueError):
    """A saved run whose parameters are missing, of the wrong type, or from a newer diffviz."""


@dataclass(frozen=True)
class ModelIdentity:
    """Which model made a run: its name, prediction type and (for a file) content hash."""

    name: str
    prediction_type: str
    sha256: str | None = None


@dataclass(frozen=True, eq=False)
class RunParams:
    """Everything that reproduces a run: schedule (exact β and timesteps), sampler and its options, seed, n…"""

    sampler: str
    options: dict[str, OptionValue]
    seed: int
    n: int
    schedule_config: dict[str, Any]
    schedule_betas: np.ndarray
    schedule_timesteps: np.ndarray
    model: ModelIdentity
    x_T_injected: bool = False
    noise_injected: bool = False
    field_grid: int | None = None
    field_extent: Extent | None = None
    noise_method: str = "ziggurat"  # how the seed became noise (diffviz.core.noise); runs made now say box_muller
    extra: dict[str, Any] = field(default_factory=dict)  # free-form notes a caller adds (not read back as settings)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, RunParams):
            return NotImplemented
        return self.to_dict() == other.to_dict()

    def schedule(self) -> Schedule:
        """The exact schedule the run was sampled with."""
        return Schedule(self.schedule_betas, self.schedule_timesteps, dict(self.schedule_config))

    def to_dict(self) -> dict[str, Any]:
        return dict(
            format_version=RUN_FORMAT_VERSION,
            sampler=self.sampler,
            options=dict(self.options),
            seed=self.seed,
            n=self.n,
            schedule=dict(self.schedule_config),
            schedule_betas=np.asarray(self.schedule_betas).tolist(),
            schedule_timesteps=np.asarray(self.schedule_timesteps).tolist(),
            model={k: v for k, v in vars(self.model).items() if v is not None},
            x_T_injected=self.x_T_injected,
            noise_injected=self.noise_injected,
            field_grid=self.field_grid,
            field_extent=list(self.field_extent) if self.field_extent is not None else None,
            noise_method=self.noise_method,
            extra=dict(self.extra),
        )

    @classmethod
    def from_dict(cls, data: Any) -> RunParams:
        """Read (and migrate) a run's parameters; :class:`RunParamsError` names what is wrong."""
        if not isinstance(data, dict):
            raise RunParamsError("its parameters are not a JSON object")
        version = data.get("format_version", 1)
        if not isinstance(version, int) or isinstance(version, bool) or version < 1:
            raise RunParamsError(f"format_version = {version!r} is not a version number")
        if version > RUN_FORMAT_VERSION:
            raise RunParamsError(
                f"it was written by a newer diffviz (run format {version}; this one reads up to "
                f"{RUN_FORMAT_VERSION}): update diffviz to open it"
            )
        if version == 1:
            data = _migrate_v1(data)
        if version <= 2:
            data = dict(data, noise_method="ziggurat")  # what every run before format 3 drew its noise with
        return _read(data)


def _migrate_v1(data: dict[str, Any]) -> dict[str, Any]:
    out = dict(data)
    options = dict(out.get("options") or {})
    if out.get("sampler") == "pc" and "snr" in options:
        options["target_snr"] = options.pop("snr")
    out["options"] = options
    fld = out.pop("field", None) or {}
    out["field_grid"], out["field_extent"] = fld.get("grid"), fld.get("extent")
    return out


def _want(data: dict[str, Any], key: str, kind: type | tuple[type, ...], what: str) -> Any:
    if key not in data:
        raise RunParamsError(f"its parameters lack {key!r}")
    value = data[key]
    if not isinstance(value, kind) or (
        isinstance(value, bool) and bool not in (kind if isinstance(kind, tuple) else (kind,))
    ):
        raise RunParamsError(f"{key} = {_short(value)} is not {what}")
    return value


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _read(data: dict[str, Any]) -> RunParams:
    sampler = _want(data, "sampler", str, "a sampler name")
    if sampler not in SAMPLERS:
        raise RunParamsError(f"sampler = {sampler!r} is unknown; valid: {', '.join(SAMPLERS)}")
    try:
        options = SAMPLERS[sampler].validate(sampler, dict(_want(data, "options", dict, "a table of options")))
    except OptionError as exc:
        raise RunParamsError(str(exc)) from None
    seed = _want(data, "seed", int, "an integer")
    n = _want(data, "n", int, "an integer")
    if seed < 0 or n < 1:
        raise RunParamsError(f"seed = {seed}, n = {n}: need seed ≥ 0 and n ≥ 1")
    config = _want(data, "schedule", dict, "a schedule description")
    try:
        betas = np.asarray(_want(data, "schedule_betas", list, "a list of numbers"), dtype=np.float64)
        timesteps = np.asarray(_want(data, "schedule_timesteps", list, "a list of integers"), dtype=np.int64)
    except (TypeError, ValueError, OverflowError) as exc:  # OverflowError: an integer beyond int64
        raise RunParamsError(f"its schedule arrays are not numeric ({exc})") from None
    model = _want(data, "model", dict, "a model description")
    name, ptype = model.get("name"), model.get("prediction_type")
    if not isinstance(name, str) or not isinstance(ptype, str):
        raise RunParamsError(f"model = {_short(model)} needs a name and a prediction_type")
    sha = model.get("sha256")
    grid, extent = data.get("field_grid"), data.get("field_extent")
    if grid is not None and (not isinstance(grid, int) or isinstance(grid, bool) or not 1 <= grid <= 256):
        raise RunParamsError(f"field_grid = {_short(grid)} is not an integer in [1, 256]")
    if extent is not None:
        if (
            not isinstance(extent, list)
            or len(extent) != 4
            or not all(isinstance(v, (int, float)) and math.isfinite(v) for v in extent)
        ):
            raise RunParamsError(f"field_extent = {_short(extent)} is not four finite numbers")
        extent = tuple(float(v) for v in extent)
    noise_method = _want(data, "noise_method", str, "a noise method")
    if noise_method not in NOISE_METHODS:
        raise RunParamsError(f"noise_method = {_short(noise_method)} is unknown; valid: {', '.join(NOISE_METHODS)}")
    extra = data.get("extra") or {}
    return RunParams(
        sampler=sampler,
        options=options,
        seed=seed,
        n=n,
        schedule_config=config,
        schedule_betas=betas,
        schedule_timesteps=timesteps,
        model=ModelIdentity(name, ptype, sha if isinstance(sha, str) else None),
        x_T_injected=bool(data.get("x_T_injected", False)),
        noise_injected=bool(data.get("noise_injected", False)),
        field_grid=grid,
        field_extent=extent,
        noise_method=noise_method,
        extra=extra if isinstance(extra, dict) else {},
    )
