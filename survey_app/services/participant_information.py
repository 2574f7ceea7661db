"""What respondents are told about a study: who is asking, who runs it, whom to contact.

People answering a survey from an NHS trust have been trained to distrust unbranded mail and
sites. Each study therefore carries the details of its participant information sheet: the title
respondents see, the sponsor or host organisation, the chief investigator, the ethics or R&D
reference, a link to the privacy notice, and a contact address. They appear in the survey's
header, on its consent page and in its e-mails; evaluators edit them on the study's
"Participant information" page.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.orm import Session

from survey_app.config import DEFAULT_MAIL_FROM
from survey_app.models import Study
from survey_app.services import audit
from survey_app.services.audit import Actor
from survey_app.services.errors import Problem, raise_problems
from survey_app.services.transactions import transactional
from survey_app.services.validation import clean, email_problem, name_problem

LIMITS: dict[str, int] = {
    "respondent_title": 200,
    "sponsor": 300,
    "chief_investigator": 200,
    "ethics_reference": 200,
    "privacy_notice_url": 500,
    "contact_email": 320,
}
"""The longest value of each field (the column lengths)."""

LABELS: dict[str, str] = {
    "respondent_title": "title shown to respondents",
    "sponsor": "sponsor or host organisation",
    "chief_investigator": "chief investigator",
    "ethics_reference": "ethics or R&D reference",
    "privacy_notice_url": "privacy notice link",
    "contact_email": "contact e-mail address",
}
"""Each field as messages name it."""


@dataclass(frozen=True)
class ParticipantInformation:
    """A study as its respondents see it (every detail but the name is optional).

    Examples
    --------
    >>> info = ParticipantInformation("GM CLAHRC", respondent_title="Team survey")
    >>> info.title, ParticipantInformation("GM CLAHRC").title
    ('Team survey', 'GM CLAHRC')
    >>> info.contact("help@example.org"), info.missing()[:2]
    ('help@example.org', ['sponsor or host organisation', 'chief investigator'])
    """

    name: str
    respondent_title: str | None = None
    sponsor: str | None = None
    chief_investigator: str | None = None
    ethics_reference: str | None = None
    privacy_notice_url: str | None = None
    contact_email: str | None = None

    @property
    def title(self) -> str:
        """The title respondents see: the respondent-facing title, else the study's name."""
        return self.respondent_title or self.name

    def contact(self, fallback: str | None) -> str | None:
        """Whom respondents write to: the study's contact, else ``fallback`` (the
        installation's ``HELP_EMAIL``)."""
        return self.contact_email or fallback or None

    def missing(self) -> list[str]:
        """The optional details still empty, named as messages name them."""
        return [LABELS[name] for name in LIMITS if not getattr(self, name)]


def is_placeholder_address(address: str | None) -> bool:
    """Whether ``address`` is no address a respondent could write to: empty, the shipped
    default sender, or a mailbox on ``localhost``.

    Examples
    --------
    >>> [is_placeholder_address(a) for a in ("copkit@localhost", "", "team@trust.nhs.uk")]
    [True, True, False]
    """
    if not address or address.strip().lower() == DEFAULT_MAIL_FROM:
        return True
    return address.rpartition("@")[2].strip().lower() in ("localhost", "localhost.localdomain")


def installation_contact(config: Mapping[str, Any]) -> str | None:
    """The installation's address for respondents' questions: ``HELP_EMAIL``, else the sender
    ``MAIL_FROM`` (replies go there), unless that is a placeholder (see
    :func:`is_placeholder_address`)."""
    for key in ("HELP_EMAIL", "MAIL_FROM"):
        address = str(config.get(key) or "").strip()
        if not is_placeholder_address(address):
            return address
    return None


def of_study(study: Study) -> ParticipantInformation:
    """The participant information of ``study``."""
    return ParticipantInformation(
        name=study.name, **{name: getattr(study, name) for name in LIMITS}
    )


def _url_problem(value: str) -> str | None:
    parts = urlsplit(value)
    if parts.scheme not in ("https", "http") or not parts.netloc or " " in value:
        return (
            f'privacy notice link "{value}" is not a web address '
            "(it must start with https:// or http://)"
        )
    return None


def _problem(name: str, value: str) -> str | None:
    """What is wrong with one optional detail (already stripped), or None."""
    if not value:
        return None
    problem = name_problem(value, LABELS[name], LIMITS[name])
    if problem is None and name == "privacy_notice_url":
        problem = _url_problem(value)
    if problem is None and name == "contact_email":
        problem = email_problem(value)
    return problem


@transactional
def update_information(
    session: Session, study: Study, values: Mapping[str, Any], actor: Actor
) -> list[str]:
    """Change ``study``'s participant information.

    Parameters
    ----------
    session
        The session ``study`` belongs to.
    study
        The study.
    values
        The new value of each field of :data:`LIMITS` (a missing or empty value clears it).
    actor
        Who changes it; audited as ``study.information`` with the fields changed.

    Returns
    -------
    list of str
        The fields that changed (nothing is recorded when none did).

    Raises
    ------
    survey_app.services.errors.ServiceError
        With a problem per bad field (too long, a line break, a link that is not a web
        address, an e-mail address that is not one); nothing is changed.
    """
    cleaned = {name: clean(values.get(name)) for name in LIMITS}
    raise_problems(
        Problem(name, problem)
        for name, value in cleaned.items()
        if (problem := _problem(name, value)) is not None
    )
    if cleaned["contact_email"]:
        cleaned["contact_email"] = cleaned["contact_email"].lower()
    old = of_study(study)
    changed = [name for name in LIMITS if (cleaned[name] or None) != getattr(old, name)]
    if not changed:
        return []
    for name in changed:
        setattr(study, name, cleaned[name] or None)
    audit.record_action(
        session,
        actor,
        "study.information",
        study_id=study.id,
        object_type="study",
        object_id=study.id,
        detail={"changed": changed},
    )
    return changed
