"""Video export's encoding half: every format decodes back to the frames given, and no export ever leaves a
temporary or half-written file behind (cancelled, interrupted, killed, failed, refused)."""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import sys
import tracemalloc
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import av
import numpy as np
import pytest

from diffviz.export import encode
from diffviz.export.encode import FORMATS, ExportError, FrameWriter, check_output, output_format, write_png

BACKGROUND, SQUARE, BAR = (30, 40, 90), (250, 200, 20), (200, 30, 60)
SUFFIX = {"mp4": ".mp4", "webm": ".webm", "gif": ".gif", "png": ""}
MAE_BOUND = {"mp4": 4.0, "webm": 4.0, "gif": 3.0, "png": 0.0}  # mean absolute error of a decoded frame, 0..255
posix_only = pytest.mark.skipif(os.name != "posix", reason="POSIX file types and signals")


def synthetic_frames(width: int, height: int, n: int) -> Iterator[np.ndarray]:
    """A square moving left to right over a flat background, under a fixed bar: three flat colours."""
    for i in range(n):
        frame = np.empty((height, width, 3), np.uint8)
        frame[:] = BACKGROUND
        x = 2 + i * (width - 16) // max(n - 1, 1)
        frame[height // 3 : height // 3 + 12, x : x + 12] = SQUARE
        frame[2:6, 2 : width - 2] = BAR
        yield frame


def decode(path: Path) -> list[np.ndarray]:
    """Every frame of a video, or of a folder of numbered PNGs in order, as (H, W, 3) uint8 RGB."""
    if path.is_dir():
        return [frame for file in sorted(path.iterdir()) for frame in decode(file)]
    with av.open(str(path)) as container:
        return [frame.to_ndarray(format="rgb24") for frame in container.decode(video=0)]


def listing(folder: Path) -> dict[str, bytes | None]:
    """Everything under ``folder`` (names, file contents): to compare before and after."""
    return {
        str(p.relative_to(folder)): (p.read_bytes() if p.is_file() and not p.is_symlink() else None)
        for p in sorted(folder.rglob("*"))
    }


def export(path: Path, size: tuple[int, int], n: int = 12, **kwargs: object) -> FrameWriter:
    with FrameWriter(path, size, 30, **kwargs) as writer:  # type: ignore[arg-type]
        for frame in synthetic_frames(*size, n):
            writer.write(frame)
    return writer


def mae(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a.astype(np.int16) - b.astype(np.int16)).mean())


@contextmanager
def tmpfs(where: Path, options: str) -> Iterator[Path]:
    """A small tmpfs mounted at ``where`` (root on Linux only; the test is skipped where mounting is refused)."""
    if not sys.platform.startswith("linux") or shutil.which("mount") is None:
        pytest.skip("needs Linux mount")
    where.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(where)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield where
    finally:
        if subprocess.run(["umount", str(where)], capture_output=True).returncode != 0:
            subprocess.run(["umount", "-l", str(where)], capture_output=True)


# ---------------------------------------------------------------- round trips


@pytest.mark.parametrize("size", [(64, 48), (65, 47)], ids=["even", "odd"])
@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_decodes_back_to_the_frames(tmp_path: Path, fmt: str, size: tuple[int, int]) -> None:
    out = tmp_path / f"out{SUFFIX[fmt]}"
    writer = export(out, size, n=12)
    frames = list(synthetic_frames(*size, 12))
    decoded = decode(out)

    assert writer.frames_written == 12 and writer.encode_seconds > 0
    assert [p.name for p in tmp_path.iterdir()] == ["out"] if fmt == "png" else [out.name]
    assert len(decoded) == 12
    width, height = (size[0] + size[0] % 2, size[1] + size[1] % 2) if fmt in ("mp4", "webm") else size
    assert writer.encoded_size == (width, height)
    assert all(frame.shape == (height, width, 3) for frame in decoded)
    assert mae(decoded[0], decoded[-1]) > 5, "the frames change over time"
    for got, want in ((decoded[0], frames[0]), (decoded[-1], frames[-1])):
        assert mae(got[: size[1], : size[0]], want) <= MAE_BOUND[fmt]
    if (width, height) != size:  # padded with the edge colour, not black
        assert mae(decoded[0][:, -1], decoded[0][:, -2]) < 6 and mae(decoded[0][-1], decoded[0][-2]) < 6


def test_the_gif_palette_keeps_the_flat_colours(tmp_path: Path) -> None:
    export(tmp_path / "out.gif", (64, 48), n=12)
    frames, decoded = list(synthetic_frames(64, 48, 12)), decode(tmp_path / "out.gif")
    for got, want in zip(decoded, frames, strict=True):
        for colour in (BACKGROUND, SQUARE, BAR):
            where = np.all(want == colour, axis=-1)
            assert mae(got[where], want[where]) < 3, colour


