"""Random damage to a saved run and to a scene: the readers answer with their documented error or a valid object.

``Trajectory.load`` raises ``ValueError`` (exactly, with the file's path first); ``read_scene`` raises
``SceneError`` (naming the file). Never a KeyError, TypeError, MemoryError, BadZipFile, RecursionError… and every
refusal is one short line. What is accepted is consistent: shapes, dtypes and values as the readers document.
"""

from __future__ import annotations

import atexit
import io
import json
import math
import shutil
import tempfile
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import tomli_w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from diffviz.core import GaussianMixture, Schedule, Trajectory, sample
from diffviz.session import ModelRef, SamplerSettings, Scene, SceneError, ScheduleSettings, read_scene
from diffviz.session.scene import scene_to_dict

FUZZ = settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
MAX_MESSAGE = 1000
ARRAY_NAMES = ("x", "eps_hat", "alpha_bar", "alpha_bar_prev", "model_time", "clamped", "steps_done", "params")
FIELD_NAMES = ("field_points", "field_eps")


def _good_run() -> dict[str, np.ndarray]:
    run = sample(GaussianMixture.eight_gaussians(), Schedule.from_name("linear", 6), "ddim", n=4, seed=3, field_grid=2)
    with np.load(run.save(FOLDER / "good.npz")) as z:
        return {k: z[k] for k in z.files}


FOLDER = Path(tempfile.mkdtemp(prefix="diffviz-fuzz-"))  # hypothesis examples share it (no function fixtures)
atexit.register(shutil.rmtree, FOLDER, ignore_errors=True)
ARRAYS = _good_run()
PARAMS = json.loads(str(ARRAYS["params"]))


def _saved(arrays: dict[str, Any], compressed: bool = False) -> bytes:
    buf = io.BytesIO()
    (np.savez_compressed if compressed else np.savez)(buf, **arrays)
    return buf.getvalue()


GOOD_BYTES = (_saved(ARRAYS), _saved(ARRAYS, compressed=True))


# ---- strategies ----------------------------------------------------------------------------------------------------
@st.composite
def damaged(draw: st.DrawFn, data: bytes) -> bytes:
    """``data`` with a few bytes flipped, maybe cut short, maybe a chunk removed or garbage inserted."""
    out = bytearray(data)
    for _ in range(draw(st.integers(0, 6))):
        if out:
            out[draw(st.integers(0, len(out) - 1))] ^= draw(st.integers(1, 255))
    if out and draw(st.booleans()):
        start = draw(st.integers(0, len(out) - 1))
        if draw(st.booleans()):
            del out[start : start + draw(st.integers(1, 64))]
        else:
            out[start:start] = draw(st.binary(min_size=1, max_size=64))
    if draw(st.booleans()):
        out = out[: draw(st.integers(0, len(out)))]
    return bytes(out)


DTYPES = ["<f4", ">f4", "<f8", "<f2", "<i8", ">i4", "<u8", "|u1", "|b1", "<U3", "|S3", "<c8", "<M8[s]", "<m8[s]"]
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.sampled_from([-1, 0, 1, 2, 2**31, 2**63, 10**12])
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=12)
)
JSON = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=12,
)


@st.composite
def shapes(draw: st.DrawFn, like: tuple[int, ...]) -> tuple[int, ...]:
    """The original shape, one axis off by one, or any small shape."""
    choice = draw(st.integers(0, 2))
    if choice == 0 or (choice == 1 and not like):
        return like
    if choice == 1:
        axis = draw(st.integers(0, len(like) - 1))
        return tuple(max(d + draw(st.sampled_from([-1, 1])), 0) if i == axis else d for i, d in enumerate(like))
    return draw(hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=5))


@st.composite
def arrays_for(draw: st.DrawFn, name: str) -> np.ndarray:
    like = ARRAYS.get(name, ARRAYS["x"])
    shape = draw(shapes(tuple(like.shape)))
    dtype = draw(st.sampled_from([*DTYPES, str(like.dtype), "O"]))
    if dtype == "O":
        return draw(hnp.arrays(object, shape, elements=st.none() | st.integers() | st.text(max_size=3)))
    return draw(hnp.arrays(np.dtype(dtype), shape))


@st.composite
def params_text(draw: st.DrawFn) -> str:
    """The run's parameters with a few entries (top level or one table down) set to random JSON, or dropped."""
    params = json.loads(json.dumps(PARAMS))
    for _ in range(draw(st.integers(1, 3))):
        table = params
        key = draw(st.sampled_from([*params, "junk"]))
        if isinstance(params.get(key), dict) and draw(st.booleans()):
            table = params[key]
            key = draw(st.sampled_from([*table, "junk"]))
        if draw(st.integers(0, 4)) == 0:
            table.pop(key, None)
        else:
            table[key] = draw(JSON)
    if draw(st.integers(0, 9)) == 0:
        return draw(st.text(max_size=40))
    return json.dumps(params)


