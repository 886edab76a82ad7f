"""Encode RGB frames to MP4 (H.264), WebM (VP9), GIF or a folder of numbered PNG frames, whole or not at all.

Frames stream as raw RGB24 through the stdin of imageio-ffmpeg's bundled ffmpeg (no system ffmpeg needed); this
module keeps nothing per frame. The output is written to a temporary file (or folder) beside the target and renamed
into place only when ffmpeg succeeds: a cancelled, killed or failed export leaves nothing behind.

Quality (1..10, default 8):

=======  ==========  ========  ======================================
quality  H.264 CRF   VP9 CRF   GIF palette colours, dither
=======  ==========  ========  ======================================
1        39          52        32, none
2        36          48        48, none
3        33          44        64, bayer (scale 5)
4        30          40        96, bayer (scale 4)
5        27          36        128, bayer (scale 3)
6        24          32        192, bayer (scale 3)
7        21          28        256, bayer (scale 2)
8        18          24        256, bayer (scale 1)
9        15          20        256, sierra2_4a (error diffusion)
10       12          16        256, floyd_steinberg (error diffusion)
=======  ==========  ========  ======================================

H.264 CRF is ``42 - 3 * quality`` (18 is "visually lossless"); VP9 CRF is ``56 - 4 * quality`` (constant quality,
``-b:v 0``). GIF: one palette for the whole video (``palettegen=stats_mode=diff``, so the colours that move count
most) and ``paletteuse`` with ordered (bayer) dithering, which stays still from frame to frame; error diffusion is
smoother per frame but shimmers and compresses worse. Flat colours that fit the palette are kept exactly. ffmpeg
holds a GIF's frames until its palette is made (at the end of the stream): GIF is for short clips.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import stat
import struct
import subprocess
import sys
import threading
import zlib
from collections import deque
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from fractions import Fraction
from pathlib import Path
from time import perf_counter
from types import TracebackType

import imageio_ffmpeg  # type: ignore[import-untyped]
import numpy as np

from diffviz.core.atomic import OutputPathError, atomic_path, check_writable

FORMATS: tuple[str, ...] = ("mp4", "webm", "gif", "png")  # "png" = a folder of numbered frames
QUALITY_RANGE = range(1, 11)
GIF_MAX_FPS = 50.0  # GIF delays are in 1/100 s, and browsers slow down anything faster than 2/100 s per frame
FRAME_NAME = "frame_{:05d}.png"  # in a frames folder, numbered from 0

_GIF_QUALITY: dict[int, tuple[int, str]] = {
    1: (32, "none"),
    2: (48, "none"),
    3: (64, "bayer:bayer_scale=5"),
    4: (96, "bayer:bayer_scale=4"),
    5: (128, "bayer:bayer_scale=3"),
    6: (192, "bayer:bayer_scale=3"),
    7: (256, "bayer:bayer_scale=2"),
    8: (256, "bayer:bayer_scale=1"),
    9: (256, "sierra2_4a"),
    10: (256, "floyd_steinberg"),
}
_SUFFIXES = {".mp4": "mp4", ".webm": "webm", ".gif": "gif"}
_FRAME_FILE = re.compile(r"frame_\d{5,}\.png")
# ffmpeg's closing lines that only repeat that something failed; the line before says what
_GENERIC_FFMPEG_LINES = re.compile(
    r"(Conversion failed|Nothing was written into output file|Task finished with error code|Terminating thread"
    r"|Error splitting the argument list|Last message repeated)",
    re.IGNORECASE,
)
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


class ExportError(Exception):
    """One-line, user-facing message (the CLI prints it and exits 2)."""


# ---------------------------------------------------------------- paths


def output_format(path: str | os.PathLike[str]) -> str:
    """The format ``path`` asks for, by its extension: "mp4", "webm", "gif", or "png" for a folder of numbered
    frames (a path without a suffix, or ending in a path separator)."""
    text = os.fspath(path)
    if text.endswith(("/", os.sep)) or (os.altsep is not None and text.endswith(os.altsep)):
        return "png"
    suffix = Path(text).suffix.lower()
    if not suffix:
        return "png"
    if suffix in _SUFFIXES:
        return _SUFFIXES[suffix]
    hint = " (a .png file is one still image; for numbered frames give a folder)" if suffix == ".png" else ""
    raise ExportError(
        f"cannot export to {text}: unknown type {suffix!r}{hint}; give .mp4, .webm, .gif, or a folder "
        "(no suffix, or ending in /) for numbered PNG frames"
    )


def check_output(path: str | os.PathLike[str], *, force: bool = False) -> str:
    """Every check on the output path, before any work; returns its format (see :func:`output_format`).

    Refused: a missing or unwritable folder; an existing target without ``force``; a target that is not a regular
    file (for a frames folder: not a real folder) even with ``force``; with ``force``, a frames folder holding
    anything but numbered frames."""
    fmt = output_format(path)
    target = Path(path)
    _check_target(target, fmt, force=force)
    try:
        if fmt == "png":
            _probe_folder(target)
        else:
            check_writable(target)
    except OutputPathError as exc:
        raise ExportError(str(exc)) from None
    return fmt


def _check_target(target: Path, fmt: str, *, force: bool) -> None:
    """The checks that need no write: the folder exists, and the target is absent or may be replaced."""
    if target.name in ("", ".", ".."):
        raise ExportError(f"cannot write {target}: give a {'folder' if fmt == 'png' else 'file'} name")
    folder = target.parent
    if folder.exists() and not folder.is_dir():
        raise ExportError(f"cannot write {target}: {folder} is a file, not a folder")
    if not folder.is_dir():
        raise ExportError(f"cannot write {target}: the folder {folder} does not exist")
    if not os.path.lexists(target):
        return
    mode = os.lstat(target).st_mode
    if fmt == "png" and stat.S_ISREG(mode):
        raise ExportError(f"cannot write frames to {target}: it is a file, not a folder; it is left as it is")
    if fmt != "png" and stat.S_ISDIR(mode):
        raise ExportError(f"cannot write {target}: it is a folder; give a file name")
    if not (stat.S_ISDIR(mode) if fmt == "png" else stat.S_ISREG(mode)):
        raise ExportError(
            f"cannot write {target}: it exists and is not a regular {'folder' if fmt == 'png' else 'file'} (a link, "
            "a device or a pipe); it is left as it is"
        )
    if not force:
        raise ExportError(f"{target} already exists; use --force to replace it")
    if fmt == "png":
        _check_frames_only(target)


def _check_frames_only(folder: Path) -> None:
    """A frames folder is replaced (with force) only if it holds nothing but numbered frames."""
    others = [entry.name for entry in os.scandir(folder) if not (_FRAME_FILE.fullmatch(entry.name) and entry.is_file())]
    if others:
        raise ExportError(
            f"cannot replace {folder}: it holds more than numbered frames (such as {others[0]!r}); it is left as it is"
        )


def _probe_folder(target: Path) -> None:
    """Create and remove a temporary folder beside ``target``: its folder really takes new entries."""
    try:
        probe = _sibling(target, "tmp")
        probe.mkdir()
        probe.rmdir()
    except OSError as exc:
        raise OutputPathError(f"cannot write {target}: {exc.strerror or exc}") from None


def _sibling(target: Path, kind: str) -> Path:
    """A fresh hidden name beside ``target`` (the same scheme as :func:`diffviz.core.atomic.atomic_path`)."""
    return target.with_name(f".{target.name}.{secrets.token_hex(6)}.{kind}")


@contextmanager
def _atomic_folder(target: Path) -> Iterator[Path]:
    """Yield a fresh temporary folder beside ``target``; put it in ``target``'s place if the block succeeds (an
    existing folder there is swapped out, then removed), else delete it."""
    tmp = _sibling(target, "tmp")
    tmp.mkdir()
    try:
        yield tmp
        if os.path.lexists(target):
            old = _sibling(target, "old")
            os.rename(target, old)
            try:
                os.rename(tmp, target)
            except BaseException:
                os.rename(old, target)
                raise
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.rename(tmp, target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# ---------------------------------------------------------------- ffmpeg


def _ffmpeg_exe() -> str:
    """imageio-ffmpeg's bundled ffmpeg (or the one ``IMAGEIO_FFMPEG_EXE`` names)."""
    try:
        return str(imageio_ffmpeg.get_ffmpeg_exe())
    except RuntimeError as exc:
        raise ExportError(f"ffmpeg is not available: {exc}") from None


