"""Scenes: a whole session as a versioned, human-readable TOML file — what the window saves and opens, and what
lessons and ``diffviz render`` read.

A scene names its model (a bundled name, ``analytic:…``/``ideal:…``, ``drawn``, or a path relative to the scene's
folder, with the file's sha256), and holds the schedule, the sampler with all its options, seed and noise lock, the
view, the playhead, the followed particles, a caption and the points drawn by hand (``[drawn] points = [[x, y], …]``:
model spec ``drawn`` is their ideal denoiser). Every section and key may be left out (defaults fill
in), so a hand-written scene can be three lines. A bad scene is refused with one message naming the key and the
value: unknown keys, wrong types, out-of-range values, a missing model, a newer format version.
"""

from __future__ import annotations

import os
import re
import reprlib
import sys
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from diffviz.core import SAMPLERS, OptionError
from diffviz.core.atomic import atomic_write, not_regular

from .session import DRAWN_SPEC, MAX_DRAWN, ModelRef, Point, Session
from .settings import Playback, SamplerSettings, ScheduleSettings, SettingsError, ViewSettings

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

SCENE_FORMAT_VERSION = 1
SCENE_SUFFIX = ".toml"
MAX_SCENE_BYTES = 1 << 20
MAX_FOLLOWED = 64
MAX_CAPTION = 2000
# tomllib takes time quadratic in the depth of a dotted key (a.a.a… = 1: 20 000 deep take seconds, the 500 000 that
# fit in MAX_SCENE_BYTES hours); a scene's own dots are in its caption and a few numbers, far below this.
MAX_SCENE_DOTS = 10_000
MAX_DRAWN_COORD = 1e6  # |x|, |y| of a drawn point


class SceneError(ValueError):
    """A scene file that cannot be used; the message names the key and the value."""


@dataclass(frozen=True)
class Scene:
    """The saved part of a session (everything but the loaded model's card)."""

    model: ModelRef
    schedule: ScheduleSettings = field(default_factory=ScheduleSettings)
    sampler: SamplerSettings = field(default_factory=SamplerSettings)
    view: ViewSettings = field(default_factory=ViewSettings)
    playback: Playback = field(default_factory=Playback)
    followed: tuple[int, ...] = ()
    caption: str = ""
    compare: SamplerSettings | None = None  # side by side: the second sampler (name and options)
    drawn: tuple[Point, ...] = ()  # points drawn by hand; model spec "drawn" is their ideal denoiser

    @classmethod
    def of(cls, session: Session) -> Scene:
        if session.model is None:
            raise SceneError("no model is open: a scene needs one")
        if session.model.spec == DRAWN_SPEC and not session.drawn:
            raise SceneError(
                "the drawn set is empty: draw some points first (the model is the ideal denoiser of the drawn set)"
            )
        return cls(
            session.model,
            session.schedule,
            session.sampler,
            session.view,
            session.playback,
            session.followed,
            session.caption,
            session.compare,
            session.drawn,
        )

    def apply(self, session: Session) -> None:
        """Set every saved field of ``session`` in one batch (the card is the caller's: it loads the model)."""
        with session.batch():
            session.model = self.model
            session.schedule = self.schedule
            session.sampler = self.sampler
            session.view = self.view
            session.playback = self.playback
            session.followed = self.followed
            session.caption = self.caption
            session.compare = self.compare
            session.drawn = self.drawn


