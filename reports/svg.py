"""SVG figures for a strict Content-Security-Policy: inline CSS rewritten as SVG attributes.

A web page whose Content-Security-Policy says ``default-src 'self'`` may not carry inline
styles, and matplotlib writes its SVG with ``style="..."`` attributes and a ``<style>``
element. :func:`svg_presentation_attributes` rewrites them as SVG presentation attributes
(``fill="#0072B2"``), which a CSP does not govern, and refuses anything in a figure that could
run code or fetch from elsewhere. The printed report keeps its inline CSS (a downloaded file
is not under the app's CSP).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

__all__ = ["PRESENTATION_ATTRIBUTES", "svg_presentation_attributes"]

PRESENTATION_ATTRIBUTES = frozenset(
    {
        "alignment-baseline",
        "baseline-shift",
        "clip-path",
        "clip-rule",
        "color",
        "color-interpolation",
        "color-interpolation-filters",
        "direction",
        "display",
        "dominant-baseline",
        "fill",
        "fill-opacity",
        "fill-rule",
        "filter",
        "flood-color",
        "flood-opacity",
        "font-family",
        "font-size",
        "font-size-adjust",
        "font-stretch",
        "font-style",
        "font-variant",
        "font-weight",
        "letter-spacing",
        "marker-end",
        "marker-mid",
        "marker-start",
        "mask",
        "opacity",
        "overflow",
        "paint-order",
        "shape-rendering",
        "stop-color",
        "stop-opacity",
        "stroke",
        "stroke-dasharray",
        "stroke-dashoffset",
        "stroke-linecap",
        "stroke-linejoin",
        "stroke-miterlimit",
        "stroke-opacity",
        "stroke-width",
        "text-anchor",
        "text-decoration",
        "text-rendering",
        "unicode-bidi",
        "vector-effect",
        "visibility",
        "word-spacing",
        "writing-mode",
    }
)
"""CSS properties that SVG also accepts as attributes (SVG 2, section 6.6)."""

_TAG = re.compile(r"<([A-Za-z][\w:.-]*)((?:\s+[\w:.-]+(?:=\"[^\"]*\")?)*)\s*(/?)>")
_ATTRIBUTE = re.compile(r"\s+([\w:.-]+)(?:=\"([^\"]*)\")?")
_STYLE_ELEMENT = re.compile(r"<style\b[^>]*>(.*?)</style>\s*", re.S)
_RULE = re.compile(r"([^{}]+)\{([^{}]*)\}")
_EMPTY_DEFS = re.compile(r"<defs>\s*</defs>\s*")
_FONT_SIZE = re.compile(r"^[\d.]+(px|pt|em|rem|%)(/.*)?$")
_FORBIDDEN_ELEMENTS = frozenset({"script", "foreignobject", "iframe", "a"})


def _declarations(css: str) -> list[tuple[str, str]]:
    out = []
    for part in css.split(";"):
        name, sep, value = part.partition(":")
        if sep and name.strip() and value.strip():
            out.append((name.strip().lower(), value.strip()))
    return out


def _font_shorthand(value: str) -> list[tuple[str, str]]:
    """Expand ``font: [style] [weight] size family`` into its longhand properties."""
    tokens = value.split(None)
    out: list[tuple[str, str]] = []
    for index, token in enumerate(tokens):
        match = _FONT_SIZE.match(token)
        if match:
            out.append(("font-size", token.split("/")[0]))
            family = " ".join(tokens[index + 1 :])
            if family:
                out.append(("font-family", family))
            return out
        if token in ("italic", "oblique"):
            out.append(("font-style", token))
        elif token in ("bold", "bolder", "lighter") or token.isdigit():
            out.append(("font-weight", token))
    return out


def _attributes_from_css(css: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for name, value in _declarations(css):
        if name == "font":
            out.extend(_font_shorthand(value))
        elif name in PRESENTATION_ATTRIBUTES:
            out.append((name, value))
    return out


def _check(element: str, attributes: Sequence[tuple[str, str]]) -> None:
    """Refuse anything in a figure that could run code or fetch from elsewhere."""
    if element.lower() in _FORBIDDEN_ELEMENTS:
        raise ValueError(f"the SVG holds a <{element}> element")
    for attribute, value in attributes:
        name = attribute.lower()
        if name.startswith("on"):
            raise ValueError(f"the SVG holds an event handler ({attribute})")
        inline = value.startswith("#") or (
            element == "image" and value.startswith("data:image/png;base64,")
        )
        if name.endswith("href") and not inline:
            raise ValueError("the SVG links outside itself")
        if "url(" in value and not re.fullmatch(r"url\(#[\w.-]+\)", value.strip()):
            raise ValueError("the SVG refers to a resource outside itself")


def svg_presentation_attributes(svg: str) -> str:
    """Rewrite inline CSS in SVG markup as presentation attributes, for a strict CSP.

    Every ``style="a: b; c: d"`` attribute becomes ``a="b" c="d"`` (the properties SVG accepts
    as attributes; a ``font`` shorthand is expanded), replacing attributes of the same name as
    the inline style did. A ``<style>`` element's rules for ``*`` (the only rules matplotlib
    writes) move onto the root ``<svg>``, from which the properties inherit; other rules and
    the element itself are dropped.

    Parameters
    ----------
    svg : str
        One ``<svg>`` element as made by :mod:`reports.figures` (attribute values in double
        quotes, text escaped).

    Returns
    -------
    str
        The same drawing with no ``style`` attribute and no ``<style>`` element.

    Raises
    ------
    ValueError
        If the markup is not an ``<svg>`` element, or holds a script, an event handler, a
        ``foreignObject`` or a link outside the figure.

    Examples
    --------
    >>> svg_presentation_attributes(
    ...     '<svg width="2"><defs><style>*{stroke-linecap: butt}</style></defs>'
    ...     '<path d="M 0 0" fill="red" style="fill: #fff; stroke: #000"/></svg>'
    ... )
    '<svg width="2" stroke-linecap="butt"><path d="M 0 0" fill="#fff" stroke="#000"/></svg>'
    """
    text = svg.strip()
    if not text.startswith("<svg"):
        raise ValueError("expected an <svg> element")
    inherited: list[tuple[str, str]] = []
    for style in _STYLE_ELEMENT.findall(text):
        for selector, body in _RULE.findall(style):
            if selector.strip() == "*":
                inherited.extend(_attributes_from_css(body))
    text = _EMPTY_DEFS.sub("", _STYLE_ELEMENT.sub("", text))

    def rewrite(match: re.Match[str], extra: Sequence[tuple[str, str]] = ()) -> str:
        name, raw, closing = match.group(1), match.group(2), match.group(3)
        attributes = [(a, v) for a, v in _ATTRIBUTE.findall(raw)]
        _check(name, attributes)
        styles = [p for a, v in attributes if a == "style" for p in _attributes_from_css(v)]
        styles = [*extra, *styles]
        replaced = {a for a, _ in styles}
        kept = [(a, v) for a, v in attributes if a != "style" and a not in replaced]
        merged = dict(kept)
        for attribute, value in styles:
            merged[attribute] = value.replace('"', "&quot;")
        parts = "".join(f' {a}="{v}"' for a, v in merged.items())
        return f"<{name}{parts}{'/' if closing else ''}>"

    root = _TAG.match(text)
    if root is None or root.group(1) != "svg":
        raise ValueError("expected an <svg> element")
    head = rewrite(root, inherited)
    body = _TAG.sub(rewrite, text[root.end() :])
    return head + body
