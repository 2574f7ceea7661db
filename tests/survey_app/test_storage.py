"""Storage constraints, on SQLite and PostgreSQL: the database itself refuses what must not be."""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.orm import Session

from survey_app.models import (
    Answer,
    AuditEvent,
    Comment,
    Invitation,
    Member,
    Membership,
    Response,
    StaffStudy,
    Study,
    Team,
    Theme,
    Tie,
    User,
    Wave,
)
from survey_app.tokens import TOKEN_BYTES, hash_token

OPENS = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)
CLOSES = datetime(2024, 3, 15, 17, 0, tzinfo=UTC)


def _study(session: Session) -> tuple[Study, Team, Membership, Wave]:
    study = Study(name="Greater Manchester CLAHRC")
    theme = Theme(study=study, name="Heart Failure")
    team = Team(theme=theme, name="HF community nurses")
    member = Member(
        study=study,
        name="Asha Patel",
        email="  Asha.Patel@NHS.net ",
        profession="nurse",
        organisation="Salford Royal",
        organisation_type="acute trust",
    )
    membership = Membership(member=member, team=team, joined_on=date(2024, 1, 1))
    wave = Wave(
        study=study,
        number=1,
        opens=OPENS,
        closes=CLOSES,
        instrument_id="cop-health",
        instrument_version=1,
    )
    session.add_all([study, membership, wave])
    session.commit()
    return study, team, membership, wave


def _invitation(session: Session, membership: Membership, wave: Wave) -> Invitation:
    invitation = Invitation(
        membership=membership, wave=wave, token_hash=hash_token(secrets.token_urlsafe(TOKEN_BYTES))
    )
    session.add(invitation)
    session.commit()
    return invitation


def test_a_whole_study_round_trips(session: Session) -> None:
    _, team, membership, wave = _study(session)
    invitation = _invitation(session, membership, wave)
    alter = membership.member
    response = Response(
        invitation=invitation,
        answers=[Answer(item_id="me1", value=6), Answer(item_id="me2", value=None)],
        comments=[Comment(item_id="helped", text="<b>the workshop</b>")],
        ties=[Tie(alter_member=alter)],
    )
    session.add(response)
    session.commit()
    session.expire_all()

    stored = session.scalars(select(Response)).one()
    assert stored.submitted_at is None  # a draft: saved answers, not yet submitted
    assert sorted((a.item_id, a.value) for a in stored.answers) == [("me1", 6.0), ("me2", None)]
    assert stored.comments[0].text == "<b>the workshop</b>"
    assert stored.invitation.membership.team.name == team.name
    assert stored.invitation.membership.member.email == "asha.patel@nhs.net"
    assert stored.invitation.membership.team.study_id == stored.invitation.wave.study_id
    assert stored.invitation.reminded_count == 0 and stored.invitation.current_page == 0


def test_times_come_back_in_utc_and_naive_times_are_refused(session: Session) -> None:
    _, _, membership, wave = _study(session)
    session.expire_all()
    stored = session.get(Wave, wave.id)
    assert stored is not None
    assert stored.opens == OPENS and stored.opens.tzinfo is not None
    assert stored.opens.utcoffset() == timedelta(0)

    invitation = _invitation(session, membership, stored)
    invitation.sent_at = datetime(2024, 3, 1, 11, 0, tzinfo=timezone(timedelta(hours=2)))
    session.commit()
    session.expire_all()
    assert session.get(Invitation, invitation.id).sent_at == datetime(  # type: ignore[union-attr]
        2024, 3, 1, 9, 0, tzinfo=UTC
    )

    invitation = session.get(Invitation, invitation.id)  # type: ignore[assignment]
    invitation.started_at = datetime(2024, 3, 2, 10, 0)
    with pytest.raises(StatementError, match="naive datetime"):
        session.commit()


def test_one_invitation_per_membership_and_wave(session: Session) -> None:
    _, _, membership, wave = _study(session)
    _invitation(session, membership, wave)
    session.add(
        Invitation(
            membership=membership,
            wave=wave,
            token_hash=hash_token(secrets.token_urlsafe(TOKEN_BYTES)),
        )
    )
    with pytest.raises(IntegrityError):
        session.commit()


def test_token_hashes_are_unique(session: Session) -> None:
    _, team, membership, wave = _study(session)
    first = _invitation(session, membership, wave)
    other = Member(
        study_id=membership.member.study_id,
        name="Ben Okafor",
        email="ben@example.org",
        profession="GP",
        organisation="Eccles Practice",
        organisation_type="general practice",
    )
    other_membership = Membership(member=other, team=team)
    session.add(other_membership)
    session.add(Invitation(membership=other_membership, wave=wave, token_hash=first.token_hash))
    with pytest.raises(IntegrityError):
        session.commit()


