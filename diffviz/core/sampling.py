"""The sampling driver: runs one sampler over a model and a schedule, recording a :class:`Trajectory`.

``SamplingRun`` is the iterator form (a viewer iterates it and draws each step as it lands); :func:`sample` is
the one-call form with a per-step callback and a cancel flag.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

import numpy as np

from .denoiser import Denoiser, trained_alpha_bar
from .noise import DEFAULT_NOISE_METHOD, check_method, standard_normal
from .parameterization import Prediction, check_prediction_type, prediction_from, prediction_through
from .run_params import ModelIdentity, RunParams
from .samplers import Plan, get_sampler
from .schedule import Schedule
from .trajectory import Trajectory

DEFAULT_FIELD_GRID = 32
DEFAULT_FIELD_EXTENT = (-4.0, 4.0, -4.0, 4.0)


class SamplingCancelled(Exception):
    """Raised by :func:`sample` when its cancel flag is set; ``trajectory`` holds the steps done so far."""

    def __init__(self, trajectory: Trajectory) -> None:
        super().__init__(f"sampling cancelled after {trajectory.steps_done} of {trajectory.num_steps} steps")
        self.trajectory = trajectory


class ModelOutputError(RuntimeError):
    """The model returned something unusable (NaN/Inf, wrong shape) during sampling."""


def field_grid_points(grid: int, extent: tuple[float, float, float, float]) -> np.ndarray:
    """Cell-centre points of a grid × grid lattice over (x0, x1, y0, y1), row-major with y outermost."""
    x0, x1, y0, y1 = extent
    xs = x0 + (np.arange(grid) + 0.5) * (x1 - x0) / grid
    ys = y0 + (np.arange(grid) + 0.5) * (y1 - y0) / grid
    gx, gy = np.meshgrid(xs, ys)
    return np.stack([gx.ravel(), gy.ravel()], axis=1).astype(np.float32)


def model_identity(model: Denoiser) -> dict[str, Any]:
    """Name, prediction type and (where the model has one) a content hash, saved with each run (from its card)."""
    card = model.card
    ident = {"name": card.name, "prediction_type": card.prediction_type}
    if card.sha256:
        ident["sha256"] = card.sha256
    return ident


class _Noise:
    """Standard normal draws for step k, draw j: from the generator lazily (by ``method``), or from an injected
    array."""

    def __init__(
        self, rng: np.random.Generator, shape: tuple[int, ...], injected: np.ndarray | None, draws: int, method: str
    ) -> None:
        self.rng, self.shape, self.injected, self.draws, self.method = rng, shape, injected, draws, method

    def __call__(self, k: int, j: int) -> np.ndarray:
        if self.injected is None:
            return standard_normal(self.rng, self.shape, self.method)
        return self.injected[k] if self.draws == 1 else self.injected[k, j]


class SamplingRun:
    """Iterate to advance one step at a time; each iteration yields the index of the step just filled.

    Everything is checked here, before the first step: the sampler's options (declared in ``SAMPLERS``), n, the
    shapes of injected x_T and noise.
    """

    def __init__(
        self,
        model: Denoiser,
        schedule: Schedule,
        sampler: str = "ddpm",
        *,
        n: int = 1000,
        seed: int = 0,
        x_T: np.ndarray | None = None,
        noise: np.ndarray | None = None,
        field_grid: int | None = None,
        field_extent: tuple[float, float, float, float] = DEFAULT_FIELD_EXTENT,
        field_lazy: bool = False,
        noise_method: str = DEFAULT_NOISE_METHOD,
        **options: Any,
    ) -> None:
        check_method(noise_method)  # before anything is allocated
        spec = get_sampler(sampler)
        options = spec.validate(sampler, options)
        check_prediction_type(model.prediction_type)
        self.model, self.schedule, self.options = model, schedule, options
        self.plan = Plan.from_schedule(schedule)
        K = self.plan.num_steps
        shape = tuple(model.data_shape)
        rng = np.random.default_rng(seed)
        x_T_injected = x_T is not None
        if x_T is None:
            if n < 1:
                raise ValueError(f"n must be ≥ 1, got {n}")
            x_T = rng.standard_normal((n, *shape), dtype=np.float32)
        else:
            x_T = np.asarray(x_T, dtype=np.float32)
            if x_T.shape[1:] != shape:
                raise ValueError(f"x_T has shape {x_T.shape}; the model needs (N, {', '.join(map(str, shape))})")
            n = len(x_T)
        draws = spec.draws_per_step(options)
        if noise is not None:
            noise = np.asarray(noise, dtype=np.float32)
            want = (K, *x_T.shape) if draws == 1 else (K, draws, *x_T.shape)
            if draws == 0 or noise.shape != want:
                raise ValueError(
                    f"sampler {sampler!r} takes noise of shape {want if draws else 'none'}, got {noise.shape}"
                )
        self._noise = _Noise(rng, x_T.shape, noise, draws, noise_method)
        if field_grid is None and shape == (2,):
            field_grid = DEFAULT_FIELD_GRID
        points = field_grid_points(field_grid, field_extent) if field_grid and shape == (2,) else None
        ident = model_identity(model)
        params = RunParams(
            sampler=sampler,
            options=options,
            seed=seed,
            n=n,
            schedule_config=dict(schedule.config),
            schedule_betas=schedule.betas.copy(),
            schedule_timesteps=schedule.timesteps.copy(),
            model=ModelIdentity(str(ident["name"]), str(ident["prediction_type"]), ident.get("sha256")),
            x_T_injected=x_T_injected,
            noise_injected=noise is not None,
            noise_method=noise_method,
            field_grid=field_grid if points is not None else None,
            field_extent=tuple(map(float, field_extent)) if points is not None else None,  # type: ignore[arg-type]
        )
        self.trajectory = Trajectory.allocate(K, x_T, self.plan.alpha_bar, self.plan.alpha_bar_prev, params, points)
        self._steps = spec.fn(self._predict, x_T.copy(), self.plan, self._noise, **options)
        # lazy: the score-field grid is evaluated only for the steps someone looks at (ensure_field), not for
        # every step of every run (at the window's 2,000 particles it was a third of the model's work)
        self._field_lazy = field_lazy and points is not None
        self._field_done = np.zeros(K, bool)
        self._field_lock = threading.Lock()
        if self._field_lazy:
            assert self.trajectory.field_eps_stored is not None
            self.trajectory.field_eps_stored.fill(np.nan)  # not evaluated yet

    def _evaluate(self, x: np.ndarray, alpha_bar: float, step: int | None = None) -> tuple[np.ndarray, float, bool]:
        """The model's raw output at noise level ᾱ, checked for shape and finiteness; with its time and clamp flag
        (``step``: the step it is for, in messages; default the step being sampled)."""
        t, clamped = self.model.model_time(float(alpha_bar))
        out = np.asarray(self.model(x, t))
        if out.shape != x.shape:
            raise ModelOutputError(f"model {self.model.name} returned shape {out.shape} for input {x.shape}")
        if not np.all(np.isfinite(out)):
            k = self.trajectory.steps_done if step is None else step
            raise ModelOutputError(
                f"model {self.model.name} returned NaN/Inf at step {k + 1} (ᾱ = {alpha_bar:.4g}, model time {t:g})"
            )
        return out, t, clamped

    def _predict(self, x: np.ndarray, alpha_bar: float) -> Prediction:
        """Evaluate the model at noise level ᾱ (what the samplers call).

        The score field of step k is ε̂ on the grid at ᾱ_t, whatever x is: it rides along (one batched call) with
        the step's first call at ᾱ_t, whichever of the sampler's calls that is.
        """
        k = self.trajectory.steps_done
        with_field = k < self.plan.num_steps and alpha_bar == self.plan.alpha_bar[k] and self._field_due(k)
        points = self.trajectory.field_points if with_field else None
        batch = x if points is None else np.concatenate([x.astype(np.float32, copy=False), points])
        out, t, clamped = self._evaluate(batch, alpha_bar)
        if points is not None:
            self._store_field(k, out[len(x) :], alpha_bar, t, clamped)
        return self._prediction(out[: len(x)], x, alpha_bar, t, clamped)

    def _prediction(self, out: np.ndarray, x: np.ndarray, alpha_bar: float, t: float, clamped: bool) -> Prediction:
        """ε̂, s, x̂_0 from the model's output; at a clamped level through the model's own ᾱ (x̂_0 stays bounded)."""
        train = self.model.train_schedule
        if clamped and train is not None:
            return prediction_through(self.model.prediction_type, out, x, alpha_bar, trained_alpha_bar(train, t))
        return prediction_from(self.model.prediction_type, out, x, alpha_bar)

    def _field_due(self, k: int) -> bool:
        """Whether step k's field is still to be evaluated while sampling (an eager run's, not stored yet)."""
        return self.trajectory.field_points is not None and not self._field_lazy and not self._field_done[k]

    def _store_field(self, k: int, out: np.ndarray, alpha_bar: float, t: float, clamped: bool) -> None:
        tr = self.trajectory
        field_eps = tr.field_eps_stored
        assert tr.field_points is not None and field_eps is not None
        field_eps[k] = self._prediction(out, tr.field_points, alpha_bar, t, clamped).eps_hat
        self._field_done[k] = True

    def _fill_field(self, k: int) -> None:
        """Evaluate step k's field on its own (no call of the sampler carried it)."""
        points = self.trajectory.field_points
        assert points is not None
        a = float(self.plan.alpha_bar[k])
        out, t, clamped = self._evaluate(points, a, step=k)
        self._store_field(k, out, a, t, clamped)

    def ensure_field(self, k: int) -> None:
        """The score-field grid of step ``k`` (a step already sampled): evaluated now if the run is lazy and has
        not yet; safe to call from another thread than the one iterating."""
        tr = self.trajectory
        if tr.field_points is None or not 0 <= k < tr.steps_done or self._field_done[k]:
            return
        with self._field_lock:
            if not self._field_done[k]:
                self._fill_field(k)

    def move_field(self, extent: tuple[float, float, float, float]) -> bool:
        """Put a lazy run's score-field grid over ``extent`` (the window's zoom): the same G×G points, moved; every
        step's field is evaluated again when next shown. The particles are untouched. False for an eager run (its
        fields are all computed, or being computed, on the old grid) or a run without a field."""
        tr = self.trajectory
        field_eps = tr.field_eps_stored
        if not self._field_lazy or tr.field_points is None or field_eps is None:
            return False
        grid = tr.params.field_grid
        assert grid is not None
        with self._field_lock:
            tr.field_points = field_grid_points(grid, extent)
            field_eps.fill(np.nan)
            self._field_done[:] = False
            tr.params = replace(tr.params, field_extent=tuple(map(float, extent)))  # type: ignore[arg-type]
        return True

    def ensure_fields(self) -> None:
        """Every sampled step's field (before a lazy run is saved)."""
        for k in range(self.trajectory.steps_done):
            self.ensure_field(k)

    def __iter__(self) -> Iterator[int]:
        return self

    def __next__(self) -> int:
        step = next(self._steps)  # StopIteration ends the run
        tr = self.trajectory
        k = tr.steps_done
        a_t = float(self.plan.alpha_bar[k])
        tr.x[k + 1] = step.x
        tr.eps_hat[k] = step.prediction.eps_hat  # the step's own prediction at (x_t, ᾱ_t), as the sampler says
        if tr.x0 is not None:
            tr.x0[k] = step.prediction.x0_hat  # as prediction_from computed it: exact where ᾱ is tiny
        tr.model_time[k], tr.clamped[k] = self.model.model_time(a_t)
        if self._field_due(k):  # the sampler made no call at ᾱ_t in this step
            self._fill_field(k)
        tr.steps_done = k + 1
        return k


