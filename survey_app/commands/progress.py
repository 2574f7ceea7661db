"""Progress display for long commands: a bar on a terminal, one line per step otherwise."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

import click


def step_printer(title: str) -> Callable[[str, int, int], None]:
    """A ``progress(step, done, total)`` callback printing ``[done/total] step`` to stderr.

    On a terminal the line is redrawn in place with a bar and the elapsed time; in a log or a
    pipe every step is its own line.
    """
    started = time.monotonic()
    interactive = sys.stderr.isatty()

    def show(step: str, done: int, total: int) -> None:
        elapsed = time.monotonic() - started
        if interactive:
            width = 24
            filled = int(width * done / total) if total else width
            bar = "#" * filled + "-" * (width - filled)
            end = "\n" if done >= total else ""
            click.echo(
                f"\r{title} [{bar}] {done}/{total} {step:<14} {elapsed:5.1f}s", err=True, nl=False
            )
            if end:
                click.echo("", err=True)
        else:
            click.echo(f"{title} [{done}/{total}] {step} ({elapsed:.1f}s)", err=True)

    return show
