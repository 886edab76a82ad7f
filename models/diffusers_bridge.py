"""Turn a diffusers ``UNet2DModel`` saved by ``save_pretrained`` (and its ``scheduler_config.json``) into a model
that follows the diffviz contract. Accepted layouts: a UNet folder with ``scheduler_config.json`` in it (or in
``scheduler/`` below it), or a pipeline folder (``unet/`` + ``scheduler/``, as ``DDPMPipeline.save_pretrained``
writes it)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from diffviz.core.parameterization import PREDICTION_TYPES
from diffviz.core.schedule import SCHEDULE_NAMES, SPACINGS, Schedule, ScheduleError

# Schedulers whose config describes a discrete VP β schedule, as the contract records it.
NOT_VP_SCHEDULERS = (
    "ScoreSdeVeScheduler",
    "KarrasVeScheduler",
    "ScoreSdeVpScheduler",
    "CMStochasticIterativeScheduler",
)


class DiffusersImportError(ValueError):
    """The folder does not hold a convertible UNet2DModel + scheduler config; the message says what is wrong."""


@dataclass(frozen=True)
class DiffusersSource:
    unet_dir: Path
    scheduler_config: Path
    unet_config: dict[str, Any]
    scheduler: dict[str, Any]


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise DiffusersImportError(f"cannot read {path.name}: {e}") from None
    if not isinstance(data, dict):
        raise DiffusersImportError(f"{path.name} is not a JSON object")
    return data


def locate(folder: str | os.PathLike[str]) -> DiffusersSource:
    """Find the UNet and scheduler configs under ``folder`` and check they describe what the contract can hold."""
    root = Path(folder)
    if not root.is_dir():
        raise DiffusersImportError(f"{str(root)!r} is not a folder (give the folder written by save_pretrained)")
    unet_dir = root / "unet" if (root / "unet" / "config.json").is_file() else root
    if not (unet_dir / "config.json").is_file():
        raise DiffusersImportError(
            f"{str(root)!r} has no config.json (nor unet/config.json): not a model saved by save_pretrained"
        )
    unet_config = _read_json(unet_dir / "config.json")
    cls = unet_config.get("_class_name")
    if cls != "UNet2DModel":
        raise DiffusersImportError(f"{str(unet_dir)!r} holds a {cls or 'model of unknown class'}, not a UNet2DModel")
    candidates = [
        unet_dir / "scheduler_config.json",
        unet_dir / "scheduler" / "scheduler_config.json",
        root / "scheduler" / "scheduler_config.json",
        root / "scheduler_config.json",
    ]
    sched_path = next((p for p in candidates if p.is_file()), None)
    if sched_path is None:
        raise DiffusersImportError(
            f"no scheduler_config.json in {str(root)!r} (nor in scheduler/): save the scheduler the model was "
            "trained with, e.g. DDPMScheduler(...).save_pretrained(folder)"
        )
    return DiffusersSource(unet_dir, sched_path, unet_config, _read_json(sched_path))


def _check_unet_config(cfg: dict[str, Any]) -> None:
    if cfg.get("class_embed_type") is not None or cfg.get("num_class_embeds") is not None:
        raise DiffusersImportError(
            "class-conditional UNet2DModel (class_embed_type/num_class_embeds set) is not "
            "supported: the contract has no class-label input"
        )
    if cfg.get("time_embedding_type", "positional") != "positional":
        raise DiffusersImportError(
            f"time_embedding_type {cfg['time_embedding_type']!r} is not supported: the "
            "contract's t is a DDPM step index (positional embedding)"
        )
    if cfg.get("in_channels", 3) != cfg.get("out_channels", 3):
        raise DiffusersImportError(
            f"in_channels {cfg.get('in_channels')} ≠ out_channels {cfg.get('out_channels')}: "
            "the contract's output must be shaped like x"
        )


def scheduler_fields(scheduler: dict[str, Any]) -> dict[str, Any]:
    """prediction_type, schedule and clip_sample from a scheduler config (diffusers' defaults where missing)."""
    cls = scheduler.get("_class_name", "")
    if cls in NOT_VP_SCHEDULERS or "beta_schedule" not in scheduler:
        raise DiffusersImportError(
            f"scheduler {cls or '(unnamed)'} has no DDPM β schedule (beta_schedule, "
            "beta_start, beta_end); the contract needs one"
        )
    if scheduler.get("trained_betas") is not None:
        raise DiffusersImportError(
            "the scheduler uses trained_betas (a custom β array); the contract records "
            "named schedules only: " + ", ".join(SCHEDULE_NAMES)
        )
    name = scheduler["beta_schedule"]
    if name not in SCHEDULE_NAMES:
        raise DiffusersImportError(f"beta_schedule {name!r} is not one the contract knows: {', '.join(SCHEDULE_NAMES)}")
    kind = scheduler.get("prediction_type", "epsilon")
    if kind not in PREDICTION_TYPES:
        raise DiffusersImportError(f"prediction_type {kind!r} is not one of {', '.join(PREDICTION_TYPES)}")
    if scheduler.get("rescale_betas_zero_snr"):
        raise DiffusersImportError("rescale_betas_zero_snr is not supported (ᾱ_T = 0 has no finite score)")
    try:
        schedule = Schedule.from_name(
            name,
            int(scheduler.get("num_train_timesteps", 1000)),
            float(scheduler.get("beta_start", 1e-4)),
            float(scheduler.get("beta_end", 0.02)),
        )
    except (ScheduleError, TypeError, ValueError) as e:
        raise DiffusersImportError(f"the scheduler config gives an invalid schedule: {e}") from None
    spacing = scheduler.get("timestep_spacing", "leading")  # diffusers' default
    if spacing not in SPACINGS:
        raise DiffusersImportError(f"timestep_spacing {spacing!r} is not one of {', '.join(SPACINGS)}")
    offset = scheduler.get("steps_offset", 0)
    if isinstance(offset, bool) or not isinstance(offset, int) or not 0 <= offset < schedule.num_steps:
        raise DiffusersImportError(f"steps_offset {offset!r} is not a step index in [0, {schedule.num_steps})")
    return dict(
        prediction_type=kind,
        schedule=schedule,
        clip_sample=bool(scheduler.get("clip_sample", True)),
        clip_sample_range=float(scheduler.get("clip_sample_range", 1.0)),
        timestep_spacing=spacing,
        steps_offset=offset,
    )


def contract_module(unet: Any) -> Any:
    """``module(x, t) -> unet(x, t).sample`` as a torch module (torch is imported here, not at module import)."""
    import torch

    class UNetForContract(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.unet = unet

        def forward(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
            return self.unet(x, t, return_dict=False)[0]

    return UNetForContract().eval()


def import_unet(
    folder: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    name: str | None = None,
    description: str | None = None,
    data: str | None = None,
    atol: float = 1e-4,
) -> tuple[dict[str, str], float]:
    """Convert, check and write ``out``; returns the metadata written and the ONNX-vs-torch max abs diff."""
    source = locate(folder)
    _check_unet_config(source.unet_config)
    fields = scheduler_fields(source.scheduler)
    import torch
    from diffusers import UNet2DModel

    from .export import contract_metadata, export_onnx

    try:
        unet = UNet2DModel.from_pretrained(str(source.unet_dir), low_cpu_mem_usage=False)
    except (OSError, ValueError, RuntimeError, KeyError, TypeError) as e:
        raise DiffusersImportError(
            f"diffusers cannot load the UNet2DModel in {str(source.unet_dir)!r}: "
            f"{str(e).splitlines()[0] if str(e) else type(e).__name__}"
        ) from None
    cfg = unet.config
    size = cfg.sample_size if cfg.sample_size is not None else 32
    h, w = (size, size) if isinstance(size, int) else tuple(size)
    r = fields["clip_sample_range"]
    meta = contract_metadata(
        prediction_type=fields["prediction_type"],
        schedule=fields["schedule"],
        data=data,
        data_range=(-r, r),
        clip_sample=fields["clip_sample"],
        name=name or Path(folder).resolve().name,
        description=description or f"UNet2DModel imported from diffusers ({Path(folder).resolve().name})",
    )
    meta["diffviz.timestep_spacing"] = fields["timestep_spacing"]  # how its pipeline sub-samples the steps
    meta["diffviz.steps_offset"] = str(fields["steps_offset"])
    module = contract_module(unet)
    example = torch.zeros((2, int(cfg.in_channels), int(h), int(w)))
    diff = export_onnx(module, out, example, meta, atol=atol, batches=(1, 3))
    return meta, diff
