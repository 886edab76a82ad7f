"""The bundled zoo: the index the runtime reads, sizes, the contract, and measured sample quality."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from diffviz.core.datasets import DATASETS, make_dataset
from diffviz.core.metrics import sliced_wasserstein
from diffviz.runtime import load_model
from diffviz.zoo import ZOO_DIR, zoo_index
from diffviz.zoo.build_zoo import TEACHING
from diffviz.zoo.quality import (
    DATA_SEEDS,
    SAMPLER_BOUND,
    SAMPLER_RUNS,
    SWD_BOUND,
    digits_figures,
    final_samples,
    sampler_figures,
)

INDEX = zoo_index()
MODELS = INDEX["models"]
NAMES_2D = [n for n, e in MODELS.items() if e["modality"] == "points"]


def test_index_has_exactly_the_format_the_runtime_reads() -> None:
    assert set(INDEX) == {"default", "models"} and INDEX["default"] in MODELS
    for name, entry in MODELS.items():
        assert set(entry) == {"file", "data", "modality", "prediction_type", "description"}, name
        assert entry["file"] == f"{name}.onnx" and (ZOO_DIR / entry["file"]).is_file()
        assert entry["modality"] == ("image" if entry["data"] == "digits" else "points")
        assert entry["data"] == "digits" or entry["data"] in DATASETS


def test_the_index_is_what_build_zoo_writes() -> None:
    from diffviz.zoo.build_zoo import zoo_json

    assert zoo_json() == INDEX


def test_the_zoo_covers_the_promised_models_and_prediction_types() -> None:
    assert {"moons", "swiss_roll", "8gaussians", "checkerboard", "rings", "digits"} <= set(MODELS)
    types = {e["prediction_type"] for e in MODELS.values()}
    assert {"epsilon", "score", "v_prediction"} <= types


def test_all_bundled_models_together_fit_in_10_mb() -> None:
    total = sum((ZOO_DIR / e["file"]).stat().st_size for e in MODELS.values())
    assert total <= 10 * 1024**2


@pytest.mark.parametrize("name", sorted(MODELS))
def test_each_bundled_model_loads_by_name_with_its_zoo_facts(name: str) -> None:
    model = load_model(name)
    entry = MODELS[name]
    assert model.prediction_type == entry["prediction_type"] and model.data == entry["data"]
    assert model.data_shape == ((1, 16, 16) if entry["modality"] == "image" else (2,))
    assert model.metadata["diffviz.contract_version"] == "1" and model.batch_size is None  # dynamic batch
    assert model.clip_sample == (entry["modality"] == "image")


@pytest.mark.slow
@pytest.mark.parametrize("name", [n for n in NAMES_2D if n not in TEACHING])
def test_2d_samples_are_close_to_the_data_under_every_sampler(name: str) -> None:
    """DDPM 1000 and 100 steps, DDIM η = 0 and Heun 50 steps: each within 1.5× the data floor (measured here, mean
    of 4 seeded runs; the exact analytic:8gaussians scores 0.7–1.15×)."""
    model = load_model(name)
    fig = sampler_figures(model, MODELS[name]["data"])
    ratios = {k: round(fig[k] / fig["floor"], 2) for k in SAMPLER_RUNS}
    assert all(r <= SAMPLER_BOUND for r in ratios.values()), ratios
    assert fig["ddpm_1000"] <= SWD_BOUND


@pytest.mark.slow
def test_the_teaching_model_fails_under_ddim_on_purpose_and_not_under_ddpm() -> None:
    """ε on a cosine schedule (ᾱ_T ≈ 0): DDIM's first deterministic step divides the ε error by √ᾱ_T."""
    (name,) = TEACHING
    model = load_model(name)
    assert model.prediction_type == "epsilon" and model.train_schedule.alpha_bars[-1] < 1e-6
    fig = sampler_figures(model, "8gaussians", runs=2)
    assert fig["ddim_50"] > 3 * fig["floor"] and fig["ddpm_100"] <= SAMPLER_BOUND * fig["floor"]


@pytest.mark.parametrize("data", list(DATASETS))
def test_the_bound_rejects_plain_gaussian_noise(data: str) -> None:
    noise = np.random.default_rng(3).standard_normal((5000, 2))
    assert sliced_wasserstein(noise, make_dataset(data, 5000, seed=DATA_SEEDS[0])) > 1.5 * SWD_BOUND


@pytest.mark.slow
def test_the_bound_rejects_an_untrained_network(tmp_path: Path) -> None:
    import torch

    from diffviz.zoo.config import default_config
    from diffviz.zoo.export import export_onnx
    from diffviz.zoo.model import build_model
    from diffviz.zoo.pipeline import config_metadata, example_input

    config = default_config("moons")
    torch.manual_seed(0)
    export_onnx(build_model(config), tmp_path / "u.onnx", example_input(config), config_metadata(config))
    samples = final_samples(load_model(tmp_path / "u.onnx"), 5000, seed=11)
    assert sliced_wasserstein(samples, make_dataset("moons", 5000, seed=DATA_SEEDS[0])) > 1.5 * SWD_BOUND


@pytest.mark.slow
def test_digits_samples_are_recognisable_digits_of_every_class() -> None:
    model = load_model("digits")
    samples = final_samples(model, 500, steps=100, seed=11, chunk=250, clip_sample=True)
    figures = digits_figures(samples)
    assert figures.confident_fraction >= 0.7
    assert min(figures.confident_class_counts) > 0, figures.confident_class_counts  # every class, recognisably


@pytest.mark.slow
def test_the_judge_rejects_noise_and_blank_images() -> None:
    rng = np.random.default_rng(0)
    for fake in (rng.uniform(-1, 1, (200, 1, 16, 16)), np.full((200, 1, 16, 16), -1.0)):
        assert digits_figures(fake).confident_fraction < 0.1


def test_pyproject_ships_the_zoo_files_as_package_data() -> None:
    import fnmatch

    import tomllib

    pyproject = Path(__file__).resolve().parents[2] / "pyproject.toml"
    config = tomllib.loads(pyproject.read_text(encoding="utf-8"))["tool"]["setuptools"]
    assert config["package-dir"]["diffviz.zoo"] == "models" and "diffviz.zoo" in config["packages"]
    patterns = config["package-data"]["diffviz.zoo"]
    shipped = ["zoo.json", "README.md", "figures.json", *(e["file"] for e in MODELS.values())]
    for name in shipped:
        assert (ZOO_DIR / name).is_file(), name
        assert any(fnmatch.fnmatch(name, p) for p in patterns), f"{name} is not package data"
