"""Staff sessions live on the server: sign-out, idle and absolute lifetimes, password changes.

The attack of issue 15: a copy of the session cookie taken before ``POST /auth/logout`` still
opened the members page (names, e-mails) and downloaded an export. Now the copy is replayed
after sign-out and gets the sign-in page, on SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, update

from survey_app.extensions import db
from survey_app.models import StaffSession, Study, User, utcnow
from survey_app.services.staff_sessions import SessionLifetimes
from tests.survey_app.staff_support import (
    PASSWORD,
    StudyFixture,
    add_user,
    build_study,
    post,
    sign_in,
)

EVALUATOR = "eva@example.org"
ADMIN = "ada@example.org"
NEW_PASSWORD = "a quite different long phrase"


@pytest.fixture
def study(app: Flask) -> StudyFixture:
    with app.app_context():
        fixture = build_study(db.session, "Session study")
        owned = db.session.get(Study, fixture.study_id)
        add_user(db.session, EVALUATOR, "evaluator", study=owned)
        add_user(db.session, ADMIN, "admin")
        db.session.commit()
    return fixture


def _copy(app: Flask, client: FlaskClient) -> FlaskClient:
    """Another browser holding a copy of ``client``'s session cookie."""
    cookie = client.get_cookie("session")
    assert cookie is not None
    thief = app.test_client()
    thief.set_cookie("session", cookie.value)
    return thief


def _members(study: StudyFixture) -> str:
    return f"/admin/studies/{study.study_id}/members"


def _sessions(app: Flask, email: str) -> int:
    with app.app_context():
        return int(
            db.session.scalar(
                select(func.count())
                .select_from(StaffSession)
                .join(User, User.id == StaffSession.user_id)
                .where(User.email == email)
            )
            or 0
        )


def test_a_cookie_replayed_after_sign_out_gets_the_sign_in_page(
    app: Flask, study: StudyFixture
) -> None:
    client = app.test_client()
    token = sign_in(client, EVALUATOR)
    thief = _copy(app, client)
    assert thief.get(_members(study)).status_code == 200  # the copy works while signed in
    assert _sessions(app, EVALUATOR) == 1
    signed_out = post(client, "/auth/logout", token)
    assert signed_out.status_code == 302
    assert _sessions(app, EVALUATOR) == 0
    page = thief.get(_members(study))
    assert page.status_code == 302 and page.headers["Location"].startswith("/auth/")
    assert "ann@example.org" not in page.get_data(as_text=True)
    download = post(thief, f"/exports/{study.study_id}", token, {"export_format": "wide-csv"})
    assert download.status_code == 302 and download.headers["Location"].startswith("/auth/")
    assert "text/csv" not in download.headers.get("Content-Type", "")
    assert client.get(_members(study)).status_code == 302  # and the browser itself is out


def test_sign_in_again_after_sign_out_works(app: Flask, study: StudyFixture) -> None:
    client = app.test_client()
    token = sign_in(client, EVALUATOR)
    post(client, "/auth/logout", token)
    sign_in(client, EVALUATOR)
    assert client.get(_members(study)).status_code == 200


def _age(app: Flask, email: str, **columns: timedelta) -> None:
    with app.app_context():
        user_id = db.session.scalar(select(User.id).where(User.email == email))
        values = {name: utcnow() - ago for name, ago in columns.items()}
        db.session.execute(
            update(StaffSession).where(StaffSession.user_id == user_id).values(**values)
        )
        db.session.commit()


def test_an_idle_session_ends(app: Flask, study: StudyFixture) -> None:
    app.config.update(SESSION_IDLE_MINUTES=20)
    client = app.test_client()
    sign_in(client, EVALUATOR)
    _age(app, EVALUATOR, last_seen_at=timedelta(minutes=19))
    assert client.get(_members(study)).status_code == 200
    _age(app, EVALUATOR, last_seen_at=timedelta(minutes=21))
    page = client.get(_members(study))
    assert page.status_code == 302 and page.headers["Location"].startswith("/auth/")


def test_using_a_session_keeps_it_alive(app: Flask, study: StudyFixture) -> None:
    app.config.update(SESSION_IDLE_MINUTES=20, SESSION_ACTIVITY_SECONDS=60)
    client = app.test_client()
    sign_in(client, EVALUATOR)
    for _ in range(3):  # used every 15 minutes for 45 minutes
        _age(app, EVALUATOR, last_seen_at=timedelta(minutes=15))
        assert client.get(_members(study)).status_code == 200
        with app.app_context():
            seen = db.session.scalar(select(StaffSession.last_seen_at))
        assert seen is not None and utcnow() - seen < timedelta(minutes=1)


def test_a_session_ends_at_its_absolute_lifetime_however_busy(
    app: Flask, study: StudyFixture
) -> None:
    app.config.update(SESSION_ABSOLUTE_HOURS=8)
    client = app.test_client()
    sign_in(client, EVALUATOR)
    _age(app, EVALUATOR, created_at=timedelta(hours=7, minutes=59))
    assert client.get(_members(study)).status_code == 200
    _age(app, EVALUATOR, created_at=timedelta(hours=8, minutes=1))
    assert client.get(_members(study)).status_code == 302


def test_expired_sessions_are_deleted_at_the_next_sign_in(app: Flask, study: StudyFixture) -> None:
    first = app.test_client()
    sign_in(first, EVALUATOR)
    _age(app, EVALUATOR, last_seen_at=timedelta(days=2), created_at=timedelta(days=2))
    sign_in(app.test_client(), ADMIN)
    assert _sessions(app, EVALUATOR) == 0


def test_a_password_change_ends_the_other_sessions_only(app: Flask, study: StudyFixture) -> None:
    here = app.test_client()
    elsewhere = app.test_client()
    token = sign_in(here, EVALUATOR)
    sign_in(elsewhere, EVALUATOR)
    changed = post(
        here,
        "/auth/password",
        token,
        {"current": PASSWORD, "new": NEW_PASSWORD, "confirmation": NEW_PASSWORD},
    )
    assert changed.status_code == 302
    assert here.get(_members(study)).status_code == 200
    assert elsewhere.get(_members(study)).status_code == 302
    assert _sessions(app, EVALUATOR) == 1


@pytest.mark.parametrize("action", ["password", "deactivate"])
def test_an_administrators_reset_or_deactivation_ends_every_session(
    app: Flask, study: StudyFixture, action: str
) -> None:
    evaluator = app.test_client()
    sign_in(evaluator, EVALUATOR)
    admin = app.test_client()
    token = sign_in(admin, ADMIN)
    with app.app_context():
        user_id = db.session.scalar(select(User.id).where(User.email == EVALUATOR))
    data = {"password": NEW_PASSWORD} if action == "password" else {}
    done = post(admin, f"/admin/users/{user_id}/{action}", token, data)
    assert done.status_code in (302, 303)
    assert _sessions(app, EVALUATOR) == 0
    assert evaluator.get(_members(study)).status_code == 302


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("SESSION_IDLE_MINUTES", 0),
        ("SESSION_ABSOLUTE_HOURS", "8"),
        ("SESSION_ACTIVITY_SECONDS", -1),
    ],
)
def test_lifetimes_must_be_whole_numbers(key: str, value: object) -> None:
    with pytest.raises(ValueError, match=key):
        SessionLifetimes.from_config({key: value})
