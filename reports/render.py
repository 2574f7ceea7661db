"""The reports' own Jinja2 environment (autoescaped, strict) and the number formats it uses."""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from reports.blocks import Td

__all__ = [
    "css_string",
    "environment",
    "fmt_count",
    "fmt_number",
    "fmt_p",
    "fmt_percent",
    "fmt_signed",
    "render_template",
]


def fmt_number(value: Any, digits: int = 2) -> str:
    """A number with ``digits`` decimals; ``"n/a"`` for None and NaN.

    Examples
    --------
    >>> fmt_number(0.71234), fmt_number(float("nan")), fmt_number(3, 1)
    ('0.71', 'n/a', '3.0')
    """
    if value is None or isinstance(value, bool):
        return "n/a"
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    if math.isnan(number) or math.isinf(number):
        return "n/a"
    return f"{number:.{digits}f}"


def fmt_count(value: Any) -> str:
    """A count as a whole number; ``"n/a"`` for None and NaN.

    Examples
    --------
    >>> fmt_count(5.0), fmt_count(12), fmt_count(float("nan"))
    ('5', '12', 'n/a')
    """
    text = fmt_number(value, 0)
    return "0" if text == "-0" else text


def fmt_counted(count: int, noun: str, plural: str | None = None) -> str:
    """A count with its noun in the number English gives it, never "item(s)".

    Examples
    --------
    >>> fmt_counted(1, "item"), fmt_counted(3, "item"), fmt_counted(0, "team-wave")
    ('1 item', '3 items', '0 team-waves')
    """
    return f"{count} {noun if count == 1 else plural or noun + 's'}"


def fmt_signed(value: Any, digits: int = 2) -> str:
    """A difference with its sign; ``"n/a"`` for None and NaN.

    Examples
    --------
    >>> fmt_signed(0.2), fmt_signed(-0.004), fmt_signed(float("nan"))
    ('+0.20', '0.00', 'n/a')
    """
    text = fmt_number(value, digits)
    if text == "n/a" or float(text) == 0:
        return text if text == "n/a" else fmt_number(0, digits)
    return f"+{text}" if float(text) > 0 else text


def fmt_p(value: Any) -> str:
    """A p-value to three decimals, ``"< 0.001"`` below that (never ``"0.000"``).

    Examples
    --------
    >>> fmt_p(0.0004), fmt_p(0.0312), fmt_p(1.0), fmt_p(None)
    ('< 0.001', '0.031', '1.000', 'n/a')
    """
    text = fmt_number(value, 3)
    if text == "n/a":
        return text
    return "< 0.001" if float(value) < 0.0005 else text


def fmt_percent(value: Any, digits: int = 0) -> str:
    """A share (0 to 1) as a percentage; ``"n/a"`` for None and NaN.

    Examples
    --------
    >>> fmt_percent(0.8125)
    '81%'
    """
    text = fmt_number(None if value is None else float(value) * 100, digits)
    return text if text == "n/a" else f"{text}%"


def css_string(value: Any) -> Markup:
    """``value`` as a quoted CSS string for a ``content:`` property inside ``<style>``.

    Quotes, backslashes, angle brackets and control characters are dropped, so text from a
    study (its name) can neither end the string nor the style element (whose text is raw:
    ``&`` stays as it is).

    Examples
    --------
    >>> css_string('GM "CLAHRC" </style> & co')
    Markup('"GM CLAHRC /style & co"')
    """
    text = "".join(c for c in str(value) if c not in '"\\<>' and c.isprintable())
    return Markup('"' + text + '"')


@lru_cache(maxsize=1)
def environment() -> Environment:
    """The Jinja2 environment of the report templates (``reports/templates``).

    Autoescaping is on for every template, so text from a bundle (team names, free-text
    comments) is always escaped; only figures made by :mod:`reports.figures` are marked safe.
    Undefined names raise instead of printing nothing.
    """
    env = Environment(
        loader=PackageLoader("reports", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["num"] = fmt_number
    env.filters["css_string"] = css_string
    env.filters["count"] = fmt_count
    env.filters["p"] = fmt_p
    env.filters["pct"] = fmt_percent
    env.tests["td"] = lambda value: isinstance(value, Td)
    return env


def render_template(name: str, **context: Any) -> str:
    """Render ``reports/templates/<name>`` with ``context``."""
    return environment().get_template(name).render(**context)
