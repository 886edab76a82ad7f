"""The metadata half of the model contract (docs/model-format.md, "Metadata"): ``diffviz.*`` keys → typed values.

Missing keys take the documented defaults (with a notice); present but invalid values raise
:class:`~diffviz.runtime.errors.MetadataError` naming the key and the value.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from ..core.datasets import DATASETS
from ..core.denoiser import TimeInput
from ..core.parameterization import PREDICTION_TYPES
from ..core.schedule import MAX_TRAIN_TIMESTEPS, SCHEDULE_NAMES, SPACINGS, Schedule, ScheduleError
from .errors import MetadataError

PREFIX = "diffviz."
CONTRACT_VERSION = "1"
IMAGE_DATA = ("digits",)
DEFAULTS: dict[str, str] = {
    "contract_version": CONTRACT_VERSION,
    "prediction_type": "epsilon",
    "num_train_timesteps": "1000",
    "beta_schedule": "linear",
    "beta_start": "0.0001",
    "beta_end": "0.02",
    "clip_sample": "false",
}
KNOWN_KEYS = frozenset(DEFAULTS) | {
    "time_input",
    "data",
    "data_range",
    "name",
    "description",
    "timestep_spacing",
    "steps_offset",
    "time_shape",
}
TIME_SHAPES = ("batch", "broadcast")  # t of shape [N]; or [1] accepted too (the embedding computed once a call)
NO_METADATA_NOTICE = "no diffviz metadata: assuming epsilon, linear 1e-4→0.02, T=1000"


@dataclass(frozen=True)
class ModelMetadata:
    """The model's ``diffviz.*`` metadata, parsed and checked against its graph."""

    name: str
    description: str
    prediction_type: str
    train_schedule: Schedule
    time_input: TimeInput
    data: str | None
    data_range: tuple[float, float] | None
    clip_sample: bool
    raw: dict[str, str] = field(default_factory=dict)
    timestep_spacing: str | None = None  # how the model's own pipeline sub-samples (diffusers' timestep_spacing)
    steps_offset: int = 0  # diffusers' steps_offset (leading spacing)
    notices: tuple[str, ...] = ()
    time_shape: str = "batch"  # "broadcast": t may be [1] for the whole batch (docs/model-format.md)


def _float(label: str, key: str, value: str) -> float:
    try:
        return float(value)
    except ValueError:
        raise MetadataError(f"{label}: {PREFIX}{key} = {value!r} is not a number") from None


def _int(label: str, key: str, value: str, maximum: int) -> int:
    try:
        number = int(value)
    except ValueError:
        raise MetadataError(f"{label}: {PREFIX}{key} = {value!r} is not an integer") from None
    if number < 1:
        raise MetadataError(f"{label}: {PREFIX}{key} = {value!r} must be ≥ 1")
    if number > maximum:
        raise MetadataError(f"{label}: {PREFIX}{key} = {value!r} is above the limit of {maximum}")
    return number


def _choice(label: str, key: str, value: str, valid: tuple[str, ...]) -> str:
    if value not in valid:
        raise MetadataError(f"{label}: {PREFIX}{key} = {value!r} is not one of {', '.join(valid)}")
    return value


def _bool(label: str, key: str, value: str) -> bool:
    text = value.strip().lower()
    if text not in ("true", "false"):
        raise MetadataError(f"{label}: {PREFIX}{key} = {value!r}; write true or false")
    return text == "true"


def _range(label: str, value: str) -> tuple[float, float]:
    parts = value.split(",")
    if len(parts) != 2:
        raise MetadataError(f"{label}: {PREFIX}data_range = {value!r}; write it as lo,hi (e.g. -1,1)")
    lo, hi = (_float(label, "data_range", p.strip()) for p in parts)
    if not (math.isfinite(lo) and math.isfinite(hi)):  # the clipping range ±max(|lo|, |hi|) must be a number
        raise MetadataError(f"{label}: {PREFIX}data_range = {value!r} needs finite lo and hi")
    if not lo < hi:
        raise MetadataError(f"{label}: {PREFIX}data_range = {value!r} needs lo < hi")
    return lo, hi


