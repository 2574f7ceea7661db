"""The roster by hand: members of a study and their memberships of teams, with changes audited."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, selectinload

from survey_app.models import Member, Membership, Study, Team, utcnow
from survey_app.services import audit, recorded
from survey_app.services.audit import Actor
from survey_app.services.errors import Problem, ServiceError, raise_problems
from survey_app.services.study_setup import team_label
from survey_app.services.transactions import transactional
from survey_app.services.validation import clean, email_problem, name_problem

FIELD_LIMITS: dict[str, int] = {
    "name": 200,
    "profession": 100,
    "organisation": 200,
    "organisation_type": 100,
    "role": 100,
}


@dataclass(frozen=True)
class MemberDetails:
    """A person's details as typed or read from a roster (stripped; email lowercased).

    Examples
    --------
    >>> details = MemberDetails.of("Ann Smith", " Ann@NHS.net ", "nurse", "Trust A", "acute trust")
    >>> details.email, details.problems()
    ('ann@nhs.net', [])
    >>> MemberDetails.of("Ann Smith", "ann@nhs.net", "nurse", "Trust A", "acute trust", " KTA ").role
    'KTA'
    >>> for problem in MemberDetails.of("", "x", "GP", "Practice B", "general practice").problems():
    ...     print(problem)
    Problem(field='name', message='missing value for "name"')
    Problem(field='email', message='email "x" is not an email address')
    """

    name: str
    email: str
    profession: str
    organisation: str
    organisation_type: str
    role: str | None = None
    """The member's role; empty for none, ``None`` for not given (a change keeps the old one)."""

    @classmethod
    def of(
        cls,
        name: str | None,
        email: str | None,
        profession: str | None,
        organisation: str | None,
        organisation_type: str | None,
        role: str | None = None,
    ) -> MemberDetails:
        """Details with whitespace stripped and the email lowercased (``role`` None: not given)."""
        return cls(
            name=clean(name),
            email=clean(email).lower(),
            profession=clean(profession),
            organisation=clean(organisation),
            organisation_type=clean(organisation_type),
            role=None if role is None else clean(role),
        )

    def problems(self) -> list[Problem]:
        """Every problem with these details, in column order, each about its field."""
        found: list[Problem] = []
        for field in fields(self):
            value = getattr(self, field.name)
            if field.name == "role":
                problem = _role_problem(value)
            elif field.name == "email":
                problem = email_problem(value)
            else:
                problem = name_problem(value, field.name, FIELD_LIMITS[field.name])
            if problem:
                found.append(Problem(field.name, problem))
        return found

    def differences(self, member: Member) -> dict[str, tuple[str, str]]:
        """The fields where ``member`` differs from these details: ``{field: (old, new)}``.

        A role not given (``None``) is no difference.
        """
        return {
            field.name: (getattr(member, field.name), getattr(self, field.name))
            for field in fields(self)
            if getattr(self, field.name) is not None
            and getattr(member, field.name) != getattr(self, field.name)
        }

    def columns(self) -> dict[str, str]:
        """The member's columns from these details (no role given: none)."""
        values = {field.name: getattr(self, field.name) for field in fields(self)}
        return {**values, "role": self.role or ""}


def _role_problem(role: str | None) -> str | None:
    """A role is optional; when given it is a name of at most 100 characters."""
    return name_problem(role, "role", FIELD_LIMITS["role"]) if role else None


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


MEMBERS_PER_PAGE = 50
"""Rows on one page of the members list (the demo's 300 people made a 14,000 px page)."""