@st.composite
def mutated_arrays(draw: st.DrawFn) -> dict[str, Any]:
    """The run's arrays with 1–3 of them replaced by random arrays, cast, dropped, or its params mutated."""
    arrays: dict[str, Any] = dict(ARRAYS)
    for _ in range(draw(st.integers(1, 3))):
        name = draw(st.sampled_from([*ARRAY_NAMES, *FIELD_NAMES, "junk"]))
        op = draw(st.sampled_from(["replace", "cast", "drop", "params"]))
        if op == "replace":
            arrays[name] = draw(arrays_for(name))
        elif op == "cast" and name in arrays:
            dtype = draw(st.sampled_from(DTYPES))
            try:
                with warnings.catch_warnings():  # overflow, NaN → int, complex → real: the cast is the point
                    warnings.simplefilter("ignore")
                    arrays[name] = arrays[name].astype(dtype)
            except (ValueError, TypeError, RuntimeError, OverflowError):  # params as numbers, datetimes as text…
                pass
        elif op == "drop":
            arrays.pop(name, None)
        else:
            arrays["params"] = np.array(draw(params_text()))
    return arrays


TOML = st.recursive(
    st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.sampled_from([-1, 0, 1, 2, 2**31 - 1, 2**31, 2**63, 10**12])
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.sampled_from([math.nan, math.inf, -math.inf, 1e-320, 1e308])
    | st.text(max_size=12)
    | st.dates()
    | st.datetimes(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=10,
)
SCENE = scene_to_dict(
    Scene(ModelRef("analytic:8gaussians"), ScheduleSettings(num_inference_steps=10), SamplerSettings(num_particles=50))
)


@st.composite
def scene_texts(draw: st.DrawFn) -> str:
    """The valid scene with 1–4 entries (top level, a section's key or a sampler option) set to random TOML values,
    dropped or added; then, now and then, its text damaged too."""
    data = json.loads(json.dumps(SCENE))
    for _ in range(draw(st.integers(1, 4))):
        table = data
        key = draw(st.sampled_from([*data, "junk"]))
        while isinstance(table.get(key), dict) and draw(st.integers(0, 3)) > 0:
            table = table[key]
            key = draw(st.sampled_from([*table, "junk"]))
        if draw(st.integers(0, 4)) == 0:
            table.pop(key, None)
        else:
            table[key] = draw(TOML)
    text = tomli_w.dumps(data)
    if draw(st.integers(0, 4)) == 0:
        text = draw(damaged(text.encode())).decode("utf-8", "replace")
    return text


# ---- the properties ------------------------------------------------------------------------------------------------
def _refused_or_read(read: Callable[[], Any], error: type[Exception], path: Path) -> Any:
    """What ``read`` returns, or None when it raised exactly ``error`` with one short line naming the file."""
    try:
        return read()
    except Exception as exc:
        assert type(exc) is error, f"{type(exc).__name__} escaped: {exc!r}"[:2000]
        message = str(exc)
        assert path.name in message and "\n" not in message.strip(), message[:2000]
        assert len(message) <= MAX_MESSAGE, message[:2000]
        return None


def _check_run(run: Trajectory) -> None:
    """A run the reader handed out is what it documents."""
    K, N = run.num_steps, run.num_particles
    assert run.x.dtype == run.eps_hat.dtype == np.float32 and run.x.ndim >= 3 and 0 not in run.x.shape
    assert run.x.shape == (K + 1, N, *run.data_shape) and run.eps_hat.shape == (K, N, *run.data_shape)
    for values in (run.alpha_bar, run.alpha_bar_prev):
        assert values.shape == (K,) and values.dtype == np.float64 and np.all((values > 0) & (values <= 1))
    assert run.model_time.shape == run.clamped.shape == (K,) and run.clamped.dtype == bool
    assert 0 <= run.steps_done <= K and run.params.n == N and len(run.params.schedule_betas) == K
    assert (run.field_points is None) == (run.field_eps is None)


def _load(data: bytes) -> Trajectory | None:
    path = FOLDER / "fuzzed.npz"
    path.write_bytes(data)
    run = _refused_or_read(lambda: Trajectory.load(path), ValueError, path)
    if run is not None:
        _check_run(run)
    return run


@FUZZ
@given(data=st.sampled_from(GOOD_BYTES).flatmap(damaged))
def test_damaged_run_files(data: bytes) -> None:
    _load(data)


@FUZZ
@given(arrays=mutated_arrays(), compressed=st.booleans())
def test_runs_with_random_arrays(arrays: dict[str, Any], compressed: bool) -> None:
    _load(_saved(arrays, compressed))


@FUZZ
@given(text=scene_texts())
def test_scenes_with_random_values(text: str) -> None:
    path = FOLDER / "fuzzed.toml"
    path.write_text(text, encoding="utf-8")
    scene = _refused_or_read(lambda: read_scene(path), SceneError, path)
    if scene is not None:
        for part in (scene.schedule, scene.sampler, scene.view, scene.playback):
            part.validate()
        assert all(0 <= i < scene.sampler.num_particles for i in scene.followed)


@FUZZ
@given(data=st.binary(max_size=300) | st.text(max_size=300).map(lambda t: t.encode("utf-8", "surrogatepass")))
def test_scene_files_of_random_bytes(data: bytes) -> None:
    path = FOLDER / "random.toml"
    path.write_bytes(data)
    _refused_or_read(lambda: read_scene(path), SceneError, path)
