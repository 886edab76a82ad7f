"""One step of a trajectory as the views see it: the arrays are derived once, on first use, and shared."""

from __future__ import annotations

from functools import cached_property

import numpy as np

from diffviz.core import Trajectory


class Frame:
    """Step ``index`` of ``trajectory``: x_t = x[index] and the model's predictions at that step.

    ``index`` runs 0..K, where K is the final sample x_0; there is no prediction at x_0, so at index K the
    predictions (ε̂, s, x̂_0, the field) are those of the last step, K − 1, taken at x[K − 1].
    """

    def __init__(self, trajectory: Trajectory, index: int) -> None:
        K = trajectory.num_steps
        if not 0 <= index <= K:
            raise IndexError(f"step {index} is outside 0..{K}")
        self.trajectory, self.index = trajectory, int(index)
        self.pred_index = min(self.index, K - 1)

    @property
    def is_final(self) -> bool:
        return self.index == self.trajectory.num_steps

    @cached_property
    def x(self) -> np.ndarray:
        """x_t, flattened to (N, D) float32."""
        return _flat(self.trajectory.x[self.index])

    @cached_property
    def x_pred(self) -> np.ndarray:
        """The x at which the predictions were made (x_t, or x[K − 1] at the final index)."""
        return _flat(self.trajectory.x[self.pred_index])

    @cached_property
    def eps(self) -> np.ndarray:
        return _flat(self.trajectory.eps_hat[self.pred_index])

    @cached_property
    def score(self) -> np.ndarray:
        return _flat(self.trajectory.score_at(self.pred_index))

    @cached_property
    def x0(self) -> np.ndarray:
        return _flat(self.trajectory.x0_hat_at(self.pred_index))

    @cached_property
    def field_score(self) -> np.ndarray | None:
        s = self.trajectory.field_score_at(self.pred_index)
        return None if s is None else np.ascontiguousarray(s, dtype=np.float32)

    def history(self, length: int, particles: np.ndarray) -> np.ndarray:
        """x of the chosen particles over the last ``length`` steps up to this one, (M, L, D) float32."""
        start = max(0, self.index - length)
        xs = self.trajectory.x[start : self.index + 1][:, particles]
        return np.ascontiguousarray(xs.reshape(xs.shape[0], xs.shape[1], -1).transpose(1, 0, 2), dtype=np.float32)


def _flat(a: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(a.reshape(len(a), -1), dtype=np.float32)
