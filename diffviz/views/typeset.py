"""Math in titles, labels and readouts: symbols typeset the same way everywhere, with hats that render.

Qt draws a combining circumflex (U+0302) over an upright "x" in no common sans font (DejaVu Sans, the usual Linux
default, draws "x̂" as a bare "x"), so the estimate x̂_0 read as the true sample x_0. Math variables are therefore set
in italic, as in print, in DejaVu Sans Oblique, whose marks sit right on every letter. The font is registered from
the copy matplotlib ships (a dependency, also the equation panel's renderer), so it is there on every platform.

Use :func:`sym` for one symbol with its subscript, and the constants for the app's named quantities. Each returns
Qt rich text (HTML) for pyqtgraph titles, axis labels and QLabels; :func:`plain` gives a plain-text form for widgets
that take no rich text (check boxes, tooltips).
"""

from __future__ import annotations

import html
import importlib.util
import re
from functools import lru_cache
from pathlib import Path

MATH_FAMILY = "DejaVu Sans"
_FONT_FILES = ("DejaVuSans.ttf", "DejaVuSans-Oblique.ttf", "DejaVuSans-Bold.ttf", "DejaVuSans-BoldOblique.ttf")


def _mpl_font_dir() -> Path | None:
    spec = importlib.util.find_spec("matplotlib")  # located, not imported: importing matplotlib costs ~0.2 s
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations))) / "mpl-data" / "fonts" / "ttf"
    return folder if folder.is_dir() else None


@lru_cache(maxsize=1)
def register_fonts() -> bool:
    """Add the math font to Qt's font database (once; needs a QGuiApplication). True when it is available."""
    from PySide6.QtGui import QFontDatabase

    folder = _mpl_font_dir()
    added = False
    if folder is not None:
        for name in _FONT_FILES:
            if (folder / name).is_file():
                added |= QFontDatabase.addApplicationFont(str(folder / name)) >= 0
    return added or MATH_FAMILY in QFontDatabase.families()


def sym(base: str, sub: str = "", sup: str = "") -> str:
    """One math symbol, italic, with an upright subscript/superscript: ``sym("x̂", "0")`` → x̂₀.

    Greek and Latin letters alike are italic (as in print); a one-letter subscript (t, T, θ) is italic too, while
    numbers and names (0, t−1, min, max) are upright."""
    out = f"<span style=\"font-family:'{MATH_FAMILY}'; font-style:italic\">{html.escape(base)}</span>"
    if sub:
        style = "font-style:italic" if len(sub) == 1 and sub.isalpha() else "font-style:normal"
        out += f"<sub><span style=\"font-family:'{MATH_FAMILY}'; {style}\">{html.escape(sub)}</span></sub>"
    if sup:
        out += f"<sup>{html.escape(sup)}</sup>"
    return out


X_T = sym("x", "t")
X_T_START = sym("x", "T")
X_0 = sym("x", "0")
X0_HAT = sym("x\u0302", "0")
EPS_HAT = sym("\u03b5\u0302")
S_THETA = sym("s", "\u03b8")
ALPHA_BAR_T = sym("\u1fb1", "t")
ALPHA_T = sym("\u03b1", "t")
BETA_T = sym("\u03b2", "t")
SIGMA_T = sym("\u03c3", "t")
BETA_MIN = sym("\u03b2", "min")
BETA_MAX = sym("\u03b2", "max")


_MATH = re.compile(
    r"(?<![\w\u0302\u0304])([^\W\d_][\u0302\u0304]?)_(\{[^}]*\}|[^\W_]+)"  # x_0, β_min, x̂_0, ᾱ_t, x_{t−1}
    r"|(?<!\w)([^\W\d_][\u0302\u0304])"  # a hatted or barred letter alone: ε̂ (num_steps, 1σ are not math)
)
_GREEK = re.compile(r"(?<!\w)([\u03b1-\u03c9])(?!\w)")  # a lone Greek letter: η
_MATH_GREEK = re.compile(f"{_MATH.pattern}|{_GREEK.pattern}")


def has_math(text: str, greek: bool = False) -> bool:
    """Whether :func:`rich` would typeset anything in ``text``."""
    return bool(_MATH.search(text) or (greek and _GREEK.search(text)))


def rich(text: str, greek: bool = False) -> str:
    """Plain text with TeX-like math (``x̂_0``, ``x_{t−1}``, ``ᾱ_t``, ``ε̂``, ``s_θ``; with ``greek`` also a lone
    ``η``) → rich text with each symbol typeset by :func:`sym` and the rest escaped, for captions, lesson text and
    the panels' labels written as plain strings."""
    out, last = [], 0
    for match in (_MATH_GREEK if greek else _MATH).finditer(text):
        out.append(html.escape(text[last : match.start()], quote=False))
        base, sub, alone = match.group(1, 2, 3)
        if base is not None:
            out.append(sym(base, sub[1:-1] if sub.startswith("{") else sub))
        else:
            out.append(sym(alone or match.group(4)))
        last = match.end()
    out.append(html.escape(text[last:], quote=False))
    return "".join(out).replace("\n", "<br>")


def plain(text: str) -> str:
    """Rich text → plain text for widgets that show no HTML: tags dropped, subscripts written with "_"."""
    text = re.sub(r"<sub>(.*?)</sub>", lambda m: "_" + re.sub(r"<[^>]+>", "", m.group(1)), text)
    text = re.sub(r"<sup>(.*?)</sup>", lambda m: "^" + re.sub(r"<[^>]+>", "", m.group(1)), text)
    return html.unescape(re.sub(r"<[^>]+>", "", text))
