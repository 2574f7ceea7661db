"""Whether copkit may send a study's mail now, and if not, every reason why.

Mail from the shipped sender address (``copkit@localhost``), or with nobody to write back to,
looks like phishing to NHS staff and leaves respondents with no one to ask. So nothing is sent
while the sender is still copkit's default or the study has no help address of its own (its
participant information's contact, else ``COPKIT_HELP_EMAIL``), nor while a mail or link
setting is unusable. The wave page shows these reasons before anyone presses a button.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from survey_app.models import Study
from survey_app.services import participant_information
from survey_app.services.errors import Problem, raise_problems
from survey_app.services.invitations import MailingSettings
from survey_app.services.mailer import SmtpSettings


def refusals(config: Mapping[str, Any], study: Study | None) -> list[Problem]:
    """Every reason not to send ``study``'s mail now (empty: ready to send).

    Examples
    --------
    >>> [p.message[:39] for p in refusals({"BASE_URL": "https://s.nhs.uk", "SECRET_KEY": "k",
    ...     "MAIL_FROM": "copkit@localhost"}, None)]
    ["the sender address is still copkit's de", 'respondents have no address to write to']
    """
    problems: list[Problem] = []
    for settings in (MailingSettings, SmtpSettings):
        try:
            settings.from_config(config)
        except ValueError as error:
            problems.append(Problem("settings", str(error)))
    sender = str(config.get("MAIL_FROM") or "")
    if participant_information.is_placeholder_address(sender):
        problems.append(
            Problem(
                "settings",
                f"the sender address is still copkit's default ({sender or 'empty'}): set "
                "COPKIT_MAIL_FROM to the study team's address, which people can reply to",
            )
        )
    contact = None if study is None else study.contact_email
    help_email = str(config.get("HELP_EMAIL") or "")
    if not contact and participant_information.is_placeholder_address(help_email):
        problems.append(
            Problem(
                "contact_email",
                "respondents have no address to write to: set the contact e-mail address on "
                "the study's Participant information page (or COPKIT_HELP_EMAIL)",
            )
        )
    return problems


def settings_for(
    config: Mapping[str, Any], study: Study | None
) -> tuple[SmtpSettings, MailingSettings]:
    """The settings to send ``study``'s mail with.

    Raises
    ------
    survey_app.services.errors.ServiceError
        With every reason of :func:`refusals`, when there is any.
    """
    raise_problems(refusals(config, study))
    return SmtpSettings.from_config(config), MailingSettings.from_config(config)
