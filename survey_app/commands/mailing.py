"""``copkit send-invitations`` and ``send-reminders``: emails (placeholder until issue 6)."""

from __future__ import annotations

import click

from survey_app.commands.runtime import PASS_THROUGH, not_yet_available


@click.command("send-invitations", context_settings=PASS_THROUGH)
def send_invitations() -> None:
    """Email each invited member of a wave their personal survey link.

    Each invitation is sent once; failed sends are recorded and retried on the next run.
    """
    not_yet_available(6, "Study administration")


@click.command("send-reminders", context_settings=PASS_THROUGH)
def send_reminders() -> None:
    """Remind members who have not yet submitted, while the wave is open.

    At most REMINDER_LIMIT reminders per invitation; suitable for cron.
    """
    not_yet_available(6, "Study administration")
