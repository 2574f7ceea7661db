"""The building blocks of a report section (paragraphs, lists, tables, figures) as plain data."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from markupsafe import Markup

__all__ = ["Block", "Bullets", "Figure", "Heading", "Paragraph", "Section", "Table", "Td"]


@dataclass(frozen=True)
class Td:
    """A table cell with a CSS class (``good``, ``bad``, ``weak``, ``muted``, ``suppressed``)."""

    text: str
    css: str = ""


@dataclass(frozen=True)
class Paragraph:
    """Plain-English text (escaped when rendered)."""

    text: str
    kind: ClassVar[str] = "paragraph"


@dataclass(frozen=True)
class Heading:
    """A sub-heading inside a section (``h3``)."""

    text: str
    kind: ClassVar[str] = "heading"


@dataclass(frozen=True)
class Bullets:
    """A bulleted list of plain-English lines."""

    items: tuple[str, ...]
    kind: ClassVar[str] = "bullets"


@dataclass(frozen=True)
class Table:
    """A table: caption, column headers and rows of strings or :class:`Td` cells."""

    caption: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str | Td, ...], ...]
    note: str = ""
    kind: ClassVar[str] = "table"


@dataclass(frozen=True)
class Figure:
    """An inline SVG figure made by :mod:`reports.figures`, with a caption."""

    svg: Markup
    caption: str
    kind: ClassVar[str] = "figure"


Block = Paragraph | Heading | Bullets | Table | Figure


@dataclass(frozen=True)
class Section:
    """One section of a report: an id (the HTML anchor), a title, the plain-English lead
    paragraphs, then the blocks with the statistics."""

    id: str
    title: str
    lead: tuple[str, ...]
    blocks: tuple[Block, ...] = field(default_factory=tuple)

    @property
    def figure_count(self) -> int:
        """How many figures the section holds."""
        return sum(1 for block in self.blocks if isinstance(block, Figure))
