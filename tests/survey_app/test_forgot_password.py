"""Staff "forgot password" through a real SMTP server (aiosmtpd): a single-use, time-limited link
stored as a hash, the same answer for every address, other sessions ended, every step audited."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from survey_app.extensions import db
from survey_app.models import AuditEvent, PasswordReset, StaffSession, User, utcnow
from survey_app.tokens import hash_token
from tests.survey_app.smtp_support import Smtp, body
from tests.survey_app.staff_support import PASSWORD, add_user, csrf_token, sign_in, text_of

BASE_URL = "https://survey.example.org"
LINK = re.compile(re.escape(BASE_URL) + r"/auth/reset/([A-Za-z0-9_-]{43})")
EMAIL = "rosa@example.org"
NEW_PASSWORD = "lantern orchard velvet ninety"


@pytest.fixture
def reset_app(app: Flask, smtp: Smtp) -> Flask:
    app.config.update(
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=smtp.port,
        SMTP_TIMEOUT=5,
        MAIL_FROM="copkit@trust.example.org",
        BASE_URL=BASE_URL,
        PASSWORD_RESET_MINUTES=30,
        PASSWORD_RESETS_PER_HOUR=3,
    )
    with app.app_context():
        add_user(db.session, EMAIL, "admin")
        add_user(db.session, "gone@example.org", "admin", active=False)
        db.session.commit()
    return app


def ask(client: FlaskClient, email: str) -> tuple[int, str]:
    """Send the forgot-password form (buffered: the mail goes out when the answer is closed)."""
    token = csrf_token(client, "/auth/forgot")
    response = client.post(
        "/auth/forgot", data={"csrf_token": token, "email": email}, buffered=True
    )
    return response.status_code, text_of(response)


def link_token(smtp: Smtp) -> str:
    messages = smtp.collector.messages
    assert messages, "no e-mail was sent"
    match = LINK.search(body(messages[-1], "plain"))
    assert match is not None, "no link in the e-mail"
    return match.group(1)


def set_password(
    client: FlaskClient, token: str, new: str, again: str | None = None
) -> tuple[int, str]:
    page = client.get(f"/auth/reset/{token}")
    form_token = csrf_token(client, f"/auth/reset/{token}" if page.status_code == 200 else "/auth/")
    response = client.post(
        f"/auth/reset/{token}",
        data={
            "csrf_token": form_token,
            "new": new,
            "confirmation": new if again is None else again,
        },
    )
    return response.status_code, text_of(response)


def actions(app: Flask) -> list[tuple[str, str | None]]:
    with app.app_context():
        return [
            (event.action, (event.detail or {}).get("outcome"))
            for event in db.session.scalars(
                select(AuditEvent)
                .where(AuditEvent.action.like("password.%"))
                .order_by(AuditEvent.id)
            )
        ]


def test_the_link_arrives_sets_a_password_once_and_ends_other_sessions(
    reset_app: Flask,
    smtp: Smtp,
) -> None:
    elsewhere = reset_app.test_client()
    sign_in(elsewhere, EMAIL)  # a forgotten session on another computer
    browser = reset_app.test_client()
    status, page = ask(browser, EMAIL)
    assert status == 200 and "If there is a copkit account for" in page
    assert len(smtp.collector.messages) == 1
    message = smtp.collector.messages[0]
    assert message["To"].addresses[0].addr_spec == EMAIL
    assert message["From"] == "copkit@trust.example.org"
    assert "within 30 minutes" in body(message, "plain")
    token = link_token(smtp)
    with reset_app.app_context():
        stored = db.session.scalars(select(PasswordReset.token_hash)).all()
        assert stored == [hash_token(token)]  # only the hash is kept
    reset_page = browser.get(f"/auth/reset/{token}")
    assert reset_page.status_code == 200 and EMAIL in text_of(reset_page)
    assert reset_page.headers["Referrer-Policy"] == "no-referrer"
    status, _ = set_password(browser, token, NEW_PASSWORD)
    assert status == 302
    assert elsewhere.get("/admin/").status_code == 302  # the other session has ended
    with reset_app.app_context():
        assert db.session.scalars(select(StaffSession)).all() == []
    sign_in(reset_app.test_client(), EMAIL, NEW_PASSWORD)
    with pytest.raises(AssertionError, match="sign-in"):
        sign_in(reset_app.test_client(), EMAIL, PASSWORD)
    status, page = set_password(reset_app.test_client(), token, "another lovely long phrase")
    assert status == 404 and "does not work" in page  # single use
    assert actions(reset_app) == [("password.reset_request", "sent"), ("password.reset", None)]


@pytest.mark.parametrize("email", ["nobody@example.org", "gone@example.org"])
def test_an_unknown_or_deactivated_address_gets_the_same_answer_and_no_mail(
    reset_app: Flask,
    smtp: Smtp,
    email: str,
) -> None:
    known_status, known_page = ask(reset_app.test_client(), EMAIL)
    status, page = ask(reset_app.test_client(), email)
    assert status == known_status == 200
    assert page.replace(email, EMAIL) == known_page
    assert len(smtp.collector.messages) == 1  # only the real account's
    with reset_app.app_context():
        events = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "password.reset_request")
        ).all()
        assert [(e.actor, (e.detail or {})["outcome"]) for e in events] == [
            (EMAIL, "sent"),
            (email, "no such account" if email.startswith("nobody") else "account deactivated"),
        ]


def test_an_expired_link_does_not_work(reset_app: Flask, smtp: Smtp) -> None:
    ask(reset_app.test_client(), EMAIL)
    token = link_token(smtp)
    with reset_app.app_context():
        db.session.execute(update(PasswordReset).values(expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    status, page = set_password(reset_app.test_client(), token, NEW_PASSWORD)
    assert status == 404 and "has expired" in page
    sign_in(reset_app.test_client(), EMAIL)  # the old password still works


def test_a_newer_link_or_a_password_change_voids_older_links(
    reset_app: Flask,
    smtp: Smtp,
) -> None:
    ask(reset_app.test_client(), EMAIL)
    first = link_token(smtp)
    ask(reset_app.test_client(), EMAIL)
    second = link_token(smtp)
    assert first != second
    assert set_password(reset_app.test_client(), first, NEW_PASSWORD)[0] == 404
    client = reset_app.test_client()
    token = sign_in(client, EMAIL)
    client.post(
        "/auth/password",
        data={
            "csrf_token": token,
            "current": PASSWORD,
            "new": NEW_PASSWORD,
            "confirmation": NEW_PASSWORD,
        },
    )
    assert set_password(reset_app.test_client(), second, "yet another long phrase")[0] == 404


def test_a_weak_or_mismatched_password_is_refused_and_the_link_still_works(
    reset_app: Flask,
    smtp: Smtp,
) -> None:
    ask(reset_app.test_client(), EMAIL)
    token = link_token(smtp)
    client = reset_app.test_client()
    status, page = set_password(client, token, "1234567890")
    assert status == 422 and "too easy to guess" in page
    status, page = set_password(client, token, EMAIL)
    assert status == 422 and "e-mail address" in page
    status, page = set_password(client, token, NEW_PASSWORD, again="something else entirely")
    assert status == 422 and "differ" in page
    assert set_password(client, token, NEW_PASSWORD)[0] == 302


def test_links_to_one_account_are_limited_per_hour(reset_app: Flask, smtp: Smtp) -> None:
    for _ in range(5):
        assert ask(reset_app.test_client(), EMAIL)[0] == 200
    assert len(smtp.collector.messages) == 3
    outcomes = [outcome for action, outcome in actions(reset_app)]
    assert outcomes == ["sent"] * 3 + ["too many requests"] * 2


def test_a_smtp_that_refuses_is_logged_and_audited(
    reset_app: Flask,
    smtp: Smtp,
) -> None:
    smtp.collector.refuse.add(EMAIL)
    status, _ = ask(reset_app.test_client(), EMAIL)
    assert status == 200  # the answer does not change
    with reset_app.app_context():
        failed = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "password.reset_mail_failed")
        ).all()
        assert len(failed) == 1 and "550" in str((failed[0].detail or {})["reason"])


def test_the_sign_in_page_links_to_it(reset_app: Flask) -> None:
    page = text_of(reset_app.test_client().get("/auth/"))
    assert "Forgot your password?" in page


def test_the_stored_hash_is_not_the_token(reset_app: Flask, smtp: Smtp) -> None:
    ask(reset_app.test_client(), EMAIL)
    token = link_token(smtp)
    with reset_app.app_context():
        user = db.session.scalar(select(User).where(User.email == EMAIL))
        assert user is not None
        rows = db.session.scalars(select(PasswordReset)).all()
        assert all(token not in (row.token_hash or "") for row in rows)
