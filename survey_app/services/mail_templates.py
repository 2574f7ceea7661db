"""The invitation and reminder e-mails of a study: templates its evaluators edit and check.

A template is a subject and a plain-text body with placeholders in braces (``{name}``,
``{link}``, ...; ``{{`` and ``}}`` write a brace). Only the placeholders of
:data:`PLACEHOLDERS` exist: there is no expression language, so a template can show the values
copkit gives it and nothing else. The body must contain ``{link}``. Every message ends with a
fixed footer that says who is asking (the study's participant information) and whom to write
to; evaluators cannot remove it. The HTML part is made from the same text (paragraphs, the link
as a link), so the two parts never say different things.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from flask import render_template
from sqlalchemy import select
from sqlalchemy.orm import Session

from survey_app.models import MailTemplate, Study, utcnow
from survey_app.services import audit
from survey_app.services.audit import Actor
from survey_app.services.errors import Problem, raise_problems
from survey_app.services.participant_information import ParticipantInformation
from survey_app.services.transactions import transactional

Kind = Literal["invitation", "reminder"]
KINDS: tuple[Kind, ...] = ("invitation", "reminder")

PLACEHOLDERS: dict[str, str] = {
    "name": "the person's full name",
    "team": "the team the survey is about",
    "study": "the study's title as respondents see it",
    "closes": "when the survey closes",
    "minutes": "about how many minutes the survey takes (from the questionnaire)",
    "link": "the person's own survey link (required)",
    "contact": "the address respondents write to",
}
"""Every placeholder a template may use, and what it stands for."""

SUBJECT_MAX = 300
BODY_MAX = 5000


@dataclass(frozen=True)
class Template:
    """A subject and a plain-text body with placeholders."""

    subject: str
    body: str


DEFAULTS: dict[Kind, Template] = {
    "invitation": Template(
        subject="{study}: a short survey about {team} (open until {closes})",
        body=(
            "Dear {name},\n\n"
            "You are invited to a short survey about working together in {team} ({study}). "
            "It takes about {minutes} minutes and can be done on a phone.\n\n"
            "Your personal link:\n{link}\n\n"
            "The survey is open until {closes}. If you are a member of more than one team, you "
            "will get a separate link for each team.\n\n"
            "Thank you,\nThe evaluation team"
        ),
    ),
    "reminder": Template(
        subject="Reminder: {study} about {team} closes {closes}",
        body=(
            "Dear {name},\n\n"
            "A reminder: the survey about working together in {team} ({study}) closes on "
            "{closes}. It takes about {minutes} minutes; if you have already started, the link "
            "takes you back to where you stopped.\n\n"
            "Your personal link:\n{link}\n\n"
            "If you have already sent your answers for {team}, please ignore this message.\n\n"
            "Thank you,\nThe evaluation team"
        ),
    ),
}
"""The messages a study sends until its evaluators change them."""

_TOKEN = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")


@dataclass(frozen=True)
class Message:
    """A composed message: its subject, its plain text, and the same as HTML."""

    subject: str
    text: str
    html: str


def _parts(text: str) -> list[tuple[str, str]]:
    """``text`` as ``("text", s)`` and ``("field", name)`` parts; ``("bad", s)`` for a brace
    that opens or closes nothing."""
    parts: list[tuple[str, str]] = []
    position = 0
    for match in _TOKEN.finditer(text):
        parts.append(("text", text[position : match.start()]))
        token = match.group(0)
        if token in ("{{", "}}"):
            parts.append(("text", token[0]))
        elif match.group(1) is not None:
            parts.append(("field", match.group(1)))
        else:
            parts.append(("bad", token))
        position = match.end()
    parts.append(("text", text[position:]))
    return [part for part in parts if part != ("text", "")]


def _check(text: str, where: str, field: str) -> list[Problem]:
    problems: list[Problem] = []
    for kind, value in _parts(text):
        if kind == "bad":
            problems.append(
                Problem(
                    field, f"the {where} has a lone “{value}”: write {value}{value} for a brace"
                )
            )
        elif kind == "field" and value not in PLACEHOLDERS:
            known = ", ".join("{" + name + "}" for name in PLACEHOLDERS)
            problems.append(
                Problem(
                    field, f"the {where} uses {{{value}}}, which is not a placeholder ({known})"
                )
            )
    return problems


def template_problems(subject: str, body: str) -> list[Problem]:
    """Everything wrong with a template (empty: it can be saved).

    Examples
    --------
    >>> [p.message for p in template_problems("Survey", "Dear {nmae}, {link}")][0][:42]
    'the message uses {nmae}, which is not a pl'
    >>> [p.message for p in template_problems("A {", "no link here")]
    ['the subject has a lone “{”: write {{ for a brace', 'the message must contain {link}: it is the person’s survey link']
    """
    problems: list[Problem] = []
    if not subject.strip():
        problems.append(Problem("subject", "the subject is empty"))
    elif len(subject) > SUBJECT_MAX:
        problems.append(Problem("subject", f"the subject is longer than {SUBJECT_MAX} characters"))
    elif "\n" in subject or "\r" in subject:
        problems.append(Problem("subject", "the subject must be one line"))
    problems.extend(_check(subject, "subject", "subject"))
    if len(body) > BODY_MAX:
        problems.append(Problem("body", f"the message is longer than {BODY_MAX} characters"))
    problems.extend(_check(body, "message", "body"))
    if ("field", "link") not in _parts(body):
        problems.append(
            Problem("body", "the message must contain {link}: it is the person’s survey link")
        )
    return problems


def fill(text: str, values: Mapping[str, str]) -> str:
    """``text`` with every placeholder replaced by its value (a template already checked).

    Examples
    --------
    >>> fill("Dear {name}, {{not a field}}", {"name": "Ann"})
    'Dear Ann, {not a field}'
    """
    return "".join(
        values.get(value, "") if kind == "field" else value for kind, value in _parts(text)
    )


def _segments(line: str, values: Mapping[str, str]) -> list[tuple[str, str]]:
    """One line of a template filled in, as ``("text", s)`` and ``("link", url)`` parts."""
    segments: list[tuple[str, str]] = []
    for kind, value in _parts(line):
        if kind == "field" and value == "link":
            segments.append(("link", values["link"]))
        else:
            segments.append(("text", values.get(value, "") if kind == "field" else value))
    return segments


def study_template(session: Session, study: Study, kind: Kind) -> Template:
    """The study's template of ``kind``: its own, else the default."""
    stored = session.scalar(
        select(MailTemplate).where(MailTemplate.study_id == study.id, MailTemplate.kind == kind)
    )
    return DEFAULTS[kind] if stored is None else Template(stored.subject, stored.body)


