"""diffviz: see diffusion models work — score fields, ε estimates and Tweedie denoising, step by step.

Library surface for notebooks::

    from diffviz import Schedule, load_model, sample
    model = load_model("moons")
    run = sample(model, Schedule.from_name("linear", 1000), "ddpm", n=2000, seed=0)

``import diffviz`` loads numpy only: onnxruntime is imported on the first ``load_model``, Qt only by the app.
"""

from __future__ import annotations

from typing import Any

from .core import GaussianMixture, SamplingCancelled, SamplingRun, Schedule, Trajectory, sample

__version__ = "0.1.0"
__all__ = ["GaussianMixture", "SamplingCancelled", "SamplingRun", "Schedule", "Trajectory", "load_model", "sample"]


def __getattr__(name: str) -> Any:
    if name == "load_model":  # lazy: keeps onnxruntime out of `import diffviz`
        from .runtime import load_model

        return load_model
    raise AttributeError(f"module 'diffviz' has no attribute {name!r}")
