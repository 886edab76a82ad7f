"""Every input of the bad-input corpus (tests/helpers/bad_inputs.py) is refused the way a user can act on.

For each case: no traceback (only the reader's documented error, or exit code 2 from the CLI with one line on
stderr naming the problem), an answer within :data:`TIME_LIMIT` (a hang fails the case), no allocation near what a
hostile file claims (tracemalloc's peak), and no file changed but the case's intended outputs — the input itself
stays byte for byte as it was. Odd but valid inputs (``expect`` empty) must be read without complaint.
"""

from __future__ import annotations

import atexit
import hashlib
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.bad_inputs import Case, build_corpus

TIME_LIMIT = 20.0  # seconds per case; every case takes well under one
MAX_MESSAGE = 1000  # characters: a refusal is one line, however large the input (a path may be long)
FOLDER = Path(tempfile.mkdtemp(prefix="diffviz-bad-inputs-"))
atexit.register(shutil.rmtree, FOLDER, ignore_errors=True)
CASES = build_corpus(FOLDER)  # at import: the cases are the parameters (the build takes about a second)
PROGRESS = re.compile(r"\d+%\|")  # a tqdm progress line (sampling before a refusal)


class CaseTimeout(BaseException):
    """Raised by the alarm in the middle of a case that does not finish (a BaseException: no reader catches it)."""


def _param(case: Case) -> Any:
    marks: list[Any] = []
    if case.slow:
        marks.append(pytest.mark.slow)
    if case.skip:
        marks.append(pytest.mark.skip(reason=case.skip))
    if case.bug:
        marks.append(pytest.mark.xfail(strict=True, reason=case.bug))
    return pytest.param(case, marks=marks, id=re.sub(r"[^\w.+-]+", "_", f"{case.kind}-{case.name}"))


def _cases(*kinds: str, slow: bool = False) -> list[Any]:
    return [_param(c) for c in CASES if c.kind in kinds and c.slow == slow]


# ---- the checks every case shares ----------------------------------------------------------------------------
def _snapshot(folder: Path) -> dict[str, tuple[int, int, int, int]]:
    """Every entry under ``folder`` (links not followed): type, size, mtime (of files) and inode."""
    entries = {}
    for root, dirs, files in os.walk(folder):
        for name in dirs + files:
            path = os.path.join(root, name)
            st = os.lstat(path)
            # a folder's mtime changes when a probe file comes and goes: only files count
            mtime = 0 if stat.S_ISDIR(st.st_mode) else st.st_mtime_ns
            entries[os.path.relpath(path, folder)] = (stat.S_IFMT(st.st_mode), st.st_size, mtime, st.st_ino)
    return entries


def _digest(path: Path | None) -> str | None:
    """The input's content hash (a regular file under 16 MiB; others are covered by the snapshot)."""
    if path is None or not path.is_file() or path.is_symlink() or path.stat().st_size > 16 * 1024**2:
        return None
    return hashlib.sha256(path.read_bytes()).hexdigest()


@contextmanager
def _time_limit(seconds: float) -> Iterator[None]:
    def on_alarm(signum: int, frame: object) -> None:
        raise CaseTimeout(f"still running after {seconds:g} s: a hang")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _guarded(case: Case, action: Callable[[], Any]) -> Any:
    """Run ``action`` under the time limit and tracemalloc; then check that only the case's outputs changed (also
    when it raised: its exception is re-raised after the checks)."""
    before, digest = _snapshot(FOLDER), _digest(case.path)
    result: Any = None
    error: Exception | None = None
    tracemalloc.start()
    start = time.perf_counter()
    try:
        with _time_limit(TIME_LIMIT):
            result = action()
    except Exception as exc:
        error = exc
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    elapsed = time.perf_counter() - start
    assert elapsed < TIME_LIMIT, f"took {elapsed:.1f} s"
    assert peak <= case.max_alloc, f"allocated {peak / 1024**2:.0f} MiB (at most {case.max_alloc / 1024**2:.0f})"
    allowed = {os.path.relpath(p, FOLDER) for p in case.outputs}
    after = _snapshot(FOLDER)
    changed = {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)} - allowed
    assert not changed, f"files changed: {sorted(changed)}"
    if digest is not None and case.path not in case.outputs:
        assert _digest(case.path) == digest, "the input file changed"
    if error is not None:
        raise error
    return result


def _check_message(case: Case, message: str, start: str = "") -> None:
    assert "\n" not in message.strip(), f"more than one line: {message!r}"
    assert len(message) <= MAX_MESSAGE, f"{len(message)} characters: {message[:200]!r}…"
    assert message.startswith(start), f"{message!r} does not start with {start!r}"
    repeated = re.search(r"([a-z][^:]{8,}: )\1", message)  # a prefix said twice ("cannot write X: cannot write X:")
    assert not repeated, f"{repeated.group(1)!r} twice in {message!r}"
    for word in case.expect:
        assert word in message, f"{word!r} not in {message!r}"


