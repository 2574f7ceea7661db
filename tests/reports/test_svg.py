"""SVG for a strict CSP: inline CSS becomes presentation attributes; code and links are refused."""

from __future__ import annotations

import re

import pytest

from reports.svg import svg_presentation_attributes


def test_inline_css_becomes_presentation_attributes() -> None:
    svg = (
        '<svg class="figure" width="10pt">\n <defs>\n  <style type="text/css">'
        "*{stroke-linejoin: round; stroke-linecap: butt}</style>\n </defs>\n"
        ' <path d="M 0 0 \nL 1 1" fill="red" style="fill: #0072b2; stroke: #ffffff;'
        ' stroke-width: 0.8"/>\n'
        " <text style=\"font: italic 7px 'DejaVu Sans', sans-serif; text-anchor: middle\""
        ' x="1">a style="fill: red" &lt;b&gt;</text>\n'
        ' <use href="#m1" style="fill: #e69f00; cursor: pointer"/>\n</svg>'
    )
    out = svg_presentation_attributes(svg)
    assert not re.search(r"\sstyle=|<style", out.replace('a style="fill: red"', ""))
    assert out.startswith(
        '<svg class="figure" width="10pt" stroke-linejoin="round" stroke-linecap="butt">'
    )
    assert '<path d="M 0 0 \nL 1 1" fill="#0072b2" stroke="#ffffff" stroke-width="0.8"/>' in out
    assert (
        '<text x="1" font-style="italic" font-size="7px" font-family="\'DejaVu Sans\', '
        'sans-serif" text-anchor="middle">a style="fill: red" &lt;b&gt;</text>'
    ) in out  # text is left as written
    assert '<use href="#m1" fill="#e69f00"/>' in out  # "cursor" is not an SVG attribute


@pytest.mark.parametrize(
    "svg",
    [
        "<svg><script>alert(1)</script></svg>",
        '<svg><g onload="alert(1)"/></svg>',
        '<svg><use href="https://example.org/x.svg#a"/></svg>',
        '<svg><path style="fill: url(https://example.org/p)"/></svg>',
        "<svg><foreignObject><p>x</p></foreignObject></svg>",
        "<div>not a figure</div>",
    ],
)
def test_figures_that_could_run_code_or_fetch_are_refused(svg: str) -> None:
    with pytest.raises(ValueError):
        svg_presentation_attributes(svg)