# ---- writing ---------------------------------------------------------------------------------------------------
def scene_to_dict(scene: Scene, base: Path | None = None) -> dict[str, Any]:
    """The TOML tables of a scene; a model path inside ``base`` (the scene's folder) is written relative to it."""
    spec = scene.model.spec
    if base is not None and os.path.isabs(spec):
        try:
            spec = Path(spec).relative_to(base.resolve()).as_posix()
        except ValueError:
            pass
    model: dict[str, Any] = {"spec": spec}
    if scene.model.sha256:
        model["sha256"] = scene.model.sha256
    sampler = scene.sampler
    view = {f.name: getattr(scene.view, f.name) for f in fields(ViewSettings)}
    view["panels"] = list(scene.view.panels)
    view["field_extent"] = list(scene.view.field_extent)
    for name in ("camera", "score_levels"):  # None (automatic) is left out: TOML has no null
        value = getattr(scene.view, name)
        if value is None:
            del view[name]
        else:
            view[name] = list(value)
    compare = (
        {"compare": {"name": scene.compare.name, "options": scene.compare.active_options()}}
        if scene.compare is not None
        else {}
    )
    return {
        "format_version": SCENE_FORMAT_VERSION,
        "caption": scene.caption,
        "followed": list(scene.followed),
        "model": model,
        "schedule": {f.name: getattr(scene.schedule, f.name) for f in fields(ScheduleSettings)},
        "sampler": {
            "name": sampler.name,
            "num_particles": sampler.num_particles,
            "seed": sampler.seed,
            "same_noise": sampler.same_noise,
            "options": sampler.active_options(),
        },
        "view": view,
        "playback": {f.name: getattr(scene.playback, f.name) for f in fields(Playback)},
        **compare,
        **({"drawn": {"points": [list(p) for p in scene.drawn]}} if scene.drawn else {}),
    }


def write_scene(path: str | os.PathLike[str], scene: Scene) -> Path:
    """Write ``scene`` as TOML, atomically (no half-written file; a non-regular file is never replaced)."""
    import tomli_w

    path = Path(path)
    body = _SHORT_ARRAY.sub(_one_line, _PAIR.sub(r"[\1, \2]", tomli_w.dumps(scene_to_dict(scene, path.parent))))
    text = f"# diffviz scene: open it with `diffviz {path.name}`; lessons and `diffviz render` read it too.\n{body}"
    atomic_write(path, text)
    return path


# an array of plain numbers or names that tomli_w spreads over lines: one line reads better ([x0, x1, y0, y1])
_SHORT_ARRAY = re.compile(r"\[\n((?:    [-+\w.\"]+,\n)+)\]")


# the [x, y] pairs of [drawn] points, which tomli_w writes over four lines each: one pair a line
_PAIR = re.compile(r"\[\n {8}([-+\w.]+),\n {8}([-+\w.]+),\n {4}\]")


def _one_line(match: re.Match[str]) -> str:
    return "[" + ", ".join(item.strip().rstrip(",") for item in match.group(1).splitlines()) + "]"


# ---- reading ---------------------------------------------------------------------------------------------------
def _type_name(value: Any) -> str:
    return {
        bool: "a boolean",
        int: "an integer",
        float: "a number",
        str: "a string",
        list: "a list",
        dict: "a table",
    }.get(type(value), type(value).__name__)


class _Repr(reprlib.Repr):
    def repr_int(self, x: int, level: int) -> str:
        # repr() itself refuses an integer of more than 4300 digits (ValueError); TOML's hexadecimal has no limit
        return super().repr_int(x, level) if x.bit_length() <= _HUGE_BITS else f"<a {x.bit_length()}-bit integer>"


_HUGE_BITS = 256  # an integer beyond this is out of every setting's range, and not shown in full
_REPR = _Repr()
_REPR.maxstring = _REPR.maxother = 80