@dataclass(frozen=True)
class MemberPage:
    """One page of the study's members matching a search.

    Examples
    --------
    >>> MemberPage([], total=120, page=3, per_page=50, query="", study_total=120).pages
    3
    >>> MemberPage([], total=120, page=3, per_page=50, query="", study_total=120).first
    101
    """

    members: list[Member]
    total: int
    """Members matching the search (all of them without one)."""
    page: int
    per_page: int
    query: str
    study_total: int
    """Members of the study."""

    @property
    def pages(self) -> int:
        """How many pages the matches fill (at least 1)."""
        return max(1, -(-self.total // self.per_page))

    @property
    def first(self) -> int:
        """The position of this page's first row among the matches (1-based; 0 when none)."""
        return 0 if not self.total else (self.page - 1) * self.per_page + 1

    @property
    def last(self) -> int:
        """The position of this page's last row among the matches."""
        return min(self.total, self.page * self.per_page)


def search_members(
    session: Session,
    study: Study,
    query: str = "",
    page: int = 1,
    *,
    per_page: int = MEMBERS_PER_PAGE,
) -> MemberPage:
    """One page of the study's members whose name, e-mail, profession, organisation, role or
    team contains ``query`` (case-insensitive; every word must match somewhere), by name.

    A page beyond the last gives the last page; below 1, the first.
    """
    words = clean(query).split()[:10]
    statement = select(Member.id).where(Member.study_id == study.id)
    for word in words:
        pattern = _contains(word)
        in_team = (
            select(Membership.id)
            .join(Team, Team.id == Membership.team_id)
            .where(
                Membership.member_id == Member.id,
                func.lower(Team.name).like(pattern, escape="\\"),
            )
            .exists()
        )
        statement = statement.where(
            or_(
                *(
                    func.lower(column).like(pattern, escape="\\")
                    for column in (
                        Member.name,
                        Member.email,
                        Member.profession,
                        Member.organisation,
                        Member.role,
                    )
                ),
                in_team,
            )
        )
    total = int(session.scalar(select(func.count()).select_from(statement.subquery())) or 0)
    study_total = (
        total
        if not words
        else int(
            session.scalar(
                select(func.count()).select_from(Member).where(Member.study_id == study.id)
            )
            or 0
        )
    )
    pages = max(1, -(-total // per_page))
    page = min(max(page, 1), pages)
    found = list(
        session.scalars(
            select(Member)
            .where(Member.id.in_(statement))
            .options(selectinload(Member.memberships).selectinload(Membership.team))
            .order_by(Member.name, Member.email)
            .offset((page - 1) * per_page)
            .limit(per_page)
        )
    )
    return MemberPage(found, total, page, per_page, " ".join(words), study_total)


def _contains(word: str) -> str:
    """A LIKE pattern (escape character ``\\``) matching text that contains ``word``.

    Examples
    --------
    >>> _contains("50%_Ward")
    '%50\\\\%\\\\_ward%'
    """
    escaped = word.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


@dataclass(frozen=True)
class TeamPeople:
    """A team's people on a given day: current members, and former ones with the day they left."""

    current: list[Member]
    former: list[tuple[Member, date]]


def team_people(session: Session, team: Team, on: date) -> TeamPeople:
    """Who belongs to ``team`` on ``on`` and who has left it (by name).

    Someone who left and joined again is current; someone whose membership begins later is
    listed as current too (they are on its roster from that day).
    """
    rows = session.execute(
        select(Member, Membership.left_on)
        .join(Membership, Membership.member_id == Member.id)
        .where(Membership.team_id == team.id)
        .order_by(Member.name, Member.email)
    ).all()
    current: dict[int, Member] = {}
    left: dict[int, tuple[Member, date]] = {}
    for person, left_on in rows:
        if left_on is None or left_on >= on:
            current[person.id] = person
        elif person.id not in left or left[person.id][1] < left_on:
            left[person.id] = (person, left_on)
    former = [pair for member_id, pair in left.items() if member_id not in current]
    return TeamPeople(list(current.values()), former)


def _check(details: MemberDetails) -> None:
    raise_problems(details.problems())


@transactional
def create_member(
    session: Session,
    study: Study,
    details: MemberDetails,
    team: Team | None,
    actor: Actor,
    *,
    joined_on: date | None = None,
) -> Member:
    """Add a person to the study's roster, optionally to a team at once.

    Raises
    ------
    ServiceError
        For missing or malformed details, or an email already on the roster.
    """
    _check(details)
    if find_member(session, study, details.email) is not None:
        raise ServiceError(f"{details.email} is already on this study's roster", field="email")
    if team is not None and team.study_id != study.id:
        raise ServiceError("choose one of the study's teams", field="team")
    member = Member(study=study, **details.columns())
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


@transactional
def update_member(
    session: Session, study: Study, member: Member, details: MemberDetails, actor: Actor
) -> dict[str, tuple[str, str]]:
    """Change a member's details; returns what changed."""
    _check(details)
    if details.email != member.email and find_member(session, study, details.email) is not None:
        raise ServiceError(f"{details.email} is already on this study's roster", field="email")
    changes = details.differences(member)
    for name, (_, new) in changes.items():
        setattr(member, name, new)
    if set(changes) & set(recorded.RECORDED):
        session.flush()
        recorded.refresh_unclosed_waves(session, [member.id])
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


@transactional
def add_membership(
    session: Session, study: Study, member: Member, team: Team, joined_on: date, actor: Actor
) -> Membership:
    """Put a member in a team from ``joined_on``."""
    if member.study_id != study.id or team.study_id != study.id:
        raise ServiceError("choose one of the study's teams", field="team")
    existing = session.scalar(
        select(Membership).where(Membership.member_id == member.id, Membership.team_id == team.id)
    )
    if existing is not None:
        raise ServiceError(f"{member.name} is already a member of {team_label(team)}", field="team")
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


@transactional
def end_membership(
    session: Session, study: Study, membership: Membership, left_on: date, actor: Actor
) -> None:
    """Record that a member left a team on ``left_on``.

    The member gets no invitations for that team from then on; past answers are kept.
    """
    if membership.left_on is not None:
        raise ServiceError(f"this membership already ended on {membership.left_on.isoformat()}")
    if left_on < membership.joined_on:
        raise ServiceError(
            f"the leaving date cannot be before the joining date ({membership.joined_on.isoformat()})",
            field="left_on",
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
