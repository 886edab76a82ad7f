"""Write files whole or not at all: a temporary file beside the target, renamed over it only on success."""

from __future__ import annotations

import os
import secrets
import stat
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import TypeVar

_PathT = TypeVar("_PathT", bound="str | os.PathLike[str]")  # Mapping keys are invariant: dict[Path, …] fits


def not_regular(mode: int) -> str:
    """What a file of this ``st_mode`` is when it is not a regular file (opening a pipe blocks, a device may never
    end, a folder is not a file): "a folder", "not a regular file (…)"; "" for a regular file."""
    if stat.S_ISREG(mode):
        return ""
    return "a folder" if stat.S_ISDIR(mode) else "not a regular file (a pipe, a device or a socket)"


class OutputPathError(OSError):
    """The output path cannot be written (missing folder, no permission, a folder in the way)."""


def check_writable(path: str | os.PathLike[str]) -> Path:
    """Fail early, before any work, if ``path`` cannot be created; returns it as a Path."""
    p = Path(path)
    if p.is_dir():
        raise OutputPathError(f"cannot write {p}: it is a folder; give a file name")
    folder = p.parent
    if folder.exists() and not folder.is_dir():
        raise OutputPathError(f"cannot write {p}: {folder} is a file, not a folder")
    if not folder.is_dir():
        raise OutputPathError(f"cannot write {p}: the folder {folder} does not exist")
    try:
        with atomic_path(p):
            raise _Probe  # create and remove a temporary file: the folder really takes new files
    except _Probe:
        pass
    except OutputPathError:
        raise  # already says "cannot write PATH: why"
    except OSError as e:
        raise OutputPathError(f"cannot write {p}: {e.strerror or e}") from None
    return p


def check_output(path: str | os.PathLike[str], *, force: bool = False) -> Path:
    """:func:`check_writable`, and an existing file is replaced only with ``force`` (a command's ``--force``);
    something that is not a regular file (a link, a device, a pipe) is never replaced."""
    p = check_writable(path)
    if os.path.lexists(p) and not force:
        raise OutputPathError(f"{p} exists; add --force to replace it")
    return p


class _Probe(Exception):
    """Aborts the write probe in :func:`check_writable` (so nothing is renamed)."""


@contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a fresh temporary path beside ``path``; rename it over ``path`` if the block succeeds, else delete it.

    The file gets ordinary permissions (0666 less the umask), unlike ``tempfile.mkstemp``'s private 0600.
    """
    target = Path(path)
    if not target.parent.is_dir():
        raise FileNotFoundError(f"cannot write {target}: folder {target.parent} does not exist")
    if os.path.lexists(target) and not stat.S_ISREG(os.lstat(target).st_mode):
        raise OutputPathError(
            f"cannot write {target}: it exists and is not a regular file (a link, a device or a "
            "pipe); it is left as it is"
        )
    tmp = target.with_name(f".{target.name}.{secrets.token_hex(6)}.tmp")
    os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
    try:
        yield tmp
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def atomic_write_many(files: Mapping[_PathT, bytes | str]) -> None:
    """Write every file to a temporary file beside it first, then rename them all; if any write fails, no
    target is touched and no temporary file is left."""
    with ExitStack() as stack:
        for path, data in files.items():
            tmp = stack.enter_context(atomic_path(path))
            tmp.write_bytes(data.encode() if isinstance(data, str) else data)


def atomic_write(path: str | os.PathLike[str], data: bytes | str) -> None:
    """Write ``data`` to a temporary file beside ``path`` and rename it over ``path``."""
    atomic_write_many({path: data})
