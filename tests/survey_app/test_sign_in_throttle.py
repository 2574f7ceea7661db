"""The sign-in throttle (README, "Sign-in throttle"): it never shuts a right password out because
of guesses made at another address, caps guesses at one account across addresses, and slows a
busy address instead of blocking it. Every attempt goes through the sign-in form."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from survey_app.extensions import db
from survey_app.models import AuditEvent, User, utcnow
from tests.survey_app.staff_support import PASSWORD, add_user, csrf_token, post, text_of

EMAIL = "kim@example.org"
OTHER = "lee@example.org"
NEW_PASSWORD = "an entirely new long phrase"


@pytest.fixture
def throttle_app(app: Flask) -> Flask:
    app.config.update(
        LOGIN_MAX_FAILURES=5,
        LOGIN_MAX_FAILURES_PER_ACCOUNT=20,
        LOGIN_MAX_FAILURES_PER_IP=50,
        LOGIN_MAX_DELAY_SECONDS=30,
        LOGIN_LOCKOUT_MINUTES=15,
    )
    with app.app_context():
        add_user(db.session, EMAIL, "admin")
        add_user(db.session, OTHER, "admin")
        db.session.commit()
    return app


def attempt(
    client: FlaskClient, password: str, address: str, email: str = EMAIL
) -> tuple[int, str, str | None]:
    token = csrf_token(client)
    response = client.post(
        "/auth/",
        data={"csrf_token": token, "email": email, "password": password},
        environ_base={"REMOTE_ADDR": address},
    )
    return response.status_code, text_of(response), response.headers.get("Retry-After")


def checked_guesses(app: Flask, email: str = EMAIL) -> int:
    """Wrong passwords actually checked for ``email`` (refused attempts are not checked)."""
    with app.app_context():
        return int(
            db.session.scalar(
                select(func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.action == "login.failure", AuditEvent.actor == email)
            )
            or 0
        )


def age_attempts(app: Flask, seconds: float) -> None:
    """Pretend every sign-in attempt happened ``seconds`` earlier."""
    with app.app_context():
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.action.like("login.%")))
        for event in events:
            event.at = event.at - timedelta(seconds=seconds)
        db.session.commit()


def test_guesses_at_one_address_never_shut_the_right_password_out_elsewhere(
    throttle_app: Flask,
) -> None:
    attacker = throttle_app.test_client()
    statuses = [attempt(attacker, f"guess {n}", "198.51.100.7")[0] for n in range(60)]
    assert statuses[:4] == [200] * 4 and set(statuses[4:]) == {429}
    assert checked_guesses(throttle_app) == 5  # one address checks at most 5 guesses
    assert attempt(attacker, PASSWORD, "198.51.100.7")[0] == 429  # paused there ...
    colleague = throttle_app.test_client()  # ... but not at the colleague's address
    status, _, _ = attempt(colleague, PASSWORD, "203.0.113.20")
    assert status == 302


def test_guesses_at_one_account_are_capped_across_addresses(throttle_app: Flask) -> None:
    regular = throttle_app.test_client()
    assert attempt(regular, PASSWORD, "203.0.113.20")[0] == 302  # a browser that signed in once
    post(regular, "/auth/logout", csrf_token(regular, "/auth/password"))
    for number in range(12):  # twelve addresses, each trying until it is paused
        attacker = throttle_app.test_client()
        for guess in range(6):
            attempt(attacker, f"guess {number}.{guess}", f"198.51.100.{number + 1}")
    assert checked_guesses(throttle_app) == 20  # the cap, not 12 x 5
    newcomer = throttle_app.test_client()
    status, page, _ = attempt(newcomer, PASSWORD, "192.0.2.50")
    assert status == 429
    assert "on browsers it has not signed in with before" in page
    assert "A browser you have signed in with before can still sign in" in page
    known = attempt(regular, PASSWORD, "192.0.2.77")  # known browser, new address
    assert known[0] == 302
    assert attempt(throttle_app.test_client(), PASSWORD, "192.0.2.51", email=OTHER)[0] == 302


def _failures(app: Flask, address: str, count: int) -> None:
    """``count`` failed sign-ins from ``address`` just now, for as many unknown e-mails."""
    with app.app_context():
        now = utcnow()
        db.session.add_all(
            AuditEvent(actor=f"n{n}@example.org", action="login.failure", ip=address, at=now)
            for n in range(count)
        )
        db.session.commit()


def test_a_busy_address_is_slowed_not_blocked(throttle_app: Flask) -> None:
    throttle_app.config.update(LOGIN_MAX_FAILURES_PER_IP=10)
    network = "192.0.2.1"  # a trust's staff behind one address
    for number in range(10):  # ten mistyped sign-ins, through the form
        attempt(throttle_app.test_client(), "typo", network, email=f"nobody{number}@example.org")
    _failures(throttle_app, network, 9)  # and nine more just now: wait 10 s
    status, page, retry = attempt(throttle_app.test_client(), PASSWORD, network)
    assert status == 429 and retry is not None and 1 <= int(retry) <= 10
    assert f"Wait {retry} second" in page and "try again" in page
    age_attempts(throttle_app, 11)
    assert attempt(throttle_app.test_client(), PASSWORD, network)[0] == 302
    assert attempt(throttle_app.test_client(), PASSWORD, "192.0.2.99")[0] == 302


def test_the_wait_grows_with_the_failures_and_stops_at_the_maximum(throttle_app: Flask) -> None:
    throttle_app.config.update(LOGIN_MAX_FAILURES_PER_IP=10, LOGIN_MAX_DELAY_SECONDS=30)
    network = "192.0.2.2"
    _failures(throttle_app, network, 25)
    retry = attempt(throttle_app.test_client(), PASSWORD, network)[2]
    assert retry is not None and 13 <= int(retry) <= 16  # 25 - 10 + 1 s after the last one
    _failures(throttle_app, network, 200)
    retry = attempt(throttle_app.test_client(), PASSWORD, network)[2]
    assert retry is not None and 27 <= int(retry) <= 30  # never more than the maximum


@pytest.mark.slow
def test_a_known_browser_is_held_back_only_by_its_own_failures(throttle_app: Flask) -> None:
    browser = throttle_app.test_client()
    assert attempt(browser, PASSWORD, "192.0.2.1")[0] == 302
    post(browser, "/auth/logout", csrf_token(browser, "/auth/password"))
    for number in range(10):  # its own address is busy with others' guesses
        attacker = throttle_app.test_client()
        for guess in range(6):
            attempt(attacker, f"g{guess}", "192.0.2.1", email=f"x{number}@example.org")
            attempt(attacker, f"g{guess}", f"198.51.100.{number + 1}")
    assert attempt(browser, PASSWORD, "192.0.2.1")[0] == 302
    post(browser, "/auth/logout", csrf_token(browser, "/auth/password"))
    statuses = [attempt(browser, f"mistake {n}", "192.0.2.1")[0] for n in range(6)]
    assert statuses == [200, 200, 200, 200, 429, 429]  # its own five failures pause it


@pytest.mark.slow
def test_the_browser_cookie_counts_only_for_its_account_and_password(throttle_app: Flask) -> None:
    browser = throttle_app.test_client()
    assert attempt(browser, PASSWORD, "192.0.2.9", email=OTHER)[0] == 302  # known to OTHER only
    post(browser, "/auth/logout", csrf_token(browser, "/auth/password"))
    for number in range(5):
        attacker = throttle_app.test_client()
        for guess in range(5):
            attempt(attacker, f"g{guess}", f"198.51.100.{number + 1}")
    assert attempt(browser, PASSWORD, "192.0.2.9")[0] == 429  # unknown to EMAIL: capped
    with throttle_app.app_context():  # OTHER's password changes: the cookie is void for it too
        user = db.session.scalar(select(User).where(User.email == OTHER))
        assert user is not None
        user.password_hash = "scrypt:changed"
        db.session.commit()
    for number in range(5):
        attacker = throttle_app.test_client()
        for guess in range(5):
            attempt(attacker, f"g{guess}", f"198.51.101.{number + 1}", email=OTHER)
    assert attempt(browser, "anything", "192.0.2.9", email=OTHER)[0] == 429


def test_the_limits_are_settings(throttle_app: Flask) -> None:
    throttle_app.config.update(LOGIN_MAX_FAILURES_PER_ACCOUNT="many")
    response = throttle_app.test_client()
    with pytest.raises(ValueError, match="LOGIN_MAX_FAILURES_PER_ACCOUNT"):
        attempt(response, PASSWORD, "192.0.2.3")