def _even(n: int) -> int:
    return n + n % 2


def encoded_size(fmt: str, size: tuple[int, int]) -> tuple[int, int]:
    """The size of the encoded frames: MP4 and WebM (yuv420p) need even sizes, so an odd side grows by one pixel."""
    width, height = size
    return (_even(width), _even(height)) if fmt in ("mp4", "webm") else (width, height)


def _output_args(fmt: str, quality: int, tmp: Path) -> list[str]:
    """ffmpeg's output options for ``fmt`` at ``quality``, writing to ``tmp`` (a file, or a folder for "png")."""
    # sRGB frames are tagged BT.709 (what browsers and players assume for untagged video too), limited range
    yuv = ["-vf", "scale=out_color_matrix=bt709:out_range=tv,format=yuv420p", "-colorspace", "bt709"]
    yuv += ["-color_primaries", "bt709", "-color_trc", "bt709", "-color_range", "tv"]
    if fmt == "mp4":
        crf = 42 - 3 * quality
        x264 = ["-c:v", "libx264", "-preset", "medium", "-crf", str(crf), "-pix_fmt", "yuv420p"]
        return [*yuv, *x264, "-movflags", "+faststart", "-f", "mp4", f"file:{tmp}"]
    if fmt == "webm":
        crf = 56 - 4 * quality
        vp9 = ["-c:v", "libvpx-vp9", "-crf", str(crf), "-b:v", "0", "-pix_fmt", "yuv420p"]
        return [*yuv, *vp9, "-deadline", "good", "-cpu-used", "4", "-row-mt", "1", "-f", "webm", f"file:{tmp}"]
    if fmt == "gif":
        colours, dither = _GIF_QUALITY[quality]
        graph = (
            f"split[a][b];[a]palettegen=max_colors={colours}:stats_mode=diff[p];"
            f"[b][p]paletteuse=dither={dither}:diff_mode=rectangle"
        )
        return ["-filter_complex", graph, "-loop", "0", "-f", "gif", f"file:{tmp}"]
    pattern = os.path.join(str(tmp).replace("%", "%%"), "frame_%05d.png")  # FRAME_NAME, in ffmpeg's terms
    return ["-c:v", "png", "-pix_fmt", "rgb24", "-f", "image2", "-start_number", "0", f"file:{pattern}"]


