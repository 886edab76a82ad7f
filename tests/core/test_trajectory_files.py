"""Saved runs that are damaged, truncated, hostile or inconsistent are refused with a ValueError naming the problem.

Every refusal comes before the run is handed out, and a size the file only claims is refused before it is read.
"""

from __future__ import annotations

import io
import json
import random
import tracemalloc
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from numpy.lib import format as npy

from diffviz.core import GaussianMixture, Schedule, Trajectory, sample
from diffviz.core.trajectory import MAX_RUN_BYTES, recorded_bytes
from diffviz.session import request

GM = GaussianMixture.eight_gaussians()


@pytest.fixture(scope="module")
def run() -> Trajectory:
    return sample(GM, Schedule.from_name("linear", 12), "ddim", n=6, seed=1, field_grid=4)


@pytest.fixture
def saved(run: Trajectory, tmp_path: Path) -> Path:
    return run.save(tmp_path / "run.npz")


def arrays_of(path: Path) -> dict[str, Any]:
    with np.load(path) as z:
        return {k: z[k] for k in z.files}


def rewrite(path: Path, out: Path, **changes: Any) -> Path:
    """The run at ``path`` with arrays replaced (``None`` drops one), written with numpy's own savez."""
    arrays = arrays_of(path)
    for name, value in changes.items():
        if value is None:
            arrays.pop(name)
        else:
            arrays[name] = value
    np.savez(out, **arrays)
    return out


def npy_member(shape: tuple[int, ...], descr: str = "<f4", data: bytes = b"") -> bytes:
    """An .npy file with this header, followed by ``data`` (which need not match it)."""
    buf = io.BytesIO()
    npy.write_array_header_1_0(buf, {"descr": descr, "fortran_order": False, "shape": shape})
    return buf.getvalue() + data


def with_members(saved: Path, out: Path, members: dict[str, bytes], compress: int = zipfile.ZIP_STORED) -> Path:
    """The saved run with some .npy members replaced by raw bytes."""
    with zipfile.ZipFile(saved) as src, zipfile.ZipFile(out, "w", compress) as dst:
        for info in src.infolist():
            name = info.filename[:-4]
            dst.writestr(info.filename, members.get(name, src.read(info)))
    return out


def refused(path: Path) -> str:
    with pytest.raises(ValueError) as info:
        Trajectory.load(path)
    return str(info.value)


# ---- the file itself ----------------------------------------------------------------------------------------------
def test_a_saved_run_loads_back_exactly(run: Trajectory, saved: Path) -> None:
    back = Trajectory.load(saved)
    for name in ("x", "eps_hat", "alpha_bar", "alpha_bar_prev", "model_time", "clamped", "field_points", "field_eps"):
        np.testing.assert_array_equal(getattr(back, name), getattr(run, name))
        assert getattr(back, name).dtype == getattr(run, name).dtype
    assert back.params == run.params and back.steps_done == run.steps_done
    back.x[0, 0, 0] = 1.0  # arrays are ordinary writable ones


def test_compressed_big_endian_and_fortran_order_arrays_load(run: Trajectory, saved: Path, tmp_path: Path) -> None:
    arrays = arrays_of(saved)
    arrays["x"] = np.asfortranarray(arrays["x"])
    arrays["eps_hat"] = arrays["eps_hat"].astype(">f4")
    np.savez_compressed(tmp_path / "c.npz", **arrays)
    back = Trajectory.load(tmp_path / "c.npz")
    np.testing.assert_array_equal(back.x, run.x)
    np.testing.assert_array_equal(back.eps_hat, run.eps_hat)
    assert back.eps_hat.dtype == np.float32 and back.eps_hat.dtype.isnative


def test_not_a_zip_archive(tmp_path: Path) -> None:
    junk = tmp_path / "junk.npz"
    junk.write_bytes(b"\x80\x04 pickled, or anything else that is not a zip")
    message = refused(junk)
    assert message == f"{junk} is not a diffviz run (.npz): not a zip archive"
    assert "allow_pickle" not in message