def _show(value: Any, limit: int = 120) -> str:
    """``repr(value)`` cut short: a value read from a file may be megabytes long or nested thousands deep."""
    text = _REPR.repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _clip(text: str, limit: int = 300) -> str:
    """A message (of another module, quoting a value from the file) cut to one readable line."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _key(key: str) -> str:
    """A key as a message shows it: bare keys as they are, others (newlines, escapes, any length) quoted and cut."""
    return key if re.fullmatch(r"[A-Za-z0-9_-]{1,80}", key) else _show(key)


def _coerce(key: str, value: Any, default: Any) -> Any:
    """``value`` as the type of ``default`` (TOML integers count as numbers), or SceneError naming key and value."""

    def bad(want: str) -> SceneError:
        return SceneError(f"{key} = {_show(value)} is {_type_name(value)}, expected {want}")

    numbers = value if isinstance(value, list) else [value]
    if any(isinstance(v, int) and v.bit_length() > _HUGE_BITS for v in numbers):  # (float() would overflow)
        raise SceneError(f"{key} = {_show(value)}: an integer that large is out of range")
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise bad("true or false")
        return value
    if isinstance(default, int):
        if isinstance(value, bool) or not isinstance(value, int):
            raise bad("an integer")
        return value
    if isinstance(default, float):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise bad("a number")
        return float(value)
    if isinstance(default, str):
        if not isinstance(value, str):
            raise bad("a string")
        return value
    if isinstance(default, tuple) or default is None:  # lists: panels (strings), extents (4 numbers)
        if not isinstance(value, list):
            raise bad("a list")
        if default and isinstance(default[0], str):
            if not all(isinstance(v, str) for v in value):
                raise bad("a list of strings")
            return tuple(value)
        want = 2 if key.endswith("score_levels") else 4
        if len(value) != want or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value):
            raise bad("a list of two numbers [low, high]" if want == 2 else "a list of four numbers [x0, x1, y0, y1]")
        return tuple(float(v) for v in value)
    raise AssertionError(f"no reader for {key}")


def _section(data: dict[str, Any], name: str, cls: type, skip: tuple[str, ...] = ()) -> Any:
    table = data.get(name, {})
    if not isinstance(table, dict):
        raise SceneError(f"[{name}] must be a table, got {_show(table)}")
    default = cls()
    known = {f.name for f in fields(cls)} - set(skip)
    values: dict[str, Any] = {}
    for key, value in table.items():
        if key in skip:
            continue
        if key not in known:
            raise SceneError(f"unknown key {name}.{_key(key)} = {_show(value)}; valid keys: {', '.join(sorted(known))}")
        values[key] = _coerce(f"{name}.{key}", value, getattr(default, key))
    return replace(default, **values)


def _sampler(data: dict[str, Any], previous: SamplerSettings) -> SamplerSettings:
    settings = _section(data, "sampler", SamplerSettings, skip=("options",))
    table = data.get("sampler", {})
    options = table.get("options", {}) if isinstance(table, dict) else {}
    if not isinstance(options, dict):
        raise SceneError(f"sampler.options must be a table, got {_show(options)}")
    if settings.name not in SAMPLERS:
        raise SceneError(f"sampler.name = {_show(settings.name)} is unknown; valid: {', '.join(SAMPLERS)}")
    declared = {o.name: o for o in SAMPLERS[settings.name].options}
    for key, value in options.items():
        if key not in declared:
            raise SceneError(
                f"unknown key sampler.options.{_key(key)} = {_show(value)}: the {settings.name} sampler takes "
                f"{', '.join(declared) or 'no options'}"
            )
        try:
            options[key] = declared[key].check(value, settings.name)
        except (OptionError, ValueError, OverflowError) as exc:  # a huge integer: as a float, or in its repr
            raise SceneError(
                f"sampler.options.{key} = {_show(value)} is invalid: expected {declared[key].describe_range()}"
            ) from exc
    # options of the other samplers keep the session's values, so switching sampler later feels the same
    return replace(settings, options={**previous.options, **options})


def _compare(data: dict[str, Any], previous: SamplerSettings) -> SamplerSettings | None:
    """The ``[compare]`` table: a sampler's ``name`` and ``options``, read as ``[sampler]`` is (no other keys)."""
    table = data.get("compare")
    if table is None:
        return None
    if not isinstance(table, dict):
        raise SceneError(f"compare must be a table with a sampler name, got {_show(table)}")
    for key in table:
        if key not in ("name", "options"):
            raise SceneError(f"unknown key compare.{_key(key)} = {_show(table[key])}; valid keys: name, options")
    try:
        return _sampler({"sampler": dict(table)}, previous)
    except SceneError as exc:
        raise SceneError(str(exc).replace("sampler.", "compare.", 1)) from None


