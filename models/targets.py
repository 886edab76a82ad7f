"""Regression targets and loss weights per prediction type (math.md: "Score, ε and Tweedie").

With x_t = √ᾱ x_0 + √(1−ᾱ) ε the network is regressed onto

- ``epsilon``       ε
- ``score``         s = −ε / √(1−ᾱ)
- ``sample``        x_0
- ``v_prediction``  v = √ᾱ ε − √(1−ᾱ) x_0

The score target grows like 1/√(1−ᾱ) → 100 at the first step of the DDPM schedule, so its squared error is
weighted by λ = 1−ᾱ (denoising score matching with Song et al.'s λ(t) = σ_t²): the loss becomes ‖ε̂ − ε‖²
exactly, and the output scaling c_out = −1/√(1−ᾱ) (:func:`output_scale`) keeps the raw network at unit scale.

The plain x_0 loss spends the network on the noisiest steps (their error is largest) and starves the nearly
clean ones that carry the fine structure; ``sample`` therefore uses the truncated-SNR weight λ = max(SNR, 1)
(Salimans & Ho 2022): the ε loss where SNR > 1 (since SNR ‖x̂_0 − x_0‖² = ‖ε̂ − ε‖²), the x_0 loss elsewhere.

Works on numpy arrays and torch tensors alike (only arithmetic and ``** 0.5``).
"""

from __future__ import annotations

from typing import Any

from diffviz.core.parameterization import PREDICTION_TYPES, check_prediction_type

__all__ = ["PREDICTION_TYPES", "loss_weight", "noisy", "output_scale", "training_target"]


def noisy(x0: Any, eps: Any, alpha_bar: Any) -> Any:
    """x_t = √ᾱ x_0 + √(1−ᾱ) ε (math.md: forward process)."""
    return alpha_bar**0.5 * x0 + (1 - alpha_bar) ** 0.5 * eps


def training_target(kind: str, x0: Any, eps: Any, alpha_bar: Any) -> Any:
    """What a model of prediction type ``kind`` should output for x_t = √ᾱ x_0 + √(1−ᾱ) ε."""
    check_prediction_type(kind)
    if kind == "epsilon":
        return eps
    if kind == "score":
        return -eps / (1 - alpha_bar) ** 0.5  # s = −ε/√(1−ᾱ)
    if kind == "sample":
        return x0
    return alpha_bar**0.5 * eps - (1 - alpha_bar) ** 0.5 * x0  # v = √ᾱ ε − √(1−ᾱ) x_0


def loss_weight(kind: str, alpha_bar: Any) -> Any:
    """λ per sample: 1−ᾱ for ``score`` (the loss becomes the ε loss), max(SNR, 1) for ``sample``, 1 otherwise."""
    check_prediction_type(kind)
    if kind == "score":
        return 1 - alpha_bar
    if kind == "sample":
        snr = alpha_bar / (1 - alpha_bar)
        return snr * (snr > 1) + 1.0 * (snr <= 1)  # max(SNR, 1), for arrays and tensors alike
    return 1.0 + 0 * alpha_bar


def output_scale(kind: str, alpha_bar: Any) -> Any:
    """c_out: the model outputs c_out · net(x_t, t); −1/√(1−ᾱ) for ``score`` (net predicts ε), 1 otherwise."""
    check_prediction_type(kind)
    return -1 / (1 - alpha_bar) ** 0.5 if kind == "score" else 1.0 + 0 * alpha_bar
