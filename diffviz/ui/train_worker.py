"""Training a network on a drawn data set, off the GUI thread (the Draw data panel's "Train a network on this").

:func:`train_on_points` trains the zoo's small 2D MLP (its own training loop, ``diffviz.zoo.training``) on
:data:`TRAIN_ROWS` draws from the drawn points with Gaussian jitter σ = :data:`TRAIN_JITTER`, and writes a checked
ONNX model under the model contract; :class:`TrainThread` runs it in a QThread, cancellable between steps, reporting
the smoothed loss now and then. torch is imported only there: without the ``train`` extra the panel says what to
install (:func:`missing_training_module`).
"""

from __future__ import annotations

import importlib.util
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, QStandardPaths, QThread, Signal

TRAIN_STEPS = 1500  # a few seconds on two CPU cores
TRAIN_STEP_RANGE = (100, 50_000)
TRAIN_ROWS = 20_000  # training rows drawn from the drawn points (with jitter)
TRAIN_JITTER = 0.03  # σ of the jitter added to each row, data units
TRAIN_EMA = 0.99  # a short run: the zoo's 0.999 would average in the first, untrained, weights
TRAIN_LR = 5e-3  # a short run learns a drawing's detail faster at 5e-3 than at the zoo's 2e-3 (same time)
TRAIN_RECIPE = "moons"  # the zoo recipe of every 2D set (TimeMLP 3×128, batch 512, lr 2e-3); the data are the drawn
DRAWN_NET = "drawn-net"  # the name (metadata) of a network trained here: its data are the session's drawn points
TRAIN_MODULES = ("torch", "onnx", "onnxscript")  # what training and export import (the train extra)
# the same words as `diffviz train` (diffviz.commands.train.INSTALL_HINT; a test keeps them equal)
TRAIN_INSTALL_HINT = (
    'install the train extra: pip install torch==2.13.0 -e ".[train]" (from a clone of diffviz) '
    'or pip install "diffviz[train]"'
)
PROGRESS_EVERY_S = 0.05
WAIT_ON_CLOSE_MS = 20_000  # an export cannot be interrupted; the window waits for it when closed


def missing_training_module() -> str | None:
    """The first of :data:`TRAIN_MODULES` that is not installed, or None (nothing is imported)."""
    for name in TRAIN_MODULES:
        try:
            if importlib.util.find_spec(name) is None:
                return name
        except (ImportError, ValueError):
            return name
    return None


def default_model_dir() -> Path:
    """Where trained networks go: the user's data folder (a scene names them by path), or the temporary folder."""
    base = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppLocalDataLocation)
    return Path(base) / "drawn" if base else Path(tempfile.gettempdir()) / "diffviz-drawn"


@dataclass(frozen=True)
class TrainedNet:
    path: Path
    steps: int
    seconds: float  # training, without the export
    final_loss: float
    points: np.ndarray  # the drawn points it was trained on (N, 2)


class Cancelled(Exception):
    """Raised inside the training loop when Cancel was pressed."""


def train_on_points(
    points: np.ndarray, out: Path, *, steps: int = TRAIN_STEPS, seed: int = 0, on_step: Any = None
) -> TrainedNet:
    """Train the zoo's 2D network on ``points`` (jittered draws, see the module docstring) and write it to ``out``
    as a checked ONNX model under the model contract. Imports torch: call it off the GUI thread."""
    from diffviz.core.atomic import atomic_write
    from diffviz.zoo.config import default_config
    from diffviz.zoo.export import checked_onnx_bytes, contract_metadata
    from diffviz.zoo.pipeline import example_input
    from diffviz.zoo.training import train

    base = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    rng = np.random.default_rng(seed)
    data = base[rng.integers(len(base), size=TRAIN_ROWS)] + rng.normal(0.0, TRAIN_JITTER, (TRAIN_ROWS, 2))
    config = default_config(
        TRAIN_RECIPE, steps=steps, seed=seed, lr=TRAIN_LR, ema_decay=TRAIN_EMA, warmup_steps=min(200, steps // 5)
    )
    result = train(config, on_step=on_step, points=data.astype(np.float32))
    meta = contract_metadata(
        prediction_type=config.prediction_type,
        schedule=config.train_schedule(),
        name=DRAWN_NET,
        description=(
            f"an MLP trained for {steps} steps on {len(base)} drawn points (draws with jitter σ = {TRAIN_JITTER:g})"
        ),
    )
    onnx_bytes, _ = checked_onnx_bytes(result.model, example_input(config), meta)
    out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(out, onnx_bytes)
    tail = result.losses[-min(len(result.losses), 100) :]
    return TrainedNet(out, steps, result.seconds, float(np.mean(tail)), base)


class TrainThread(QThread):
    """Runs :func:`train_on_points`; ``progressed(steps done, smoothed losses so far)`` now and then."""

    progressed = Signal(int, object)
    succeeded = Signal(object)  # TrainedNet
    failed = Signal(str)
    cancelled = Signal()

    def __init__(self, points: np.ndarray, out: Path, steps: int, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.points, self.out, self.steps = points, out, steps
        self._cancel = threading.Event()
        self._smooth: list[float] = []
        self._last_report = 0.0

    def cancel(self) -> None:
        self._cancel.set()

    def _on_step(self, step: int, loss: float) -> None:
        if self._cancel.is_set():
            raise Cancelled
        last = self._smooth[-1] if self._smooth else loss
        self._smooth.append(0.98 * last + 0.02 * loss if self._smooth else loss)
        now = time.perf_counter()
        if now - self._last_report >= PROGRESS_EVERY_S or step + 1 == self.steps:
            self._last_report = now
            self.progressed.emit(step + 1, np.array(self._smooth))

    def run(self) -> None:
        try:
            net = train_on_points(self.points, self.out, steps=self.steps, on_step=self._on_step)
        except Cancelled:
            self.cancelled.emit()
        except ImportError as exc:
            self.failed.emit(f"training needs {exc.name or 'torch'}, which is not installed; {TRAIN_INSTALL_HINT}")
        except Exception as exc:  # noqa: BLE001 - a diverged run, a failed export, a full disk: said in the panel
            self.failed.emit(f"{type(exc).__name__}: {exc}")
        else:
            self.succeeded.emit(net)
