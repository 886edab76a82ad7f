"""The training loop: denoising regression onto the target of the chosen prediction type (DDPM, Ho et al. 2020,
algorithm 1), AdamW with warm-up and cosine decay, gradient clipping, and an exponential moving average of the
weights (the EMA weights are the ones exported)."""

from __future__ import annotations

import contextlib
import copy
import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
import torch

from .config import TrainConfig
from .data import load_data
from .model import ScoreModel, build_model
from .targets import loss_weight, noisy, training_target


class TrainingDiverged(RuntimeError):
    """The loss (or a weight) became NaN/Inf; the message names the step and suggests a remedy."""


@dataclass
class TrainResult:
    model: ScoreModel  # EMA weights, eval mode
    losses: np.ndarray  # (steps,) training loss per step
    lrs: np.ndarray  # (steps,) learning rate per step
    seconds: float


def lr_at(step: int, config: TrainConfig) -> float:
    """Linear warm-up over ``warmup_steps``, then cosine decay to 0 at ``steps``."""
    warm = min(config.warmup_steps, max(config.steps - 1, 0))
    if step < warm:
        return config.lr * (step + 1) / warm
    progress = (step - warm) / max(config.steps - warm, 1)
    return config.lr * 0.5 * (1 + math.cos(math.pi * progress))


@contextlib.contextmanager
def deterministic_torch(seed: int, threads: int) -> Iterator[torch.Generator]:
    """Seed torch, fix the thread count and turn on deterministic algorithms; restore them afterwards."""
    old_threads = torch.get_num_threads()
    old_det = torch.are_deterministic_algorithms_enabled()
    torch.set_num_threads(threads)
    torch.use_deterministic_algorithms(True)
    torch.manual_seed(seed)
    try:
        yield torch.Generator().manual_seed(seed)
    finally:
        torch.set_num_threads(old_threads)
        torch.use_deterministic_algorithms(old_det)


def _check_finite(loss: float, model: torch.nn.Module, step: int, config: TrainConfig) -> None:
    if not math.isfinite(loss):
        raise TrainingDiverged(
            f"training diverged: the loss became {loss} at step {step + 1} of {config.steps} "
            f"(lr = {config.lr:g}); try a smaller --lr"
        )
    if step % 100 == 0 and not all(bool(torch.isfinite(p).all()) for p in model.parameters()):
        raise TrainingDiverged(f"training diverged: a weight became NaN/Inf at step {step + 1} (lr = {config.lr:g})")


def train(
    config: TrainConfig,
    *,
    progress: bool = False,
    on_step: Callable[[int, float], None] | None = None,
    points: np.ndarray | None = None,
) -> TrainResult:
    """Train a model for ``config``; deterministic for a given seed and thread count. ``points``: the training set
    to use instead of ``config.data``'s (e.g. a set drawn in the app; ``config.data`` then only picks the recipe).

    Loss (math.md identities via :mod:`.targets`): E_{x_0, t, ε} λ_t ‖model(x_t, t) − target_t‖² with
    x_t = √ᾱ_t x_0 + √(1−ᾱ_t) ε and t uniform over 0..T−1. Raises :class:`TrainingDiverged` on NaN/Inf.
    """
    from tqdm.auto import tqdm

    alpha_bars = torch.tensor(config.train_schedule().alpha_bars, dtype=torch.float32)
    T = config.num_train_timesteps
    kind = config.prediction_type
    losses = np.empty(config.steps, dtype=np.float64)
    lrs = np.empty(config.steps, dtype=np.float64)
    start = time.perf_counter()
    with deterministic_torch(config.seed, config.threads) as gen:
        data = torch.from_numpy(
            load_data(config.data, seed=config.seed) if points is None else np.asarray(points, dtype=np.float32)
        )
        model = build_model(config)
        ema = copy.deepcopy(model).requires_grad_(False)
        opt = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=0.0)
        bar = tqdm(
            range(config.steps), disable=not progress, desc=f"train {config.data}", unit="step", dynamic_ncols=True
        )
        smooth = None
        for step in bar:
            lr = lr_at(step, config)
            for group in opt.param_groups:
                group["lr"] = lr
            x0 = data[torch.randint(len(data), (config.batch_size,), generator=gen)]
            t = torch.randint(T, (config.batch_size,), generator=gen)
            eps = torch.randn(x0.shape, generator=gen)
            ab = alpha_bars[t].reshape((-1,) + (1,) * (x0.dim() - 1))
            out = model(noisy(x0, eps, ab), t)
            loss = (loss_weight(kind, ab) * (out - training_target(kind, x0, eps, ab)) ** 2).mean()
            value = float(loss.detach())
            _check_finite(value, model, step, config)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), config.grad_clip)
            opt.step()
            with torch.no_grad():
                decay = min(config.ema_decay, (1 + step) / (10 + step))  # short warm-up of the average
                for p_ema, p in zip(ema.parameters(), model.parameters(), strict=True):
                    p_ema.lerp_(p, 1 - decay)
            losses[step], lrs[step] = value, lr
            smooth = value if smooth is None else 0.98 * smooth + 0.02 * value
            if progress and step % 50 == 0:
                bar.set_postfix(loss=f"{smooth:.4f}", lr=f"{lr:.2e}")
            if on_step is not None:
                on_step(step, value)
        bar.close()
        if not all(bool(torch.isfinite(p).all()) for p in ema.parameters()):
            raise TrainingDiverged("training diverged: the averaged weights contain NaN/Inf; try a smaller --lr")
    return TrainResult(ema.eval(), losses, lrs, time.perf_counter() - start)
