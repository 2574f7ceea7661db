"""Waves: creating and editing them, closing early, and freezing the instrument once answered."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, exists, func, select
from sqlalchemy.orm import Session

import instruments
from survey_app.models import Invitation, Response, Study, Wave, utcnow
from survey_app.services import audit
from survey_app.services.audit import Actor
from survey_app.services.errors import Problem, ServiceError, raise_problems
from survey_app.services.releases import release_refusal
from survey_app.services.transactions import transactional


@dataclass(frozen=True)
class WaveDetails:
    """What defines a wave: its number, opening and closing times, and the instrument used."""

    number: int
    opens: datetime
    closes: datetime
    instrument_id: str
    instrument_version: int


def instrument_choices() -> list[tuple[str, int]]:
    """Every shipped instrument ``(id, version)``."""
    return instruments.available()


def instrument_problem(instrument_id: str, version: int) -> str | None:
    """Why the instrument cannot be used, or None when it loads.

    Examples
    --------
    >>> instrument_problem("cop-health", 1) is None
    True
    >>> instrument_problem("cop-health", 99)
    "instrument 'cop-health' has no version 99 (versions: 1, 2)"
    """
    try:
        instruments.load(instrument_id, version)
    except (LookupError, instruments.InstrumentError) as error:
        return str(error)
    return None


def _problems(details: WaveDetails) -> list[Problem]:
    problems: list[Problem] = []
    if details.number < 1:
        problems.append(Problem("number", "the wave number must be 1 or more"))
    for label, moment in (("opening", details.opens), ("closing", details.closes)):
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise ValueError(f"the {label} time must be timezone-aware")
    if details.closes <= details.opens:
        problems.append(Problem("closes", "the wave must close after it opens"))
    if details.instrument_version < 1:
        problems.append(Problem("instrument", "the instrument version must be 1 or more"))
    else:
        problem = instrument_problem(details.instrument_id, details.instrument_version)
        if problem:
            problems.append(Problem("instrument", problem))
    return problems


def list_waves(session: Session, study: Study) -> list[Wave]:
    """The study's waves by number."""
    return list(
        session.scalars(select(Wave).where(Wave.study_id == study.id).order_by(Wave.number))
    )


def find_wave(session: Session, study: Study, number: int) -> Wave | None:
    """The study's wave with this number, or None."""
    return session.scalar(select(Wave).where(Wave.study_id == study.id, Wave.number == number))


def has_responses(session: Session, wave: Wave) -> bool:
    """Whether anyone has started answering the wave (its instrument is then frozen)."""
    answered = exists().where(
        Response.invitation_id == Invitation.id, Invitation.wave_id == wave.id
    )
    return bool(session.scalar(select(answered)))


def next_wave_number(session: Session, study: Study) -> int:
    """One more than the study's highest wave number (1 for the first wave)."""
    waves = list_waves(session, study)
    return waves[-1].number + 1 if waves else 1


@transactional
def create_wave(session: Session, study: Study, details: WaveDetails, actor: Actor) -> Wave:
    """Add a wave to ``study``.

    Raises
    ------
    ServiceError
        Listing every problem: a number already used, closing before opening, an instrument
        or version that does not exist or does not load.
    """
    problems = _problems(details)
    if details.number >= 1 and find_wave(session, study, details.number) is not None:
        problems.insert(0, Problem("number", f"the study already has a wave {details.number}"))
    raise_problems(problems)
    wave = Wave(
        study=study,
        number=details.number,
        opens=details.opens,
        closes=details.closes,
        instrument_id=details.instrument_id,
        instrument_version=details.instrument_version,
    )
    session.add(wave)
    session.flush()
    audit.record_action(
        session,
        actor,
        "wave.create",
        study_id=study.id,
        object_type="wave",
        object_id=wave.id,
        detail=_describe(details),
    )
    return wave


