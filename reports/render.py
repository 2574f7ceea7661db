"""The reports' own Jinja2 environment (autoescaped, strict) and the number formats it uses."""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined

from reports.blocks import Td

__all__ = ["environment", "fmt_number", "fmt_percent", "render_template"]


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


def fmt_percent(value: Any, digits: int = 0) -> str:
    """A share (0 to 1) as a percentage; ``"n/a"`` for None and NaN.

    Examples
    --------
    >>> fmt_percent(0.8125)
    '81%'
    """
    text = fmt_number(None if value is None else float(value) * 100, digits)
    return text if text == "n/a" else f"{text}%"


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
    env.filters["pct"] = fmt_percent
    env.tests["td"] = lambda value: isinstance(value, Td)
    return env


def render_template(name: str, **context: Any) -> str:
    """Render ``reports/templates/<name>`` with ``context``."""
    return environment().get_template(name).render(**context)
