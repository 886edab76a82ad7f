"""The session: everything the window shows, Qt-free, evented and saved as scene files.

The window binds to a :class:`Session` (widgets mirror it and write to it), scenes are its saved form, lessons
and ``diffviz render`` read scenes; :func:`build_run` turns a session into a sampling run. No Qt here (an
import-linter contract says so).
"""

from .loading import open_scene, scene_model
from .request import build_pair, build_run, check_run_size
from .scene import SCENE_FORMAT_VERSION, SCENE_SUFFIX, Scene, SceneError, read_scene, write_scene
from .session import ModelRef, Session
from .settings import (
    DEFAULT_IMAGES,
    DEFAULT_POINTS,
    Playback,
    SamplerSettings,
    ScheduleSettings,
    SettingsError,
    ViewSettings,
)

__all__ = [
    "DEFAULT_IMAGES",
    "DEFAULT_POINTS",
    "SCENE_FORMAT_VERSION",
    "SCENE_SUFFIX",
    "ModelRef",
    "Playback",
    "SamplerSettings",
    "Scene",
    "SceneError",
    "ScheduleSettings",
    "Session",
    "SettingsError",
    "ViewSettings",
    "build_pair",
    "build_run",
    "check_run_size",
    "open_scene",
    "read_scene",
    "scene_model",
    "write_scene",
]
