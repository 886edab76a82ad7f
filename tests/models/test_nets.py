"""The networks: bundled sizes, time conditioning, per-sample independence, the score output scaling."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from diffviz.core.schedule import Schedule
from diffviz.zoo.config import default_config
from diffviz.zoo.model import ScoreModel, build_model
from diffviz.zoo.nets import SinusoidalEmbedding, SmallUNet, TimeMLP


def test_bundled_mlp_is_2_128_128_128_2() -> None:
    net = build_model(default_config("moons")).net
    assert isinstance(net, TimeMLP)
    shapes = [tuple(layer.weight.shape) for layer in [*net.layers, net.out]]
    assert shapes == [(128, 2), (128, 128), (128, 128), (2, 128)]


def test_embedding_depends_on_the_fraction_of_T_only() -> None:
    t = torch.tensor([0, 10, 37, 99])
    a = SinusoidalEmbedding(32, num_train_timesteps=100)(t)
    b = SinusoidalEmbedding(32, num_train_timesteps=1000)(10 * t)
    torch.testing.assert_close(a, b, rtol=0, atol=5e-5)  # float32 phases up to ~400 rad
    assert not torch.allclose(a[1], a[2])


def _randomize(module: torch.nn.Module) -> torch.nn.Module:
    torch.manual_seed(0)
    with torch.no_grad():
        for p in module.parameters():
            p.normal_(0, 0.2)
    return module.eval()


@pytest.mark.parametrize(
    "net, shape",
    [
        (TimeMLP(), (2,)),
        pytest.param(SmallUNet(channels=(8, 16), patch=2), (1, 16, 16), marks=pytest.mark.slow),
        pytest.param(SmallUNet(channels=(8, 16), patch=1), (1, 8, 8), marks=pytest.mark.slow),
    ],
)
def test_each_sample_is_computed_on_its_own(net: torch.nn.Module, shape: tuple[int, ...]) -> None:
    net = _randomize(net)
    x = torch.randn(6, *shape)
    t = torch.tensor([0, 999, 500, 3, 250, 750])
    with torch.no_grad():
        batched = net(x, t)
        alone = torch.cat([net(x[i : i + 1], t[i : i + 1]) for i in range(6)])
        other_t = net(x, torch.flip(t, [0]))
    assert batched.shape == x.shape
    torch.testing.assert_close(batched, alone, rtol=1e-5, atol=1e-5)
    assert not torch.allclose(batched, other_t, atol=1e-3)  # the time input matters


def test_score_model_scales_by_minus_one_over_sigma_of_each_rows_step() -> None:
    schedule = Schedule.from_name("squaredcos_cap_v2", 200)
    net = _randomize(TimeMLP(num_train_timesteps=200))
    model = ScoreModel(net, "score", schedule.alpha_bars)
    x = torch.randn(4, 2)
    t = torch.tensor([0, 50, 120, 199])
    with torch.no_grad():
        got = model(x, t).numpy()
        raw = net(x, t).numpy()
    sigma = np.sqrt(1 - schedule.alpha_bars[t.numpy()])[:, None]
    np.testing.assert_allclose(got, -raw / sigma, rtol=1e-5)
    assert ScoreModel(net, "v_prediction", schedule.alpha_bars)(x, t).detach().equal(net(x, t).detach())
