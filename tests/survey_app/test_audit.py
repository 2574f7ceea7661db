"""The audit trail: what is recorded (who, what, when), and the page that reads it, filtered."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from survey_app.extensions import db
from survey_app.models import AuditEvent, Study, utcnow
from survey_app.services import audit
from tests.survey_app.staff_support import (
    add_user,
    build_study,
    csrf_token,
    post,
    sign_in,
    text_of,
)


@pytest.fixture
def two_studies(app: Flask) -> tuple[int, int]:
    with app.app_context():
        a = build_study(db.session, "Study A")
        b = build_study(db.session, "Study B")
        add_user(db.session, "root@example.org", "admin")
        add_user(
            db.session, "eval-a@example.org", "evaluator", study=db.session.get(Study, a.study_id)
        )
        add_user(
            db.session, "eval-b@example.org", "evaluator", study=db.session.get(Study, b.study_id)
        )
        db.session.commit()
    return a.study_id, b.study_id


def _rows(page: str) -> int:
    return page.count('<th scope="row">')


def test_changes_and_sign_ins_are_recorded_with_who_what_and_when(
    app: Flask, two_studies: tuple[int, int]
) -> None:
    study_a, _ = two_studies
    client = app.test_client()
    token = csrf_token(client)
    client.post(
        "/auth/", data={"csrf_token": token, "email": "eval-a@example.org", "password": "wrong"}
    )
    token = sign_in(client, "eval-a@example.org")
    before = utcnow()
    post(client, f"/admin/studies/{study_a}/themes", token, {"theme-name": "Stroke"})
    post(client, "/auth/logout", token)
    with app.app_context():
        events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
        summary = [(e.action, e.actor, e.study_id, e.object_type, e.ip) for e in events]
        theme_event = events[2]
        assert theme_event.user is not None and theme_event.user.email == "eval-a@example.org"
        assert theme_event.detail == {"name": "Stroke"}
        assert before <= theme_event.at <= utcnow()
    assert summary == [
        ("login.failure", "eval-a@example.org", study_a, None, "127.0.0.1"),
        ("login.success", "eval-a@example.org", study_a, "user", "127.0.0.1"),
        ("theme.create", "eval-a@example.org", study_a, "theme", "127.0.0.1"),
        ("logout", "eval-a@example.org", study_a, "user", "127.0.0.1"),
    ]


def _seed(app: Flask, study_a: int, study_b: int) -> None:
    """Events on three days in both studies, plus one about no study."""
    day = datetime(2025, 6, 10, 12, 0, tzinfo=UTC)
    with app.app_context():
        session = db.session
        audit.record(session, "roster.import", actor="cli", study_id=study_a, at=day)
        audit.record(
            session,
            "wave.close",
            actor="eval-a@example.org",
            study_id=study_a,
            at=day + timedelta(days=1),
        )
        audit.record(
            session,
            "invitations.send",
            actor="eval-a@example.org",
            study_id=study_a,
            at=day + timedelta(days=2),
        )
        audit.record(
            session,
            "roster.import",
            actor="eval-b@example.org",
            study_id=study_b,
            at=day + timedelta(days=1),
        )
        audit.record(session, "login.failure", actor="stranger@example.org", at=day)
        session.commit()


def _page(client: FlaskClient, **query: str) -> str:
    response = client.get("/admin/audit", query_string=query)
    assert response.status_code == 200, response.status_code
    return text_of(response)


def test_admins_read_everything_and_filter(app: Flask, two_studies: tuple[int, int]) -> None:
    _seed(app, *two_studies)
    client = app.test_client()
    sign_in(client, "root@example.org")
    everything = _page(client)
    assert _rows(everything) == 6  # five seeded events and this sign-in
    assert "stranger@example.org" in everything
    assert '<label for="action">Action</label>' in everything
    imports = _page(client, action="roster.import")
    assert _rows(imports) == 2 and "wave.close" not in imports.split("<tbody>")[1]
    by_user = _page(client, actor="EVAL-A")
    assert _rows(by_user) == 2
    one_day = _page(client, since="2025-06-11", until="2025-06-11")
    assert _rows(one_day) == 2  # wave.close (A) and roster.import (B) on 11 June
    assert "11 June 2025" in one_day
    combined = _page(client, since="2025-06-11", actor="eval-a", action="invitations.send")
    assert _rows(combined) == 1
    backwards = client.get(
        "/admin/audit", query_string={"since": "2025-06-12", "until": "2025-06-10"}
    )
    assert backwards.status_code == 422
    assert "The end date must not be before the start date" in text_of(backwards)
    assert client.get("/admin/audit", query_string={"since": "not a date"}).status_code == 422


def test_evaluators_read_only_their_studys_events(app: Flask, two_studies: tuple[int, int]) -> None:
    _seed(app, *two_studies)
    client = app.test_client()
    sign_in(client, "eval-b@example.org")
    page = _page(client)
    assert _rows(page) == 2  # study B's import and this sign-in
    assert "eval-a@example.org" not in page and "stranger@example.org" not in page
    assert "wave.close" not in page  # not even offered as a filter
    refused = client.get("/admin/audit", query_string={"action": "wave.close"})
    assert refused.status_code == 422 and "wave.close" not in text_of(refused).split("</h1>")[1]


def test_the_log_is_paged_newest_first(app: Flask, two_studies: tuple[int, int]) -> None:
    start = datetime(2025, 1, 1, tzinfo=UTC)
    with app.app_context():
        for n in range(60):
            audit.record(
                db.session,
                "member.update",
                actor=f"user{n:02}@example.org",
                at=start + timedelta(minutes=n),
            )
        db.session.commit()
    client = app.test_client()
    sign_in(client, "root@example.org")
    first = _page(client, action="member.update")
    assert _rows(first) == 50
    assert first.index("user59@") < first.index("user58@")
    assert "Older events" in first and "Newer events" not in first
    second = _page(client, action="member.update", page="2")
    assert _rows(second) == 10 and "user09@" in second and "user10@" not in second
    assert "Newer events" in second and "Older events" not in second


def test_audit_details_are_escaped(app: Flask, two_studies: tuple[int, int]) -> None:
    with app.app_context():
        audit.record(
            db.session, "login.failure", actor="<script>x</script>", detail={"note": "<b>"}
        )
        db.session.commit()
    client = app.test_client()
    sign_in(client, "root@example.org")
    page = _page(client)
    assert "<script>x</script>" not in page and "&lt;script&gt;" in page
    assert "<b>" not in page.split("<tbody>")[1]
