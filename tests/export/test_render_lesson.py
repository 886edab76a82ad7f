"""``diffviz render --lesson NAME``: every cue of a lesson, in turn, in one video, decoded back and counted."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from diffviz.cli import build_parser, main
from diffviz.session.lesson import Lesson, bundled_lessons, read_lesson
from tests.export.test_render import _video

SIZE = "320x180"
FPS, HOLD, STEPS_PER_FRAME = 5, 0.4, 25


def _expected_frames(lesson: Lesson) -> list[int]:
    """Frames per cue: from x_T (or on from the previous cue's playhead when the run is the same) to the cue's
    playhead, one frame every STEPS_PER_FRAME steps, then the hold."""
    counts: list[int] = []
    previous: tuple[Any, int] | None = None
    for cue in lesson.cues:
        K = min(cue.schedule.num_inference_steps, cue.schedule.num_train_timesteps)
        end = min(cue.playback.step, K)
        run = (cue.model, cue.schedule, cue.sampler)
        start = min(previous[1], end) if previous is not None and previous[0] == run else 0
        counts.append(math.ceil((end - start) / STEPS_PER_FRAME) + 1 + round(HOLD * FPS))
        previous = (run, end)
    return counts


def _render(*args: str) -> int:
    options = ["--size", SIZE, "--fps", str(FPS), "--hold", str(HOLD), "--steps-per-frame", str(STEPS_PER_FRAME)]
    return main(["render", *args, *options])


@pytest.mark.slow
def test_a_lesson_renders_every_cue_into_one_video(tmp_path: Path) -> None:
    name = "ddpm-ddim-ode"  # three cues, three samplers: three runs, each from x_T
    out = tmp_path / "lesson.mp4"
    assert _render("--lesson", name, "-o", str(out)) == 0
    frames = _video(out)
    counts = _expected_frames(read_lesson(bundled_lessons()[name]))
    assert len(counts) == 3 and frames.shape == (sum(counts), 180, 320, 3)
    ends = np.cumsum(counts)
    for last, first in zip(ends[:-1] - 1, ends[:-1], strict=True):  # a new cue: a new title and a new run
        assert np.abs(frames[first].astype(int) - frames[last]).mean() > 1


def test_a_lesson_file_is_a_source_and_its_cues_continue_one_run(tmp_path: Path) -> None:
    path = bundled_lessons()["score-points-to-the-data"]  # one run, the playhead at steps 0, 60, 97
    out = tmp_path / "lesson.mp4"
    assert _render(str(path), "-o", str(out)) == 0
    counts = _expected_frames(read_lesson(path))
    assert counts == [1 + 2, 4 + 2, 3 + 2]  # 0; 0 → 60 every 25 steps; 60 → 97 (on from the last cue's playhead)
    assert _video(out).shape[0] == sum(counts)


def test_the_plan_continues_a_run_and_restarts_a_new_one() -> None:
    from diffviz.commands.render import plan_lesson

    args = build_parser("render").parse_args(["--lesson", "x", "-o", "x.mp4", "--steps-per-frame", "25"])
    args.hold = HOLD
    args.fps = FPS
    same = plan_lesson(args, read_lesson(bundled_lessons()["score-points-to-the-data"]))
    assert [(p.start, p.end) for p in same] == [(0, 0), (0, 60), (60, 97)]
    new = plan_lesson(args, read_lesson(bundled_lessons()["too-few-steps"]))
    assert [(p.start, p.end) for p in new] == [(0, 1000), (0, 50), (0, 10), (0, 3)]


def test_an_unknown_lesson_is_refused_in_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "x.mp4"
    assert _render("--lesson", "no-such-lesson", "-o", str(out)) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "no lesson 'no-such-lesson'" in err and "too-few-steps" in err
    assert not out.exists()
    for extra in (["--start", "3"], ["--frame", "2"], ["--sampler", "ddim"], ["swiss_roll"]):
        assert _render("--lesson", "digits", "-o", str(out), *extra) == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and err.startswith("diffviz render: "), extra
    assert not out.exists()
