"""Golden digests of the demo study: its export and its roster rows stay the same for a seed.

Pinned before ``load_demo`` was split into steps and set the study up through the services, and
re-pinned once after, on purpose: the services create teams and members one at a time in the
simulated order, where the single flush before gave database ids in SQLAlchemy's cascade order
(themes, then each theme's teams and their members). The content is the same (the same people,
teams, memberships, dates, answers, ties, comments and interventions, checked by mapping each
pseudonym back to its member's email and comparing the sorted rows), but pseudonyms are derived
from member ids and exports are ordered by team and member id, so both digests changed once.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from analysis.csv_cells import csv_text
from survey_app.models import Intervention, Member, Membership, Study, Team, Theme, Wave
from survey_app.services.demo import DEMO_INFORMATION, load_demo, simulate_demo
from survey_app.services.export import build_export
from tests.survey_app.test_export_digest import restart_ids

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
SECRET = "demo-digest-secret"
EXPORT_DIGEST = "b34a63f763942339f3262de8daf49b89a8b38d30c2f7b413e1b48aa33dbc5493"
ROWS_DIGEST = "2d6d988ce8d946d1c509091904faa865287cffbff57b0ccbfc36c9f9faa166a3"


def _load(session: Session) -> Study:
    restart_ids(session)
    simulated = simulate_demo(4, 3, members=6)
    loaded = load_demo(
        session,
        simulated,
        now=NOW,
        passwords=dict.fromkeys(("admin", "evaluator", "manager"), "demo-password-1"),
        secret_key="demo-test-secret",
        seed=3,
    )
    session.commit()
    study = session.get(Study, loaded.study_id)
    assert study is not None
    return study


def _export_digest(session: Session, study: Study) -> str:
    bundle = build_export(session, study, secret=SECRET).bundle
    h = hashlib.sha256()
    for name, frame in (
        ("responses", bundle.responses),
        ("ties", bundle.ties),
        ("roster", bundle.roster),
        ("interventions", bundle.interventions),
        ("comments", bundle.comments),
    ):
        h.update(name.encode() + csv_text(frame).encode())
    return h.hexdigest()


def _rows_digest(session: Session, study: Study) -> str:
    """What the export leaves out: names, emails, dates of memberships, waves, interventions."""
    lines: list[str] = [repr([getattr(study, name) for name in DEMO_INFORMATION])]
    queries = (
        select(Theme.name).where(Theme.study_id == study.id).order_by(Theme.id),
        select(Team.id, Team.name, Theme.name)
        .join(Theme)
        .where(Theme.study_id == study.id)
        .order_by(Team.id),
        select(
            Member.id,
            Member.name,
            Member.email,
            Member.profession,
            Member.organisation,
            Member.organisation_type,
        )
        .where(Member.study_id == study.id)
        .order_by(Member.id),
        select(Membership.member_id, Membership.team_id, Membership.joined_on, Membership.left_on)
        .join(Member)
        .where(Member.study_id == study.id)
        .order_by(Membership.member_id, Membership.team_id),
        select(Wave.number, Wave.opens, Wave.closes, Wave.instrument_id, Wave.instrument_version)
        .where(Wave.study_id == study.id)
        .order_by(Wave.number),
        select(
            Intervention.team_id,
            Intervention.started_on,
            Intervention.kind,
            Intervention.description,
        )
        .join(Team)
        .join(Theme)
        .where(Theme.study_id == study.id)
        .order_by(Intervention.id),
    )
    for query in queries:
        for row in session.execute(query):
            lines.append(repr(tuple(_plain(value) for value in row)))
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def _plain(value: object) -> object:
    """Datetimes as UTC ISO text (SQLite gives them back without a time zone)."""
    if isinstance(value, datetime):
        return (
            value.replace(tzinfo=None).isoformat()
            if value.tzinfo is None
            else value.astimezone(UTC).replace(tzinfo=None).isoformat()
        )
    return value


@pytest.mark.slow
def test_the_demo_study_matches_its_golden_digests(session: Session) -> None:
    study = _load(session)
    assert (_export_digest(session, study), _rows_digest(session, study)) == (
        EXPORT_DIGEST,
        ROWS_DIGEST,
    )
