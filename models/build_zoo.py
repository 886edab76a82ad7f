"""Rebuild every bundled model from fixed seeds, measure it, and write ``zoo.json``, ``figures.json`` and the
cards in ``README.md``::

    python -m diffviz.zoo.build_zoo                 # everything (≈ 25 min on 2 CPU cores)
    python -m diffviz.zoo.build_zoo --only rings    # one model; the others' figures are kept
    python -m diffviz.zoo.build_zoo --cards-only    # rewrite zoo.json, and README.md from figures.json

Same torch version + same CPU kind → the same weights (seeded, deterministic algorithms, fixed thread counts).
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from diffviz.core.atomic import atomic_write

from . import ZOO_DIR
from .cards import render_readme
from .config import TrainConfig, default_config
from .data import data_modality


@dataclass(frozen=True)
class ZooEntry:
    name: str
    data: str
    prediction_type: str
    description: str
    schedule: str = "linear"
    overrides: dict[str, Any] = field(default_factory=dict)

    def config(self) -> TrainConfig:
        return default_config(self.data, prediction_type=self.prediction_type, schedule=self.schedule, **self.overrides)


ZOO = (
    ZooEntry("swiss_roll", "swiss_roll", "epsilon", "Swiss roll, ε-prediction: the default first look"),
    ZooEntry("moons", "moons", "epsilon", "two moons, ε-prediction"),
    ZooEntry(
        "8gaussians",
        "8gaussians",
        "v_prediction",
        "8 Gaussians on a circle, v-prediction, cosine schedule (compare with the exact analytic:8gaussians)",
        schedule="squaredcos_cap_v2",
    ),
    ZooEntry("checkerboard", "checkerboard", "v_prediction", "checkerboard, v-prediction"),
    ZooEntry("rings", "rings", "score", "two rings, predicts the score s_θ directly"),
    ZooEntry(
        "spiral",
        "spiral",
        "sample",
        "two-armed spiral, predicts x̂_0 (sample)",
        overrides=dict(steps=60_000, batch_size=1024),  # 20k × 512 left DDPM at 1.48× the data floor; now 1.2×
    ),
    ZooEntry("digits", "digits", "epsilon", "scikit-learn's 8×8 digits shown at 16×16, ε-prediction, UNet"),
    ZooEntry(
        "8gaussians_eps_cosine",
        "8gaussians",
        "epsilon",
        "teaching model: ε-prediction on the cosine schedule, whose ᾱ_T ≈ 0 makes DDIM (η = 0) fail on purpose "
        "(the terminal-SNR flaw, Lin et al. 2024); DDPM still works",
        schedule="squaredcos_cap_v2",
    ),
)
TEACHING = {"8gaussians_eps_cosine"}  # flawed on purpose: exempt from the sampler-quality bound
DEFAULT = "swiss_roll"
FIGURES = "figures.json"
SAMPLE_SEED = 7
N_2D = 5000
N_DIGITS = 500


def zoo_json(entries: tuple[ZooEntry, ...] = ZOO, default: str = DEFAULT) -> dict[str, Any]:
    """The index the runtime reads (keep this exact shape)."""
    return {
        "default": default,
        "models": {
            e.name: {
                "file": f"{e.name}.onnx",
                "data": e.data,
                "modality": data_modality(e.data),
                "prediction_type": e.prediction_type,
                "description": e.description,
            }
            for e in entries
        },
    }


def load_seconds(path: Path, repeats: int = 3) -> float:
    """Best-of-``repeats`` wall time of ``diffviz.runtime.load_model`` (session, contract check, probe run)."""
    from diffviz.runtime import load_model

    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        load_model(path)
        best = min(best, time.perf_counter() - start)
    return best


def first_load_seconds(path: Path) -> float:
    """``load_model`` time in a fresh Python process (onnxruntime imported first, not counted)."""
    code = (
        "import sys, time\nfrom diffviz.runtime import load_model\nstart = time.perf_counter()\n"
        "load_model(sys.argv[1])\nprint(time.perf_counter() - start)"
    )
    proc = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, check=True)
    return float(proc.stdout.split()[-1])


def measure(entry: ZooEntry, path: Path) -> dict[str, Any]:
    """Quality figures of a built model, sampled through diffviz's own engine and ONNX Runtime."""
    from diffviz.runtime import load_model

    from .quality import classifier_reference, digits_figures, final_samples, sampler_figures, swd_figures

    model = load_model(path)
    out: dict[str, Any] = {}
    if data_modality(entry.data) == "image":
        out["classifier"] = classifier_reference()
        for steps in (1000, 100):
            start = time.perf_counter()
            x = final_samples(
                model,
                N_DIGITS,
                steps=steps,
                seed=SAMPLE_SEED,
                chunk=100,
                clip_sample=bool(getattr(model, "clip_sample", False)),
            )
            out[f"ddpm_{steps}"] = dict(asdict(digits_figures(x)), seconds=time.perf_counter() - start)
    else:
        start = time.perf_counter()
        x = final_samples(model, N_2D, seed=SAMPLE_SEED)
        out["ddpm_1000"] = dict(asdict(swd_figures(x, entry.data)), seconds=time.perf_counter() - start)
        out["samplers"] = sampler_figures(model, entry.data)
    return out


