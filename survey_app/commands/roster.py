"""``copkit import-roster``: roster import (placeholder until issue 6)."""

from __future__ import annotations

import click

from survey_app.commands.runtime import PASS_THROUGH, not_yet_available


@click.command("import-roster", context_settings=PASS_THROUGH)
def import_roster() -> None:
    """Import a roster CSV into a study (team, name, email, profession, organisation, organisation_type).

    The whole file is checked first; any error imports nothing and every bad line is listed.
    """
    not_yet_available(6, "Study administration")
