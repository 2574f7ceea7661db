"""``copkit analyse``: analysis of a study bundle (placeholder until issue 7)."""

from __future__ import annotations

import click

from survey_app.commands.runtime import PASS_THROUGH, not_yet_available


@click.command("analyse", context_settings=PASS_THROUGH)
def analyse() -> None:
    """Analyse a study bundle: reliability, agreement, growth, networks and formation verdicts.

    Reads a bundle folder or .zip and writes the result tables.
    """
    not_yet_available(7, "Data out and reports")