@transactional
def update_wave(session: Session, wave: Wave, details: WaveDetails, actor: Actor) -> list[str]:
    """Change a wave's dates or instrument; returns the fields changed.

    The number cannot change. The instrument cannot change once anyone has answered. A wave
    whose figures were released cannot be reopened or extended (closing later than it does):
    an answer arriving then would change figures people have seen
    (:func:`survey_app.services.releases.release_refusal`).

    Raises
    ------
    ServiceError
        Listing every problem; nothing is changed.
    """
    problems = _problems(details)
    if details.number != wave.number:
        problems.append(Problem("number", "a wave's number cannot change"))
    instrument_changes = (details.instrument_id, details.instrument_version) != (
        wave.instrument_id,
        wave.instrument_version,
    )
    if instrument_changes and has_responses(session, wave):
        problems.append(
            Problem(
                "instrument",
                f"the instrument is frozen at {wave.instrument_id} version "
                f"{wave.instrument_version}: people have already answered this wave",
            )
        )
    refusal = release_refusal(session, wave, details.closes)
    if refusal is not None:
        problems.append(Problem("closes", refusal))
    raise_problems(problems)
    changed = [
        name
        for name in ("opens", "closes", "instrument_id", "instrument_version")
        if getattr(wave, name) != getattr(details, name)
    ]
    for name in changed:
        setattr(wave, name, getattr(details, name))
    if changed:
        audit.record_action(
            session,
            actor,
            "wave.update",
            study_id=wave.study_id,
            object_type="wave",
            object_id=wave.id,
            detail={"changed": changed, **_describe(details)},
        )
    return changed


@dataclass(frozen=True)
class CloseSummary:
    """What closing a wave now would cut short: counted over all of its invitations.

    Examples
    --------
    >>> CloseSummary(invited=40, submitted=5, started=3).not_answered
    35
    """

    invited: int
    submitted: int
    started: int
    """Started (consented or answered a page) but not submitted: their answers are not used."""

    @property
    def not_answered(self) -> int:
        """Invited people who have not submitted: their links stop working on closing."""
        return self.invited - self.submitted


def close_summary(session: Session, wave: Wave) -> CloseSummary:
    """How many of ``wave``'s invitees have answered, started only, or not answered."""
    invited, submitted, started = session.execute(
        select(
            func.count(Invitation.id),
            func.count(Invitation.submitted_at),
            func.sum(
                case(
                    (
                        Invitation.submitted_at.is_(None)
                        & (
                            Invitation.started_at.is_not(None)
                            | Invitation.consented_at.is_not(None)
                            | Response.id.is_not(None)
                        ),
                        1,
                    ),
                    else_=0,
                )
            ),
        )
        .outerjoin(Response, Response.invitation_id == Invitation.id)
        .where(Invitation.wave_id == wave.id)
    ).one()
    return CloseSummary(int(invited or 0), int(submitted or 0), int(started or 0))


@transactional
def close_early(session: Session, wave: Wave, actor: Actor, *, now: datetime | None = None) -> None:
    """Close a wave now, before its closing date.

    Links stop working and no more reminders go out. Raises ServiceError if already closed.
    """
    now = utcnow() if now is None else now
    if wave.status(now) == "closed":
        raise ServiceError(f"wave {wave.number} is already closed")
    wave.closed_early_at = now
    audit.record_action(
        session,
        actor,
        "wave.close",
        study_id=wave.study_id,
        object_type="wave",
        object_id=wave.id,
        detail={"number": wave.number, "closed_at": now.isoformat()},
    )


def deletion_refusal(session: Session, wave: Wave) -> str | None:
    """Why ``wave`` cannot be deleted, or None: only a wave nobody was invited to (no link
    made, sent or downloaded) can go, since answers, links in people's mailboxes and releases
    depend on the others."""
    invited = session.scalar(select(func.count(Invitation.id)).where(Invitation.wave_id == wave.id))
    if invited:
        return (
            f"wave {wave.number} cannot be deleted: {invited} "
            f"{'person was' if invited == 1 else 'people were'} invited to it (links made, sent "
            "or downloaded); close it instead, or change its dates"
        )
    return None


@transactional
def delete_wave(session: Session, wave: Wave, actor: Actor) -> None:
    """Delete a wave made by mistake (the caller commits); refused with the reason unless
    :func:`deletion_refusal` finds nothing depending on it."""
    refusal = deletion_refusal(session, wave)
    if refusal:
        raise ServiceError(refusal)
    audit.record_action(
        session,
        actor,
        "wave.delete",
        study_id=wave.study_id,
        object_type="wave",
        object_id=wave.id,
        detail={"number": wave.number},
    )
    session.delete(wave)


def _describe(details: WaveDetails) -> dict[str, object]:
    return {
        "number": details.number,
        "opens": details.opens.isoformat(),
        "closes": details.closes.isoformat(),
        "instrument": f"{details.instrument_id}@{details.instrument_version}",
    }
