"""A recorded sampling run: every x_t, the model's ε̂ at each step, and what is needed to reproduce it.

Only x and ε̂ are stored; the score and x̂_0 are derived on demand (math.md: s = −ε̂/√(1−ᾱ),
x̂_0 = (x_t − √(1−ᾱ) ε̂)/√ᾱ), so nothing is kept twice.
"""

from __future__ import annotations

import json
import math
import mmap
import os
import struct
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Protocol

import numpy as np
from numpy.lib import format as npy

from .atomic import atomic_path, not_regular
from .parameterization import score_from_eps, x0_from_eps
from .run_params import RunParams, RunParamsError

REQUIRED_ARRAYS = ("x", "eps_hat", "alpha_bar", "alpha_bar_prev", "model_time", "clamped", "steps_done", "params")
FIELD_ARRAYS = ("field_points", "field_eps")
OPTIONAL_ARRAYS = ("x0_hat",)  # absent in runs saved before x̂_0 was recorded (then rebuilt from ε̂)
# x and ε̂ of every step are kept in memory: a run is refused (when sampled, and when opened) above this size.
MAX_RUN_BYTES = 2 * 1024**3
MAX_PARAMS_BYTES = 64 * 1024**2  # the JSON parameters (mostly the schedule's β and timesteps: ~0.1 KiB per step)
_CHUNK = 16 * 1024**2
# What the zip and .npy readers raise on a damaged file (a CRC mismatch, a bad deflate stream, a garbled header…).
_DAMAGE: tuple[type[BaseException], ...] = (
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    OSError,
    ValueError,
    TypeError,
    NotImplementedError,
    RuntimeError,  # an encrypted member; RecursionError on a pathological header
    struct.error,
    OverflowError,
    SyntaxError,
)
try:  # zipfile reads LZMA members with the lzma module, where Python has it
    import lzma

    _DAMAGE = (*_DAMAGE, lzma.LZMAError)
except ImportError:  # pragma: no cover
    pass


def recorded_bytes(n: int, num_steps: int, data_shape: tuple[int, ...], field_points: int = 0) -> int:
    """Bytes of the arrays a run of ``num_steps`` steps × ``n`` particles records (what :meth:`Trajectory.load`
    counts against :data:`MAX_RUN_BYTES`): x, ε̂ and x̂_0 (float32), the per-step ᾱ, ᾱ_prev, model time and clamp
    flag, and ``field_points`` grid points with their ε̂ at every step."""
    per_particle_state = int(n) * math.prod(int(d) for d in data_shape) * 4
    size = (3 * num_steps + 1) * per_particle_state + num_steps * (8 + 8 + 8 + 1) + 8
    if field_points:
        size += (num_steps + 1) * int(field_points) * 2 * 4
    return size


def _gib(size: int) -> str:
    return f"{size / 1024**3:.1f} GiB"


MAPPED_FROM = 4 * 1024**2  # NumPy asks for transparent huge pages from this size on (pages are mapped lazily:
# mapping them all at once, MAP_POPULATE, was ~7 % faster at 100k but would zero a 1 GiB recording on the GUI thread)


def _recording(shape: tuple[int, ...]) -> np.ndarray:
    """A zeroed float32 array for a run's recording; from 4 MiB on, in ordinary pages (Linux).

    NumPy marks arrays of 4 MiB and more for transparent huge pages, and where the kernel compacts memory on such a
    fault (``defrag = madvise``, a common default) writing a run's steps stalled now and then: at 100,000 particles a
    step cost 4.6 or 10–11 ms outside the model from run to run. Anonymous memory advised against huge pages (zeroed
    by the kernel as it is first written, released with the array) makes it a steady ~5.7 ms.
    """
    nbytes = math.prod(shape) * 4
    if nbytes < MAPPED_FROM or not hasattr(mmap, "MADV_NOHUGEPAGE"):
        return np.zeros(shape, np.float32)
    pages = mmap.mmap(-1, nbytes)
    pages.madvise(mmap.MADV_NOHUGEPAGE)
    return np.frombuffer(pages, np.float32).reshape(shape)