def _ffmpeg_command(fmt: str, tmp: Path, size: tuple[int, int], fps: float, quality: int) -> list[str]:
    """The whole ffmpeg command line: raw RGB24 frames of ``size`` (already padded) on stdin, ``fmt`` to ``tmp``."""
    rate = Fraction(fps).limit_denominator(1001)
    head = [_ffmpeg_exe(), "-hide_banner", "-nostats", "-loglevel", "error", "-y"]
    raw = ["-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{size[0]}x{size[1]}", "-r", str(rate), "-i", "-"]
    return [*head, *raw, *_output_args(fmt, quality, tmp)]


def _start_ffmpeg(command: list[str]) -> subprocess.Popen[bytes]:
    """Start ffmpeg in its own process group: Ctrl-C reaches only Python, which then kills it."""
    if sys.platform == "win32":
        flags = subprocess.CREATE_NEW_PROCESS_GROUP | subprocess.CREATE_NO_WINDOW
        return subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, creationflags=flags
        )
    return subprocess.Popen(
        command, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True
    )


def _ffmpeg_reason(lines: deque[bytes], returncode: int | None) -> str:
    """What went wrong, in one line: ffmpeg's last stderr line that says why (it often closes with lines that only
    say that it failed), else its exit status."""
    text = [line.decode(errors="replace").strip() for line in lines]
    text = [re.sub(r"^\[[^\]]*\]\s*", "", line) for line in text if line]  # drop "[out#0/mp4 @ 0x…] "
    telling = [line for line in text if not _GENERIC_FFMPEG_LINES.search(line)]
    with_cause = [line for line in telling if re.search(r":\s*\S", line)]  # "Error writing trailer: No space …"
    for candidates in (with_cause, telling, text):
        if candidates:
            return candidates[-1]
    if returncode is not None and returncode < 0:
        return f"ffmpeg was killed (signal {-returncode})"
    return f"ffmpeg exited with status {returncode}"


# ---------------------------------------------------------------- frames


def _check_frame(frame: np.ndarray, width: int, height: int, what: str) -> np.ndarray:
    """``frame`` if it is a (height, width, 3) uint8 array, else ExportError."""
    if not isinstance(frame, np.ndarray) or frame.dtype != np.uint8 or frame.shape != (height, width, 3):
        shape = getattr(frame, "shape", None)
        dtype = getattr(frame, "dtype", type(frame).__name__)
        raise ExportError(
            f"{what} has shape {shape} and type {dtype}; expected ({height}, {width}, 3) uint8 RGB ({width}×{height})"
        )
    return frame


