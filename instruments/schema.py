"""The instrument schema: response scales, multi-item scales, single items, network and comments."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class ResponseScale:
    """An ordered set of numeric response options, e.g. a 7-point agree scale.

    Attributes
    ----------
    id : str
        Identifier used by scales and items (``agree7``).
    min, max : int
        Lowest and highest option; every option in between is valid.
    labels : Mapping[int, str]
        Anchor labels for some or all options.
    """

    id: str
    min: int
    max: int
    labels: Mapping[int, str] = field(default_factory=dict)

    @property
    def options(self) -> int:
        """Number of response options ``A = max - min + 1``."""
        return self.max - self.min + 1

    @property
    def values(self) -> tuple[int, ...]:
        """Every valid response value, lowest first."""
        return tuple(range(self.min, self.max + 1))

    def reverse(self, value: float) -> float:
        """Reverse-key a value as ``min + max - value``."""
        return self.min + self.max - value

    def label_for(self, value: int) -> str:
        """The anchor label for ``value``, or the number itself where there is none."""
        return self.labels.get(value, str(value))


@dataclass(frozen=True)
class Item:
    """One rated statement; ``reverse`` items are scored ``min + max - x``."""

    id: str
    text: str
    reverse: bool = False


@dataclass(frozen=True)
class Scale:
    """A multi-item scale measuring one construct; its score is the mean of its items."""

    id: str
    label: str
    construct: str
    response_scale: ResponseScale
    items: tuple[Item, ...]

    @property
    def item_ids(self) -> tuple[str, ...]:
        """The ids of the scale's items, in order."""
        return tuple(item.id for item in self.items)


@dataclass(frozen=True)
class SingleItem:
    """A rated question that stands alone (e.g. interaction frequency), not part of a scale."""

    id: str
    text: str
    response_scale: ResponseScale
    label: str = ""


@dataclass(frozen=True)
class NetworkQuestion:
    """A roster (name-generator) question: the respondent ticks the team members meant."""

    id: str
    prompt: str


@dataclass(frozen=True)
class CommentQuestion:
    """A free-text question; its answers are kept apart from scored answers and never scored."""

    id: str
    text: str


@dataclass(frozen=True)
class ItemInfo:
    """Where a scored item sits: its text, keying, scale (``None`` for single items), options."""

    id: str
    text: str
    reverse: bool
    scale_id: str | None
    response_scale: ResponseScale


@dataclass(frozen=True)
class Instrument:
    """A versioned questionnaire; ``(id, version)`` identifies exactly what a wave asked."""

    id: str
    version: int
    title: str
    response_scales: Mapping[str, ResponseScale]
    scales: tuple[Scale, ...]
    single_items: tuple[SingleItem, ...] = ()
    network: NetworkQuestion | None = None
    comments: tuple[CommentQuestion, ...] = ()
    description: str = ""

    @property
    def key(self) -> str:
        """``id@version``, e.g. ``cop-health@1``."""
        return f"{self.id}@{self.version}"

    def scale(self, scale_id: str) -> Scale:
        """The scale with id ``scale_id``; raises ``KeyError`` naming the known ids."""
        for scale in self.scales:
            if scale.id == scale_id:
                return scale
        known = ", ".join(s.id for s in self.scales)
        raise KeyError(f"instrument {self.key} has no scale {scale_id!r} (scales: {known})")

    @property
    def scale_ids(self) -> tuple[str, ...]:
        """The ids of the multi-item scales, in order."""
        return tuple(scale.id for scale in self.scales)

    @property
    def items(self) -> dict[str, ItemInfo]:
        """Every scored item (scale items, then single items) by id."""
        out: dict[str, ItemInfo] = {}
        for scale in self.scales:
            for item in scale.items:
                out[item.id] = ItemInfo(
                    item.id, item.text, item.reverse, scale.id, scale.response_scale
                )
        for single in self.single_items:
            out[single.id] = ItemInfo(single.id, single.text, False, None, single.response_scale)
        return out

    @property
    def items_by_scale(self) -> dict[str, tuple[str, ...]]:
        """Item ids of each multi-item scale, by scale id."""
        return {scale.id: scale.item_ids for scale in self.scales}

    @property
    def comment_ids(self) -> tuple[str, ...]:
        """The ids of the free-text questions."""
        return tuple(c.id for c in self.comments)