def test_missing_file(tmp_path: Path) -> None:
    assert "cannot be read" in refused(tmp_path / "absent.npz")


@pytest.mark.parametrize("keep", [0.2, 0.5, 0.9, 0.999])
def test_truncated_runs(saved: Path, tmp_path: Path, keep: float) -> None:
    data = saved.read_bytes()
    cut = tmp_path / "cut.npz"
    cut.write_bytes(data[: int(len(data) * keep)])
    assert "truncated or damaged" in refused(cut)


def test_a_flipped_bit_in_the_data_names_the_array(saved: Path, tmp_path: Path) -> None:
    data = bytearray(saved.read_bytes())
    with zipfile.ZipFile(saved) as z:
        info = z.getinfo("eps_hat.npy")
    # the member's data starts after its local header (30 bytes + name + extra) and its .npy header
    start = info.header_offset + 30 + len(info.filename) + len(info.extra) + 128
    data[start + 5] ^= 0x10
    flipped = tmp_path / "flipped.npz"
    flipped.write_bytes(bytes(data))
    message = refused(flipped)
    assert "damaged" in message and "eps_hat" in message and "CRC" in message


@pytest.mark.parametrize("compressed", [False, True])
def test_no_bit_flip_or_truncation_escapes_as_anything_but_value_error(
    saved: Path, tmp_path: Path, compressed: bool
) -> None:
    source = saved
    if compressed:
        np.savez_compressed(tmp_path / "c.npz", **arrays_of(saved))
        source = tmp_path / "c.npz"
    data = source.read_bytes()
    bad = tmp_path / "bad.npz"
    rng = random.Random(7)
    positions = sorted(rng.sample(range(len(data)), min(len(data), 600)))
    for i in positions:
        flipped = bytearray(data)
        flipped[i] ^= 1 << rng.randrange(8)
        bad.write_bytes(bytes(flipped))
        try:
            Trajectory.load(bad)  # some bytes (timestamps, padding) do not matter
        except ValueError:
            pass
    for n in range(0, len(data), max(1, len(data) // 200)):
        bad.write_bytes(data[:n])
        with pytest.raises(ValueError):
            Trajectory.load(bad)


# ---- sizes: refused from the headers, before reading -------------------------------------------------------------
def test_a_header_claiming_745_gib_is_refused_before_reading(saved: Path, tmp_path: Path) -> None:
    huge = (100_000_000, 1000, 2)  # 745 GiB of float32
    path = with_members(saved, tmp_path / "huge.npz", {"x": npy_member(huge, data=b"\0" * 64)})
    tracemalloc.start()
    try:
        message = refused(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert (
        "too large to open" in message and "745.1 GiB" in message and "x claims shape (100000000, 1000, 2)" in message
    )
    assert "up to 2.0 GiB" in message
    assert peak < 20 * 1024**2  # nothing near the claim was allocated


def test_the_bound_is_on_all_arrays_together(saved: Path, tmp_path: Path) -> None:
    # x and ε̂ take 0.9 of the bound, the field 0.2 more: each array is under it, together they are not
    n, m = int(0.9 * MAX_RUN_BYTES / 24), int(0.2 * MAX_RUN_BYTES / 8)
    members = {"x": npy_member((2, n, 2)), "eps_hat": npy_member((1, n, 2)), "field_eps": npy_member((1, m, 2))}
    message = refused(with_members(saved, tmp_path / "sum.npz", members))
    assert "too large to open" in message and "2.2 GiB once read" in message


def test_a_stream_longer_than_its_header_is_not_read(saved: Path, tmp_path: Path) -> None:
    # a small header over 200 MB of zeros (a few hundred KB once deflated): refused after the announced bytes
    steps = npy_member((), "<i8", np.int64(12).tobytes() + bytes(200 * 1024**2))
    path = with_members(saved, tmp_path / "bomb.npz", {"steps_done": steps}, zipfile.ZIP_DEFLATED)
    assert path.stat().st_size < 2 * 1024**2
    tracemalloc.start()
    try:
        message = refused(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert "steps_done has more data than its header" in message
    assert peak < 50 * 1024**2


def test_a_stream_shorter_than_its_header(saved: Path, tmp_path: Path, run: Trajectory) -> None:
    x = npy_member(run.x.shape, data=run.x.tobytes()[:-8])
    assert "x ends after" in refused(with_members(saved, tmp_path / "short.npz", {"x": x}))


def test_the_size_check_counts_what_a_saved_run_holds(run: Trajectory, saved: Path) -> None:
    arrays = arrays_of(saved)
    held = sum(a.nbytes for name, a in arrays.items() if name != "params")
    assert held == recorded_bytes(run.num_particles, run.num_steps, run.data_shape, len(run.field_points))
    assert request.MAX_RUN_BYTES is MAX_RUN_BYTES  # the window's limit and the loader's are one constant
    with pytest.raises(MemoryError, match="GiB"):
        request.check_run_size(3_000_000, 1000, (2,))


# ---- what the arrays hold ----------------------------------------------------------------------------------------
def _bad_cases(run: Trajectory) -> list[tuple[str, dict[str, Any], list[str]]]:
    K, N = run.num_steps, run.num_particles
    return [
        ("x float64", {"x": run.x.astype(np.float64)}, ["x has dtype float64", "float32"]),
        ("x text", {"x": np.full(run.x.shape, "a")}, ["x has dtype <U1"]),
        ("x pickled", {"x": np.array([{"a": 1}], dtype=object)}, ["x", "dtype object"]),
        ("x 2-D", {"x": run.x[:, :, 0]}, ["x has shape (13, 6)", "(K+1, N, …)"]),
        ("eps_hat short", {"eps_hat": run.eps_hat[:-1]}, ["eps_hat has shape (11, 6, 2)", "(12, 6, 2)"]),
        ("eps_hat int", {"eps_hat": run.eps_hat.astype(np.int32)}, ["eps_hat has dtype int32"]),
        ("alpha_bar long", {"alpha_bar": np.linspace(0.1, 0.9, K + 1)}, ["alpha_bar has shape (13,)", "(12,)"]),
        ("alpha_bar zero", {"alpha_bar": np.r_[0.0, run.alpha_bar[1:]]}, ["alpha_bar[0] = 0.0", "(0, 1]"]),
        ("alpha_bar nan", {"alpha_bar": np.r_[run.alpha_bar[:3], np.nan, run.alpha_bar[4:]]}, ["alpha_bar[3] = nan"]),
        ("alpha_bar_prev > 1", {"alpha_bar_prev": run.alpha_bar_prev * 2}, ["alpha_bar_prev[", "(0, 1]"]),
        ("alpha_bar text", {"alpha_bar": np.array(["0.5"] * K)}, ["alpha_bar has dtype <U3"]),
        ("model_time 2-D", {"model_time": run.model_time[:, None]}, ["model_time has shape (12, 1)"]),
        ("clamped float", {"clamped": run.clamped.astype(np.float32)}, ["clamped has dtype float32", "bool"]),
        ("steps_done -1", {"steps_done": np.int64(-1)}, ["steps_done = -1", "[0, 12]"]),
        ("steps_done K+1", {"steps_done": np.int64(K + 1)}, ["steps_done = 13", "[0, 12]"]),
        ("steps_done text", {"steps_done": np.array("12")}, ["steps_done has dtype <U2", "an integer"]),
        ("steps_done array", {"steps_done": np.array([12, 12])}, ["steps_done has shape (2,)", "single value"]),
        ("params bytes", {"params": np.array(b"{}")}, ["params has dtype |S2", "JSON string"]),
        ("field_eps alone", {"field_points": None}, ["field_eps is there without field_points"]),
        ("field_points alone", {"field_eps": None}, ["field_points is there without field_eps"]),
        ("field_points 3 cols", {"field_points": np.zeros((16, 3), np.float32)}, ["field_points has shape (16, 3)"]),
        ("field_points 15", {"field_points": np.zeros((15, 2), np.float32)}, ["field_points has shape (15, 2)"]),
        ("field_eps steps", {"field_eps": np.zeros((K - 1, 16, 2), np.float32)}, ["field_eps has shape (11, 16, 2)"]),
        (
            "grid ≠ params",
            {"field_points": np.zeros((25, 2), np.float32), "field_eps": np.zeros((K, 25, 2), np.float32)},
            ["field_points has 25 points", "4×4 grid"],
        ),
        (
            "n ≠ N",
            {"x": run.x[:, :5], "eps_hat": run.eps_hat[:, :5], "x0_hat": run.x0_hat[:, :5]},
            [f"n = {N} particles", "x holds 5"],
        ),
        ("x̂_0 for fewer particles", {"x0_hat": run.x0_hat[:, :5]}, ["x0_hat has shape", f"must be ({K}, {N}, 2)"]),
    ]


@pytest.mark.parametrize("case", range(26))
def test_inconsistent_runs_are_refused_naming_the_array(
    run: Trajectory, saved: Path, tmp_path: Path, case: int
) -> None:
    cases = _bad_cases(run)
    assert len(cases) == 26
    label, changes, words = cases[case]
    message = refused(rewrite(saved, tmp_path / "bad.npz", **changes))
    assert message.startswith(str(tmp_path / "bad.npz")), label
    for word in words:
        assert word in message, (label, message)


def test_params_that_disagree_with_the_arrays(run: Trajectory, saved: Path, tmp_path: Path) -> None:
    params = run.params.to_dict()
    params["schedule_betas"] = params["schedule_betas"][:-1]
    message = refused(rewrite(saved, tmp_path / "p.npz", params=np.array(json.dumps(params))))
    assert "schedule of 11 β" in message and "12 steps" in message
    deep = "[" * 100_000 + "]" * 100_000  # json recursion, not a crash
    assert "params are not JSON" in refused(rewrite(saved, tmp_path / "d.npz", params=np.array(deep)))


def test_a_cancelled_run_still_loads(run: Trajectory, saved: Path, tmp_path: Path) -> None:
    nan_x = run.x.copy()
    nan_x[6:] = np.nan  # steps never computed hold whatever was in memory
    back = Trajectory.load(rewrite(saved, tmp_path / "part.npz", x=nan_x, steps_done=np.int64(5)))
    assert back.steps_done == 5 and not back.complete


def test_a_run_saved_before_x0_hat_was_recorded_still_opens(run: Trajectory, saved: Path, tmp_path: Path) -> None:
    arrays = {k: v for k, v in arrays_of(saved).items() if k != "x0_hat"}
    old = tmp_path / "old.npz"
    np.savez(old, **arrays)
    again = Trajectory.load(old)
    assert again.x0 is None  # rebuilt from ε̂, as before
    np.testing.assert_allclose(again.x0_hat, run.x0_hat, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(again.x0_hat_at(3), run.x0_hat[3], rtol=1e-4, atol=1e-4)


def test_a_large_recording_starts_zeroed_and_saves_like_any_array(tmp_path: Path) -> None:
    """Recordings from 4 MiB on are mapped in one go (not NumPy's huge-page arrays): zero, writable, saved whole."""
    from diffviz.core.trajectory import MAPPED_FROM

    n = MAPPED_FROM // (2 * 4 * 8) + 1  # 8 steps of (n, 2) float32: just over the size
    run = sample(GM, Schedule.from_name("linear", 80).subsample(8, "trailing"), "ddpm", n=n, seed=0, field_grid=0)
    assert run.x.nbytes >= MAPPED_FROM and run.x.flags.writeable
    assert np.isfinite(run.x).all() and run.complete
    fresh = Trajectory.allocate(8, run.x[0], run.alpha_bar, run.alpha_bar_prev, run.params)
    assert not fresh.x[1:].any() and not fresh.eps_hat.any()  # zeroed
    loaded = Trajectory.load(run.save(tmp_path / "big.npz"))
    np.testing.assert_array_equal(loaded.x, run.x)
    np.testing.assert_array_equal(loaded.x0_hat, run.x0_hat)
