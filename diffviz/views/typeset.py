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


_SUBSCRIPTED = re.compile(
    r"(?<![\w\u0302\u0304])"  # a symbol starts a word: "num_steps" stays as it is
    r"([A-Za-z\u03b1-\u03c9\u1fb1][\u0302\u0304]?)"  # one letter (Latin, Greek, ᾱ), maybe with a hat or a bar
    r"_(\{[^}]*\}|[0-9A-Za-z\u03b8]+)"  # _sub or _{sub}
)
_HATTED = re.compile(r"(?<![\w])([A-Za-z\u03b1-\u03c9][\u0302\u0304])")


def rich(text: str) -> str:
    """Plain text with TeX-like math (``x̂_0``, ``x_{t−1}``, ``ᾱ_t``, ``ε̂``, ``s_θ``) → rich text with each symbol
    typeset by :func:`sym`, for captions and lesson text written as plain strings."""
    out, last = [], 0
    escaped = html.escape(text, quote=False)
    for match in _SUBSCRIPTED.finditer(escaped):
        out.append(_hats(escaped[last : match.start()]))
        sub = match.group(2)
        out.append(sym(html.unescape(match.group(1)), html.unescape(sub[1:-1] if sub.startswith("{") else sub)))
        last = match.end()
    out.append(_hats(escaped[last:]))
    return "".join(out).replace("\n", "<br>")


def _hats(text: str) -> str:
    return _HATTED.sub(lambda m: sym(m.group(1)), text)


def plain(text: str) -> str:
    """Rich text → plain text for widgets that show no HTML: tags dropped, subscripts written with "_"."""
    text = re.sub(r"<sub>(.*?)</sub>", lambda m: "_" + re.sub(r"<[^>]+>", "", m.group(1)), text)
    text = re.sub(r"<sup>(.*?)</sup>", lambda m: "^" + re.sub(r"<[^>]+>", "", m.group(1)), text)
    return html.unescape(re.sub(r"<[^>]+>", "", text))
