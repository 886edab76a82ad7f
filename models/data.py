"""Training data: the 2D sets of :mod:`diffviz.core.datasets` and scikit-learn's bundled 8×8 digits (numpy only).

Digits are scaled from 0..16 to [-1, 1] and upsampled ×2 to 16×16 by bilinear interpolation (half-pixel
centres, edges clamped), so they are pleasant to look at; nothing is downloaded.
"""

from __future__ import annotations

import numpy as np

from diffviz.core.datasets import DATASETS, make_dataset

IMAGE_DATASETS = ("digits",)
DIGITS_SIZE = 16
DATA_RANGE_2D = (-2.5, 2.5)
DATA_RANGE_IMAGE = (-1.0, 1.0)


class UnknownDatasetError(ValueError):
    """A data set name that is neither a 2D set nor an image set."""


def dataset_names() -> tuple[str, ...]:
    return (*DATASETS, *IMAGE_DATASETS)


def check_dataset(name: str) -> str:
    """Return ``name`` if it is a known data set, else raise :class:`UnknownDatasetError` listing the valid ones."""
    if name not in dataset_names():
        raise UnknownDatasetError(f"unknown data set {name!r}; valid: {', '.join(dataset_names())}")
    return name


def data_modality(name: str) -> str:
    """``"image"`` for image sets, ``"points"`` for 2D point sets (what the app draws)."""
    return "image" if check_dataset(name) in IMAGE_DATASETS else "points"


def upsample_matrix(n_in: int, factor: int = 2) -> np.ndarray:
    """(factor·n_in, n_in) bilinear interpolation matrix with half-pixel centres and clamped edges.

    Output pixel i samples the input at u = (i + ½)/factor − ½; every row is a convex combination.
    """
    n_out = n_in * factor
    u = np.clip((np.arange(n_out) + 0.5) / factor - 0.5, 0, n_in - 1)
    lo = np.floor(u).astype(int)
    hi = np.minimum(lo + 1, n_in - 1)
    w = u - lo
    m = np.zeros((n_out, n_in))
    m[np.arange(n_out), lo] += 1 - w
    m[np.arange(n_out), hi] += w
    return m


def load_digits_images(size: int = DIGITS_SIZE) -> tuple[np.ndarray, np.ndarray]:
    """All 1797 digits as float32 images (N, 1, size, size) in [-1, 1], and their labels (N,)."""
    from sklearn.datasets import load_digits

    bunch = load_digits()
    images = bunch.images / 8.0 - 1.0  # 0..16 → [-1, 1]
    if size % 8:
        raise ValueError(f"digits size must be a multiple of 8, got {size}")
    m = upsample_matrix(8, size // 8)
    images = np.einsum("ij,njk,lk->nil", m, images, m)
    return images[:, None].astype(np.float32), bunch.target.astype(np.int64)


def load_data(name: str, n: int = 100_000, seed: int = 0) -> np.ndarray:
    """The training set: ``n`` points (n, 2) of a 2D set, or every digit image (1797, 1, 16, 16); float32."""
    if data_modality(name) == "image":
        return load_digits_images()[0]
    return make_dataset(name, n, seed).astype(np.float32)


def data_range(name: str) -> tuple[float, float]:
    """Where the data lives (model contract ``diffviz.data_range``)."""
    return DATA_RANGE_IMAGE if data_modality(name) == "image" else DATA_RANGE_2D
