"""Opening a scene: read and check the file, then load the model it names (runtime), compare the file's hash."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from diffviz.core import Denoiser, GaussianMixture

from .scene import Scene, SceneError, _clip, _looks_like_path, _show, read_scene
from .session import DRAWN_SPEC, Point
from .settings import SamplerSettings


def drawn_model(points: Sequence[Point] | np.ndarray) -> GaussianMixture:
    """The ideal denoiser of drawn points (model spec ``drawn``): their empirical distribution, exact at every t."""
    pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    if not len(pts):
        raise ValueError("no points are drawn: the ideal denoiser needs at least one")
    return GaussianMixture.from_points(pts, name=f"ideal:drawn ({len(pts)} points)")


def scene_model(scene: Scene) -> tuple[Denoiser, list[str]]:
    """Load the model a scene names; with notices (e.g. the file changed since the scene was saved).

    Raises :class:`SceneError` naming ``model.spec`` when it cannot be opened.
    """
    from diffviz.runtime import ModelError, ProviderError, load_model

    spec = scene.model.spec
    if spec == DRAWN_SPEC:  # scene_from_dict has checked that points are drawn
        return drawn_model(scene.drawn), []
    if _looks_like_path(spec) and not os.path.isfile(spec):
        what = "not a file (a folder, a pipe or a device)" if os.path.exists(spec) else "no such model file"
        raise SceneError(f"model.spec = {_show(spec)}: {what}")
    try:
        model = load_model(spec)
    except (ModelError, ProviderError, OSError, ValueError) as exc:
        raise SceneError(f"model.spec = {_show(spec)} cannot be opened: {_clip(str(exc))}") from None
    notices = []
    saved, now = scene.model.sha256, model.card.sha256
    if saved and now and saved != now:
        notices.append(
            f"{Path(spec).name} has changed since the scene was saved (sha256 {now[:12]}…, the scene "
            f"names {saved[:12]}…): the trajectory may differ from the one it showed"
        )
    return model, notices


def open_scene(
    path: str | os.PathLike[str], previous: SamplerSettings | None = None
) -> tuple[Scene, Denoiser, list[str]]:
    """Read a scene file and load its model; :class:`SceneError` (one message naming key and value) otherwise."""
    scene = read_scene(path, previous)
    try:
        model, notices = scene_model(scene)
    except SceneError as exc:
        raise SceneError(f"{Path(path).name}: {exc}") from None
    return scene, model, notices
