"""2D toy data: deterministic by seed, inside the documented coordinates."""

import numpy as np
import pytest

from diffviz.core.datasets import DATASETS, eight_gaussian_means, make_dataset

REQUIRED = {"moons", "swiss_roll", "8gaussians", "checkerboard", "rings", "spiral"}


def test_the_required_sets_exist() -> None:
    assert REQUIRED <= set(DATASETS)


@pytest.mark.parametrize("name", sorted(DATASETS))
def test_deterministic_by_seed_and_inside_the_documented_square(name: str) -> None:
    a, b, c = make_dataset(name, 5000, seed=1), make_dataset(name, 5000, seed=1), make_dataset(name, 5000, seed=2)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    assert a.shape == (5000, 2) and np.all(np.isfinite(a))
    assert np.abs(a).max() <= 2.5  # docs: every set lies inside [-2.5, 2.5]²
    assert np.all(np.abs(a.mean(0)) < 0.35)
    assert np.all((a.std(0) > 0.6) & (a.std(0) < 1.6))


def test_shapes_are_what_their_names_say() -> None:
    rings = np.linalg.norm(make_dataset("rings", 3000), axis=1)
    assert np.all((np.abs(rings - 1) < 0.2) | (np.abs(rings - 2) < 0.2))
    g = make_dataset("8gaussians", 3000)
    assert np.linalg.norm(g[:, None] - eight_gaussian_means()[None], axis=-1).min(1).max() < 0.6
    cb = make_dataset("checkerboard", 3000)
    cells = np.floor(cb + 2).astype(int)
    assert np.all((cells.sum(1) % 2) == 0)


def test_unknown_set_lists_the_valid_ones() -> None:
    with pytest.raises(ValueError, match="unknown data set 'blobs'; valid: moons"):
        make_dataset("blobs", 10)
