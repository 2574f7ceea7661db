"""``copkit report``: evaluator reports and manager briefs (placeholder until issue 7)."""

from __future__ import annotations

import click

from survey_app.commands.runtime import PASS_THROUGH, not_yet_available


@click.command("report", context_settings=PASS_THROUGH)
def report() -> None:
    """Write the evaluator report or a manager brief as HTML or PDF.

    Manager briefs suppress every figure resting on fewer than MIN_CELL respondents.
    """
    not_yet_available(7, "Data out and reports")