def _drawn(data: dict[str, Any]) -> tuple[Point, ...]:
    """The ``[drawn]`` table: ``points = [[x, y], …]``, at most MAX_DRAWN pairs of finite numbers."""
    table = data.get("drawn", {})
    if not isinstance(table, dict):
        raise SceneError(f"drawn must be a table with points = [[x, y], …], got {_show(table)}")
    for key in table:
        if key != "points":
            raise SceneError(f"unknown key drawn.{_key(key)} = {_show(table[key])}; valid keys: points")
    points = table.get("points", [])
    if not isinstance(points, list) or len(points) > MAX_DRAWN:
        raise SceneError(f"drawn.points = {_show(points)}: expected a list of at most {MAX_DRAWN} [x, y] pairs")
    for i, point in enumerate(points):
        if not (
            isinstance(point, list)
            and len(point) == 2
            and all(
                isinstance(v, (int, float)) and not isinstance(v, bool) and abs(v) <= MAX_DRAWN_COORD for v in point
            )  # NaN fails the comparison too
        ):
            raise SceneError(
                f"drawn.points[{i}] = {_show(point)}: expected [x, y], two finite numbers with |x|, |y| ≤ "
                f"{MAX_DRAWN_COORD:g}"
            )
    return tuple((float(x), float(y)) for x, y in points)


def scene_from_dict(data: dict[str, Any], base: Path | None = None, previous: SamplerSettings | None = None) -> Scene:
    """Check and read a scene's tables; model paths are resolved against ``base`` (the scene's folder)."""
    known = {"format_version", "caption", "followed", "model", "schedule", "sampler", "view", "playback"}
    known |= {"compare", "drawn"}
    for key in data:
        if key not in known:
            raise SceneError(f"unknown key {_key(key)} = {_show(data[key])}; valid keys: {', '.join(sorted(known))}")
    version = data.get("format_version")
    if isinstance(version, bool) or not isinstance(version, int):
        raise SceneError(f"format_version = {_show(version)}: a scene must say its format version (an integer)")
    if version > SCENE_FORMAT_VERSION:
        raise SceneError(
            f"format_version = {_show(version)}: this scene was written by a newer diffviz (this one reads "
            f"up to {SCENE_FORMAT_VERSION}); update diffviz to open it"
        )
    if version < 1:
        raise SceneError(f"format_version = {_show(version)} is not a scene format version")
    model = data.get("model")
    if not isinstance(model, dict) or not isinstance(model.get("spec"), str) or not model["spec"]:
        raise SceneError(f'model = {_show(model)}: a scene needs [model] spec = "a bundled name, analytic:… or a path"')
    for key in model:
        if key not in ("spec", "sha256"):
            raise SceneError(f"unknown key model.{_key(key)} = {_show(model[key])}; valid keys: sha256, spec")
    sha = model.get("sha256")
    if sha is not None and (not isinstance(sha, str) or len(sha) != 64):
        raise SceneError(f"model.sha256 = {_show(sha)} is not a sha256 hex digest")
    spec = model["spec"]
    if _looks_like_path(spec) and base is not None and not os.path.isabs(spec):
        spec = str((base / spec).resolve())
    followed = data.get("followed", [])
    if (
        not isinstance(followed, list)
        or len(followed) > MAX_FOLLOWED
        or not all(isinstance(i, int) and not isinstance(i, bool) and 0 <= i for i in followed)
    ):
        raise SceneError(
            f"followed = {_show(followed)}: expected a list of at most {MAX_FOLLOWED} particle indices ≥ 0"
        )
    caption = data.get("caption", "")
    if not isinstance(caption, str) or len(caption) > MAX_CAPTION:
        raise SceneError(f"caption = {_show(caption)}: expected a string of at most {MAX_CAPTION} characters")
    scene = Scene(
        model=ModelRef(spec, sha),
        schedule=_section(data, "schedule", ScheduleSettings),
        sampler=_sampler(data, previous or SamplerSettings()),
        view=_section(data, "view", ViewSettings),
        playback=_section(data, "playback", Playback),
        followed=tuple(followed),
        caption=caption,
        compare=_compare(data, previous or SamplerSettings()),
        drawn=_drawn(data),
    )
    if spec == DRAWN_SPEC and not scene.drawn:
        raise SceneError(
            f"model.spec = {_show(spec)} is the ideal denoiser of drawn points: it needs a [drawn] "
            "table with points = [[x, y], …]"
        )
    try:
        for part in (scene.schedule, scene.sampler, scene.view, scene.playback):
            part.validate()
    except SettingsError as exc:
        raise SceneError(_clip(str(exc))) from None
    if any(i >= scene.sampler.num_particles for i in scene.followed):
        raise SceneError(
            f"followed = {_show(followed)}: indices must be below sampler.num_particles = {scene.sampler.num_particles}"
        )
    return scene