def test_png_frames_are_numbered_from_zero_and_exact(tmp_path: Path) -> None:
    export(tmp_path / "frames", (65, 47), n=11)
    names = sorted(p.name for p in (tmp_path / "frames").iterdir())
    assert names == [f"frame_{i:05d}.png" for i in range(11)]
    assert np.array_equal(decode(tmp_path / "frames" / "frame_00010.png")[0], list(synthetic_frames(65, 47, 11))[10])


def test_a_folder_name_with_a_percent_sign_is_not_a_pattern(tmp_path: Path) -> None:
    export(tmp_path / "100%d frames/", (64, 48), n=3)
    assert sorted(p.name for p in (tmp_path / "100%d frames").iterdir()) == [f"frame_{i:05d}.png" for i in range(3)]


def test_streams_and_tags(tmp_path: Path) -> None:
    export(tmp_path / "a.mp4", (64, 48), n=4)
    export(tmp_path / "b.webm", (64, 48), n=4)
    for name, codec in (("a.mp4", "h264"), ("b.webm", "vp9")):
        with av.open(str(tmp_path / name)) as container:
            context = container.streams.video[0].codec_context
            assert (context.name, context.pix_fmt) == (codec, "yuv420p")
            assert context.colorspace == 1  # BT.709, as browsers assume
    data = (tmp_path / "a.mp4").read_bytes()
    boxes, at = [], 0
    while at < len(data):
        length, kind = struct.unpack(">I4s", data[at : at + 8])
        boxes.append(kind.decode())
        at += length
    assert boxes.index("moov") < boxes.index("mdat"), "+faststart puts the index first"


def test_a_fractional_frame_rate_is_kept(tmp_path: Path) -> None:
    with FrameWriter(tmp_path / "a.mp4", (64, 48), 29.97) as writer:
        for frame in synthetic_frames(64, 48, 6):
            writer.write(frame)
    with av.open(str(tmp_path / "a.mp4")) as container:
        assert abs(float(container.streams.video[0].average_rate) - 29.97) < 0.01


def test_higher_quality_is_closer_and_larger(tmp_path: Path) -> None:
    noisy = np.random.default_rng(0).integers(0, 256, (48, 64, 3), dtype=np.uint8)
    for quality in (1, 10):
        with FrameWriter(tmp_path / f"q{quality}.mp4", (64, 48), 30, quality=quality) as writer:
            writer.write(noisy)
    low, high = (decode(tmp_path / f"q{q}.mp4")[0] for q in (1, 10))
    assert mae(high, noisy) < mae(low, noisy)
    assert (tmp_path / "q10.mp4").stat().st_size > (tmp_path / "q1.mp4").stat().st_size


def test_writing_keeps_nothing_per_frame(tmp_path: Path) -> None:
    frame = next(synthetic_frames(256, 256, 1))
    with FrameWriter(tmp_path / "a.mp4", (255, 255), 30) as writer:  # odd: the padding buffer is reused
        writer.write(frame[:255, :255])
        tracemalloc.start()
        try:
            for _ in range(60):
                writer.write(frame[:255, :255])  # a non-contiguous view, copied once per frame at most
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert peak < 3 * frame.nbytes


# ---------------------------------------------------------------- names and options


@pytest.mark.parametrize(
    ("path", "fmt"),
    [("a.mp4", "mp4"), ("a.MP4", "mp4"), ("x/a.webm", "webm"), ("a.gif", "gif"), ("frames", "png"),
     ("frames/", "png"), ("v1.0/", "png")],
)  # fmt: skip
def test_output_format_by_extension(path: str, fmt: str) -> None:
    assert output_format(path) == fmt


def test_an_unknown_extension_lists_the_valid_ones() -> None:
    with pytest.raises(ExportError, match=r"\.mp4, \.webm, \.gif, or a folder") as info:
        output_format("a.avi")
    assert "\n" not in str(info.value)
    with pytest.raises(ExportError, match="one still image"):
        output_format("a.png")


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [({"quality": 0}, "quality"), ({"quality": 11}, "quality"), ({"quality": 5.5}, "quality"),
     ({"fps": 0}, "frame rate"), ({"fps": float("nan")}, "frame rate"), ({"size": (0, 48)}, "size"),
     ({"size": (64,)}, "size"), ({"fps": 60, "name": "a.gif"}, "at most 50")],
)  # fmt: skip
def test_bad_options_are_refused_before_any_work(tmp_path: Path, kwargs: dict[str, object], match: str) -> None:
    name = str(kwargs.pop("name", "a.mp4"))
    args: dict[str, object] = {"size": (64, 48), "fps": 30} | kwargs
    with pytest.raises(ExportError, match=match):
        FrameWriter(tmp_path / name, **args)  # type: ignore[arg-type]
    assert listing(tmp_path) == {}


