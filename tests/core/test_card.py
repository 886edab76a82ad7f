"""The model card: frozen, derived fields right, and what analytic models and the Denoiser protocol say."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from diffviz.core import Denoiser, GaussianMixture, ModelCard, Schedule
from diffviz.core.sampling import model_identity


def _card(**kw: object) -> ModelCard:
    base: dict[str, object] = dict(name="m", prediction_type="epsilon", data_shape=(2,))
    return ModelCard.create(**{**base, **kw})  # type: ignore[arg-type]


def test_the_card_is_frozen_and_holds_nothing_mutable() -> None:
    meta = {"diffviz.name": "m"}
    notices = ["first"]
    card = _card(metadata=meta, notices=notices, data_shape=[1, 4, 4])
    with pytest.raises(dataclasses.FrozenInstanceError):
        card.name = "other"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        card.trained_alpha_bar = (0.0, 1.0)  # type: ignore[misc]
    assert card.metadata is not None
    with pytest.raises(TypeError):
        card.metadata["diffviz.name"] = "changed"  # type: ignore[index]
    meta["diffviz.name"], notices[0] = "changed", "changed"  # the caller's containers are not the card's
    assert card.metadata["diffviz.name"] == "m" and card.notices == ("first",)
    assert card.data_shape == (1, 4, 4) and isinstance(card.notices, tuple)
    twin = _card(metadata={"diffviz.name": "m"}, notices=("first",), data_shape=(1, 4, 4))
    assert twin == card and hash(twin) == hash(card) and card.metadata == {"diffviz.name": "m"}


@pytest.mark.parametrize(
    "schedule",
    [
        Schedule.from_name("linear", 1000),
        Schedule.from_name("squaredcos_cap_v2", 200),
        Schedule.from_name("scaled_linear", 50, 0.00085, 0.012),
        Schedule.from_name("linear", 1000).subsample(20),
    ],
)
def test_trained_alpha_bar_brackets_the_training_schedule(schedule: Schedule) -> None:
    card = _card(train_schedule=schedule)
    assert card.trained_alpha_bar is not None
    lo, hi = card.trained_alpha_bar
    alpha_bars = np.cumprod(1.0 - schedule.betas)  # ᾱ from β, independently of Schedule.alpha_bars
    assert lo < hi
    assert np.all((alpha_bars >= lo) & (alpha_bars <= hi))
    assert lo == pytest.approx(alpha_bars[-1], rel=1e-12) and hi == pytest.approx(alpha_bars[0], rel=1e-12)


def test_clip_range_modality_and_validation() -> None:
    assert _card(data_range=(-2.5, 1.0)).clip_sample_range == 2.5
    assert _card(data_range=(0.0, 1.0)).clip_sample_range == 1.0
    assert _card().clip_sample_range == 1.0 and _card().data_range is None
    image = _card(data_shape=(3, 8, 8))
    assert image.is_image and image.modality == "image"
    assert not _card().is_image and _card().modality == "points"
    with pytest.raises(ValueError, match="trained_alpha_bar"):
        ModelCard(name="m", prediction_type="epsilon", data_shape=(2,), trained_alpha_bar=(0.9, 0.1))


def test_an_analytic_mixture_has_an_analytic_card() -> None:
    gm = GaussianMixture.eight_gaussians()
    card = gm.card
    assert (card.name, card.prediction_type, card.data_shape) == ("analytic:8gaussians", "score", (2,))
    assert card.train_schedule is None and card.trained_alpha_bar is None and card.time_input is None
    assert card.provider == "numpy (analytic)" and card.metadata is None and card.sha256 is None
    assert card.path is None and card.notices == () and not card.clip_sample and card.modality == "points"
    images = GaussianMixture.from_points(np.zeros((3, 4)), name="img", data_shape=(1, 2, 2)).card
    assert images.is_image and images.data_shape == (1, 2, 2) and images.name == "img"
    trained = GaussianMixture(gm.means, gm.weights, gm.covs, train_schedule=Schedule.from_name("linear", 10)).card
    assert trained.trained_alpha_bar is not None and trained.trained_alpha_bar[1] == pytest.approx(1 - 1e-4)


def test_the_denoiser_protocol_requires_a_card() -> None:
    class NoCard:
        name, prediction_type, data_shape, train_schedule = "x", "epsilon", (2,), None

        def model_time(self, alpha_bar: float) -> tuple[float, bool]:
            return alpha_bar, False

        def __call__(self, x: np.ndarray, t: float) -> np.ndarray:
            return x

    class WithCard(NoCard):
        card = ModelCard.create(name="from-card", prediction_type="sample", data_shape=(2,), sha256="abc123")

    assert isinstance(GaussianMixture.eight_gaussians(), Denoiser)
    assert not isinstance(NoCard(), Denoiser) and isinstance(WithCard(), Denoiser)
    # a saved run's model identity comes from the card
    assert model_identity(WithCard()) == {"name": "from-card", "prediction_type": "sample", "sha256": "abc123"}
    assert model_identity(GaussianMixture.eight_gaussians()) == {
        "name": "analytic:8gaussians",
        "prediction_type": "score",
    }