class FrameWriter:
    """Stream RGB frames into a video (or a folder of numbered PNGs) at ``path``, chosen by its extension.

    Use as a context manager: leaving the block normally finishes ffmpeg and renames the result into place; an
    exception (KeyboardInterrupt included) kills ffmpeg, removes the temporary output and propagates. ``size`` is
    the frames' (width, height). MP4 and WebM need even sizes (yuv420p): an odd width or height is padded by one
    pixel that repeats the frame's last column or row (its edge colour), never resized, so the video may be one
    pixel wider or taller (:attr:`encoded_size`). ``quality`` 1..10: see the module's table.
    """

    frames_written: int
    encode_seconds: float  # time spent inside write() and finishing: the encoder's share of an export

    def __init__(
        self, path: str | os.PathLike[str], size: tuple[int, int], fps: float, *, quality: int = 8, force: bool = False
    ) -> None:
        self.path = Path(path)
        self.format = check_output(path, force=force)
        self.size = _check_size(size)
        self.fps = _check_fps(fps, self.format)
        self.quality = _check_quality(quality)
        self.force = force
        self.encoded_size = encoded_size(self.format, self.size)
        self.frames_written = 0
        self.encode_seconds = 0.0
        self._stack: ExitStack | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._stderr: deque[bytes] = deque(maxlen=64)
        self._reader: threading.Thread | None = None
        self._padded: np.ndarray | None = None

    def __enter__(self) -> FrameWriter:
        if self._stack is not None:
            raise RuntimeError("a FrameWriter is entered once")
        self._stack = ExitStack()
        try:
            tmp = self._stack.enter_context(
                _atomic_folder(self.path) if self.format == "png" else atomic_path(self.path)
            )
            self._stack.callback(self._kill)
            self._proc = _start_ffmpeg(_ffmpeg_command(self.format, tmp, self.encoded_size, self.fps, self.quality))
        except OSError as exc:
            self._stack.close()
            raise ExportError(f"cannot write {self.path}: {exc.strerror or exc}") from None
        except BaseException:
            self._stack.close()
            raise
        self._reader = threading.Thread(target=self._read_stderr, name="ffmpeg-stderr", daemon=True)
        self._reader.start()
        if self.encoded_size != self.size:
            self._padded = np.empty((self.encoded_size[1], self.encoded_size[0], 3), np.uint8)
        return self

    def write(self, frame: np.ndarray) -> None:
        """Encode one (height, width, 3) uint8 RGB frame of the size given; ExportError for any other."""
        if self._proc is None or self._proc.stdin is None:
            raise RuntimeError("FrameWriter.write() outside its with block")
        start = perf_counter()
        try:
            data = self._pad(_check_frame(frame, *self.size, f"frame {self.frames_written}"))
            try:
                self._proc.stdin.write(data.reshape(-1).data)
            except OSError:  # ffmpeg has quit (BrokenPipeError): say why
                raise self._failure() from None
            self.frames_written += 1
        finally:
            self.encode_seconds += perf_counter() - start

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        stack, self._stack = self._stack, None
        if stack is None:
            return
        if exc_type is not None:
            stack.__exit__(exc_type, exc, tb)  # kill ffmpeg, remove the temporary output; the exception goes on
            return
        start = perf_counter()
        try:
            self._finish()
            _check_target(self.path, self.format, force=self.force)  # nothing appeared there meanwhile
            stack.close()  # rename into place
        except BaseException as error:
            stack.__exit__(type(error), error, error.__traceback__)
            if isinstance(error, OSError):
                raise ExportError(f"cannot write {self.path}: {error.strerror or error}") from None
            raise
        finally:
            self.encode_seconds += perf_counter() - start

    def _pad(self, frame: np.ndarray) -> np.ndarray:
        """``frame`` grown to the encoded size by repeating its last column and row (see the class docstring)."""
        if self._padded is None:
            return np.ascontiguousarray(frame)
        width, height = self.size
        out = self._padded
        out[:height, :width] = frame
        out[:height, width:] = frame[:, -1:]
        out[height:] = out[height - 1 : height]
        return out

    def _finish(self) -> None:
        """Close ffmpeg's input, wait for it and check its exit status."""
        proc = self._proc
        assert proc is not None and proc.stdin is not None
        if self.frames_written == 0:
            raise ExportError(f"nothing to export to {self.path}: no frames were written")
        try:
            proc.stdin.close()
        except OSError:
            raise self._failure() from None
        if proc.wait() != 0:
            raise self._failure()
        self._join_reader()

    def _failure(self) -> ExportError:
        """The error for an ffmpeg that failed or quit early, with the reason it gave."""
        assert self._proc is not None
        try:
            returncode = self._proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            returncode = None
        self._join_reader()
        return ExportError(f"ffmpeg could not write {self.path}: {_ffmpeg_reason(self._stderr, returncode)}")

    def _kill(self) -> None:
        """Stop ffmpeg if it still runs, and release its pipes."""
        proc = self._proc
        if proc is None:
            return
        if proc.poll() is None:
            proc.kill()
        if proc.stdin is not None:
            try:
                proc.stdin.close()
            except OSError:  # the buffered tail cannot reach a dead process
                pass
        proc.wait()
        self._join_reader()
        if proc.stderr is not None:
            proc.stderr.close()

    def _read_stderr(self) -> None:
        """Keep ffmpeg's last stderr lines (a bounded deque), so its pipe never fills."""
        assert self._proc is not None and self._proc.stderr is not None
        try:
            for line in self._proc.stderr:
                self._stderr.append(line)
        except (OSError, ValueError):  # closed under us
            pass

    def _join_reader(self) -> None:
        if self._reader is not None:
            self._reader.join(timeout=10)


