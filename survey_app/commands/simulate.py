"""``copkit simulate``: simulated studies (placeholder until issue 8)."""

from __future__ import annotations

import click

from survey_app.commands.runtime import PASS_THROUGH, not_yet_available


@click.command("simulate", context_settings=PASS_THROUGH)
def simulate() -> None:
    """Simulate a study bundle with known truth (teams, members, waves, interventions).

    Writes the bundle and truth.csv to the output folder.
    """
    not_yet_available(8, "Simulated study, demo and power planning")