def test_exactly_one_response_per_invitation(session: Session) -> None:
    _, _, membership, wave = _study(session)
    invitation = _invitation(session, membership, wave)
    session.add(Response(invitation_id=invitation.id, submitted_at=CLOSES))
    session.commit()
    session.add(Response(invitation_id=invitation.id, submitted_at=CLOSES))
    with pytest.raises(IntegrityError):
        session.commit()
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Response)) == 1


def test_one_answer_per_item_and_one_tie_per_alter(session: Session) -> None:
    _, _, membership, wave = _study(session)
    response = Response(invitation=_invitation(session, membership, wave))
    session.add(response)
    session.commit()
    session.add_all(
        [
            Answer(response=response, item_id="me1", value=3),
            Answer(response=response, item_id="me1", value=4),
        ]
    )
    with pytest.raises(IntegrityError):
        session.commit()
    session.rollback()
    session.add_all(
        [
            Tie(response=response, alter_member_id=membership.member_id),
            Tie(response=response, alter_member_id=membership.member_id),
        ]
    )
    with pytest.raises(IntegrityError):
        session.commit()


def test_member_email_is_unique_within_a_study_whatever_its_case(session: Session) -> None:
    study, _, _, _ = _study(session)
    session.add(
        Member(
            study=study,
            name="A. Patel",
            email="ASHA.PATEL@nhs.net",
            profession="nurse",
            organisation="Salford Royal",
            organisation_type="acute trust",
        )
    )
    with pytest.raises(IntegrityError):
        session.commit()


def test_foreign_keys_are_enforced(session: Session) -> None:
    _, _, membership, _ = _study(session)
    session.add(Membership(member_id=membership.member_id, team_id=-1, joined_on=date(2024, 1, 1)))
    with pytest.raises(IntegrityError):
        session.commit()


def test_deleting_a_study_deletes_its_data_in_the_database(session: Session) -> None:
    study, _, membership, wave = _study(session)
    invitation = _invitation(session, membership, wave)
    session.add(Response(invitation=invitation, answers=[Answer(item_id="me1", value=5)]))
    session.add(User(email="ev@example.org", password_hash="x", role="evaluator", studies=[study]))
    session.add(AuditEvent(actor="cli", action="study.create", study_id=study.id))
    session.commit()
    session.execute(delete(Study))  # SQL, not the ORM: ON DELETE does the work
    session.commit()
    for model in (Theme, Team, Member, Membership, Wave, Invitation, Response, Answer, StaffStudy):
        assert session.scalar(select(func.count()).select_from(model)) == 0, model.__name__
    # the evaluator's account stays (they may work on other studies): only its scope goes
    assert session.scalars(select(User)).one().studies == []
    event = session.scalars(select(AuditEvent)).one()  # the audit trail outlives the study
    assert event.study_id is None and event.action == "study.create"


@pytest.mark.parametrize(
    ("role", "with_study", "allowed"),
    [
        ("admin", False, True),
        ("evaluator", True, True),
        ("manager", True, True),
        ("evaluator", False, True),  # a new evaluator creates their own study
        ("superuser", True, False),
    ],
)
def test_user_role_and_scope_checks(
    session: Session, role: str, with_study: bool, allowed: bool
) -> None:
    study, _, _, _ = _study(session)
    session.add(
        User(
            email="Staff@Example.org",
            password_hash="x",
            role=role,
            studies=[study] if with_study else [],
        )
    )
    if allowed:
        session.commit()
        assert session.scalars(select(User)).one().email == "staff@example.org"
    else:
        with pytest.raises(IntegrityError):
            session.commit()


def test_wave_checks(session: Session) -> None:
    study, _, _, _ = _study(session)
    session.add(
        Wave(
            study=study,
            number=1,
            opens=OPENS,
            closes=CLOSES,
            instrument_id="cop-health",
            instrument_version=1,
        )
    )
    with pytest.raises(IntegrityError):  # wave numbers are unique per study
        session.commit()
    session.rollback()
    session.add(
        Wave(
            study_id=study.id,
            number=2,
            opens=CLOSES,
            closes=OPENS,
            instrument_id="cop-health",
            instrument_version=1,
        )
    )
    with pytest.raises(IntegrityError):  # closes before it opens
        session.commit()


def test_wave_status_follows_dates_and_early_close() -> None:
    wave = Wave(opens=OPENS, closes=CLOSES)
    assert wave.status(OPENS - timedelta(seconds=1)) == "scheduled"
    assert wave.status(OPENS) == "open"
    assert wave.status(CLOSES - timedelta(seconds=1)) == "open"
    assert wave.status(CLOSES) == "closed"
    wave.closed_early_at = OPENS + timedelta(days=2)
    assert wave.status(OPENS + timedelta(days=1)) == "open"
    assert wave.status(OPENS + timedelta(days=2)) == "closed"
    with pytest.raises(ValueError, match="timezone-aware"):
        wave.status(datetime(2024, 3, 2))


def test_tokens_are_stored_hashed() -> None:
    token = secrets.token_urlsafe(TOKEN_BYTES)
    digest = hash_token(token)
    assert len(digest) == 64 and token not in digest
    assert hash_token(token) == digest
