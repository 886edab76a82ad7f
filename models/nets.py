"""The networks: a time-conditioned MLP for 2D points and a small UNet for images.

Both take ``(x, t)`` with ``t`` the training step index ``0..T−1`` (shape ``(N,)``, any numeric dtype) and return
a raw output shaped like ``x``; :class:`diffviz.zoo.model.ScoreModel` turns it into the prediction type.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F


class SinusoidalEmbedding(nn.Module):
    """Transformer-style embedding of the step index (DDPM, Ho et al. 2020, appendix B).

    ``t`` is rescaled by ``1000 / T`` first, so models trained with another ``T`` see the same frequency range.
    """

    freqs: torch.Tensor

    def __init__(self, dim: int, num_train_timesteps: int = 1000, max_period: float = 10000.0) -> None:
        super().__init__()
        if dim % 2:
            raise ValueError(f"embedding dim must be even, got {dim}")
        half = dim // 2
        freqs = torch.exp(-math.log(max_period) * torch.arange(half, dtype=torch.float32) / half)
        self.register_buffer("freqs", freqs * (1000.0 / num_train_timesteps), persistent=False)

    def forward(self, t: torch.Tensor) -> torch.Tensor:
        args = t.to(torch.float32)[:, None] * self.freqs[None, :]
        return torch.cat([torch.sin(args), torch.cos(args)], dim=1)


class TimeMLP(nn.Module):
    """x (N, D) → (N, D) through ``D → hidden → … → hidden → D``; the time embedding is added before every
    hidden activation (one linear projection per layer)."""

    def __init__(
        self, dim: int = 2, hidden: int = 128, depth: int = 3, emb_dim: int = 32, num_train_timesteps: int = 1000
    ) -> None:
        super().__init__()
        self.embed = SinusoidalEmbedding(emb_dim, num_train_timesteps)
        widths = [dim] + [hidden] * depth
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(widths[:-1], widths[1:], strict=True))
        self.time_proj = nn.ModuleList(nn.Linear(emb_dim, hidden) for _ in range(depth))
        self.out = nn.Linear(hidden, dim)

    def forward(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        e = self.embed(t)
        h = x
        for layer, proj in zip(self.layers, self.time_proj, strict=True):
            h = F.silu(layer(h) + proj(e))
        return self.out(h)


class ResBlock(nn.Module):
    """GroupNorm → SiLU → conv, time embedding added, GroupNorm → SiLU → conv, plus a residual path."""

    def __init__(self, c_in: int, c_out: int, emb_dim: int, groups: int = 8) -> None:
        super().__init__()
        self.norm1 = nn.GroupNorm(min(groups, c_in), c_in)
        self.conv1 = nn.Conv2d(c_in, c_out, 3, padding=1)
        self.emb = nn.Linear(emb_dim, c_out)
        self.norm2 = nn.GroupNorm(min(groups, c_out), c_out)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, padding=1)
        self.skip = nn.Conv2d(c_in, c_out, 1) if c_in != c_out else nn.Identity()

    def forward(self, x: torch.Tensor, e: torch.Tensor) -> torch.Tensor:
        h = self.conv1(F.silu(self.norm1(x))) + self.emb(e)[:, :, None, None]
        h = self.conv2(F.silu(self.norm2(h)))
        return h + self.skip(x)


class SmallUNet(nn.Module):
    """A two-level UNet: ResBlocks at H×W, H/2 and H/4 (the middle), skip connections, nearest upsampling.

    ``channels = (c0, c1)`` are the widths at the first and second level. ``patch = p`` folds p×p pixel blocks
    into channels first (space-to-depth, lossless) and unfolds them at the end, so the UNet runs at H/p × W/p:
    the bundled digits (8×8 data upsampled to 16×16) use p = 2. H/p and W/p must be divisible by 4.
    """

    def __init__(
        self,
        in_channels: int = 1,
        channels: tuple[int, int] = (32, 64),
        patch: int = 1,
        num_train_timesteps: int = 1000,
    ) -> None:
        super().__init__()
        c0, c1 = channels
        self.fold = nn.PixelUnshuffle(patch) if patch > 1 else nn.Identity()
        self.unfold = nn.PixelShuffle(patch) if patch > 1 else nn.Identity()
        c_img = in_channels * patch * patch
        emb = 4 * c0
        self.embed = nn.Sequential(
            SinusoidalEmbedding(c0, num_train_timesteps), nn.Linear(c0, emb), nn.SiLU(), nn.Linear(emb, emb)
        )
        self.inp = nn.Conv2d(c_img, c0, 3, padding=1)
        self.down0 = ResBlock(c0, c0, emb)
        self.pool0 = nn.Conv2d(c0, c0, 3, stride=2, padding=1)
        self.down1 = ResBlock(c0, c1, emb)
        self.pool1 = nn.Conv2d(c1, c1, 3, stride=2, padding=1)
        self.mid1 = ResBlock(c1, c1, emb)
        self.mid2 = ResBlock(c1, c1, emb)
        self.up1 = ResBlock(2 * c1, c1, emb)
        self.up0 = ResBlock(c1 + c0, c0, emb)
        self.out_norm = nn.GroupNorm(min(8, c0), c0)
        out = nn.Conv2d(c0, c_img, 3, padding=1)
        for p in out.parameters():  # zero output at init: the first prediction is 0 (ε's mean)
            nn.init.zeros_(p)
        self.out = out

    def forward(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        e = self.embed(t)
        h0 = self.down0(self.inp(self.fold(x)), e)
        h1 = self.down1(self.pool0(h0), e)
        h = self.mid2(self.mid1(self.pool1(h1), e), e)
        h = self.up1(torch.cat([F.interpolate(h, scale_factor=2.0, mode="nearest"), h1], dim=1), e)
        h = self.up0(torch.cat([F.interpolate(h, scale_factor=2.0, mode="nearest"), h0], dim=1), e)
        return self.unfold(self.out(F.silu(self.out_norm(h))))


def count_parameters(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())
