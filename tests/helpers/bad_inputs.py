"""A corpus of bad inputs for every reader of diffviz: model files, saved runs, scenes, settings stores and CLI flags.

:func:`build_corpus` writes the files into a folder and returns one :class:`Case` per input: what to give which
reader, and what the refusal must say (the problem named, not whatever the code happens to print). An empty
``expect`` means the input is odd but valid: it must be read without complaint. ``tests/test_bad_inputs.py`` runs
every case; ``python -m tests.helpers.bad_inputs FOLDER`` writes the corpus to FOLDER and lists it.
"""

from __future__ import annotations

import io
import json
import os
import struct
import sys
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
from numpy.lib import format as npy

from tests.helpers import onnx_models as om

Kind = Literal["model", "run", "scene", "settings", "cli"]
MiB = 1024**2
BOMB_BYTES = 2 * 1024**3 + 256 * MiB  # what the zip bomb inflates to: above MAX_RUN_BYTES (2 GiB)


@dataclass(frozen=True)
class Case:
    """One bad input and what diffviz must answer.

    - ``model``: ``load_model(path)`` raises a ModelError, and ``diffviz info path`` exits 2, both saying ``expect``
    - ``run``: ``Trajectory.load(path)`` raises ValueError; ``scene``: ``open_scene(path)`` raises SceneError
    - ``settings``: ``SettingsStore(path)`` starts (defaults for what it cannot use); ``expect`` is in its notice
    - ``cli``: ``diffviz *args`` (in-process, with ``env``) exits 2 with one line on stderr saying ``expect``

    ``expect`` lists words that must all be in the message; empty: the input is valid and must be accepted.
    ``outputs`` are the only files the case may create or change; everything else in the folder stays as it was.
    """

    name: str
    kind: Kind
    path: Path | None = None
    args: tuple[str, ...] = ()
    expect: tuple[str, ...] = ()
    env: tuple[tuple[str, str], ...] = ()
    outputs: tuple[Path, ...] = ()
    hint_lines: int = 0  # lines the CLI may print after its message (the list of commands, …)
    slow: bool = False  # end to end, in a subprocess
    bug: str = ""  # a known bug (xfail): where it lives and what happens
    skip: str = ""  # cannot be run safely here (it would hang the test process or exhaust its memory)
    max_alloc: int = 64 * MiB  # the Python-side allocation peak (tracemalloc) the case may reach

    def describe(self) -> str:
        what = " ".join(self.args) if self.kind == "cli" else str(self.path)
        outcome = "accepted" if not self.expect else "refused: " + " / ".join(self.expect)
        return f"{self.kind:<8} {self.name:<34} {outcome}\n{'':<44}{what}"


def _fifo(path: Path) -> Path:
    """A named pipe at ``path`` (replacing what an earlier build left there)."""
    if os.path.lexists(path):
        path.unlink()
    os.mkfifo(path)
    return path


def _link(path: Path, target: str | Path) -> Path:
    """A symbolic link at ``path`` to ``target`` (replacing what an earlier build left there)."""
    if os.path.lexists(path):
        path.unlink()
    path.symlink_to(target)
    return path


@dataclass
class _Builder:
    folder: Path
    cases: list[Case] = field(default_factory=list)

    def dir(self, name: str) -> Path:
        path = self.folder / name
        path.mkdir(parents=True, exist_ok=True)
        return path

    def add(self, name: str, kind: Kind, path: Path | None = None, *expect: str, **extra: Any) -> None:
        self.cases.append(Case(name, kind, path, expect=tuple(expect), **extra))

    def cli(self, name: str, args: list[str | Path], *expect: str, **extra: Any) -> None:
        self.cases.append(Case(name, "cli", args=tuple(map(str, args)), expect=tuple(expect), **extra))


def build_corpus(folder: Path) -> list[Case]:
    """Write every bad input into ``folder`` (which must exist) and return the cases, models first."""
    b = _Builder(Path(folder))
    models = _models(b)
    runs = _runs(b)
    _scenes(b, models)
    _settings(b)
    _cli(b, models, runs)
    return b.cases


