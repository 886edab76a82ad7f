"""Lessons: a titled sequence of cues, each a scene (what the window shows) and a caption (what to say), in one TOML
file — data, not code. A cue writes only what changes: it is read on top of the cue before it (its caption is its
own, and a cue that names another sampler starts from that sampler's default options). Lessons start with
``view.explain`` on: a line under each view's title says what the panel shows. Bundled lessons live in
``diffviz/assets/lessons``; ``diffviz --lesson NAME`` and the Lessons menu open them.

    format_version = 1
    title = "The score points to the data"
    summary = "…"

    [[cue]]
    caption = "Pure noise: the score field is a pull towards the data's centre."
    model.spec = "swiss_roll"
    playback.step = 0

    [[cue]]
    caption = "…"
    playback.step = 90
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from .scene import MAX_CAPTION, SCENE_FORMAT_VERSION, Scene, SceneError, _show, read_toml, scene_from_dict

LESSON_SUFFIX = ".toml"
LESSON_FORMAT_VERSION = 1
MAX_CUES = 50


@dataclass(frozen=True)
class Lesson:
    name: str
    title: str
    summary: str
    cues: tuple[Scene, ...]


def _merge(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """``base`` with ``changes`` on top: tables merged key by key, anything else replaced."""
    out = dict(base)
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def read_lesson(path: str | os.PathLike[str]) -> Lesson:
    """Read and check a lesson (every cue is checked as a scene); :class:`SceneError` naming the cue otherwise."""
    path = Path(path)
    data = read_toml(path, "lesson")
    known = {"format_version", "title", "summary", "cue"}
    for key in data:
        if key not in known:
            raise SceneError(f"{path.name}: unknown key {key!r}; valid keys: {', '.join(sorted(known))}")
    version = data.get("format_version")
    if isinstance(version, bool) or not isinstance(version, int) or not 1 <= version <= LESSON_FORMAT_VERSION:
        raise SceneError(f"{path.name}: format_version = {_show(version)}; this diffviz reads lessons of version 1")
    title, summary = data.get("title"), data.get("summary", "")
    if not isinstance(title, str) or not title or not isinstance(summary, str) or len(summary) > MAX_CAPTION:
        raise SceneError(f"{path.name}: a lesson needs a title (a string) and at most a short summary")
    cues = data.get("cue")
    if not isinstance(cues, list) or not 1 <= len(cues) <= MAX_CUES or not all(isinstance(c, dict) for c in cues):
        raise SceneError(f"{path.name}: a lesson needs 1 to {MAX_CUES} [[cue]] tables")
    scenes: list[Scene] = []
    # in a lesson each view says under its title what it shows, unless a cue says view.explain = false
    table: dict[str, Any] = {"format_version": SCENE_FORMAT_VERSION, "view": {"explain": True}}
    for i, cue in enumerate(cues, start=1):
        table = _merge({k: v for k, v in table.items() if k != "caption"}, cue)
        sampler = cue.get("sampler")
        if isinstance(sampler, dict) and "name" in sampler and "options" not in sampler:
            table["sampler"] = {k: v for k, v in table["sampler"].items() if k != "options"}  # another sampler's
        try:
            scenes.append(scene_from_dict(table, path.parent.resolve()))
        except SceneError as exc:
            raise SceneError(f"{path.name}, cue {i}: {exc}") from None
    return Lesson(path.stem, title, summary, tuple(scenes))


def lessons_folder() -> Path:
    return Path(str(resources.files("diffviz.assets") / "lessons"))


def bundled_lessons() -> dict[str, Path]:
    """The lessons that ship with diffviz, by name (the file's stem), in the order of their file names."""
    folder = lessons_folder()
    if not folder.is_dir():
        return {}
    return {p.stem: p for p in sorted(folder.glob(f"*{LESSON_SUFFIX}"))}


def lesson_path(name: str) -> Path:
    """A bundled lesson's file by name, or ``name`` itself when it is a lesson file; :class:`SceneError` naming the
    bundled ones otherwise."""
    bundled = bundled_lessons()
    if name in bundled:
        return bundled[name]
    if name.endswith(LESSON_SUFFIX) and Path(name).is_file():
        return Path(name)
    raise SceneError(f"no lesson {name!r}; the bundled lessons are: {', '.join(bundled) or 'none'}")