@transactional
def save_template(
    session: Session, study: Study, kind: Kind, subject: str, body: str, actor: Actor
) -> bool:
    """Store the study's template of ``kind``; whether it changed.

    Saving the default text removes the study's own. Audited as ``mail.template``.

    Raises
    ------
    survey_app.services.errors.ServiceError
        With every problem of :func:`template_problems`; nothing is stored.
    """
    subject = subject.strip()
    body = body.replace("\r\n", "\n").strip()
    raise_problems(template_problems(subject, body))
    if study_template(session, study, kind) == Template(subject, body):
        return False
    stored = session.scalar(
        select(MailTemplate).where(MailTemplate.study_id == study.id, MailTemplate.kind == kind)
    )
    if Template(subject, body) == DEFAULTS[kind]:
        if stored is not None:
            session.delete(stored)
    elif stored is None:
        session.add(MailTemplate(study_id=study.id, kind=kind, subject=subject, body=body))
    else:
        stored.subject, stored.body, stored.updated_at = subject, body, utcnow()
    audit.record_action(
        session,
        actor,
        "mail.template",
        study_id=study.id,
        object_type="study",
        object_id=study.id,
        detail={"kind": kind, "default": Template(subject, body) == DEFAULTS[kind]},
    )
    return True


def compose(
    template: Template,
    values: Mapping[str, str],
    information: ParticipantInformation,
    contact: str | None,
    *,
    withdraw_link: str | None = None,
    results_link: str | None = None,
) -> Message:
    """The message: the template filled in, then the fixed footer (who is asking, whom to write
    to, how to withdraw, where the team's results are); the HTML part says the same, with the
    links as links.

    ``values`` has a value for every placeholder but ``study`` and ``contact``, which come from
    ``information`` and ``contact``. ``withdraw_link`` and ``results_link`` go into the footer,
    which evaluators cannot edit (a withdrawal link in every e-mail is a promise to
    respondents).
    """
    filled = {**values, "study": information.title, "contact": contact or "the study team"}
    text = fill(template.body, filled)
    paragraphs = [
        [_segments(line, filled) for line in paragraph.split("\n")]
        for paragraph in re.split(r"\n\s*\n", template.body)
    ]
    context = {
        "information": information,
        "contact": contact,
        "withdraw_link": withdraw_link,
        "results_link": results_link,
    }
    footer = render_template("mail/footer.txt", **context).strip()
    html = render_template(
        "mail/message.html",
        subject=fill(template.subject, filled),
        paragraphs=paragraphs,
        **context,
    )
    return Message(fill(template.subject, filled), f"{text}\n\n{footer}\n", html)