# ---- models -----------------------------------------------------------------------------------------------------
def _models(b: _Builder) -> dict[str, Path]:
    d = b.dir("models")
    meta = om.schedule_metadata(T=100, beta_end=0.2)
    good = om.echo_t_model(d / "good.onnx", metadata=meta)
    data = good.read_bytes()

    def raw(name: str, content: bytes) -> Path:
        path = d / name
        path.write_bytes(content)
        return path

    def with_meta(name: str, **changes: str) -> Path:
        return om.echo_t_model(d / name, metadata={**meta, **{f"diffviz.{k}": v for k, v in changes.items()}})

    add = b.add
    add("not onnx (text)", "model", raw("notes.onnx", b"these are my notes, not a model\n"), "not an ONNX model")
    add("not onnx (png bytes)", "model", raw("image.onnx", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4), "not an ONNX")
    add("truncated onnx", "model", raw("truncated.onnx", data[: len(data) // 2]), "not an ONNX model")
    add("empty file", "model", raw("blank.onnx", b""), "blank.onnx", "not an ONNX model")
    folder = d / "folder.onnx"
    folder.mkdir(exist_ok=True)
    add("a folder named x.onnx", "model", folder, "folder.onnx", "not a file")
    fifo = d / "pipe.onnx"
    _fifo(fifo)
    add("a FIFO named x.onnx", "model", fifo, "pipe.onnx", "not a file")
    add("missing file", "model", d / "absent.onnx", "absent.onnx", "no such file")
    add("input names", "model", om.echo_t_model(d / "names.onnx", x_name="input"), "'input'", "'x' and 't'")
    add("three inputs", "model", om.three_input_model(d / "three.onnx"), "'c'", "exactly two inputs")
    add("x of rank 3", "model", om.echo_t_model(d / "rank3.onnx", x_shape=("N", 2, 3)), "input 'x' has rank 3")
    add("x float64", "model", om.echo_t_model(d / "x64.onnx", x_dtype=om.DOUBLE), "input 'x' has dtype float64")
    add("t float64", "model", om.echo_t_model(d / "t64.onnx", t_dtype=om.DOUBLE), "input 't' has dtype float64")
    add("t of rank 2", "model", om.echo_t_model(d / "t2.onnx", t_shape=("N", 1)), "input 't' has rank 2")
    add("x dynamic width", "model", om.echo_t_model(d / "dyn.onnx", x_shape=("N", "D")), "dynamic dimension")
    ignores_t = [om.helper.make_node("Identity", ["x"], ["out"])]  # t unused: ORT loads it, the contract refuses
    batch = om.save_model(
        d / "batch.onnx",
        ignores_t,
        [om.value("x", om.FLOAT, (8, 2)), om.value("t", om.INT64, (4,))],
        [om.value("out", om.FLOAT, (8, 2))],
    )
    add("batch sizes differ", "model", batch, "batch.onnx", "different batch sizes")
    add("output float64", "model", om.echo_t_model(d / "o64.onnx", out_dtype=om.DOUBLE), "'out' has dtype float64")
    add("output declared wide", "model", om.wide_output_model(d / "wide.onnx", ("N", 4)), "shaped like x")
    add("output wide at run", "model", om.data_dependent_width_model(d / "ddw.onnx"), "shaped like x")
    add("two outputs", "model", om.two_output_model(d / "two.onnx"), "2 outputs")
    add("NaN output", "model", om.nan_model(d / "nan.onnx"), "NaN/Inf")
    add("Inf output", "model", om.scale_model(d / "inf.onnx", float("inf"), metadata=meta), "NaN/Inf")
    add("IR version 99", "model", om.echo_t_model(d / "ir99.onnx", ir_version=99), "ir99.onnx", "cannot load")
    add("T = 1e9", "model", with_meta("t1e9.onnx", num_train_timesteps="1000000000"), "num_train_timesteps", "limit")
    add("T = '1e9'", "model", with_meta("t1e9s.onnx", num_train_timesteps="1e9"), "num_train_timesteps = '1e9'")
    add("T = -1", "model", with_meta("tneg.onnx", num_train_timesteps="-1"), "num_train_timesteps = '-1'", "≥ 1")
    add("T = 'abc'", "model", with_meta("tabc.onnx", num_train_timesteps="abc"), "num_train_timesteps = 'abc'")
    add("T = 1 (valid)", "model", with_meta("t1.onnx", num_train_timesteps="1"))
    add("beta_end = nan", "model", with_meta("bnan.onnx", beta_end="nan"), "beta_end", "nan")
    add("beta_start = inf", "model", with_meta("binf.onnx", beta_start="inf"), "beta_start", "inf")
    add("beta_end = 'x'", "model", with_meta("bx.onnx", beta_end="x"), "beta_end = 'x'")
    add("prediction type", "model", with_meta("pt.onnx", prediction_type="banana"), "prediction_type = 'banana'")
    add("contract version 2", "model", with_meta("cv.onnx", contract_version="2"), "contract_version = '2'")
    add("data_range nan", "model", with_meta("drnan.onnx", data_range="nan,1"), "data_range")
    add(
        "data_range infinite",
        "model",
        with_meta("drinf.onnx", data_range="-inf,inf"),
        "data_range = '-inf,inf'",
        "finite",
    )
    add("time_input continuous/int64", "model", with_meta("ti.onnx", time_input="continuous"), "time_input")
    add(
        "2D data set, 3 values",
        "model",
        om.echo_t_model(d / "d3.onnx", x_shape=("N", 3), metadata={**meta, "diffviz.data": "moons"}),
        "data = 'moons'",
    )
    add("clip_sample = maybe", "model", with_meta("clip.onnx", clip_sample="maybe"), "clip_sample = 'maybe'")
    add("unknown metadata (valid)", "model", with_meta("extra.onnx", colour="red"))
    return {"good": good, "notes": d / "notes.onnx", "empty": d / "blank.onnx"}


# ---- runs -------------------------------------------------------------------------------------------------------
def _npy(shape: tuple[int, ...], descr: str = "<f4", data: bytes = b"", version: tuple[int, int] = (1, 0)) -> bytes:
    """An ``.npy`` member with this header followed by ``data`` (which need not match it)."""
    buf = io.BytesIO()
    header = {"descr": descr, "fortran_order": False, "shape": shape}
    if version == (1, 0):
        npy.write_array_header_1_0(buf, header)
    else:
        npy.write_array_header_2_0(buf, header)
    return buf.getvalue() + data


def _zip(path: Path, members: dict[str, bytes], compression: int = zipfile.ZIP_STORED) -> Path:
    with zipfile.ZipFile(path, "w", compression) as z:
        for name, content in members.items():
            z.writestr(name, content)
    return path


def _raw_zip(path: Path, members: list[tuple[str, int, bytes, int, int]]) -> Path:
    """A zip archive written by hand: (name, method, stored bytes, crc32, uncompressed size) per member."""
    body, directory = b"", b""
    for name, method, data, crc, size in members:
        fixed = struct.pack("<5H3L", 20, 0, method, 0, 0x21, crc, len(data), size)
        directory += (
            b"PK\x01\x02" + struct.pack("<H", 20) + fixed + struct.pack("<5H2L", len(name), 0, 0, 0, 0, 0, len(body))
        )
        directory += name.encode()
        body += b"PK\x03\x04" + fixed + struct.pack("<2H", len(name), 0) + name.encode() + data
    end = struct.pack("<4H2LH", 0, 0, len(members), len(members), len(directory), len(body), 0)
    path.write_bytes(body + directory + b"PK\x05\x06" + end)
    return path


def _stored(name: str, data: bytes) -> tuple[str, int, bytes, int, int]:
    return name, zipfile.ZIP_STORED, data, zlib.crc32(data), len(data)


def _bomb(name: str, head: bytes, total: int) -> tuple[str, int, bytes, int, int]:
    """A deflated member: ``head`` then zeros up to ``total`` bytes, one deflate block repeated (a full flush makes
    each block independent of what came before), so that a few MB inflate to ``total`` and cost little to build."""
    block = 16 * MiB
    zeros = bytes(block)
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    start = c.compress(head) + c.flush(zlib.Z_FULL_FLUSH)
    repeat = c.compress(zeros) + c.flush(zlib.Z_FULL_FLUSH)
    count = (total - len(head)) // block
    crc = zlib.crc32(head)
    for _ in range(count):
        crc = zlib.crc32(zeros, crc)
    data = start + repeat * count + c.flush(zlib.Z_FINISH)
    return name, zipfile.ZIP_DEFLATED, data, crc, len(head) + count * block


def _valid_run(path: Path) -> Path:
    from diffviz.core import GaussianMixture, Schedule, sample

    run = sample(GaussianMixture.eight_gaussians(), Schedule.from_name("linear", 12), "ddim", n=6, seed=1, field_grid=4)
    return run.save(path)


def _runs(b: _Builder) -> dict[str, Path]:
    d = b.dir("runs")
    good = _valid_run(d / "good.npz")
    data = good.read_bytes()
    with np.load(good) as z:
        arrays: dict[str, Any] = {k: z[k] for k in z.files}
    params = json.loads(str(arrays["params"]))
    K, N = arrays["eps_hat"].shape[:2]

    def raw(name: str, content: bytes) -> Path:
        path = d / name
        path.write_bytes(content)
        return path

    def rewrite(name: str, **changes: Any) -> Path:
        out = {k: v for k, v in arrays.items() if changes.get(k, 0) is not None}
        out.update({k: v for k, v in changes.items() if v is not None})
        with open(d / name, "wb") as f:
            np.savez(f, **out)
        return d / name

    def with_params(name: str, **changes: Any) -> Path:
        return rewrite(name, params=np.array(json.dumps({**params, **changes})))

    def members(name: str, replace: dict[str, bytes], compression: int = zipfile.ZIP_STORED) -> Path:
        with zipfile.ZipFile(good) as src, zipfile.ZipFile(d / name, "w", compression) as dst:
            for info in src.infolist():
                dst.writestr(info.filename, replace.get(info.filename[:-4], src.read(info)))
        return d / name

    with zipfile.ZipFile(good) as z:
        eps = z.getinfo("eps_hat.npy")
    eps_data = eps.header_offset + 30 + len(eps.filename) + len(eps.extra) + 128  # after its .npy header
    add = b.add
    add("not a zip (text)", "run", raw("notes.npz", b"x,y\n1,2\n"), "not a diffviz run", "not a zip archive")
    add("pickle", "run", raw("pickle.npz", b"\x80\x04\x95" + bytes(40)), "not a zip archive")
    bare = io.BytesIO()
    np.save(bare, arrays["x"])
    add("a bare .npy", "run", raw("bare.npz", bare.getvalue()), "not a zip archive")
    add("empty file", "run", raw("empty.npz", b""), "empty.npz", "not a zip archive")
    add("truncated to 50 %", "run", raw("half.npz", data[: len(data) // 2]), "truncated")
    add("last byte cut", "run", raw("cut1.npz", data[:-1]), "truncated")
    flipped = bytearray(data)
    flipped[eps_data + 5] ^= 0x10
    add("bit flip in eps_hat", "run", raw("flip.npz", bytes(flipped)), "damaged", "eps_hat", "CRC")
    flipped = bytearray(data)
    flipped[eps.header_offset + 30 + len(eps.filename) + 60] ^= 0x01  # inside the .npy header's text
    add("bit flip in a header", "run", raw("flip_header.npz", bytes(flipped)), "eps_hat")
    flipped = bytearray(data)
    flipped[-22 + 16] ^= 0x40  # the end record's offset of the central directory
    add("bit flip in the directory", "run", raw("flip_dir.npz", bytes(flipped)), "damaged")
    huge = members("huge_header.npz", {"x": _npy((100_000_000, 1000, 2), data=bytes(64))})
    add("header claims 745 GiB", "run", huge, "too large", "745.1 GiB", "x claims", max_alloc=16 * MiB)
    overflow = members("overflow_header.npz", {"x": _npy((2**62, 2**62, 2), data=bytes(64))})
    add("header claims 2**125 values", "run", overflow, "too large", max_alloc=16 * MiB)
    add("negative shape in header", "run", members("neg_shape.npz", {"x": _npy((13, -6, 2))}), "x", "shape")
    add(".npy version 3", "run", members("v3.npz", {"x": b"\x93NUMPY\x03\x00" + bytes(64)}), "x", "version 3.0")
    add("x float64", "run", rewrite("x64.npz", x=arrays["x"].astype(np.float64)), "x has dtype float64", "float32")
    add("x as text", "run", rewrite("xtext.npz", x=np.full(arrays["x"].shape, "a")), "x has dtype <U1")
    add("x pickled objects", "run", rewrite("xobj.npz", x=np.array([{"a": 1}], dtype=object)), "x", "object")
    add("params pickled", "run", rewrite("pobj.npz", params=np.array([params], dtype=object)), "params", "object")
    add("structured dtype", "run", rewrite("xrec.npz", x=np.zeros(3, "f4,i4")), "x", "not a plain array")
    add(
        "eps_hat for fewer particles",
        "run",
        rewrite("eps5.npz", eps_hat=arrays["eps_hat"][:, :5]),
        "eps_hat has shape (12, 5, 2)",
        "(12, 6, 2)",
    )
    add("x 2-D", "run", rewrite("x2d.npz", x=arrays["x"][:, :, 0]), "x has shape (13, 6)")
    add(
        "x with no data axis",
        "run",
        rewrite("x0.npz", x=np.zeros((K + 1, N, 0), np.float32), eps_hat=np.zeros((K, N, 0), np.float32)),
        "x has shape (13, 6, 0)",
        "no empty axis",
    )
    add("steps_done 10**6", "run", rewrite("sd1e6.npz", steps_done=np.int64(10**6)), "steps_done = 1000000", "[0, 12]")
    add("steps_done -5", "run", rewrite("sdm5.npz", steps_done=np.int64(-5)), "steps_done = -5", "[0, 12]")
    add(
        "steps_done 2**64-1",
        "run",
        rewrite("sdmax.npz", steps_done=np.uint64(2**64 - 1)),
        "steps_done = 18446744073709551615",
    )
    add("steps_done float", "run", rewrite("sdf.npz", steps_done=np.float64(12.0)), "steps_done has dtype float64")
    add("steps_done text", "run", rewrite("sdt.npz", steps_done=np.array("12")), "steps_done has dtype <U2")
    add("alpha_bar text", "run", rewrite("abtext.npz", alpha_bar=np.array(["0.5"] * K)), "alpha_bar has dtype <U3")
    add(
        "alpha_bar complex",
        "run",
        rewrite("abc.npz", alpha_bar=arrays["alpha_bar"] + 0j),
        "alpha_bar has dtype complex128",
    )
    nan_ab = arrays["alpha_bar"].copy()
    nan_ab[3] = np.nan
    add("alpha_bar NaN", "run", rewrite("abnan.npz", alpha_bar=nan_ab), "alpha_bar[3] = nan", "(0, 1]")
    add("alpha_bar_prev inf", "run", rewrite("abinf.npz", alpha_bar_prev=np.full(K, np.inf)), "alpha_bar_prev[0] = inf")
    add(
        "clamped as floats",
        "run",
        rewrite("clf.npz", clamped=arrays["clamped"].astype(np.float32)),
        "clamped has dtype float32",
    )
    add("missing x", "run", rewrite("nox.npz", x=None), "missing x")
    add("missing everything (empty zip)", "run", _zip(d / "emptyzip.npz", {}), "missing", "alpha_bar", "x")
    add("field_eps alone", "run", rewrite("fe.npz", field_points=None), "field_eps is there without field_points")
    add("params not JSON", "run", rewrite("pjson.npz", params=np.array("{not json")), "params are not JSON")
    add(
        "params nested 10**5 deep",
        "run",
        rewrite("pdeep.npz", params=np.array("[" * 100_000 + "]" * 100_000)),
        "params are not JSON",
    )
    add("params a list", "run", rewrite("plist.npz", params=np.array("[1, 2]")), "not a JSON object")
    add("params n = 10**12", "run", with_params("pn.npz", n=10**12), "n = 1000000000000", "x holds 6")
    add("params seed -1", "run", with_params("pseed.npz", seed=-1), "seed = -1")
    add("params format 99", "run", with_params("pver.npz", format_version=99), "newer diffviz", "99")
    add("params unknown sampler", "run", with_params("psam.npz", sampler="banana"), "sampler = 'banana' is unknown")
    add("params option out of range", "run", with_params("popt.npz", options={"eta": 7}), "eta", "7")
    add("params betas as text", "run", with_params("pbeta.npz", schedule_betas=["a"] * K), "schedule", "numeric")
    add("params betas too few", "run", with_params("pbeta2.npz", schedule_betas=[0.1]), "schedule of 1 β", "12 steps")
    add("params model a string", "run", with_params("pmodel.npz", model="8gaussians"), "model", "model description")
    add("params n a float", "run", with_params("pnf.npz", n=6.0), "n = 6.0", "integer")
    add(
        "params lacks seed",
        "run",
        rewrite("pnoseed.npz", params=np.array(json.dumps({k: v for k, v in params.items() if k != "seed"}))),
        "lack 'seed'",
    )
    add("recorded schedule without num_steps", "run", with_params("psched.npz", schedule={"name": "linear"}))
    bomb = _raw_zip(
        d / "bomb_header.npz",
        [
            *(_stored(f"{k}.npy", _npy_bytes(v)) for k, v in arrays.items() if k != "x"),
            _bomb("x.npy", _npy((K + 1, 60_000_000, 1)), 32 * MiB),
        ],
    )
    add("zip bomb, header over the limit", "run", bomb, "too large", "GiB", max_alloc=16 * MiB)
    stream = _raw_zip(
        d / "bomb_stream.npz",
        [
            *(_stored(f"{k}.npy", _npy_bytes(v)) for k, v in arrays.items() if k != "steps_done"),
            _bomb("steps_done.npy", _npy((), "<i8", np.int64(K).tobytes()), BOMB_BYTES),
        ],
    )
    add("zip bomb, stream over the limit", "run", stream, "steps_done", "more data than its header", max_alloc=64 * MiB)
    extra = _raw_zip(
        d / "bomb_extra_member.npz",
        [*(_stored(f"{k}.npy", _npy_bytes(v)) for k, v in arrays.items()), _bomb("junk.npy", b"", BOMB_BYTES)],
    )
    add("zip bomb in an unused member (valid)", "run", extra)
    add("member marked encrypted", "run", raw("encrypted.npz", _flag_encrypted(data, "x.npy")), "x", "encrypted")
    folder = d / "folder.npz"
    folder.mkdir(exist_ok=True)
    add("a folder named x.npz", "run", folder, "folder.npz", "folder")
    fifo = d / "pipe.npz"
    _fifo(fifo)
    add("a FIFO named x.npz", "run", fifo, "pipe.npz", "not a regular file")
    zero = d / "zero.npz"
    _link(zero, "/dev/zero")
    add("a link to /dev/zero", "run", zero, "zero.npz", "not a regular file")
    add("missing file", "run", d / "absent.npz", "absent.npz", "No such file")
    fortran = {**arrays, "x": np.asfortranarray(arrays["x"]), "eps_hat": arrays["eps_hat"].astype(">f4")}
    np.savez_compressed(d / "fortran_bigendian.npz", **fortran)
    add("Fortran order, big-endian, deflated (valid)", "run", d / "fortran_bigendian.npz")
    with zipfile.ZipFile(d / "lzma.npz", "w", zipfile.ZIP_LZMA) as z:
        for k, v in arrays.items():
            z.writestr(f"{k}.npy", _npy_bytes(v))
    add("LZMA members (valid)", "run", d / "lzma.npz")
    return {"good": good, "bad": d / "abnan.npz", "fifo": fifo, "half": d / "half.npz"}


def _flag_encrypted(data: bytes, name: str) -> bytes:
    """The archive with member ``name`` flagged as encrypted, in its local header and in the central directory."""
    out = bytearray(data)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        info = z.getinfo(name)
    out[info.header_offset + 6] |= 0x01
    entry = data.find(b"PK\x01\x02")
    while data[entry + 46 : entry + 46 + len(name)] != name.encode():
        entry = data.find(b"PK\x01\x02", entry + 1)
    out[entry + 8] |= 0x01
    return bytes(out)


def _npy_bytes(array: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, array, allow_pickle=False)
    return buf.getvalue()


# ---- scenes -----------------------------------------------------------------------------------------------------
HEAD = 'format_version = 1\n[model]\nspec = "analytic:8gaussians"\n'


def _scenes(b: _Builder, models: dict[str, Path]) -> None:
    d = b.dir("scenes")
    counter = iter(range(1000))

    def scene(text: str | bytes, name: str | None = None) -> Path:
        path = d / (name or f"s{next(counter):02d}.toml")
        path.write_bytes(text if isinstance(text, bytes) else text.encode())
        return path

    add = b.add
    add("valid (crlf line ends)", "scene", scene(HEAD.replace("\n", "\r\n") + "[sampler]\r\nseed = 3\r\n"))
    add("valid (utf-8 BOM)", "scene", scene("\ufeff" + HEAD))
    add("broken TOML", "scene", scene("format_version = 1\n[model\n"), "not a TOML scene", "line 2")
    add("binary garbage", "scene", scene(bytes(range(256)) * 8), "cannot read the scene", "utf-8")
    add("NUL bytes", "scene", scene(HEAD + "\0\0\0\n"), "not a TOML scene")
    add("UTF-16 text", "scene", scene(HEAD.encode("utf-16")), "utf-8")
    add("empty file", "scene", scene(b""), "format_version")
    add("unknown top-level key", "scene", scene("colour = 'red'\n" + HEAD), "unknown key colour = 'red'")
    add("unknown view key", "scene", scene(HEAD + "[view]\nsparkle = true\n"), "unknown key view.sparkle")
    add("unknown key with a newline", "scene", scene(HEAD + '[view]\n"a\\nb" = 1\n'), "unknown key", "view.")
    add("unknown key, 20k values", "scene", scene("junk = [" + "1," * 20_000 + "]\n" + HEAD), "unknown key junk")
    add(
        "wrong type (string for int)",
        "scene",
        scene(HEAD + "[schedule]\nnum_train_timesteps = 'many'\n"),
        "schedule.num_train_timesteps = 'many'",
        "an integer",
    )
    add("wrong type (date)", "scene", scene(HEAD + "[sampler]\nseed = 1979-05-27\n"), "sampler.seed", "an integer")
    add("wrong type (string for table)", "scene", scene("sampler = 'ddim'\n" + HEAD), "[sampler] must be a table")
    add("array of tables", "scene", scene(HEAD + "[[view]]\ntrails = true\n"), "[view] must be a table")
    add("options not a table", "scene", scene(HEAD + "[sampler]\noptions = 3\n"), "sampler.options must be a table")
    add(
        "n = 10**12",
        "scene",
        scene(HEAD + "[sampler]\nnum_particles = 1000000000000\n"),
        "sampler.num_particles = 1000000000000",
    )
    add("seed = 2**40", "scene", scene(HEAD + "[sampler]\nseed = 1099511627776\n"), "sampler.seed = 1099511627776")
    add("seed = 2**70", "scene", scene(HEAD + f"[sampler]\nseed = {2**70}\n"), f"sampler.seed = {2**70}")
    add(
        "T = 10**9",
        "scene",
        scene(HEAD + "[schedule]\nnum_train_timesteps = 1000000000\n"),
        "schedule.num_train_timesteps = 1000000000",
    )
    huge = "0x" + "f" * 5000  # TOML's hexadecimal has no length limit; repr() and float() of it fail
    add(
        "seed = 0xfff… (20000 bits)",
        "scene",
        scene(HEAD + f"[sampler]\nseed = {huge}\n"),
        "sampler.seed",
        "20000-bit integer",
        "out of range",
    )
    add("seed of 5000 digits", "scene", scene(HEAD + f"[sampler]\nseed = 1{'0' * 5000}\n"), "4300 digits")
    add(
        "camera with a 20000-bit integer",
        "scene",
        scene(HEAD + f"[view]\ncamera = [{huge}, 1, 0, 1]\n"),
        "view.camera",
        "out of range",
    )
    add(
        "eta = 0xfff…",
        "scene",
        scene(HEAD + f"[sampler]\nname = 'ddim'\n[sampler.options]\neta = {huge}\n"),
        "sampler.options.eta",
        "float in [0, 1]",
    )
    add(
        "corrector_steps = 0xfff…",
        "scene",
        scene(HEAD + f"[sampler]\nname = 'pc'\n[sampler.options]\ncorrector_steps = {huge}\n"),
        "sampler.options.corrector_steps",
        "int in [0, 20]",
    )
    add("followed = [0xfff…]", "scene", scene(f"followed = [{huge}]\n" + HEAD), "followed", "num_particles")
    add("format_version = 0xfff…", "scene", scene(f"format_version = {huge}\n" + HEAD[18:]), "newer diffviz")
    add("unknown key = 0xfff…", "scene", scene(f"junk = {huge}\n" + HEAD), "unknown key junk", "20000-bit")
    add("negative n", "scene", scene(HEAD + "[sampler]\nnum_particles = -1\n"), "sampler.num_particles = -1")
    add("negative step", "scene", scene(HEAD + "[playback]\nstep = -3\n"), "playback.step = -3")
    add(
        "beta_end = nan",
        "scene",
        scene(HEAD + "[schedule]\nbeta_end = nan\n", "beta_nan.toml"),
        "schedule.beta_end = nan",
    )
    add("ui_scale = inf", "scene", scene(HEAD + "[view]\nui_scale = inf\n"), "view.ui_scale = inf")
    add("camera with -inf", "scene", scene(HEAD + "[view]\ncamera = [-inf, 1, 0, 1]\n"), "view.camera")
    add("1e400 (inf) as beta", "scene", scene(HEAD + "[schedule]\nbeta_start = 1e400\n"), "schedule.beta_start = inf")
    add(
        "eta = nan",
        "scene",
        scene(HEAD + "[sampler]\nname = 'ddim'\n[sampler.options]\neta = nan\n"),
        "sampler.options.eta = nan",
    )
    add(
        "corrector_steps = 1e300",
        "scene",
        scene(HEAD + "[sampler]\nname = 'pc'\n[sampler.options]\ncorrector_steps = 1e300\n"),
        "sampler.options.corrector_steps",
    )
    add("unknown sampler", "scene", scene(HEAD + "[sampler]\nname = 'banana'\n"), "sampler.name = 'banana'")
    add("followed = [10**20]", "scene", scene(f"followed = [{10**20}]\n" + HEAD), "followed", "num_particles")
    add("followed × 1000", "scene", scene(f"followed = {list(range(1000))}\n" + HEAD), "followed", "at most 64")
    add("caption 3000 chars", "scene", scene(f"caption = '{'x' * 3000}'\n" + HEAD), "caption", "at most 2000")
    add("format_version 2**70", "scene", scene(f"format_version = {2**70}\n" + HEAD[18:]), "newer diffviz")
    add("format_version 1.0", "scene", scene("format_version = 1.0\n" + HEAD[18:]), "format_version = 1.0")
    add("no model", "scene", scene("format_version = 1\n"), "[model] spec")
    add(
        "missing model file",
        "scene",
        scene('format_version = 1\n[model]\nspec = "nowhere/absent.onnx"\n'),
        "model.spec",
        "no such model file",
    )
    (d / "dir.onnx").mkdir(exist_ok=True)
    add(
        "model is a folder",
        "scene",
        scene('format_version = 1\n[model]\nspec = "dir.onnx"\n'),
        "model.spec",
        "not a file",
    )
    _fifo(d / "pipe.onnx")
    add(
        "model is a FIFO",
        "scene",
        scene('format_version = 1\n[model]\nspec = "pipe.onnx"\n'),
        "model.spec",
        "not a file",
    )
    spec = json.dumps(str(models["notes"]))
    add(
        "model not ONNX",
        "scene",
        scene(f"format_version = 1\n[model]\nspec = {spec}\n"),
        "model.spec",
        "not an ONNX model",
    )
    long = json.dumps("x" * 100_000)
    add("model spec of 100k characters", "scene", scene(f"format_version = 1\n[model]\nspec = {long}\n"), "model.spec")
    long = json.dumps("x" * 100_000 + ".onnx")
    add(
        "model path of 100k characters",
        "scene",
        scene(f"format_version = 1\n[model]\nspec = {long}\n"),
        "model.spec",
        "no such model file",
    )
    add("model sha256 not hex", "scene", scene(HEAD + "sha256 = 'zz'\n"), "model.sha256 = 'zz'")
    add("arrays nested 1000 deep", "scene", scene(HEAD + "junk = " + "[" * 1000 + "]" * 1000 + "\n"), "nested")
    add("inline tables nested 1000 deep", "scene", scene(HEAD + "junk = " + "{a=" * 1000 + "1" + "}" * 1000), "nested")
    add("table header 5000 deep", "scene", scene(HEAD + "[" + ".".join(["a"] * 5000) + "]\nx = 1\n"), "unknown key a")
    add("table header 50000 deep", "scene", scene(HEAD + "[" + ".".join(["a"] * 50_000) + "]\nx = 1\n"), "nested")
    add("dotted key 100000 deep", "scene", scene(HEAD + "x." * 100_000 + "y = 1\n"), "nested")
    sparse = d / "huge.toml"
    with open(sparse, "wb") as f:
        f.truncate(50_000_000)  # 50 MB that take no disk
    add("50 MB file (sparse)", "scene", sparse, "50000000 bytes", "at most")
    (d / "folder.toml").mkdir(exist_ok=True)
    add("a folder named x.toml", "scene", d / "folder.toml", "folder.toml", "folder")
    _fifo(d / "pipe.toml")
    add("a FIFO named x.toml", "scene", d / "pipe.toml", "pipe.toml", "not a regular file")
    _link(d / "zero.toml", "/dev/zero")
    add("a link to /dev/zero", "scene", d / "zero.toml", "zero.toml", "not a regular file")
    add("missing file", "scene", d / "absent.toml", "absent.toml", "No such file")


# ---- settings stores ----------------------------------------------------------------------------------------------
def _ini(path: Path, **values: str) -> Path:
    from PySide6.QtCore import QSettings

    qs = QSettings(str(path), QSettings.Format.IniFormat)
    for key, value in values.items():
        qs.setValue(key, value)
    qs.sync()
    return path


def _settings(b: _Builder) -> None:
    d = b.dir("settings")

    def raw(name: str, content: bytes) -> Path:
        path = d / name
        path.write_bytes(content)
        return path

    moved = "could not be read"
    add = b.add
    for name, content in {
        "garbage": bytes(range(256)) * 4,
        "NUL bytes": b"[General]\nsettings=\0\0\0\n",
        "unclosed quote": b'[General]\nsettings="{\\"sampler\\": \n[other]\nx=1\n',
        "invalid JSON": b"[General]\nsettings={not json\n",
    }.items():
        path = raw(name.replace(" ", "_") + ".ini", content)
        add(name, "settings", path, moved, outputs=(path, path.with_name(path.name + ".corrupt")))
    huge = {
        "model": "analytic:8gaussians",
        "schedule": {"num_train_timesteps": 10**9, "num_inference_steps": -5, "beta_end": 2**70},
        "sampler": {"num_particles": 10**12, "seed": 2**70, "name": "euler", "options": {"eta": 1e308}},
        "view": {"field_grid": 10**6, "trail_length": -1, "camera": [0, 0, 0], "panels": "x_t"},
    }
    add("huge and negative values (ignored)", "settings", _ini(d / "huge.ini", settings=json.dumps(huge)))
    nan = '{"schedule": {"beta_end": NaN, "beta_start": -Infinity}, "view": {"ui_scale": Infinity}}'
    add("NaN and Infinity (ignored)", "settings", _ini(d / "nan.ini", settings=nan))
    add("recent: 10**5 entries (ignored)", "settings", _ini(d / "recent.ini", recent=json.dumps(["a"] * 100_000)))
    deep = _ini(d / "deep.ini", settings="[" * 100_000 + "]" * 100_000)
    add("JSON nested 10**5 deep", "settings", deep, moved, outputs=(deep, deep.with_name("deep.ini.corrupt")))
    sparse = d / "sparse.ini"
    with open(sparse, "wb") as f:
        f.truncate(50_000_000)
    add(
        "50 MB of NULs (sparse)",
        "settings",
        sparse,
        moved,
        outputs=(sparse, d / "sparse.ini.corrupt"),
        max_alloc=160 * MiB,
    )  # read whole (no size limit on a store): 50 MB of bytes, then as text
    fifo = d / "pipe.ini"
    _fifo(fifo)
    add(
        "a FIFO as the store",
        "settings",
        fifo,
        "pipe.ini",
        skip="not opened at all (a notice instead): tests/ui/test_reliability.py",
    )
    zero = d / "zero.ini"
    _link(zero, "/dev/zero")
    add(
        "a link to /dev/zero as the store",
        "settings",
        zero,
        "zero.ini",
        skip="not opened at all (a notice instead): tests/ui/test_reliability.py",
    )


# ---- the command line ---------------------------------------------------------------------------------------------
def _cli(b: _Builder, models: dict[str, Path], runs: dict[str, Path]) -> None:
    d = b.dir("cli")
    out = d / "out.npz"
    model = "analytic:8gaussians"
    sample: list[str | Path] = ["sample", model, "-o", out]
    cli = b.cli
    cli("sample --n -1", [*sample, "--n", "-1"], "--n", "-1")
    cli("sample --n 1e12", [*sample, "--n", "1e12"], "--n", "'1e12'")
    cli("sample --n 10**12", [*sample, "--n", str(10**12)], "1000000000000 particles", "GiB")
    cli("sample --seed -1", [*sample, "--seed", "-1"], "--seed", "-1")
    cli("sample --seed 2**70", [*sample, "--seed", str(2**70)], "--seed", str(2**70))
    cli("sample --seed 2**70 (text)", [*sample, "--seed", "2**70"], "--seed", "'2**70'")
    cli("sample -T 1e9", [*sample, "--num-train-timesteps", "1e9"], "--num-train-timesteps", "'1e9'")
    cli("sample -T 10**9", [*sample, "--num-train-timesteps", str(10**9)], "--num-train-timesteps", "limit")
    cli("sample -T 0", [*sample, "--num-train-timesteps", "0"], "--num-train-timesteps", "0")
    cli("sample -T -5", [*sample, "--num-train-timesteps", "-5"], "--num-train-timesteps", "-5")
    cli("sample --eta nan", [*sample, "--sampler", "ddim", "--eta", "nan"], "--eta nan")
    cli("sample --eta inf", [*sample, "--sampler", "ddim", "--eta", "inf"], "--eta inf")
    cli("sample --eta for ddpm", [*sample, "--eta", "0.5"], "--eta", "ddpm")
    cli("sample --beta-end nan", [*sample, "--beta-end", "nan"], "beta_end", "nan")
    cli("sample --beta-start -1", [*sample, "--beta-start", "-1"], "beta_start", "-1")
    steps = ["--num-inference-steps"]  # Schedule names it num_inference_steps, after diffusers
    cli("sample --num-inference-steps 0", [*sample, *steps, "0"], "num_inference_steps", "[1, 1000]", "got 0")
    cli("sample --num-inference-steps -5", [*sample, *steps, "-5"], "num_inference_steps", "got -5")
    cli("sample --num-inference-steps 10**9", [*sample, *steps, str(10**9)], "num_inference_steps", "got 1000000000")
    cli("sample --sampler banana", [*sample, "--sampler", "banana"], "--sampler", "'banana'")
    cli("sample --steps (renamed)", [*sample, "--steps", "10"], "--steps was renamed")
    cli("sample --corrector-steps 1e3", [*sample, "--sampler", "pc", "--corrector-steps", "1000"], "--corrector-steps")
    onnx = models["good"]
    cli(
        "DIFFVIZ_THREADS=100000",
        ["sample", onnx, "-o", out],
        "DIFFVIZ_THREADS=100000",
        env=(("DIFFVIZ_THREADS", "100000"),),
    )
    cli("DIFFVIZ_THREADS=abc", ["info", onnx], "DIFFVIZ_THREADS='abc'", env=(("DIFFVIZ_THREADS", "abc"),))
    cli("DIFFVIZ_PROVIDER=gpu", ["info", onnx], "DIFFVIZ_PROVIDER='gpu'", env=(("DIFFVIZ_PROVIDER", "gpu"),))
    cli("output in a missing folder", ["sample", model, "-o", d / "missing" / "out.npz"], "does not exist")
    cli("output is a folder", ["sample", model, "-o", d], "it is a folder")
    fifo = d / "pipe.npz"
    _fifo(fifo)
    cli("output is a FIFO", ["sample", model, "-o", fifo], "pipe.npz", "not a regular file")
    target = d / "keep.npz"
    target.write_bytes(b"someone else's file")
    _link(d / "link.npz", target)
    cli("output is a symlink", ["sample", model, "-o", d / "link.npz"], "link.npz", "not a regular file")
    _link(d / "null.npz", "/dev/null")
    cli("output is a link to /dev/null", ["sample", model, "-o", d / "null.npz"], "null.npz", "not a regular file")
    cli("output's folder is a file", ["sample", model, "-o", target / "out.npz"], "is a file")
    cli("model is not ONNX", ["sample", models["notes"], "-o", out], "notes.onnx", "not an ONNX model")
    cli("model is empty", ["sample", models["empty"], "-o", out], "blank.onnx", "not an ONNX model")
    cli("unknown model name", ["sample", "mooons", "-o", out], "'mooons'", "not a file or a known model")
    cli("model name of 300 characters", ["sample", "x" * 300, "-o", out], "not a file or a known model")
    cli("model path of 300 characters", ["info", "x" * 300 + ".onnx"], "no such file")
    cli("mistyped subcommand", ["smaple"], "unknown command 'smaple'", "'sample'", hint_lines=2)
    cli("mistyped subcommand with arguments", ["smaple", model, "-o", out], "unknown command 'smaple'", hint_lines=2)
    cli("missing -o", ["sample", model], "-o/--output")
    cli("info --n 0", ["info", model, "--n", "0"], "--n must be ≥ 1")
    cli("info --n 10**12", ["info", model, "--n", str(10**12)], "--n", "1000000000000")
    cli("info on an empty file", ["info", models["empty"]], "blank.onnx", "not an ONNX model")
    gif = d / "out.gif"
    render: list[str | Path] = ["render", "-o", gif]
    cli("render a NaN run", [*render, runs["bad"]], "alpha_bar[3] = nan")
    cli("render a truncated run", [*render, runs["half"]], "half.npz", "truncated")
    cli("render a FIFO run", [*render, runs["fifo"]], "pipe.npz", "not a regular file")
    scenes = b.folder / "scenes"
    cli("render a FIFO scene", [*render, scenes / "pipe.toml"], "pipe.toml", "not a regular file")
    cli("render a NaN scene", [*render, scenes / "beta_nan.toml"], "schedule.beta_end = nan")
    big = scenes / "big.toml"
    big.write_text(
        HEAD + "[schedule]\nnum_train_timesteps = 10000\nnum_inference_steps = 10000\n"
        "[sampler]\nnum_particles = 200000\n"
    )
    cli("render a 30 GiB scene", [*render, big], "GiB", max_alloc=64 * MiB)
    cli("render --n with a run", [*render, runs["good"], "--n", "5"], "--n", "applies when SOURCE is a model")
    cli("render --size 1e5", [*render, model, "--size", "100000x100000"], "--size", "16 to 7680")
    cli("render --fps nan", [*render, model, "--fps", "nan"], "--fps nan")
    cli(
        "render --duration inf",
        [*render, model, "--duration", "inf", "--n", "5", "--num-inference-steps", "5"],
        "--duration inf",
    )
    cli("render --frame with .gif", [*render, model, "--frame", "3"], "--frame", "out.gif")
    _fifo(d / "pipe.gif")
    cli("render into a missing folder", ["render", model, "-o", d / "missing" / "out.gif"], "does not exist")
    cli("render output is a FIFO", ["render", model, "-o", d / "pipe.gif"], "pipe.gif", "not a regular file")
    # end to end: the installed command in a subprocess (the hang on a FIFO would show as a timeout there)
    cli("e2e: sample --n -1", [*sample, "--n", "-1"], "--n", "-1", slow=True)
    cli("e2e: info on text", ["info", models["notes"]], "notes.onnx", "not an ONNX model", slow=True)
    cli("e2e: render a FIFO scene", [*render, scenes / "pipe.toml"], "pipe.toml", "not a regular file", slow=True)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m tests.helpers.bad_inputs FOLDER  (writes the corpus into FOLDER)", file=sys.stderr)
        return 2
    folder = Path(args[0])
    folder.mkdir(parents=True, exist_ok=True)
    cases = build_corpus(folder)
    for case in cases:
        print(case.describe())
    print(f"{len(cases)} cases in {folder}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
