"""A recorded sampling run: every x_t, the model's ε̂ at each step, and what is needed to reproduce it.

Only x and ε̂ are stored; the score and x̂_0 are derived on demand (math.md: s = −ε̂/√(1−ᾱ),
x̂_0 = (x_t − √(1−ᾱ) ε̂)/√ᾱ), so nothing is kept twice.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .atomic import atomic_path
from .parameterization import score_from_eps, x0_from_eps
from .run_params import RunParams, RunParamsError

REQUIRED_ARRAYS = ("x", "eps_hat", "alpha_bar", "alpha_bar_prev", "model_time", "clamped", "steps_done", "params")


@dataclass(eq=False)
class Trajectory:
    """Arrays in sampling order: step k = 0 is the noisiest.

    - ``x``          (K+1, N, …) float32: x[0] = x_T, x[k+1] = result of step k, x[K] = the sample
    - ``eps_hat``    (K, N, …)   float32: ε̂ at (x[k], ᾱ[k])
    - ``alpha_bar``, ``alpha_bar_prev`` (K,): the sampling schedule's ᾱ_t and ᾱ_{t−1}
    - ``model_time`` (K,): the time the model was queried at; ``clamped`` (K,): outside its trained range
    - ``field_points`` (G·G, 2) and ``field_eps`` (K, G·G, 2): ε̂ on a grid, for 2D models
    - ``steps_done``: how many steps are filled (a run being computed, or one that was cancelled)
    """

    x: np.ndarray
    eps_hat: np.ndarray
    alpha_bar: np.ndarray
    alpha_bar_prev: np.ndarray
    model_time: np.ndarray
    clamped: np.ndarray
    params: RunParams
    field_points: np.ndarray | None = None
    field_eps: np.ndarray | None = None
    steps_done: int = 0

    @classmethod
    def allocate(
        cls,
        num_steps: int,
        x_T: np.ndarray,
        alpha_bar: np.ndarray,
        alpha_bar_prev: np.ndarray,
        params: RunParams,
        field_points: np.ndarray | None = None,
    ) -> Trajectory:
        x = np.empty((num_steps + 1, *x_T.shape), dtype=np.float32)
        x[0] = x_T
        field_eps = None
        if field_points is not None:
            field_eps = np.empty((num_steps, *field_points.shape), dtype=np.float32)
        return cls(
            x=x,
            eps_hat=np.empty((num_steps, *x_T.shape), dtype=np.float32),
            alpha_bar=np.asarray(alpha_bar, np.float64),
            alpha_bar_prev=np.asarray(alpha_bar_prev, np.float64),
            model_time=np.full(num_steps, np.nan),
            clamped=np.zeros(num_steps, bool),
            params=params,
            field_points=field_points,
            field_eps=field_eps,
        )

    # ---- shape ----------------------------------------------------------------------------------------------
    @property
    def num_steps(self) -> int:
        return int(self.eps_hat.shape[0])

    @property
    def num_particles(self) -> int:
        return int(self.x.shape[1])

    @property
    def data_shape(self) -> tuple[int, ...]:
        return tuple(self.x.shape[2:])

    @property
    def complete(self) -> bool:
        return self.steps_done == self.num_steps

    @property
    def sample(self) -> np.ndarray:
        """x_0, the result of the last completed step."""
        return self.x[self.steps_done]

    # ---- derived quantities ----------------------------------------------------------------------------------
    def _ab(self, k: int | slice) -> Any:
        a = self.alpha_bar[k]
        return a if np.ndim(a) == 0 else a.reshape(-1, *([1] * (self.x.ndim - 1)))

    def score_at(self, k: int) -> np.ndarray:
        """s_θ(x_t, t) at step k: −ε̂/√(1−ᾱ)."""
        return score_from_eps(self.eps_hat[k], float(self.alpha_bar[k])).astype(np.float32)

    def x0_hat_at(self, k: int) -> np.ndarray:
        """Tweedie's x̂_0 at step k."""
        return x0_from_eps(self.eps_hat[k], self.x[k], float(self.alpha_bar[k])).astype(np.float32)

    @property
    def score(self) -> np.ndarray:
        return score_from_eps(self.eps_hat, self._ab(slice(None))).astype(np.float32)

    @property
    def x0_hat(self) -> np.ndarray:
        return x0_from_eps(self.eps_hat, self.x[:-1], self._ab(slice(None))).astype(np.float32)

    def field_score_at(self, k: int) -> np.ndarray | None:
        """The score field on the grid at step k, (G·G, 2), or None for non-2D models."""
        if self.field_eps is None:
            return None
        return score_from_eps(self.field_eps[k], float(self.alpha_bar[k])).astype(np.float32)

    # ---- persistence -----------------------------------------------------------------------------------------
    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write an ``.npz`` atomically (temporary file, then rename): no half-written run is ever left."""
        path = Path(path)
        arrays: dict[str, Any] = dict(
            x=self.x,
            eps_hat=self.eps_hat,
            alpha_bar=self.alpha_bar,
            alpha_bar_prev=self.alpha_bar_prev,
            model_time=self.model_time,
            clamped=self.clamped,
            steps_done=np.int64(self.steps_done),
            params=np.array(json.dumps(self.params.to_dict())),
        )
        if self.field_points is not None and self.field_eps is not None:
            arrays.update(field_points=self.field_points, field_eps=self.field_eps)
        try:
            with atomic_path(path) as tmp, open(tmp, "wb") as f:
                np.savez(f, **arrays)
        except FileNotFoundError as exc:
            raise FileNotFoundError(f"cannot save run: {exc}") from None
        return path

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Trajectory:
        """Read a run written by :meth:`save`; a file that is not one raises ValueError saying so."""
        try:
            with np.load(path, allow_pickle=False) as z:
                data = {k: z[k] for k in z.files}
        except (OSError, ValueError, EOFError) as exc:
            raise ValueError(f"{path} is not a diffviz run (.npz): {exc}") from exc
        missing = set(REQUIRED_ARRAYS) - set(data)
        if missing:
            raise ValueError(f"{path} is not a diffviz run: missing {', '.join(sorted(missing))}")
        try:
            params = RunParams.from_dict(json.loads(str(data.pop("params"))))
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path} is not a diffviz run: its params are not JSON ({exc})") from None
        except RunParamsError as exc:
            raise ValueError(f"{path} cannot be read as a diffviz run: {exc}") from None
        return cls(
            x=data["x"],
            eps_hat=data["eps_hat"],
            alpha_bar=data["alpha_bar"],
            alpha_bar_prev=data["alpha_bar_prev"],
            model_time=data["model_time"],
            clamped=data["clamped"],
            params=params,
            field_points=data.get("field_points"),
            field_eps=data.get("field_eps"),
            steps_done=int(data["steps_done"]),
        )