CancelFlag = threading.Event | Callable[[], bool]


def _is_set(cancel: CancelFlag | None) -> bool:
    if cancel is None:
        return False
    return cancel.is_set() if isinstance(cancel, threading.Event) else bool(cancel())


def sample(
    model: Denoiser,
    schedule: Schedule,
    sampler: str = "ddpm",
    *,
    n: int = 1000,
    seed: int = 0,
    x_T: np.ndarray | None = None,
    noise: np.ndarray | None = None,
    callback: Callable[[Trajectory, int], None] | None = None,
    cancel: CancelFlag | None = None,
    field_lazy: bool = True,
    **options: Any,
) -> Trajectory:
    """Run a reverse sampler and return the whole :class:`Trajectory`.

    A 2D model's score field on the grid (``field_grid``, ``field_extent``) is evaluated on demand by default: a
    step's when it is first read (``trajectory.field_score_at(k)``), every step's on reading ``field_eps`` or saving
    the run, so sampling costs only the particles' model calls. ``field_lazy=False`` evaluates it at every step
    while sampling, in the same model call as the particles (cheaper when every step's field will be read).

    ``x_T`` (N, …) and ``noise`` ((K, N, …), or (K, draws, N, …) for ``pc``) inject the exact random numbers;
    ``callback(trajectory, k)`` runs after each step; setting ``cancel`` stops the run with
    :class:`SamplingCancelled`. Sampler options use diffusers' names (``variance_type``, ``clip_sample``, ``eta``…).
    """
    run = SamplingRun(model, schedule, sampler, n=n, seed=seed, x_T=x_T, noise=noise, field_lazy=field_lazy, **options)
    if field_lazy:
        run.trajectory.field_on_demand(run)
    for k in run:
        if callback is not None:
            callback(run.trajectory, k)
        if _is_set(cancel):
            raise SamplingCancelled(run.trajectory)
    return run.trajectory


def rerun(trajectory: Trajectory, model: Denoiser) -> Trajectory:
    """Sample again with everything a saved run recorded; gives the same arrays bit for bit."""
    p = trajectory.params
    if p.noise_injected:
        raise ValueError("this run used injected noise, which is not saved; it cannot be re-run from its seed")
    x_T = trajectory.x[0] if p.x_T_injected else None
    options: dict[str, Any] = dict(p.options)
    return sample(
        model,
        p.schedule(),
        p.sampler,
        n=p.n,
        seed=p.seed,
        x_T=x_T,
        field_grid=p.field_grid or 0,
        field_extent=p.field_extent or DEFAULT_FIELD_EXTENT,
        noise_method=p.noise_method,
        **options,
    )


def file_sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