# ---- models ------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("case", _cases("model"))
def test_model(case: Case, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    from diffviz.runtime import ModelError, load_model

    assert case.path is not None
    if not case.expect:
        model = _guarded(case, lambda: load_model(case.path))  # type: ignore[arg-type]
        assert model.card.notices is not None
        return
    with pytest.raises(ModelError) as info:
        _guarded(case, lambda: load_model(case.path))  # type: ignore[arg-type]
    _check_message(case, str(info.value), start=case.path.name)
    code, message = _cli(case, ["info", str(case.path)], capsys, monkeypatch)
    assert code == 2
    _check_message(case, message, start="diffviz info: ")


# ---- runs --------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("case", _cases("run"))
def test_run(case: Case) -> None:
    from diffviz.core import Trajectory
    from diffviz.session.run_files import run_schedule, run_settings

    assert case.path is not None
    if not case.expect:
        run = _guarded(case, lambda: Trajectory.load(case.path))  # type: ignore[arg-type]
        assert run.complete and run_schedule(run).num_steps == run.num_steps
        run_settings(run)
        return
    with pytest.raises(ValueError) as info:
        _guarded(case, lambda: Trajectory.load(case.path))  # type: ignore[arg-type]
    assert type(info.value) is ValueError, f"{type(info.value).__name__} escaped: {info.value}"
    _check_message(case, str(info.value), start=str(case.path))


# ---- scenes ------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("case", _cases("scene"))
def test_scene(case: Case) -> None:
    from diffviz.session import SceneError, open_scene

    assert case.path is not None
    if not case.expect:
        scene, model, notices = _guarded(case, lambda: open_scene(case.path))  # type: ignore[arg-type]
        assert scene.model.spec == "analytic:8gaussians" and notices == []
        return
    with pytest.raises(SceneError) as info:
        _guarded(case, lambda: open_scene(case.path))  # type: ignore[arg-type]
    _check_message(case, str(info.value))
    assert case.path.name in str(info.value)


# ---- settings stores -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("case", _cases("settings"))
def test_settings_store(case: Case) -> None:
    from diffviz.ui.settings_store import SettingsStore

    assert case.path is not None
    original = case.path.read_bytes() if case.path.stat().st_size < 16 * 1024**2 else None
    store = _guarded(case, lambda: SettingsStore(case.path))
    model, schedule, sampler, view = store.load_settings()
    for part in (schedule, sampler, view):
        if part is not None:
            part.validate()
    if not case.expect:
        assert store.notice == ""
        return
    _check_message(case, store.notice)
    aside = case.path.with_name(case.path.name + ".corrupt")
    assert aside.exists() and not case.path.exists()
    if original is not None:
        assert aside.read_bytes() == original  # nothing of the user's file is lost


# ---- the command line ----------------------------------------------------------------------------------------------
def _message_line(case: Case, stderr: str) -> str:
    """The refusal on stderr: argparse's last line after its usage, else the first (and only) line."""
    lines = [line for line in stderr.splitlines() if line.strip() and not PROGRESS.search(line)]
    assert lines, "nothing on stderr"
    if re.match(r"diffviz( [\w-]+)?: error: ", lines[-1]):
        assert all(line.startswith(("usage:", " ")) for line in lines[:-1]), stderr
        return lines[-1]
    assert len(lines) == 1 + case.hint_lines, f"{len(lines)} lines on stderr:\n{stderr}"
    return lines[0]


def _cli(
    case: Case, args: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> tuple[int, str]:
    """``diffviz ARGS`` in this process: the exit code and the message line (no traceback)."""
    from diffviz.cli import main

    for name, value in case.env:
        monkeypatch.setenv(name, value)
    capsys.readouterr()
    handlers = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}

    def call() -> int:
        try:
            return main(args)
        except SystemExit as exc:  # argparse
            return int(exc.code or 0)
        finally:
            for s, handler in handlers.items():  # diffviz render installs its own
                signal.signal(s, handler)

    code = _guarded(case, call)
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, _message_line(case, err)


@pytest.mark.parametrize("case", _cases("cli"))
def test_cli(case: Case, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    code, message = _cli(case, list(case.args), capsys, monkeypatch)
    assert code == 2
    _check_message(case, message, start="diffviz")


@pytest.mark.parametrize("case", _cases("cli", slow=True))
def test_cli_end_to_end(case: Case) -> None:
    env = {**os.environ, **dict(case.env)}
    before = _snapshot(FOLDER)
    proc = subprocess.run(
        [sys.executable, "-m", "diffviz", *case.args], capture_output=True, text=True, timeout=120, env=env
    )
    assert proc.returncode == 2 and "Traceback" not in proc.stdout + proc.stderr, proc.stderr
    _check_message(case, _message_line(case, proc.stderr), start="diffviz")
    assert _snapshot(FOLDER) == before


def test_the_corpus_covers_every_reader() -> None:
    kinds = {c.kind for c in CASES}
    assert kinds == {"model", "run", "scene", "settings", "cli"}
    assert len({c.name for c in CASES if c.kind == "cli"}) == len([c for c in CASES if c.kind == "cli"])
    for kind in kinds:
        names = [c.name for c in CASES if c.kind == kind]
        assert len(names) == len(set(names)), f"duplicate {kind} case names"