def _check_size(size: tuple[int, int]) -> tuple[int, int]:
    try:
        width, height = size
    except (TypeError, ValueError):
        raise ExportError(f"the frame size must be (width, height), got {size!r}") from None
    for n in (width, height):
        if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1:
            raise ExportError(f"the frame size must be two positive whole numbers (width, height), got {size!r}")
    return int(width), int(height)


def _check_fps(fps: float, fmt: str) -> float:
    if not (isinstance(fps, int | float | np.number) and np.isfinite(fps) and fps > 0):
        raise ExportError(f"the frame rate must be a positive number, got {fps!r}")
    if fmt == "gif" and fps > GIF_MAX_FPS:
        raise ExportError(
            f"a GIF plays at most {GIF_MAX_FPS:g} frames per second (browsers slow faster ones down), got {fps:g}"
        )
    return float(fps)


def _check_quality(quality: int) -> int:
    if isinstance(quality, bool) or not isinstance(quality, int) or quality not in QUALITY_RANGE:
        raise ExportError(f"the quality must be a whole number from 1 to 10, got {quality!r}")
    return quality


# ---------------------------------------------------------------- stills


def write_png(path: str | os.PathLike[str], frame: np.ndarray, *, force: bool = False) -> Path:
    """Write one (height, width, 3) uint8 RGB frame as a PNG file at ``path``, atomically; returns the path.

    The same checks as :func:`check_output` (an existing file needs ``force``; a link, device or pipe is never
    replaced)."""
    target = Path(path)
    if target.suffix.lower() != ".png":
        raise ExportError(f"cannot write {target}: a still image is a .png file")
    _check_target(target, "still", force=force)
    if not isinstance(frame, np.ndarray) or frame.ndim != 3:
        raise ExportError(f"the image has shape {getattr(frame, 'shape', None)}; expected (height, width, 3) uint8 RGB")
    data = png_bytes(np.ascontiguousarray(_check_frame(frame, frame.shape[1], frame.shape[0], "the image")))
    try:
        with atomic_path(target) as tmp:
            tmp.write_bytes(data)
    except OSError as exc:
        raise ExportError(str(exc) if isinstance(exc, OutputPathError) else f"cannot write {target}: {exc}") from None
    return target


def png_bytes(frame: np.ndarray) -> bytes:
    """A (height, width, 3) uint8 RGB frame as PNG file contents (8-bit RGB, sRGB, the "Up" filter on every row)."""
    height, width, _ = frame.shape
    flat = frame.reshape(height, 3 * width)
    rows = np.empty((height, 1 + 3 * width), np.uint8)
    rows[:, 0] = 2  # filter type "Up": each byte minus the one above (the row above the first is zeros)
    rows[0, 1:] = flat[0]
    rows[1:, 1:] = flat[1:] - flat[:-1]  # uint8 arithmetic wraps, as PNG wants
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunks = [(b"IHDR", header), (b"sRGB", b"\x00"), (b"IDAT", zlib.compress(rows.tobytes(), 6)), (b"IEND", b"")]
    return _PNG_SIGNATURE + b"".join(_png_chunk(tag, body) for tag, body in chunks)


def _png_chunk(tag: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + tag + body + struct.pack(">I", zlib.crc32(tag + body))