# a decimal number alone between array delimiters ([ , or space before, , or ] after): its '.' cannot belong to a
# dotted key (every segment of one touches a '.'), so it is not counted against MAX_SCENE_DOTS
_ARRAY_FLOAT = re.compile(r"(?<=[\[,\s])[-+]?\d[\d_]*\.\d[\d_]*(?:[eE][-+]?\d[\d_]*)?(?=\s*[,\]])")


def _looks_like_path(spec: str) -> bool:
    return spec.endswith(".onnx") or "/" in spec or os.sep in spec


def read_toml(path: str | os.PathLike[str], what: str = "scene") -> dict[str, Any]:
    """A scene-sized TOML file (a scene, a lesson) read with every guard: a regular file, at most
    :data:`MAX_SCENE_BYTES`, UTF-8 (a BOM skipped), no pathological nesting; :class:`SceneError` otherwise."""
    path = Path(path)
    try:
        st = path.stat()
        kind = not_regular(st.st_mode)  # a FIFO would block the read, /dev/zero never end
        if kind:
            raise SceneError(f"cannot read the {what} {path}: it is {kind}")
        if st.st_size > MAX_SCENE_BYTES:
            raise SceneError(f"{path.name} is {st.st_size} bytes; a {what} is at most {MAX_SCENE_BYTES}")
        text = path.read_text(encoding="utf-8-sig")  # a byte-order mark (Windows editors write one) is skipped
    except (OSError, UnicodeDecodeError) as exc:
        raise SceneError(f"cannot read the {what} {path}: {getattr(exc, 'strerror', None) or exc}") from None
    dots = text.count(".") - len(_ARRAY_FLOAT.findall(text))  # a drawn set's 10 000 numbers are no nesting
    if dots > MAX_SCENE_DOTS:
        raise SceneError(
            f"{path.name} is not a {what}: it has {dots} '.' (a {what} has at most {MAX_SCENE_DOTS}): keys nested "
            "that deep would take minutes to parse"
        )
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SceneError(f"{path.name} is not a TOML {what}: {exc}") from None
    except ValueError as exc:  # an integer of more than 4300 digits (Python's limit on converting text to int)
        raise SceneError(f"{path.name} is not a {what}: {str(exc).split(';')[0]}") from None
    except RecursionError:
        raise SceneError(f"{path.name} is not a {what}: its arrays or tables are nested too deeply") from None


def read_scene(path: str | os.PathLike[str], previous: SamplerSettings | None = None) -> Scene:
    """Read and check a scene file (the model is named, not loaded: see :func:`diffviz.session.open_scene`)."""
    path = Path(path)
    data = read_toml(path)
    try:
        return scene_from_dict(data, path.parent.resolve(), previous)
    except SceneError as exc:
        raise SceneError(f"{path.name}: {exc}") from None


# ---- lenient reading, for the window's own settings store ------------------------------------------------------
def lenient(cls: type, table: Any) -> Any:
    """``cls`` from a stored table, keeping the default for every entry that is missing, mistyped or invalid.

    The settings store uses this: a hand-edited or older store must never stop the app from starting.
    """
    settings = cls()
    if not isinstance(table, dict):
        return settings
    defaults = cls()
    for f in fields(cls):
        if f.name not in table or f.name == "options":
            continue
        try:
            candidate = replace(settings, **{f.name: _coerce(f.name, table[f.name], getattr(defaults, f.name))})
            candidate.validate()
        except (SceneError, SettingsError, TypeError, ValueError):
            continue
        settings = candidate
    if cls is SamplerSettings and isinstance(table.get("options"), dict):
        for key, value in table["options"].items():
            try:
                candidate = settings.with_options(**{key: value})
                candidate.validate()
            except (SettingsError, TypeError, ValueError):
                continue
            settings = candidate
    return settings


def settings_to_dict(settings: Any) -> dict[str, Any]:
    """A settings dataclass as a JSON/TOML-ready table (tuples as lists, options as a table)."""
    out: dict[str, Any] = {}
    for f in fields(settings):
        value = getattr(settings, f.name)
        if isinstance(value, tuple):
            value = list(value)
        elif f.name == "options":
            value = dict(value)
        out[f.name] = value
    return out
