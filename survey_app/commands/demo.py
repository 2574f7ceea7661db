"""``copkit demo``: the demonstration study (placeholder until issue 8)."""

from __future__ import annotations

import click

from survey_app.commands.runtime import PASS_THROUGH, not_yet_available


@click.command("demo", context_settings=PASS_THROUGH)
def demo() -> None:
    """Load a simulated study, analyse it, write the report and serve the app.

    Prints the staff logins and example survey links.
    """
    not_yet_available(8, "Simulated study, demo and power planning")
