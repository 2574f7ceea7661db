"""Reads back what a panel figure (:mod:`reports.panel_svg`) draws: per panel its title, the
waves on its axis, its points, intervals and lines; and the figure's legend labels."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


@dataclass(frozen=True)
class Point:
    """A marker's centre (points), its fill and its edge colour."""

    x: float
    y: float
    fill: str
    stroke: str


@dataclass
class PanelMarks:
    """What one panel shows, in the figure's coordinates (points)."""

    title: str
    wave_x: dict[int, float] = field(default_factory=dict)
    points: list[Point] = field(default_factory=list)
    interval_xs: list[float] = field(default_factory=list)
    lines: list[tuple[str, str | None]] = field(default_factory=list)
    """(stroke colour, dash array) of each line: polylines and reference lines."""

    def wave(self, x: float) -> int:
        """The wave nearest to horizontal position ``x``."""
        return min(self.wave_x, key=lambda w: abs(self.wave_x[w] - x))


def _subpaths(d: str) -> list[str]:
    return [f"M{part}" for part in d.split("M") if part]


def read_panels(svg: str) -> list[PanelMarks]:
    """Every panel of the figure ``svg`` (inline markup from a ``*_figure`` function)."""
    root = ET.fromstring(svg)
    panels = []
    for group in root.iter("g"):
        if group.get("class") != "panel":
            continue
        texts = list(group.iter("text"))
        title = "\n".join(span.text or "" for span in texts[-1].iter("tspan"))
        marks = PanelMarks(title)
        for text in texts:
            content = (text.text or "").strip()
            if text.get("text-anchor") == "middle" and content.isdigit() and text.get("x"):
                marks.wave_x[int(content)] = float(text.get("x", "nan"))
        for clipped in group.findall("g"):
            for path in clipped.findall("path"):
                d, fill, stroke = path.get("d", ""), path.get("fill"), path.get("stroke", "")
                if fill not in (None, "none") and stroke != "none":
                    for sub in _subpaths(d):
                        x, y = (float(v) for v in _NUMBER.findall(sub)[:2])
                        marks.points.append(Point(x, y, fill or "", stroke))
                elif fill == "none" and "H" in d and "V" in d:
                    marks.interval_xs += [
                        float(_NUMBER.findall(sub)[0]) for sub in _subpaths(d) if "V" in sub
                    ]
                elif fill == "none":
                    marks.lines.append((stroke, path.get("stroke-dasharray")))
        panels.append(marks)
    return panels


def legend_labels(svg: str) -> list[str]:
    """The labels of the figure's legend (the text outside every panel, but the title)."""
    root = ET.fromstring(svg)
    inside = {id(t) for g in root.iter("g") if g.get("class") == "panel" for t in g.iter("text")}
    return [
        t.text or ""
        for t in root.iter("text")
        if id(t) not in inside and t.get("x") and t.get("text-anchor") is None
    ]
