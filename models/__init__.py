"""The model zoo (installed as ``diffviz.zoo``): bundled ONNX models with their cards, and the torch code that
trains, exports and rebuilds them (``python -m diffviz.zoo.build_zoo``).

Importing this package loads neither torch nor onnxruntime; the torch modules (``nets``, ``model``,
``training``, ``export``, ``pipeline``, ``build_zoo``) import torch themselves.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

ZOO_DIR = Path(__file__).resolve().parent
ZOO_INDEX = ZOO_DIR / "zoo.json"


def zoo_index() -> dict[str, Any]:
    """The parsed ``zoo.json``: ``{"default": name, "models": {name: {"file", "data", "modality", ...}}}``."""
    return dict(json.loads(ZOO_INDEX.read_text(encoding="utf-8")))
