"""Why a model was refused: one exception class per broken rule of the contract (docs/model-format.md).

Every class is a :class:`ModelError` (a ``ValueError``), and every message starts with the file name and names
the problem, so the CLI and the app can show it as is.
"""

from __future__ import annotations


class ModelError(ValueError):
    """A model that diffviz cannot run; the message says which file and what is wrong."""


class ModelFileNotFoundError(ModelError):
    """The path does not exist (or is not a file)."""


class UnknownModelError(ModelError):
    """A name that is neither a file, a bundled model nor an analytic one; the message lists the valid names."""


class NotOnnxError(ModelError):
    """The file is not an ONNX model: its protobuf cannot be parsed."""


class ModelLoadError(ModelError):
    """A valid protobuf that ONNX Runtime still refuses (unsupported IR version or operator, broken graph)."""


class InputNamesError(ModelError):
    """The graph does not have exactly the two inputs ``x`` and ``t``."""


class InputTypeError(ModelError):
    """An input has the wrong rank, dtype or a dynamic dimension other than the batch."""


class OutputError(ModelError):
    """Not exactly one output, or an output that is not float32."""


class OutputShapeError(ModelError):
    """The output is not shaped like ``x`` (declared in the graph, or seen at the probe run)."""


class NonFiniteOutputError(ModelError):
    """The probe run returned NaN or Inf."""


class MetadataError(ModelError):
    """A ``diffviz.*`` metadata value that is not allowed (unknown prediction type, bad schedule, …)."""


class ProviderError(RuntimeError):
    """``DIFFVIZ_PROVIDER`` asks for something this machine cannot give."""
