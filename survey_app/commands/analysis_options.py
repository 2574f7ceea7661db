"""The click options of the analysis that ``copkit analyse``, ``report`` and ``power`` share."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from analysis.ddf import DDF_METHODS
from analysis.multiplicity import ADJUSTMENTS

_Command = TypeVar("_Command", bound=Callable[..., Any])

MAX_JOBS = 1024
"""The most processes ``--jobs`` takes."""


def ddf_option(use: str = "") -> Callable[[_Command], _Command]:
    """``--ddf``: the growth models' denominator degrees of freedom (analysis/ddf.py).

    Parameters
    ----------
    use : str
        What the command does with them, added to the help ("" for nothing).

    Returns
    -------
    callable
        The option's decorator.
    """
    return click.option(
        "--ddf",
        type=click.Choice(DDF_METHODS),
        default="satterthwaite",
        show_default=True,
        help="Denominator degrees of freedom of the growth models' t tests and intervals "
        "(Satterthwaite as lmerTest, Kenward-Roger as pbkrtest, or Wald z)"
        + (f"; {use}." if use else "."),
    )


def jobs_option(help_text: str, *, default: int | None = 1) -> Callable[[_Command], _Command]:
    """``--jobs``: how many processes do the command's work (1 to :data:`MAX_JOBS`).

    Parameters
    ----------
    help_text : str
        What the processes do (the option's help).
    default : int or None
        The number without ``--jobs``; None lets the command choose (and say so in the help).

    Returns
    -------
    callable
        The option's decorator.
    """
    return click.option(
        "--jobs",
        type=click.IntRange(1, MAX_JOBS),
        default=default,
        show_default=default is not None,
        help=help_text,
    )


adjust_option = click.option(
    "--adjust",
    type=click.Choice(ADJUSTMENTS),
    default="holm",
    show_default=True,
    help="Multiplicity control of per-team claims (a team's rise, knowledge sticking inside "
    "professions) across teams x scales: Holm, Benjamini-Hochberg, or none.",
)
"""``--adjust``: the multiplicity control of per-team claims (analysis/multiplicity.py)."""
