"""Passwords are judged by a strength estimator (zxcvbn, offline), not only by their length."""

from __future__ import annotations

import html

import pytest
from click.testing import CliRunner
from flask import Flask

from survey_app.cli import main
from survey_app.extensions import db
from tests.survey_app.staff_support import PASSWORD, add_user, post, sign_in, text_of

EMAIL = "ann.smith@example.org"
WEAK = {
    "aaaaaaaaaa": 'repeats like "aaa" are easy to guess',
    "1234567890": "this is a top-100 common password",
    EMAIL: "must not contain the account's e-mail address",
    "Ann.Smith-2024": "must not contain the account's e-mail address",
    "Password123!": "too easy to guess",
}


@pytest.fixture
def signed_in(app: Flask) -> tuple[Flask, object, str]:
    with app.app_context():
        add_user(db.session, EMAIL, "admin")
        db.session.commit()
    client = app.test_client()
    return app, client, sign_in(client, EMAIL)


@pytest.mark.parametrize("weak", sorted(WEAK))
def test_the_password_page_refuses_easy_passwords_with_the_reason(
    signed_in: tuple[Flask, object, str], weak: str
) -> None:
    _, client, token = signed_in
    response = post(
        client,  # type: ignore[arg-type]
        "/auth/password",
        token,
        {"current": PASSWORD, "new": weak, "confirmation": weak},
    )
    assert response.status_code == 200
    assert WEAK[weak] in html.unescape(text_of(response))


def test_a_few_unrelated_words_pass(signed_in: tuple[Flask, object, str]) -> None:
    _, client, token = signed_in
    new = "tangerine quarry whistle"
    response = post(
        client,  # type: ignore[arg-type]
        "/auth/password",
        token,
        {"current": PASSWORD, "new": new, "confirmation": new},
    )
    assert response.status_code == 302


@pytest.mark.parametrize("weak", ["aaaaaaaaaa", "1234567890", "new.person@example.org"])
def test_create_user_refuses_them_too(app: Flask, weak: str) -> None:
    config = {
        "DATABASE_URL": app.config["DATABASE_URL"],
        "INSTANCE_PATH": app.instance_path,
        "TESTING": True,
    }
    result = CliRunner().invoke(
        main,
        ["create-user", "new.person@example.org", "--role", "admin", "--password-stdin"],
        input=weak + "\n",
        obj=config,
    )
    assert result.exit_code == 1
    assert "password" in result.output and (
        "too easy to guess" in result.output or "e-mail address" in result.output
    )
