"""The exported module: a network plus the output scaling of its prediction type."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from .config import TrainConfig
from .nets import SmallUNet, TimeMLP
from .targets import output_scale


class ScoreModel(nn.Module):
    """``model(x, t) = c_out(t) · net(x, t)``: the prediction of ``prediction_type`` at step index ``t``.

    Only ``score`` has c_out ≠ 1 (c_out = −1/√(1−ᾱ_t), looked up by index); the other types are the raw net.
    """

    c_out: torch.Tensor

    def __init__(self, net: nn.Module, prediction_type: str, alpha_bars: np.ndarray) -> None:
        super().__init__()
        self.net = net
        self.prediction_type = prediction_type
        self.scaled = prediction_type == "score"
        if self.scaled:
            c_out = output_scale(prediction_type, np.asarray(alpha_bars, dtype=np.float64))
            self.register_buffer("c_out", torch.tensor(c_out, dtype=torch.float32))

    def forward(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        out = self.net(x, t)
        if self.scaled:
            c = self.c_out[t.to(torch.int64)]
            out = out * c.reshape((-1,) + (1,) * (x.dim() - 1))
        return out


def build_net(config: TrainConfig) -> nn.Module:
    """The network for ``config``: :class:`TimeMLP` for 2D sets, :class:`SmallUNet` for images."""
    arch = config.network_arch()
    T = config.num_train_timesteps
    if config.modality == "image":
        return SmallUNet(in_channels=1, channels=tuple(arch["channels"]), patch=arch["patch"], num_train_timesteps=T)
    return TimeMLP(dim=2, hidden=arch["hidden"], depth=arch["depth"], emb_dim=arch["emb_dim"], num_train_timesteps=T)


def build_model(config: TrainConfig) -> ScoreModel:
    return ScoreModel(build_net(config), config.prediction_type, config.train_schedule().alpha_bars)