# ---------------------------------------------------------------- refusals


def test_an_existing_file_needs_force(tmp_path: Path) -> None:
    out = tmp_path / "a.mp4"
    out.write_bytes(b"old")
    with pytest.raises(ExportError, match="already exists; use --force"):
        check_output(out)
    with pytest.raises(ExportError, match="--force"):
        FrameWriter(out, (64, 48), 30)
    assert listing(tmp_path) == {"a.mp4": b"old"}
    assert check_output(out, force=True) == "mp4"
    export(out, (64, 48), n=3, force=True)
    assert len(decode(out)) == 3 and [p.name for p in tmp_path.iterdir()] == ["a.mp4"]


def test_a_frames_folder_is_replaced_with_force_only_if_it_holds_only_frames(tmp_path: Path) -> None:
    export(tmp_path / "frames", (64, 48), n=5)
    with pytest.raises(ExportError, match="--force"):
        check_output(tmp_path / "frames")
    export(tmp_path / "frames", (64, 48), n=3, force=True)
    assert sorted(p.name for p in (tmp_path / "frames").iterdir()) == [f"frame_{i:05d}.png" for i in range(3)]
    (tmp_path / "frames" / "notes.txt").write_text("mine")
    before = listing(tmp_path)
    with pytest.raises(ExportError, match="holds more than numbered frames"):
        FrameWriter(tmp_path / "frames", (64, 48), 30, force=True)
    assert listing(tmp_path) == before


@posix_only
@pytest.mark.parametrize("kind", ["link to a file", "dangling link", "fifo", "link to a folder"])
def test_a_target_that_is_not_a_regular_file_is_never_replaced(tmp_path: Path, kind: str) -> None:
    (tmp_path / "real.mp4").write_bytes(b"keep")
    (tmp_path / "dir").mkdir()
    names = ["frames"] if kind == "link to a folder" else ["out.mp4", "still.png"]
    for name in names:
        if kind == "fifo":
            os.mkfifo(tmp_path / name)
        else:
            link = {"link to a file": "real.mp4", "dangling link": "gone.mp4", "link to a folder": "dir"}[kind]
            (tmp_path / name).symlink_to(link)
    before = listing(tmp_path)
    for force in (False, True):
        for name in names:
            with pytest.raises(ExportError, match="is not a regular .*it is left as it is"):
                if name == "still.png":
                    write_png(tmp_path / name, next(synthetic_frames(8, 8, 1)), force=force)
                else:
                    FrameWriter(tmp_path / name, (64, 48), 30, force=force)
    assert listing(tmp_path) == before


