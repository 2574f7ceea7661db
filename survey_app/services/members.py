"""The roster by hand: members of a study and their memberships of teams, with changes audited."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from survey_app.models import Member, Membership, Study, Team, utcnow
from survey_app.services import audit
from survey_app.services.audit import Actor
from survey_app.services.errors import ServiceError
from survey_app.services.study_setup import team_label
from survey_app.services.validation import clean, email_problem, name_problem

FIELD_LIMITS: dict[str, int] = {
    "name": 200,
    "profession": 100,
    "organisation": 200,
    "organisation_type": 100,
}


@dataclass(frozen=True)
class MemberDetails:
    """A person's details as typed or read from a roster (stripped; email lowercased).

    Examples
    --------
    >>> details = MemberDetails.of("Ann Smith", " Ann@NHS.net ", "nurse", "Trust A", "acute trust")
    >>> details.email, details.problems()
    ('ann@nhs.net', [])
    >>> MemberDetails.of("", "x", "GP", "Practice B", "general practice").problems()
    ['missing value for "name"', 'email "x" is not an email address']
    """

    name: str
    email: str
    profession: str
    organisation: str
    organisation_type: str

    @classmethod
    def of(
        cls,
        name: str | None,
        email: str | None,
        profession: str | None,
        organisation: str | None,
        organisation_type: str | None,
    ) -> MemberDetails:
        """Details with whitespace stripped and the email lowercased."""
        return cls(
            name=clean(name),
            email=clean(email).lower(),
            profession=clean(profession),
            organisation=clean(organisation),
            organisation_type=clean(organisation_type),
        )

    def problems(self) -> list[str]:
        """Every problem with these details, in column order."""
        found: list[str] = []
        for field in fields(self):
            value = getattr(self, field.name)
            if field.name == "email":
                problem = email_problem(value)
            else:
                problem = name_problem(value, field.name, FIELD_LIMITS[field.name])
            if problem:
                found.append(problem)
        return found

    def differences(self, member: Member) -> dict[str, tuple[str, str]]:
        """The fields where ``member`` differs from these details: ``{field: (old, new)}``."""
        return {
            field.name: (getattr(member, field.name), getattr(self, field.name))
            for field in fields(self)
            if getattr(member, field.name) != getattr(self, field.name)
        }


def find_member(session: Session, study: Study, email: str) -> Member | None:
    """The study's member with this email (case-insensitive), or None."""
    return session.scalar(
        select(Member).where(Member.study_id == study.id, Member.email == clean(email).lower())
    )


def list_members(session: Session, study: Study) -> list[Member]:
    """The study's members by name, with their memberships and teams loaded."""
    return list(
        session.scalars(
            select(Member)
            .where(Member.study_id == study.id)
            .options(selectinload(Member.memberships).selectinload(Membership.team))
            .order_by(Member.name, Member.email)
        )
    )


def _check(details: MemberDetails) -> None:
    problems = details.problems()
    if problems:
        raise ServiceError("; ".join(problems))


def create_member(
    session: Session,
    study: Study,
    details: MemberDetails,
    team: Team | None,
    actor: Actor,
    *,
    joined_on: date | None = None,
) -> Member:
    """Add a person to the study's roster, optionally to a team at once (the caller commits).

    Raises
    ------
    ServiceError
        For missing or malformed details, or an email already on the roster.
    """
    _check(details)
    if find_member(session, study, details.email) is not None:
        raise ServiceError(f"{details.email} is already on this study's roster")
    if team is not None and team.study_id != study.id:
        raise ServiceError("choose one of the study's teams")
    member = Member(study=study, **{f.name: getattr(details, f.name) for f in fields(details)})
    session.add(member)
    session.flush()
    audit.record_action(
        session,
        actor,
        "member.create",
        study_id=study.id,
        object_type="member",
        object_id=member.id,
        detail={"email": details.email},
    )
    if team is not None:
        add_membership(session, study, member, team, joined_on or utcnow().date(), actor)
    return member


def update_member(
    session: Session, study: Study, member: Member, details: MemberDetails, actor: Actor
) -> dict[str, tuple[str, str]]:
    """Change a member's details (the caller commits); returns what changed."""
    _check(details)
    if details.email != member.email and find_member(session, study, details.email) is not None:
        raise ServiceError(f"{details.email} is already on this study's roster")
    changes = details.differences(member)
    for name, (_, new) in changes.items():
        setattr(member, name, new)
    if changes:
        audit.record_action(
            session,
            actor,
            "member.update",
            study_id=study.id,
            object_type="member",
            object_id=member.id,
            detail={"changed": sorted(changes)},
        )
    return changes


def add_membership(
    session: Session, study: Study, member: Member, team: Team, joined_on: date, actor: Actor
) -> Membership:
    """Put a member in a team from ``joined_on`` (the caller commits)."""
    if member.study_id != study.id or team.study_id != study.id:
        raise ServiceError("choose one of the study's teams")
    existing = session.scalar(
        select(Membership).where(Membership.member_id == member.id, Membership.team_id == team.id)
    )
    if existing is not None:
        raise ServiceError(f"{member.name} is already a member of {team_label(team)}")
    membership = Membership(member=member, team=team, joined_on=joined_on)
    session.add(membership)
    session.flush()
    audit.record_action(
        session,
        actor,
        "membership.create",
        study_id=study.id,
        object_type="membership",
        object_id=membership.id,
        detail={
            "member": member.email,
            "team": team_label(team),
            "joined_on": joined_on.isoformat(),
        },
    )
    return membership


def end_membership(
    session: Session, study: Study, membership: Membership, left_on: date, actor: Actor
) -> None:
    """Record that a member left a team on ``left_on`` (the caller commits).

    The member gets no invitations for that team from then on; past answers are kept.
    """
    if membership.left_on is not None:
        raise ServiceError(f"this membership already ended on {membership.left_on.isoformat()}")
    if left_on < membership.joined_on:
        raise ServiceError(
            f"the leaving date cannot be before the joining date ({membership.joined_on.isoformat()})"
        )
    membership.left_on = left_on
    audit.record_action(
        session,
        actor,
        "membership.end",
        study_id=study.id,
        object_type="membership",
        object_id=membership.id,
        detail={
            "member": membership.member.email,
            "team": team_label(membership.team),
            "left_on": left_on.isoformat(),
        },
    )