def parse_metadata(
    props: dict[str, str], *, label: str, default_name: str, t_dtype: str, data_shape: tuple[int, ...]
) -> ModelMetadata:
    """Read ``diffviz.*`` keys from ONNX ``metadata_props``; ``t_dtype`` and ``data_shape`` come from the graph."""
    raw = {k[len(PREFIX) :]: v for k, v in props.items() if k.startswith(PREFIX)}
    notices: list[str] = []
    if not raw:
        notices.append(NO_METADATA_NOTICE)
    else:
        defaulted = [k for k in ("prediction_type", "num_train_timesteps", "beta_schedule") if k not in raw]
        if defaulted:
            notices.append(
                "metadata without "
                + ", ".join(PREFIX + k for k in defaulted)
                + ": assuming "
                + ", ".join(DEFAULTS[k] for k in defaulted)
            )
        unknown = sorted(set(raw) - KNOWN_KEYS)
        if unknown:
            notices.append("ignored unknown metadata " + ", ".join(PREFIX + k for k in unknown))
    get = {**DEFAULTS, **raw}.__getitem__

    version = get("contract_version").strip()
    if version != CONTRACT_VERSION:
        raise MetadataError(
            f"{label}: {PREFIX}contract_version = {version!r}; this diffviz reads version {CONTRACT_VERSION}"
        )
    prediction_type = _choice(label, "prediction_type", get("prediction_type"), PREDICTION_TYPES)
    beta_schedule = _choice(label, "beta_schedule", get("beta_schedule"), SCHEDULE_NAMES)
    steps = _int(label, "num_train_timesteps", get("num_train_timesteps"), MAX_TRAIN_TIMESTEPS)
    beta_start = _float(label, "beta_start", get("beta_start"))
    beta_end = _float(label, "beta_end", get("beta_end"))
    try:
        schedule = Schedule.from_name(beta_schedule, steps, beta_start, beta_end)
    except ScheduleError as exc:
        raise MetadataError(f"{label}: the training schedule in its metadata is invalid: {exc}") from None

    time_input = _time_input(label, raw.get("time_input"), t_dtype)
    data = raw.get("data") or None
    if data is not None and data not in DATASETS and data not in IMAGE_DATA:
        notices.append(f"{PREFIX}data = {data!r} is not a data set diffviz knows: no reference data shown")
        data = None
    if data in DATASETS and data_shape != (2,):
        raise MetadataError(
            f"{label}: {PREFIX}data = {data!r} is a 2D data set, but input 'x' holds {list(data_shape)} per sample"
        )
    data_range = _range(label, raw["data_range"]) if raw.get("data_range") else None
    spacing = (
        _choice(label, "timestep_spacing", raw["timestep_spacing"], SPACINGS) if raw.get("timestep_spacing") else None
    )
    offset = 0
    if raw.get("steps_offset"):
        offset = _int(label, "steps_offset", raw["steps_offset"], steps - 1) if raw["steps_offset"] != "0" else 0
    return ModelMetadata(
        name=raw.get("name") or default_name,
        description=raw.get("description", ""),
        prediction_type=prediction_type,
        train_schedule=schedule,
        time_input=time_input,
        data=data,
        data_range=data_range,
        clip_sample=_bool(label, "clip_sample", get("clip_sample")),
        raw=raw,
        notices=tuple(notices),
        timestep_spacing=spacing,
        steps_offset=offset,
        time_shape=_choice(label, "time_shape", raw["time_shape"], TIME_SHAPES) if raw.get("time_shape") else "batch",
    )


def _time_input(label: str, value: str | None, t_dtype: str) -> TimeInput:
    """``index`` ↔ int64 t, ``continuous`` ↔ float32 t; an index model may still take its t as float32."""
    if value is None:
        return "index" if t_dtype == "int64" else "continuous"
    kind = _choice(label, "time_input", value, ("index", "continuous"))
    if kind == "continuous" and t_dtype != "float32":
        raise MetadataError(f"{label}: {PREFIX}time_input = 'continuous' needs a float32 't', but 't' is {t_dtype}")
    return "index" if kind == "index" else "continuous"


def as_dict(meta: ModelMetadata) -> dict[str, Any]:
    """The metadata with defaults filled in, keyed without the ``diffviz.`` prefix (for ``diffviz info``)."""
    sched = meta.train_schedule.config
    return {
        "name": meta.name,
        "description": meta.description,
        "prediction_type": meta.prediction_type,
        "num_train_timesteps": sched["num_steps"],
        "beta_schedule": sched["name"],
        "beta_start": sched["beta_start"],
        "beta_end": sched["beta_end"],
        "time_input": meta.time_input,
        "data": meta.data,
        "data_range": meta.data_range,
        "clip_sample": meta.clip_sample,
        "timestep_spacing": meta.timestep_spacing,
        "steps_offset": meta.steps_offset,
        "time_shape": meta.time_shape,
    }
