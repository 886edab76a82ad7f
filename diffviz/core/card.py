"""What a model *is*, frozen at load time: the :class:`ModelCard` every :class:`~diffviz.core.denoiser.Denoiser`
exposes as ``model.card``, so views and ``diffviz info`` read one typed record instead of probing attributes."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from .schedule import Schedule

ANALYTIC_PROVIDER = "numpy (analytic)"
Modality = Literal["image", "points"]


class FrozenMetadata(Mapping[str, str]):
    """A read-only copy of a model file's metadata (item assignment raises TypeError); hashable."""

    __slots__ = ("_items",)

    def __init__(self, items: Mapping[str, str]) -> None:
        self._items = dict(items)

    def __getitem__(self, key: str) -> str:
        return self._items[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __hash__(self) -> int:
        return hash(frozenset(self._items.items()))

    def __repr__(self) -> str:
        return f"FrozenMetadata({self._items!r})"


def alpha_bar_range(schedule: Schedule | None) -> tuple[float, float] | None:
    """(lowest, highest) ᾱ of a training schedule: the noise levels a trained model has seen; None without one."""
    if schedule is None:
        return None
    alpha_bars = np.asarray(schedule.alpha_bars, dtype=np.float64)
    return float(alpha_bars.min()), float(alpha_bars.max())


def clip_range(data_range: tuple[float, float] | None) -> float:
    """The bound r of x̂_0 clipping to [−r, r]: max |data_range|, or 1.0 when the data range is unknown."""
    if data_range is None:
        return 1.0
    return float(max(abs(data_range[0]), abs(data_range[1])))


@dataclass(frozen=True)
class ModelCard:
    """A model's identity and contract, read once when it is loaded and never changed afterwards.

    Build one with :meth:`create`, which derives ``trained_alpha_bar`` and ``clip_sample_range``.

    Attributes
    ----------
    name, prediction_type, data_shape
        What the model is called, what it predicts (``epsilon``, ``score``, ``sample``, ``v_prediction``) and the
        shape of one sample: ``(D,)`` for vectors, ``(C, H, W)`` for images.
    train_schedule, trained_alpha_bar
        The training schedule and its (lowest, highest) ᾱ; both None for analytic models, exact at every level.
    time_input
        ``index`` or ``continuous`` model time; None when the model time is ᾱ itself (analytic models).
    data, data_range
        The bundled 2D data set the model learned (when known) and the range of its data (when declared).
    clip_sample, clip_sample_range
        Whether the model's metadata recommends clipping x̂_0, and to [−r, r] with r = ``clip_sample_range``.
    provider
        What runs it, in words: ``CUDA``, ``CPU`` or ``numpy (analytic)``.
    sha256, path
        The model file's content hash and path (None without a file).
    description, batch_size, notices
        Free text from the metadata, the fixed batch size (None when dynamic), and what loading had to assume.
    metadata
        The file's raw metadata properties, as a read-only :class:`FrozenMetadata` (None for analytic models).
    """

    name: str
    prediction_type: str
    data_shape: tuple[int, ...]
    train_schedule: Schedule | None = field(default=None, repr=False)  # trained_alpha_bar sums it up
    trained_alpha_bar: tuple[float, float] | None = None
    time_input: str | None = None
    data: str | None = None
    data_range: tuple[float, float] | None = None
    clip_sample: bool = False
    clip_sample_range: float = 1.0
    provider: str = ANALYTIC_PROVIDER
    sha256: str | None = None
    path: str | None = None
    description: str = ""
    batch_size: int | None = None
    notices: tuple[str, ...] = ()
    metadata: Mapping[str, str] | None = None
    timestep_spacing: str | None = None  # the spacing the model's own pipeline uses (None: not said)
    steps_offset: int = 0  # diffusers' steps_offset for that spacing

    def __post_init__(self) -> None:
        # Normalise containers so the card holds nothing mutable (lists, dicts) a caller could change later.
        object.__setattr__(self, "data_shape", tuple(int(d) for d in self.data_shape))
        object.__setattr__(self, "notices", tuple(str(n) for n in self.notices))
        if self.data_range is not None:
            lo, hi = self.data_range
            object.__setattr__(self, "data_range", (float(lo), float(hi)))
        if self.trained_alpha_bar is not None:
            lo, hi = self.trained_alpha_bar
            if not 0.0 <= lo <= hi <= 1.0:
                raise ValueError(f"trained_alpha_bar = {self.trained_alpha_bar!r}: need 0 ≤ lowest ≤ highest ≤ 1")
            object.__setattr__(self, "trained_alpha_bar", (float(lo), float(hi)))
        if self.metadata is not None and not isinstance(self.metadata, FrozenMetadata):
            object.__setattr__(self, "metadata", FrozenMetadata(self.metadata))

    @classmethod
    def create(
        cls,
        *,
        name: str,
        prediction_type: str,
        data_shape: Iterable[int],
        train_schedule: Schedule | None = None,
        time_input: str | None = None,
        data: str | None = None,
        data_range: tuple[float, float] | None = None,
        clip_sample: bool = False,
        provider: str = ANALYTIC_PROVIDER,
        sha256: str | None = None,
        path: str | None = None,
        description: str = "",
        batch_size: int | None = None,
        notices: Iterable[str] = (),
        metadata: Mapping[str, str] | None = None,
        timestep_spacing: str | None = None,
        steps_offset: int = 0,
    ) -> ModelCard:
        """A card with ``trained_alpha_bar`` taken from ``train_schedule`` and ``clip_sample_range`` from
        ``data_range``."""
        return cls(
            name=name,
            prediction_type=prediction_type,
            data_shape=tuple(data_shape),
            train_schedule=train_schedule,
            trained_alpha_bar=alpha_bar_range(train_schedule),
            time_input=time_input,
            data=data,
            data_range=data_range,
            clip_sample=bool(clip_sample),
            clip_sample_range=clip_range(data_range),
            provider=provider,
            sha256=sha256,
            path=path,
            description=description,
            batch_size=batch_size,
            notices=tuple(notices),
            metadata=metadata,
            timestep_spacing=timestep_spacing,
            steps_offset=int(steps_offset),
        )

    @property
    def is_image(self) -> bool:
        """True for image models, whose samples are (C, H, W)."""
        return len(self.data_shape) == 3

    @property
    def modality(self) -> Modality:
        """``image`` for (C, H, W) samples, ``points`` for vectors."""
        return "image" if self.is_image else "points"
