"""Noise schedules β_1..β_T and everything derived from them (math.md: "Forward process and schedules").

Indexing follows diffusers: array index ``i = 0..T-1`` holds step ``t = i + 1``; ``alpha_bars_prev[i]`` is
ᾱ_{t-1}, with ᾱ_0 = 1.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

SCHEDULE_NAMES = ("linear", "scaled_linear", "squaredcos_cap_v2", "sigmoid")
SPACINGS = ("leading", "trailing", "linspace")
Spacing = Literal["leading", "trailing", "linspace"]
MAX_TRAIN_TIMESTEPS = 100_000  # a longer schedule is a typo, not a schedule: refuse it before allocating anything
# ᾱ_t below the smallest normal float64 has underflowed (to a subnormal, then to 0): ᾱ_t/ᾱ_{t−1} and 1/√ᾱ_t lose
# their meaning and the samplers' arithmetic turns into 0/0 = NaN.
MIN_ALPHA_BAR = float(np.finfo(np.float64).tiny)


class ScheduleError(ValueError):
    """An invalid schedule: the message names the offending value."""


class NoiseRangeError(ScheduleError):
    """A schedule that leaves the noise levels doubles can hold: ᾱ underflows, or a sub-sampled step's β rounds to 1
    (too many steps, or too large β, for where the schedule ends)."""


def _cosine_betas(num_steps: int, s: float, max_beta: float = 0.999) -> np.ndarray:
    """math.md cosine: f(u) = cos²(((u+s)/(1+s))·π/2), β_t = min(1 − f(t/T)/f((t−1)/T), 0.999)."""

    def f(u: np.ndarray) -> np.ndarray:
        return np.cos((u + s) / (1 + s) * math.pi / 2) ** 2

    t = np.arange(1, num_steps + 1, dtype=np.float64)
    return np.minimum(1 - f(t / num_steps) / f((t - 1) / num_steps), max_beta)


def _betas_from_name(name: str, num_steps: int, beta_start: float, beta_end: float, cosine_s: float) -> np.ndarray:
    if name == "linear":
        return np.linspace(beta_start, beta_end, num_steps, dtype=np.float64)
    if name == "scaled_linear":
        return np.linspace(beta_start**0.5, beta_end**0.5, num_steps, dtype=np.float64) ** 2
    if name == "squaredcos_cap_v2":
        return _cosine_betas(num_steps, cosine_s)
    if name == "sigmoid":
        sigmoid = 1 / (1 + np.exp(-np.linspace(-6, 6, num_steps, dtype=np.float64)))
        return sigmoid * (beta_end - beta_start) + beta_start
    raise ScheduleError(f"unknown schedule {name!r}; valid names: {', '.join(SCHEDULE_NAMES)}")


def validate_betas(betas: Any) -> np.ndarray:
    """Return β as a float64 array, or raise ScheduleError naming the first value outside (0, 1)."""
    b = np.asarray(betas, dtype=np.float64)
    if b.ndim != 1 or b.size < 1:
        raise ScheduleError(f"betas must be a 1-D array with T ≥ 1 entries, got shape {b.shape}")
    bad = np.flatnonzero(~((b > 0) & (b < 1)))  # also catches NaN
    if bad.size:
        i = int(bad[0])
        raise ScheduleError(
            f"beta[{i}] = {float(b[i])!r} (step t={i + 1}) is outside (0, 1); every β_t must lie in (0, 1)"
        )
    return b


def _check_num_steps(label: str, num_steps: int) -> None:
    if num_steps > MAX_TRAIN_TIMESTEPS:
        raise ScheduleError(
            f"{label} = {num_steps} is above the limit of {MAX_TRAIN_TIMESTEPS} steps; no schedule needs that many"
        )


def _power_of_ten(log_value: float) -> str:
    """e^log_value written as m·10^e (it may be far below what a double holds), e.g. ``1.5e-440``."""
    if not math.isfinite(log_value):
        return "0"
    log10 = log_value / math.log(10)
    exponent = math.floor(log10)
    mantissa = 10 ** (log10 - exponent)
    if round(mantissa, 1) >= 10:
        mantissa, exponent = mantissa / 10, exponent + 1
    return f"{mantissa:.1f}e{exponent:+d}"


def _check_alpha_bars(betas: np.ndarray) -> None:
    """Refuse a schedule whose ᾱ_t = ∏(1 − β_s) underflows: the message gives ᾱ_T, its true size and the step."""
    log_alpha_bar = np.cumsum(np.log1p(-betas))  # exact even where ᾱ itself underflows
    under = np.flatnonzero(log_alpha_bar < math.log(MIN_ALPHA_BAR))
    if under.size:
        i = int(under[0])
        raise NoiseRangeError(
            f"the schedule's ᾱ_T = {_power_of_ten(float(log_alpha_bar[-1]))} underflows: ᾱ_t = ∏(1 − β_s) "
            f"falls below {MIN_ALPHA_BAR:.3g}, the smallest normal double, at step t={i + 1} of {betas.size}, so "
            "the noise levels past it cannot be represented and sampling through them gives NaN; use smaller β "
            "(beta_end) or fewer steps T"
        )


@dataclass(frozen=True, eq=False)
class Schedule:
    """A discrete VP noise schedule.

    ``timesteps`` are the training-time indices of the steps (``arange(T)`` for a full schedule; a subset after
    :meth:`subsample`). ``config`` records how it was built, so a saved run can rebuild it by name.
    """

    betas: np.ndarray
    timesteps: np.ndarray
    config: dict[str, Any] = field(default_factory=dict)

    # ---- constructors -------------------------------------------------------------------------------------
    @classmethod
    def from_name(
        cls,
        name: str,
        num_steps: int = 1000,
        beta_start: float = 1e-4,
        beta_end: float = 0.02,
        *,
        cosine_s: float = 0.008,
        rescale: bool = False,
    ) -> Schedule:
        """Build a named schedule (diffusers names).

        ``rescale`` multiplies the linear endpoints by 1000/T (improved-diffusion), so changing T keeps the total
        noise ∑β roughly fixed.
        """
        if isinstance(num_steps, bool) or not isinstance(num_steps, (int, np.integer)) or num_steps < 1:
            raise ScheduleError(f"num_steps must be an integer ≥ 1, got {num_steps!r}")
        _check_num_steps("num_steps", int(num_steps))
        for label, v in (("beta_start", beta_start), ("beta_end", beta_end)):
            if not (0 < v < 1):
                raise ScheduleError(f"{label} = {v!r} is outside (0, 1)")
        if name != "squaredcos_cap_v2" and beta_start > beta_end:
            raise ScheduleError(f"beta_start = {beta_start!r} is larger than beta_end = {beta_end!r}")
        if not (0 <= cosine_s < 1):
            raise ScheduleError(f"cosine_s = {cosine_s!r} is outside [0, 1)")
        start, end = beta_start, beta_end
        if rescale:
            scale = 1000 / num_steps
            start, end = beta_start * scale, beta_end * scale
            if end >= 1:
                raise ScheduleError(
                    f"rescale to T={num_steps} gives beta_end = {end:.4g} ≥ 1; use more steps or a smaller beta_end"
                )
        betas = validate_betas(_betas_from_name(name, int(num_steps), start, end, cosine_s))
        config = dict(
            name=name,
            num_steps=int(num_steps),
            beta_start=beta_start,
            beta_end=beta_end,
            cosine_s=cosine_s,
            rescale=rescale,
        )
        return cls(betas, np.arange(int(num_steps)), config)

    @classmethod
    def from_betas(cls, betas: Any) -> Schedule:
        """A user-given array of β in (0, 1)."""
        b = validate_betas(betas)
        return cls(b, np.arange(b.size), dict(name="custom"))

    @classmethod
    def from_config(cls, config: dict[str, Any], betas: np.ndarray | None = None) -> Schedule:
        """Inverse of ``config`` (plus the β array for custom schedules, and ``subsample`` if recorded)."""
        cfg = dict(config)
        sub = cfg.pop("subsample", None)
        if cfg.get("name") == "custom":
            if betas is None:
                raise ScheduleError("a custom schedule needs its betas array")
            sched = cls.from_betas(betas)
        else:
            keys = ("num_steps", "beta_start", "beta_end")
            sched = cls.from_name(
                cfg["name"],
                *(cfg[k] for k in keys),
                cosine_s=cfg.get("cosine_s", 0.008),
                rescale=cfg.get("rescale", False),
            )
        if sub is not None:
            sched = sched.subsample(sub["num_steps"], sub["spacing"], int(sub.get("steps_offset", 0)))
        return sched

    def __post_init__(self) -> None:
        object.__setattr__(self, "betas", validate_betas(self.betas))
        _check_num_steps("T", self.betas.size)
        _check_alpha_bars(self.betas)
        object.__setattr__(self, "timesteps", np.asarray(self.timesteps, dtype=np.int64))
        if self.timesteps.shape != self.betas.shape:
            raise ScheduleError(f"timesteps shape {self.timesteps.shape} ≠ betas shape {self.betas.shape}")
        for name in ("betas", "timesteps"):
            getattr(self, name).setflags(write=False)

    # ---- derived quantities (math.md) ---------------------------------------------------------------------
    @property
    def num_steps(self) -> int:
        return int(self.betas.size)

    @property
    def alphas(self) -> np.ndarray:
        """α_t = 1 − β_t."""
        return 1.0 - self.betas

    @property
    def alpha_bars(self) -> np.ndarray:
        """ᾱ_t = ∏_{s≤t} α_s."""
        return np.cumprod(self.alphas)

    @property
    def alpha_bars_prev(self) -> np.ndarray:
        """ᾱ_{t−1}, with ᾱ_0 = 1."""
        return np.concatenate([[1.0], self.alpha_bars[:-1]])

    @property
    def beta_tilde(self) -> np.ndarray:
        """Posterior variance β̃_t = (1 − ᾱ_{t−1}) / (1 − ᾱ_t) · β_t."""
        return (1 - self.alpha_bars_prev) / (1 - self.alpha_bars) * self.betas

    @property
    def snr(self) -> np.ndarray:
        """SNR_t = ᾱ_t / (1 − ᾱ_t)."""
        a = self.alpha_bars
        return a / (1 - a)

    @property
    def log_snr(self) -> np.ndarray:
        """log SNR_t, computed stably as log ᾱ_t − log(1 − ᾱ_t)."""
        log_a = np.cumsum(np.log1p(-self.betas))
        return log_a - np.log(-np.expm1(log_a))

    # ---- sub-sampling -------------------------------------------------------------------------------------
    def inference_timesteps(
        self, num_inference_steps: int, spacing: Spacing = "leading", steps_offset: int = 0
    ) -> np.ndarray:
        """Descending indices of the steps to keep, exactly as diffusers' ``set_timesteps`` picks them
        (``steps_offset`` shifts ``leading`` steps, as in diffusers: 1 gives 981…1 for T = 1000, K = 50)."""
        T = self.num_steps
        n = num_inference_steps
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or not (1 <= n <= T):
            raise ScheduleError(f"num_inference_steps must be an integer in [1, {T}], got {n!r}")
        if isinstance(steps_offset, bool) or not isinstance(steps_offset, (int, np.integer)) or steps_offset < 0:
            raise ScheduleError(f"steps_offset must be a whole number ≥ 0, got {steps_offset!r}")
        ts: np.ndarray
        if spacing == "linspace":
            ts = np.linspace(0, T - 1, n).round()[::-1]
        elif spacing == "leading":
            ts = (np.arange(0, n) * (T // n)).round()[::-1] + steps_offset
            if ts[0] > T - 1:
                raise ScheduleError(
                    f"steps_offset {steps_offset} moves the first of {n} leading steps to t = {int(ts[0]) + 1}, past "
                    f"the schedule's T = {T}"
                )
        elif spacing == "trailing":
            ts = np.round(np.arange(T, 0, -T / n)) - 1
        else:
            raise ScheduleError(f"unknown timestep_spacing {spacing!r}; valid: {', '.join(SPACINGS)}")
        return ts.astype(np.int64)

    def subsample(self, num_inference_steps: int, spacing: Spacing = "leading", steps_offset: int = 0) -> Schedule:
        """Keep a subset of steps; α_t is recomputed on it as ᾱ_t / ᾱ_prev (math.md: sub-sampled steps).

        ``steps_offset`` (diffusers' name, ``leading`` spacing only) is recorded in the config when it is not 0."""
        keep = np.sort(self.inference_timesteps(num_inference_steps, spacing, steps_offset))
        a = self.alpha_bars[keep]
        a_prev = np.concatenate([[1.0], a[:-1]])
        betas = 1 - a / a_prev
        self._check_subsampled(num_inference_steps, keep, betas)
        sub: dict[str, Any] = dict(num_steps=int(num_inference_steps), spacing=spacing)
        if steps_offset and spacing == "leading":
            sub["steps_offset"] = int(steps_offset)
        config = dict(self.config, subsample=sub)
        return Schedule(betas, self.timesteps[keep], config)

    def _check_subsampled(self, n: int, keep: np.ndarray, betas: np.ndarray) -> None:
        """Name the cause when a kept step's β = 1 − ᾱ_t/ᾱ_prev rounds to 1 (ᾱ falls by more than double precision
        resolves between two kept steps: the schedule is pure noise long before its end) or to 0."""
        bad = np.flatnonzero(~((betas > 0) & (betas < 1)))
        if not bad.size:
            return
        i = int(bad[0])
        t, a = int(keep[i]) + 1, float(self.alpha_bars[keep[i]])
        t_prev, a_prev = (int(keep[i - 1]) + 1, float(self.alpha_bars[keep[i - 1]])) if i else (0, 1.0)
        where = f"keeping {n} of the {self.num_steps} steps, ᾱ goes from {a_prev:.3g} (t={t_prev}) to {a:.3g} (t={t})"
        if betas[i] >= 1:
            raise NoiseRangeError(
                f"{where} in one step, so that step's β = 1 − ᾱ_t/ᾱ_prev rounds to 1: the schedule reaches pure "
                f"noise long before its end (ᾱ_T = {float(self.alpha_bars[-1]):.3g}); sample more of its steps, or "
                "use a shorter schedule (fewer steps T, smaller β, or rescaled β)"
            )
        raise ScheduleError(f"{where}: ᾱ does not decrease there, so that step's β rounds to 0; keep fewer steps")

    def describe(self) -> str:
        c = self.config
        if c.get("name") in SCHEDULE_NAMES:
            extra = (
                f", s={c['cosine_s']}"
                if c["name"] == "squaredcos_cap_v2"
                else (f", β {c['beta_start']:g}→{c['beta_end']:g}" + (" (rescaled)" if c.get("rescale") else ""))
            )
            text = f"{c['name']} T={c['num_steps']}{extra}"
        else:
            text = f"custom T={self.num_steps}"
        if "subsample" in c:
            sub = c["subsample"]
            offset = f", offset {sub['steps_offset']}" if sub.get("steps_offset") else ""
            text += f", {sub['num_steps']} steps ({sub['spacing']}{offset})"
        return text
