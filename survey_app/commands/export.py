"""``copkit export``: exports for analysis (placeholder until issue 7)."""

from __future__ import annotations

import click

from survey_app.commands.runtime import PASS_THROUGH, not_yet_available


@click.command("export", context_settings=PASS_THROUGH)
def export() -> None:
    """Export a study's pseudonymous data (bundle, CSV, Excel, SPSS, Stata, codebook).

    No names or emails leave the database, only stable respondent pseudonyms.
    """
    not_yet_available(7, "Data out and reports")