def test_path_problems_are_one_line_each(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    (tmp_path / "a.mp4").mkdir()
    cases = {
        tmp_path / "missing" / "a.mp4": "the folder .*missing does not exist",
        tmp_path / "missing" / "frames": "the folder .*missing does not exist",
        tmp_path / "file" / "a.mp4": "file is a file, not a folder",
        tmp_path / "a.mp4": "it is a folder; give a file name",
        tmp_path / "file/": "it is a file, not a folder",
    }
    before = listing(tmp_path)
    for path, message in cases.items():
        with pytest.raises(ExportError, match=message) as info:
            check_output(path, force=True)
        assert "\n" not in str(info.value)
    assert listing(tmp_path) == before


@posix_only
@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root writes to a 0o500 folder anyway")
@pytest.mark.parametrize("name", ["a.mp4", "frames"])
def test_an_unwritable_folder_is_refused(tmp_path: Path, name: str) -> None:
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    try:
        with pytest.raises(ExportError, match="Permission denied"):
            check_output(locked / name)
    finally:
        locked.chmod(0o700)
    assert listing(locked) == {}


@pytest.mark.parametrize("name", ["a.mp4", "frames"])
def test_a_read_only_folder_is_refused_even_for_root(tmp_path: Path, name: str) -> None:
    with tmpfs(tmp_path / "ro", "ro,size=64k") as folder:
        with pytest.raises(ExportError, match="Read-only file system"):
            check_output(folder / name)


# ---------------------------------------------------------------- cancelled, killed, failed


class Cancelled(Exception):
    pass


@pytest.mark.parametrize("error", [Cancelled, KeyboardInterrupt])
@pytest.mark.parametrize("fmt", FORMATS)
def test_a_cancelled_export_leaves_the_folder_as_it_was(tmp_path: Path, fmt: str, error: type[BaseException]) -> None:
    out = tmp_path / f"out{SUFFIX[fmt]}"
    if fmt == "png":
        export(out, (64, 48), n=2)
    else:
        out.write_bytes(b"old")  # replaced only by a finished export
    before = listing(tmp_path)
    with pytest.raises(error), FrameWriter(out, (64, 48), 30, force=True) as writer:
        for frame in synthetic_frames(64, 48, 6):
            writer.write(frame)
        raise error()
    assert listing(tmp_path) == before
    assert writer._proc is not None and writer._proc.poll() is not None, "ffmpeg is stopped"


def test_a_frame_of_the_wrong_size_or_type_stops_the_export(tmp_path: Path) -> None:
    for bad in (np.zeros((48, 65, 3), np.uint8), np.zeros((48, 64, 4), np.uint8), np.zeros((48, 64, 3))):
        with pytest.raises(ExportError, match=r"frame 1 has shape .* expected \(48, 64, 3\) uint8 RGB \(64×48\)"):
            with FrameWriter(tmp_path / "a.mp4", (64, 48), 30) as writer:
                writer.write(next(synthetic_frames(64, 48, 1)))
                writer.write(bad)
        assert listing(tmp_path) == {}


def test_no_frames_is_an_error_and_leaves_nothing(tmp_path: Path) -> None:
    with pytest.raises(ExportError, match="no frames were written"), FrameWriter(tmp_path / "a.gif", (64, 48), 10):
        pass
    assert listing(tmp_path) == {}


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_ffmpeg_failure_is_one_line_with_its_reason(
    tmp_path: Path, fmt: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = encode._ffmpeg_command

    def with_a_bad_option(*args: object) -> list[str]:
        command = real(*args)  # type: ignore[arg-type]
        return [*command[:-1], "-no_such_option", "1", command[-1]]

    monkeypatch.setattr(encode, "_ffmpeg_command", with_a_bad_option)
    with pytest.raises(ExportError, match="ffmpeg could not write .*no_such_option") as info:
        export(tmp_path / f"out{SUFFIX[fmt]}", (64, 48), n=40)
    assert "\n" not in str(info.value)
    assert listing(tmp_path) == {}


@posix_only
def test_a_killed_ffmpeg_fails_the_export_and_leaves_nothing(tmp_path: Path) -> None:
    with pytest.raises(ExportError, match="killed"):
        with FrameWriter(tmp_path / "a.mp4", (64, 48), 30) as writer:
            assert writer._proc is not None
            writer.write(next(synthetic_frames(64, 48, 1)))
            writer._proc.kill()
            writer._proc.wait()
            for frame in synthetic_frames(64, 48, 100):
                writer.write(frame)
    assert listing(tmp_path) == {}


def test_a_full_disk_names_the_problem_and_leaves_nothing(tmp_path: Path) -> None:
    noise = np.random.default_rng(1).integers(0, 256, (240, 320, 3), dtype=np.uint8)
    with tmpfs(tmp_path / "small", "size=64k") as folder:
        for name in ("a.mp4", "frames"):
            with pytest.raises(ExportError, match="No space left on device") as info:
                with FrameWriter(folder / name, (320, 240), 30, quality=10) as writer:
                    for _ in range(30):
                        writer.write(noise)
            assert "\n" not in str(info.value)
            assert listing(folder) == {}


# ---------------------------------------------------------------- stills


def test_write_png_round_trips_and_is_atomic(tmp_path: Path) -> None:
    frame = np.random.default_rng(2).integers(0, 256, (47, 65, 3), dtype=np.uint8)
    assert write_png(tmp_path / "a.png", frame) == tmp_path / "a.png"
    assert np.array_equal(decode(tmp_path / "a.png")[0], frame)
    with pytest.raises(ExportError, match="--force"):
        write_png(tmp_path / "a.png", frame[::-1])
    write_png(tmp_path / "a.png", np.ascontiguousarray(frame[::-1]), force=True)
    assert np.array_equal(decode(tmp_path / "a.png")[0], frame[::-1])
    for bad, message in ((frame[..., 0], "shape"), (frame.astype(np.float32), "uint8")):
        with pytest.raises(ExportError, match=message):
            write_png(tmp_path / "b.png", bad)
    with pytest.raises(ExportError, match=r"\.png file"):
        write_png(tmp_path / "b.jpg", frame)
    assert [p.name for p in tmp_path.iterdir()] == ["a.png"]
