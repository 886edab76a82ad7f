"""Write files whole or not at all: a temporary file in the target folder, renamed only on success."""

from __future__ import annotations

import contextlib
import os
import secrets
import tempfile
from collections.abc import Mapping
from pathlib import Path


class OutputPathError(OSError):
    """The output path cannot be written (missing folder, no permission, a folder in the way)."""


def check_writable(path: str | os.PathLike[str]) -> Path:
    """Fail early, before any work, if ``path`` cannot be created; returns it as a Path."""
    p = Path(path)
    if p.is_dir():
        raise OutputPathError(f"output path {str(p)!r} is a folder; give a file name such as model.onnx")
    folder = p.parent if str(p.parent) else Path(".")
    if folder.exists() and not folder.is_dir():
        raise OutputPathError(f"cannot write {str(p)!r}: {str(folder)!r} is a file, not a folder")
    if not folder.is_dir():
        raise OutputPathError(f"cannot write {str(p)!r}: the folder {str(folder)!r} does not exist")
    try:
        with tempfile.NamedTemporaryFile(dir=folder, prefix=f".{p.name}.", suffix=".tmp"):
            pass
    except OSError as e:
        raise OutputPathError(f"cannot write {str(p)!r}: {e.strerror or e}") from None
    return p


def atomic_write(path: str | os.PathLike[str], data: bytes | str) -> None:
    """Write ``data`` to a temporary file beside ``path`` and rename it over ``path``."""
    atomic_write_many({path: data})


def atomic_write_many(files: Mapping[str | os.PathLike[str], bytes | str]) -> None:
    """Write every file to a temporary file beside it first, then rename them all; if any write fails, no
    target is touched and no temporary file is left."""
    temps: list[tuple[Path, Path]] = []
    try:
        for path, data in files.items():
            p = Path(path)
            tmp = p.with_name(f".{p.name}.{secrets.token_hex(6)}.tmp")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)  # usual permissions, unlike mkstemp
            temps.append((tmp, p))
            with os.fdopen(fd, "wb") as f:
                f.write(data.encode() if isinstance(data, str) else data)
        for tmp, p in temps:
            os.replace(tmp, p)
    except BaseException:
        for tmp, _ in temps:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        raise