class FieldSource(Protocol):
    """What evaluates a run's score field on demand (:class:`~diffviz.core.SamplingRun`)."""

    def ensure_field(self, k: int) -> None: ...

    def ensure_fields(self) -> None: ...


class _Damaged(ValueError):
    """A member whose data does not match its header (its message names it)."""


@dataclass(frozen=True)
class _Header:
    """One ``.npy`` member of a run's zip archive, as its header describes it (nothing read yet)."""

    member: zipfile.ZipInfo
    shape: tuple[int, ...]
    dtype: np.dtype[Any]
    fortran_order: bool

    @property
    def nbytes(self) -> int:
        return math.prod(self.shape) * self.dtype.itemsize

    def describe(self) -> str:
        return f"shape {self.shape} {self.dtype}"


@dataclass(eq=False, repr=False)
class Trajectory:
    """Arrays in sampling order: step k = 0 is the noisiest.

    - ``x``          (K+1, N, …) float32: x[0] = x_T, x[k+1] = result of step k, x[K] = the sample
    - ``eps_hat``    (K, N, …)   float32: ε̂ at (x[k], ᾱ[k])
    - ``x0``         (K, N, …)   float32: x̂_0 as the step computed it (in float64 where ε̂ is derived from the
      output): rebuilding an x̂_0-model's answer from float32 ε̂ as (x − √(1−ᾱ) ε̂)/√ᾱ would lose ~1e-3 at
      ᾱ = 1e-8; None in runs saved before it was recorded
    - ``alpha_bar``, ``alpha_bar_prev`` (K,): the sampling schedule's ᾱ_t and ᾱ_{t−1}
    - ``model_time`` (K,): the time the model was queried at; ``clamped`` (K,): outside its trained range
    - ``field_points`` (G·G, 2) and ``field_eps`` (K, G·G, 2): ε̂ on a grid, for 2D models. A run sampled with the
      field on demand (:func:`~diffviz.core.sample`'s default) evaluates a step's field when it is first read
      (``field_score_at(k)``, or all of them on reading ``field_eps`` or saving); ``field_eps_stored`` is the array
      as it is, NaN where not evaluated yet
    - ``steps_done``: how many steps are filled (a run being computed, or one that was cancelled)
    """

    x: np.ndarray
    eps_hat: np.ndarray
    alpha_bar: np.ndarray
    alpha_bar_prev: np.ndarray
    model_time: np.ndarray
    clamped: np.ndarray
    params: RunParams
    field_points: np.ndarray | None = None
    field_eps: np.ndarray | None = None
    steps_done: int = 0
    x0: np.ndarray | None = None
    _field_source: FieldSource | None = field(default=None, init=False)  # fills the field on demand

    @classmethod
    def allocate(
        cls,
        num_steps: int,
        x_T: np.ndarray,
        alpha_bar: np.ndarray,
        alpha_bar_prev: np.ndarray,
        params: RunParams,
        field_points: np.ndarray | None = None,
    ) -> Trajectory:
        x = _recording((num_steps + 1, *x_T.shape))
        x[0] = x_T
        field_eps = None
        if field_points is not None:
            field_eps = _recording((num_steps, *field_points.shape))
        return cls(
            x=x,
            eps_hat=_recording((num_steps, *x_T.shape)),
            alpha_bar=np.asarray(alpha_bar, np.float64),
            alpha_bar_prev=np.asarray(alpha_bar_prev, np.float64),
            model_time=np.full(num_steps, np.nan),
            clamped=np.zeros(num_steps, bool),
            params=params,
            field_points=field_points,
            field_eps=field_eps,
            x0=_recording((num_steps, *x_T.shape)),
        )

    def __repr__(self) -> str:  # a summary: the arrays can hold millions of numbers (and a field on demand)
        p = self.params
        field = ""
        if self.field_points is not None:
            pending = self._field_source is not None
            field = f", field {p.field_grid}×{p.field_grid}{' on demand' if pending else ''}"
        return (
            f"Trajectory({p.sampler} on {p.model.name}: {self.steps_done}/{self.num_steps} steps, "
            f"{self.num_particles} particles of shape {self.data_shape}, seed {p.seed}{field})"
        )

    # ---- shape ----------------------------------------------------------------------------------------------
    @property
    def num_steps(self) -> int:
        return int(self.eps_hat.shape[0])

    @property
    def num_particles(self) -> int:
        return int(self.x.shape[1])

    @property
    def data_shape(self) -> tuple[int, ...]:
        return tuple(self.x.shape[2:])

    @property
    def complete(self) -> bool:
        return self.steps_done == self.num_steps

    @property
    def sample(self) -> np.ndarray:
        """x_0, the result of the last completed step."""
        return self.x[self.steps_done]

    # ---- derived quantities ----------------------------------------------------------------------------------
    def _ab(self, k: int | slice) -> Any:
        a = self.alpha_bar[k]
        return a if np.ndim(a) == 0 else a.reshape(-1, *([1] * (self.x.ndim - 1)))

    def score_at(self, k: int) -> np.ndarray:
        """s_θ(x_t, t) at step k: −ε̂/√(1−ᾱ)."""
        return score_from_eps(self.eps_hat[k], float(self.alpha_bar[k])).astype(np.float32)

    def x0_hat_at(self, k: int) -> np.ndarray:
        """Tweedie's x̂_0 at step k (recorded; rebuilt from ε̂ for runs saved before it was)."""
        if self.x0 is not None:
            return self.x0[k]
        return x0_from_eps(self.eps_hat[k], self.x[k], float(self.alpha_bar[k])).astype(np.float32)

    @property
    def score(self) -> np.ndarray:
        return score_from_eps(self.eps_hat, self._ab(slice(None))).astype(np.float32)

    @property
    def x0_hat(self) -> np.ndarray:
        if self.x0 is not None:
            return self.x0
        return x0_from_eps(self.eps_hat, self.x[:-1], self._ab(slice(None))).astype(np.float32)

    def field_score_at(self, k: int) -> np.ndarray | None:
        """The score field on the grid at step k, (G·G, 2), or None for non-2D models (evaluated now if the run
        has its field on demand and this step's is not yet)."""
        source = self._field_source
        if source is not None:
            source.ensure_field(k)
        field_eps = self.field_eps_stored
        if field_eps is None:
            return None
        return score_from_eps(field_eps[k], float(self.alpha_bar[k])).astype(np.float32)

    @property
    def field_eps_stored(self) -> np.ndarray | None:
        """``field_eps`` as it is now: NaN rows for steps whose field is not evaluated yet (nothing is computed)."""
        return self.__dict__.get("_field_eps")

    def field_on_demand(self, source: FieldSource | None) -> None:
        """Have ``source`` fill the field when it is read (None: the stored array is all there is)."""
        self._field_source = source

    def _field_eps(self) -> np.ndarray | None:
        """``field_eps``: every sampled step's field, evaluated first where it is on demand."""
        source = self._field_source
        if source is not None:
            source.ensure_fields()
            if self.complete:
                self.field_on_demand(None)  # all there: the run (and its model) need not be kept
        return self.field_eps_stored

    def _set_field_eps(self, value: np.ndarray | None) -> None:
        self.__dict__["_field_eps"] = value

    # ---- persistence -----------------------------------------------------------------------------------------
    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write an ``.npz`` atomically (temporary file, then rename): no half-written run is ever left."""
        path = Path(path)
        arrays: dict[str, Any] = dict(
            x=self.x,
            eps_hat=self.eps_hat,
            alpha_bar=self.alpha_bar,
            alpha_bar_prev=self.alpha_bar_prev,
            model_time=self.model_time,
            clamped=self.clamped,
            steps_done=np.int64(self.steps_done),
            params=np.array(json.dumps(self.params.to_dict())),
        )
        if self.x0 is not None:
            arrays["x0_hat"] = self.x0
        if self.field_points is not None and self.field_eps is not None:
            arrays.update(field_points=self.field_points, field_eps=self.field_eps)
        try:
            with atomic_path(path) as tmp, open(tmp, "wb") as f:
                np.savez(f, **arrays)
        except FileNotFoundError as exc:
            raise FileNotFoundError(f"cannot save run: {exc}") from None
        return path

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Trajectory:
        """Read a run written by :meth:`save`, checked as a whole; anything else raises ValueError saying what.

        The archive is read member by member: each array's ``.npy`` header (shape, dtype) is checked — and the
        total against :data:`MAX_RUN_BYTES` — before any data is read, so a damaged or hostile file is refused
        without allocating what it claims.
        """
        _check_regular_file(path)
        try:
            archive = zipfile.ZipFile(path)
        except zipfile.BadZipFile:
            raise ValueError(f"{path} is not a diffviz run (.npz): {_not_zip(path)}") from None
        except OSError as exc:
            raise ValueError(f"{path} cannot be read: {exc.strerror or exc}") from None
        except _DAMAGE as exc:
            raise ValueError(f"{path} is not a diffviz run (.npz): a damaged zip archive ({_why(exc)})") from None
        with archive:
            headers = _read_headers(archive, path)
            _check_headers(headers, path)
            data = {name: _read_member(archive, header, name, path) for name, header in headers.items()}
        return _assemble(cls, data, path)


# field_eps reads through _field_eps (a property over the dataclass field, so that the constructor still takes it)
Trajectory.field_eps = property(Trajectory._field_eps, Trajectory._set_field_eps)  # type: ignore[assignment]


def _why(exc: BaseException, limit: int = 200) -> str:
    """An exception's text on one line, cut short: zipfile and numpy quote the damaged bytes they read."""
    text = " ".join(str(exc).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _check_regular_file(path: str | os.PathLike[str]) -> None:
    """Refuse a folder, a pipe or a device before opening it: a FIFO blocks the open, /dev/zero never ends."""
    try:
        mode = os.stat(path).st_mode
    except (OSError, ValueError) as exc:  # ValueError: a NUL in the path
        raise ValueError(f"{path} cannot be read: {getattr(exc, 'strerror', None) or exc}") from None
    what = not_regular(mode)
    if what:
        raise ValueError(f"{path} cannot be read: it is {what}")


def _not_zip(path: str | os.PathLike[str]) -> str:
    """Why ``zipfile`` refused the file: not a zip at all, or one whose end (the central directory) is missing."""
    try:
        with open(path, "rb") as f:
            start = f.read(4)
    except OSError:
        start = b""
    if start == b"PK\x03\x04":
        return "a zip archive without its directory at the end (the file is truncated or damaged)"
    return "not a zip archive"


def _read_headers(archive: zipfile.ZipFile, path: str | os.PathLike[str]) -> dict[str, _Header]:
    """The ``.npy`` header of every member a run has (others are ignored); a missing array is refused here."""
    known = (*REQUIRED_ARRAYS, *FIELD_ARRAYS, *OPTIONAL_ARRAYS)
    members: dict[str, zipfile.ZipInfo] = {}
    for info in archive.infolist():
        name = info.filename[:-4] if info.filename.endswith(".npy") else info.filename
        if name in known:
            members[name] = info
    missing = set(REQUIRED_ARRAYS) - set(members)
    if missing:
        raise ValueError(f"{path} is not a diffviz run: missing {', '.join(sorted(missing))}")
    headers: dict[str, _Header] = {}
    for name, info in members.items():
        try:
            with archive.open(info) as fp:
                headers[name] = _npy_header(fp, info)
        except ValueError as exc:
            raise ValueError(f"{path} is not a valid diffviz run: {name}: {_why(exc)}") from None
        except _DAMAGE as exc:
            raise ValueError(f"{path} is damaged: the header of {name} cannot be read ({_why(exc)})") from None
    return headers


def _npy_header(fp: IO[bytes], info: zipfile.ZipInfo) -> _Header:
    try:
        version = npy.read_magic(fp)
    except ValueError:
        raise ValueError("not an .npy array (its magic string is wrong)") from None
    if version == (1, 0):
        shape, fortran_order, dtype = npy.read_array_header_1_0(fp)
    elif version == (2, 0):
        shape, fortran_order, dtype = npy.read_array_header_2_0(fp)
    else:
        raise ValueError(f".npy format version {version[0]}.{version[1]}, which diffviz does not read")
    if any(d < 0 for d in shape):
        raise ValueError(f"its header claims shape {shape}")
    if dtype.hasobject or dtype.fields is not None or dtype.kind == "V":
        raise ValueError(f"dtype {dtype} is not a plain array (a run stores numbers, flags and one JSON string)")
    return _Header(info, tuple(int(d) for d in shape), dtype, bool(fortran_order))


# name → (dtype kinds, what the name must hold)
_DTYPES: dict[str, tuple[str, str]] = {
    "x": ("f", "float32"),
    "eps_hat": ("f", "float32"),
    "x0_hat": ("f", "float32"),
    "field_points": ("f", "float32"),
    "field_eps": ("f", "float32"),
    "alpha_bar": ("f", "floats"),
    "alpha_bar_prev": ("f", "floats"),
    "model_time": ("fiu", "numbers"),
    "clamped": ("b", "bool"),
    "steps_done": ("iu", "an integer"),
    "params": ("U", "a JSON string"),
}


def _check_headers(headers: dict[str, _Header], path: str | os.PathLike[str]) -> None:
    """Dtypes, the total size and every shape, from the headers alone (before a byte of data is read)."""

    def bad(message: str) -> ValueError:
        return ValueError(f"{path} is not a valid diffviz run: {message}")

    for name, h in headers.items():
        kinds, want = _DTYPES[name]
        if h.dtype.kind not in kinds or (want == "float32" and h.dtype.itemsize != 4):
            raise bad(f"{name} has dtype {h.dtype}; it must hold {want}")
    data = {name: h for name, h in headers.items() if name != "params"}
    total = sum(h.nbytes for h in data.values())
    if total > MAX_RUN_BYTES:
        big = max(data, key=lambda name: data[name].nbytes)
        raise ValueError(
            f"{path} is too large to open: its arrays would take {_gib(total)} once read ({big} claims "
            f"{data[big].describe()}, {_gib(data[big].nbytes)}); diffviz opens runs up to {_gib(MAX_RUN_BYTES)}"
        )
    if headers["params"].nbytes > MAX_PARAMS_BYTES:
        raise ValueError(
            f"{path} is too large to open: its params claim {headers['params'].nbytes} bytes "
            f"(at most {MAX_PARAMS_BYTES})"
        )
    for name in ("steps_done", "params"):
        if headers[name].shape != ():
            raise bad(f"{name} has shape {headers[name].shape}; it must be a single value")
    x = headers["x"].shape
    if len(x) < 3 or x[0] < 2 or x[1] < 1 or 0 in x[2:]:
        raise bad(f"x has shape {x}; it must be (K+1, N, …) with K ≥ 1 steps, N ≥ 1 particles and no empty axis")
    K, rest = x[0] - 1, x[1:]
    expected = {"eps_hat": (K, *rest), "alpha_bar": (K,), "alpha_bar_prev": (K,), "model_time": (K,), "clamped": (K,)}
    if "x0_hat" in headers:
        expected["x0_hat"] = (K, *rest)
    for name, shape in expected.items():
        if headers[name].shape != shape:
            raise bad(f"{name} has shape {headers[name].shape}; with x of shape {x} ({K} steps) it must be {shape}")
    present = [name for name in FIELD_ARRAYS if name in headers]
    if len(present) == 1:
        raise bad(f"{present[0]} is there without {FIELD_ARRAYS[1 - FIELD_ARRAYS.index(present[0])]}")
    if present:
        points, field = headers["field_points"].shape, headers["field_eps"].shape
        if len(points) != 2 or points[1] != 2 or math.isqrt(points[0]) ** 2 != points[0] or points[0] == 0:
            raise bad(f"field_points has shape {points}; it must be (G·G, 2)")
        if field != (K, *points):
            raise bad(
                f"field_eps has shape {field}; with {K} steps and {points[0]} grid points it must be {(K, *points)}"
            )


def _read_member(archive: zipfile.ZipFile, header: _Header, name: str, path: str | os.PathLike[str]) -> np.ndarray:
    """The member's data, exactly the bytes its header announced: a shorter stream is truncated, a longer one is
    refused unread (a small header over a huge stream), and zipfile checks the CRC on reaching the end."""
    size = header.nbytes
    try:
        out = np.empty(math.prod(header.shape), dtype=header.dtype)
        raw = out.view(np.uint8) if size else np.empty(0, np.uint8)
        with archive.open(header.member) as fp:
            _npy_header(fp, header.member)
            done = 0
            while done < size:
                chunk = fp.read(min(_CHUNK, size - done))
                if not chunk:
                    raise _Damaged(f"{name} ends after {done} of its {size} bytes (the file is truncated)")
                raw[done : done + len(chunk)] = np.frombuffer(chunk, np.uint8)
                done += len(chunk)
            if fp.read(1):
                raise _Damaged(f"{name} has more data than its header ({header.describe()}) announces")
    except MemoryError:
        raise ValueError(f"{path}: not enough memory to read {name} ({_gib(size)})") from None
    except _Damaged as exc:
        raise ValueError(f"{path} is damaged: {exc}") from None
    except _DAMAGE as exc:
        raise ValueError(f"{path} is damaged: {name} cannot be read ({_why(exc)})") from None
    array = out.reshape(header.shape, order="F" if header.fortran_order else "C")
    if not array.dtype.isnative:
        array = array.astype(array.dtype.newbyteorder("="))
    return array


def _assemble(cls: type[Trajectory], data: dict[str, np.ndarray], path: str | os.PathLike[str]) -> Trajectory:
    """The run, once its values agree with each other and with its parameters."""

    def bad(message: str) -> ValueError:
        return ValueError(f"{path} is not a valid diffviz run: {message}")

    try:
        params = RunParams.from_dict(json.loads(str(data["params"])))
    except (json.JSONDecodeError, RecursionError) as exc:
        raise ValueError(f"{path} is not a diffviz run: its params are not JSON ({_why(exc)})") from None
    except RunParamsError as exc:
        raise ValueError(f"{path} cannot be read as a diffviz run: {_why(exc)}") from None
    except (TypeError, AttributeError, KeyError, ValueError) as exc:  # an entry the v1 migration trips on
        raise ValueError(f"{path} is not a diffviz run: its params are malformed ({_why(exc)})") from None
    x = data["x"].astype(np.float32, copy=False)
    K, N = x.shape[0] - 1, x.shape[1]
    for name in ("alpha_bar", "alpha_bar_prev"):
        values = data[name].astype(np.float64, copy=False)
        wrong = np.flatnonzero(~((values > 0) & (values <= 1)))  # also NaN
        if wrong.size:
            k = int(wrong[0])
            raise bad(f"{name}[{k}] = {float(values[k])!r}; every noise level ᾱ must lie in (0, 1]")
        data[name] = values
    steps_done = int(data["steps_done"])
    if not 0 <= steps_done <= K:
        raise bad(f"steps_done = {steps_done}; the run has {K} steps, so it must lie in [0, {K}]")
    if params.n != N:
        raise bad(f"its params say n = {params.n} particles, but x holds {N}")
    if len(params.schedule_betas) != K or np.shape(params.schedule_timesteps) != (K,):
        raise bad(
            f"its params record a schedule of {len(params.schedule_betas)} β and "
            f"{np.size(params.schedule_timesteps)} timesteps, but the run has {K} steps"
        )
    points = data.get("field_points")
    if points is not None and params.field_grid is not None and len(points) != params.field_grid**2:
        raise bad(
            f"field_points has {len(points)} points, but its params say a {params.field_grid}×{params.field_grid} grid"
        )
    field_eps = data.get("field_eps")
    x0 = data.get("x0_hat")
    return cls(
        x=x,
        eps_hat=data["eps_hat"].astype(np.float32, copy=False),
        alpha_bar=data["alpha_bar"],
        alpha_bar_prev=data["alpha_bar_prev"],
        model_time=data["model_time"].astype(np.float64, copy=False),
        clamped=data["clamped"],
        params=params,
        field_points=None if points is None else points.astype(np.float32, copy=False),
        field_eps=None if field_eps is None else field_eps.astype(np.float32, copy=False),
        steps_done=steps_done,
        x0=None if x0 is None else x0.astype(np.float32, copy=False),
    )
