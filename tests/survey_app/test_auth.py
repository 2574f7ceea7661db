"""Staff sign-in: sessions, throttling kept in the database, sign-out, password change."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update
from werkzeug.security import check_password_hash

from survey_app.extensions import db
from survey_app.models import AuditEvent, User
from survey_app.services import authentication
from tests.survey_app.conftest import make_test_app
from tests.survey_app.staff_support import (
    PASSWORD,
    add_user,
    audit_actions,
    csrf_token,
    post,
    sign_in,
    text_of,
)

EMAIL = "eve@example.org"


@pytest.fixture
def staff_app(app: Flask) -> Flask:
    """The app with one admin account and a lockout after 3 failures within 15 minutes."""
    app.config.update(LOGIN_MAX_FAILURES=3, LOGIN_LOCKOUT_MINUTES=15)
    with app.app_context():
        add_user(db.session, EMAIL, "admin")
        db.session.commit()
    return app


def _attempt(client: FlaskClient, password: str, email: str = EMAIL) -> tuple[int, str]:
    token = csrf_token(client)
    response = client.post(
        "/auth/", data={"csrf_token": token, "email": email, "password": password}
    )
    return response.status_code, text_of(response)


def _age_failures(app: Flask, minutes: float) -> None:
    """Pretend the recorded sign-in attempts happened ``minutes`` earlier."""
    with app.app_context():
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.action.like("login.%")))
        for event in events:
            event.at = event.at - timedelta(minutes=minutes)
        db.session.commit()


def test_sign_in_opens_the_admin_pages_and_is_audited(staff_app: Flask) -> None:
    client = staff_app.test_client()
    assert client.get("/admin/").status_code == 302  # not signed in: to the sign-in page
    token = csrf_token(client)
    response = client.post(
        "/auth/?next=/admin/audit",
        data={"csrf_token": token, "email": " EVE@example.org ", "password": PASSWORD},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/audit"
    assert client.get("/admin/").status_code == 200
    with staff_app.app_context():
        event = db.session.scalars(select(AuditEvent)).one()
        assert (event.action, event.actor, event.ip) == ("login.success", EMAIL, "127.0.0.1")
        assert event.user_id is not None


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/\\evil.example"])
def test_next_never_leaves_the_site(staff_app: Flask, target: str) -> None:
    client = staff_app.test_client()
    token = csrf_token(client)
    response = client.post(
        "/auth/",
        query_string={"next": target},
        data={"csrf_token": token, "email": EMAIL, "password": PASSWORD},
    )
    assert response.headers["Location"] == "/admin/"


def test_wrong_password_unknown_email_and_inactive_account_fail_alike(staff_app: Flask) -> None:
    with staff_app.app_context():
        add_user(db.session, "gone@example.org", "admin", active=False)
        db.session.commit()
    client = staff_app.test_client()
    answers = [
        _attempt(client, "wrong password!"),
        _attempt(client, PASSWORD, email="nobody@example.org"),
        _attempt(client, PASSWORD, email="gone@example.org"),
    ]
    for status, page in answers:
        assert status == 200
        assert "The email address or password is not right" in page
    assert client.get("/admin/").status_code == 302
    with staff_app.app_context():
        reasons = [
            (e.actor, (e.detail or {}).get("reason"))
            for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))
        ]
    assert reasons == [
        (EMAIL, "wrong password"),
        ("nobody@example.org", "unknown email"),
        ("gone@example.org", "account deactivated"),
    ]


def test_lockout_after_repeated_failures_even_with_the_right_password(staff_app: Flask) -> None:
    client = staff_app.test_client()
    assert _attempt(client, "wrong 1")[0] == 200
    assert _attempt(client, "wrong 2")[0] == 200
    status, page = _attempt(client, "wrong 3")  # the third failure locks
    assert status == 429
    assert "Too many sign-in attempts have failed" in page
    assert "about 15 minutes" in page
    status, page = _attempt(client, PASSWORD)  # the right password does not get through
    assert status == 429
    assert "signing in is paused" in page
    assert client.get("/admin/").status_code == 302
    assert audit_actions(staff_app) == ["login.failure"] * 3 + ["login.locked"]


def test_lockout_holds_for_its_window_and_then_lifts(staff_app: Flask) -> None:
    client = staff_app.test_client()
    for attempt in range(3):
        _attempt(client, f"wrong {attempt}")
    _age_failures(staff_app, 14)  # 14 of the 15 minutes have passed: still locked
    status, page = _attempt(client, PASSWORD)
    assert status == 429
    assert "about 1 minute" in page
    _age_failures(staff_app, 1.5)  # now more than 15 minutes
    status, _ = _attempt(client, PASSWORD)
    assert status == 302


def test_lockout_is_per_email_and_address(staff_app: Flask) -> None:
    client = staff_app.test_client()
    for attempt in range(3):
        _attempt(client, f"wrong {attempt}")
    other_address = staff_app.test_client()
    token = csrf_token(other_address)
    response = other_address.post(
        "/auth/",
        data={"csrf_token": token, "email": EMAIL, "password": PASSWORD},
        environ_base={"REMOTE_ADDR": "10.0.0.9"},
    )
    assert response.status_code == 302


def test_a_success_resets_the_count(staff_app: Flask) -> None:
    client = staff_app.test_client()
    _attempt(client, "wrong 1")
    _attempt(client, "wrong 2")
    assert _attempt(client, PASSWORD)[0] == 302
    client.post("/auth/logout", data={"csrf_token": csrf_token(client, "/auth/password")})
    assert _attempt(client, "wrong 3")[0] == 200  # 1 failure since the success, not 3
    assert _attempt(client, "wrong 4")[0] == 200
    assert _attempt(client, "wrong 5")[0] == 429


def test_many_emails_from_one_address_are_slowed_too(staff_app: Flask) -> None:
    staff_app.config.update(LOGIN_MAX_FAILURES_PER_IP=4, LOGIN_MAX_DELAY_SECONDS=30)
    client = staff_app.test_client()
    statuses = [_attempt(client, "x", email=f"guess{n}@example.org")[0] for n in range(4)]
    assert statuses == [200, 200, 200, 429]  # slowed: one second before the next attempt
    with staff_app.app_context():  # 26 more failures from this address just now: wait 27 s
        db.session.add_all(
            AuditEvent(actor=f"more{n}@example.org", action="login.failure", ip="127.0.0.1")
            for n in range(26)
        )
        db.session.commit()
    assert _attempt(client, PASSWORD)[0] == 429
    _age_failures(staff_app, 28 / 60)
    assert _attempt(client, PASSWORD)[0] == 302  # slowed, never shut out


def test_throttle_state_lives_in_the_database_not_the_process(staff_app: Flask) -> None:
    """A second app (another gunicorn instance) on the same database sees the same lockout."""
    client = staff_app.test_client()
    for attempt in range(3):
        _attempt(client, f"wrong {attempt}")
    twin = make_test_app(
        staff_app.config["DATABASE_URL"], Path(staff_app.instance_path).parent, LOGIN_MAX_FAILURES=3
    )
    try:
        assert _attempt(twin.test_client(), PASSWORD)[0] == 429
    finally:
        db.dispose(twin)


def test_sign_out_needs_post_with_csrf(staff_app: Flask) -> None:
    client = staff_app.test_client()
    token = sign_in(client, EMAIL)
    assert client.get("/auth/logout").status_code == 405
    assert client.post("/auth/logout").status_code == 400  # no CSRF token: still signed in
    assert client.get("/admin/").status_code == 200
    response = post(client, "/auth/logout", token)
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 302
    assert audit_actions(staff_app)[-1] == "logout"


def test_password_change(staff_app: Flask) -> None:
    client = staff_app.test_client()
    other_device = staff_app.test_client()
    sign_in(other_device, EMAIL)
    token = sign_in(client, EMAIL)
    new = "a much better passphrase"
    response = post(
        client,
        "/auth/password",
        token,
        {"current": "not it at all", "new": "short", "confirmation": "shorter"},
    )
    page = text_of(response)
    assert "the current password is not right" in page
    assert "at least 10 characters" in page
    assert "differ" in page
    response = post(
        client, "/auth/password", token, {"current": PASSWORD, "new": new, "confirmation": new}
    )
    assert response.status_code == 302
    with staff_app.app_context():
        user = db.session.scalars(select(User)).one()
        assert check_password_hash(user.password_hash, new)
        assert not check_password_hash(user.password_hash, PASSWORD)
    assert client.get("/admin/").status_code == 200  # this session stays signed in
    assert other_device.get("/admin/").status_code == 302  # the other one is signed out
    assert "password.change" in audit_actions(staff_app)


def test_deactivated_account_is_signed_out(staff_app: Flask) -> None:
    client = staff_app.test_client()
    sign_in(client, EMAIL)
    with staff_app.app_context():
        db.session.execute(update(User).values(is_active=False))
        db.session.commit()
    assert client.get("/admin/").status_code == 302


def test_login_policy_rejects_bad_settings() -> None:
    with pytest.raises(ValueError, match="LOGIN_MAX_FAILURES must be a whole number"):
        authentication.LoginPolicy.from_config({"LOGIN_MAX_FAILURES": 0})


def test_sign_in_page_is_labelled(staff_app: Flask) -> None:
    page = text_of(staff_app.test_client().get("/auth/"))
    assert '<label for="email">Email address</label>' in page
    assert '<label for="password">Password</label>' in page
    assert 'autocomplete="current-password"' in page


def test_staff_pages_send_their_referrer_to_this_site_only(staff_app: Flask) -> None:
    response = staff_app.test_client().get("/auth/")
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_sign_in_works_over_https_with_the_referrer_the_policy_lets_browsers_send(
    staff_app: Flask,
) -> None:
    # Flask-WTF refuses a form posted over HTTPS without a same-site Referer; under the old
    # "no-referrer" policy browsers sent none, so no staff form could be sent behind HTTPS.
    site = "https://copkit.example.nhs.uk"
    client = staff_app.test_client()
    page = client.get("/auth/", base_url=site).get_data(as_text=True)
    token = page.split('name="csrf_token"', 1)[1].split('value="', 1)[1].split('"', 1)[0]
    form = {"csrf_token": token, "email": EMAIL, "password": PASSWORD}
    without = client.post("/auth/", base_url=site, data=form)
    assert without.status_code == 400
    referrer = {"Referer": f"{site}/auth/"}
    signed_in = client.post("/auth/", base_url=site, data=form, headers=referrer)
    assert signed_in.status_code == 302
    assert signed_in.headers["Location"] == "/admin/"