def untrained_swd(data: str = "moons") -> float:
    """SW_1 of DDPM samples from an untrained (randomly initialised) network: what the 2D bound must reject."""
    from diffviz.runtime import load_model

    from .export import export_onnx
    from .model import build_model
    from .pipeline import config_metadata, example_input
    from .quality import final_samples, swd_figures
    from .training import deterministic_torch

    config = default_config(data)
    with deterministic_torch(0, 1), tempfile.TemporaryDirectory() as tmp:
        model = build_model(config).eval()
        path = Path(tmp) / "untrained.onnx"
        export_onnx(model, path, example_input(config), config_metadata(config))
        return swd_figures(final_samples(load_model(path), N_2D, seed=SAMPLE_SEED), data).model


def build_one(entry: ZooEntry, out_dir: Path, *, evaluate: bool, progress: bool) -> dict[str, Any]:
    from .nets import count_parameters
    from .pipeline import train_and_export

    config = entry.config()
    path = out_dir / f"{entry.name}.onnx"
    built = train_and_export(
        config, path, name=entry.name, description=entry.description, progress=progress, loss_csv=False
    )
    losses = built.result.losses
    fig: dict[str, Any] = dict(
        config=config.as_dict(),
        parameters=count_parameters(built.result.model.net),
        train_seconds=built.result.seconds,
        loss_first_500=float(losses[:500].mean()),
        loss_last_500=float(losses[-500:].mean()),
        onnx_max_abs_diff=built.onnx_max_abs_diff,
    )
    return measure_file(entry, path, fig, evaluate=evaluate)


def measure_file(entry: ZooEntry, path: Path, fig: dict[str, Any], *, evaluate: bool) -> dict[str, Any]:
    """Size, load times and (``evaluate``) quality of a built model, added to its figures ``fig``."""
    fig.update(
        file_bytes=path.stat().st_size, load_seconds=load_seconds(path), load_seconds_first=first_load_seconds(path)
    )
    if evaluate:
        fig["quality"] = measure(entry, path)
    return fig


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m diffviz.zoo.build_zoo", description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", nargs="+", choices=[e.name for e in ZOO], help="rebuild only these models")
    parser.add_argument("--out", type=Path, default=ZOO_DIR, help="where to write (default: the zoo folder)")
    parser.add_argument("--no-eval", action="store_true", help="skip the quality figures")
    parser.add_argument(
        "--measure-only",
        action="store_true",
        help="re-measure the built models (sizes, load times, quality) without retraining",
    )
    parser.add_argument(
        "--cards-only", action="store_true", help="only rewrite zoo.json and README.md (from figures.json)"
    )
    parser.add_argument("--no-progress", action="store_true")
    args = parser.parse_args(argv)
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    fig_path = out / FIGURES
    figures: dict[str, Any] = json.loads(fig_path.read_text()) if fig_path.is_file() else {}
    if not args.cards_only:
        figures.setdefault("models", {})
        if not args.measure_only:
            import torch

            figures["environment"] = dict(
                torch=torch.__version__,
                python=platform.python_version(),
                machine=platform.machine(),
                processor=platform.processor() or "unknown",
            )
        for entry in ZOO:
            if args.only and entry.name not in args.only:
                continue
            path = out / f"{entry.name}.onnx"
            if args.measure_only:
                if entry.name not in figures["models"] or not path.is_file():
                    parser.error(f"{entry.name} is not built yet; build it first")
                print(f"measuring {entry.name} …", file=sys.stderr, flush=True)
                measure_file(entry, path, figures["models"][entry.name], evaluate=not args.no_eval)
            else:
                print(f"building {entry.name} …", file=sys.stderr, flush=True)
                figures["models"][entry.name] = build_one(
                    entry, out, evaluate=not args.no_eval, progress=not args.no_progress
                )
            atomic_write(fig_path, json.dumps(figures, indent=1, sort_keys=True) + "\n")
        if not args.no_eval and (not args.only or "untrained_swd_moons" not in figures):
            figures["untrained_swd_moons"] = untrained_swd("moons")
        atomic_write(fig_path, json.dumps(figures, indent=1, sort_keys=True) + "\n")
    atomic_write(out / "zoo.json", json.dumps(zoo_json(), indent=1, ensure_ascii=False) + "\n")
    atomic_write(out / "README.md", render_readme(ZOO, DEFAULT, figures))
    total = sum((out / f"{e.name}.onnx").stat().st_size for e in ZOO if (out / f"{e.name}.onnx").exists())
    print(f"zoo in {out}: {total / 1e6:.2f} MB", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
