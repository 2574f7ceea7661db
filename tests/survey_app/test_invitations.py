"""Invitations and reminders against a real local SMTP server (aiosmtpd): exactly once, never to
those who submitted or after closing, failures recorded and retried without blocking the rest."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from click.testing import Result
from flask import Flask
from sqlalchemy import select, update

from survey_app import migrate
from survey_app.extensions import db
from survey_app.localtime import format_moment
from survey_app.models import AuditEvent, Invitation, Member, Membership, Study, Wave, utcnow
from survey_app.services import invitations
from survey_app.services.audit import Actor
from survey_app.services.mailer import SmtpMailer, SmtpSettings
from survey_app.tokens import hash_token
from tests.survey_app.smtp_support import (
    BASE_URL,
    MAIL_CONFIG,
    Smtp,
    body,
    free_port,
    link_token,
    run_cli,
)
from tests.survey_app.staff_support import add_user, build_study, post, sign_in, text_of


@pytest.fixture
def mail_app(app: Flask, smtp: Smtp) -> Flask:
    """The app pointing at the test SMTP server, with a study whose wave 1 is open."""
    app.config.update(MAIL_CONFIG, SMTP_PORT=smtp.port)
    with app.app_context():
        build_study(db.session, "CLAHRC")
        db.session.commit()
    return app


def _invite(app: Flask, **extra: Any) -> Result:
    return run_cli(app, ["send-invitations", "--study", "CLAHRC", "--wave", "1"], **extra)


def _remind(app: Flask, **extra: Any) -> Result:
    return run_cli(app, ["send-reminders", "--study", "CLAHRC", "--wave", "1"], **extra)


def _invitations(app: Flask) -> dict[tuple[str, str], Invitation]:
    """Every invitation by (email, team name)."""
    with app.app_context():
        rows = db.session.execute(
            select(Invitation, Member.email, Membership)
            .join(Membership, Invitation.membership_id == Membership.id)
            .join(Member)
        ).all()
        found = {
            (email, membership.team.name): invitation for invitation, email, membership in rows
        }
        db.session.expunge_all()
        return found


def _set_wave(app: Flask, **values: Any) -> None:
    with app.app_context():
        db.session.execute(update(Wave).values(**values))
        db.session.commit()


def _submit(app: Flask, email: str, team: str) -> None:
    invitation = _invitations(app)[(email, team)]
    with app.app_context():
        db.session.execute(
            update(Invitation)
            .where(Invitation.id == invitation.id)
            .values(started_at=utcnow(), submitted_at=utcnow())
        )
        db.session.commit()


EVERYONE = ["ann@example.org", "ann@example.org", "bob@example.org", "cat@example.org"]


def test_send_invitations_mails_each_current_membership_once(mail_app: Flask, smtp: Smtp) -> None:
    first = _invite(mail_app)
    assert first.exit_code == 0, first.output
    assert "Wave 1 of CLAHRC: 4 invitations sent (4 new invitations created)." in first.stdout
    assert smtp.collector.recipients() == EVERYONE
    again = _invite(mail_app)
    assert again.exit_code == 0
    assert "0 invitations sent (nobody is due an invitation)" in again.stdout
    assert len(smtp.collector.messages) == 4
    sent = _invitations(mail_app)
    assert len(sent) == 4 and all(
        i.sent_at is not None and i.send_error is None for i in sent.values()
    )
    with mail_app.app_context():
        event = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "invitations.send")
        ).one()
        assert event.actor == "cli" and event.object_type == "wave"
        assert event.detail == {"wave": 1, "created": 4, "sent": 4, "failed": []}


def test_the_message_has_the_link_the_team_and_the_closing_date(
    mail_app: Flask, smtp: Smtp
) -> None:
    _set_wave(
        mail_app,
        closes=utcnow().replace(month=12, day=1, hour=17, minute=0, second=0, microsecond=0)
        + timedelta(days=400),
    )
    _invite(mail_app)
    with mail_app.app_context():
        closes = db.session.scalars(select(Wave)).one().closes
    closing = format_moment(closes, ZoneInfo("Europe/London"))
    sent = _invitations(mail_app)
    by_team: dict[str, str] = {}
    for message in smtp.collector.messages:
        assert message["From"] == "survey@example.org"
        assert message.get_content_type() == "multipart/alternative"
        text, html = body(message, "plain"), body(message, "html")
        token = link_token(text)
        assert f'href="{BASE_URL}/s/{token}"' in html
        assert closing in text and closing in html
        to = str(message["To"].addresses[0].addr_spec)
        team = next(
            t for (e, t), inv in sent.items() if e == to and inv.token_hash == hash_token(token)
        )
        assert team in message["Subject"] and team in text and team in html
        by_team[f"{to}/{team}"] = token
    assert sorted(by_team) == [
        "ann@example.org/Community",
        "ann@example.org/Ward 7",
        "bob@example.org/Ward 7",
        "cat@example.org/Renal",
    ]
    assert len(set(by_team.values())) == 4  # a link per membership
    survey = mail_app.test_client().get(f"/s/{by_team['cat@example.org/Renal']}")
    assert survey.status_code in (200, 302, 303)  # the survey side finds the invitation by its hash
    assert mail_app.test_client().get(f"/s/{'x' * 43}").status_code == 404


def test_people_who_join_later_are_invited_next_time_and_leavers_are_not(
    mail_app: Flask, smtp: Smtp
) -> None:
    _invite(mail_app)
    with mail_app.app_context():
        study = db.session.scalars(select(Study)).one()
        ward = next(
            m.team for m in db.session.scalars(select(Membership)) if m.team.name == "Ward 7"
        )
        newcomer = Member(
            study=study,
            name="Dee Fox",
            email="dee@example.org",
            profession="GP",
            organisation="P",
            organisation_type="general practice",
        )
        leaver = Member(
            study=study,
            name="Eli Moss",
            email="eli@example.org",
            profession="GP",
            organisation="P",
            organisation_type="general practice",
        )
        today = utcnow().date()
        db.session.add_all(
            [
                Membership(member=newcomer, team=ward, joined_on=today),
                Membership(
                    member=leaver,
                    team=ward,
                    joined_on=today - timedelta(days=30),
                    left_on=today - timedelta(days=1),
                ),
            ]
        )
        db.session.commit()
    result = _invite(mail_app)
    assert "1 invitations sent (1 new invitations created)" in result.stdout
    assert smtp.collector.recipients() == sorted([*EVERYONE, "dee@example.org"])


@pytest.mark.parametrize("when", ["scheduled", "closed", "closed early"])
def test_nothing_is_sent_unless_the_wave_is_open(mail_app: Flask, smtp: Smtp, when: str) -> None:
    now = utcnow()
    if when == "scheduled":
        _set_wave(mail_app, opens=now + timedelta(days=1), closes=now + timedelta(days=8))
    elif when == "closed":
        _set_wave(mail_app, opens=now - timedelta(days=8), closes=now - timedelta(days=1))
    else:
        _set_wave(mail_app, closed_early_at=now - timedelta(minutes=1))
    result = _invite(mail_app)
    assert result.exit_code == 0
    assert (
        "no invitations sent: the wave " + ("opens" if when == "scheduled" else "closed")
        in result.stdout
    )
    assert _remind(mail_app).exit_code == 0
    assert smtp.collector.messages == []
    assert _invitations(mail_app) == {}


def test_reminders_go_to_those_who_have_not_submitted_at_most_the_limit(
    mail_app: Flask, smtp: Smtp
) -> None:
    assert "0 reminders sent" in _remind(mail_app).stdout  # nobody invited yet
    _invite(mail_app)
    invitation_links = {link_token(body(m, "plain")) for m in smtp.collector.messages}
    assert len(invitation_links) == 4
    smtp.collector.messages.clear()
    _submit(mail_app, "bob@example.org", "Ward 7")
    first = _remind(mail_app)
    assert "3 reminders sent" in first.stdout
    assert smtp.collector.recipients() == ["ann@example.org", "ann@example.org", "cat@example.org"]
    for message in smtp.collector.messages:
        # a long subject is folded after "Subject:"; the parser keeps the fold's space
        assert message["Subject"].lstrip().startswith("Reminder:")
        assert link_token(body(message, "plain")) in invitation_links  # the invitation's link
    _submit(mail_app, "cat@example.org", "Renal")
    assert "2 reminders sent" in _remind(mail_app).stdout  # Ann twice (two teams); not Cat now
    assert "0 reminders sent" in _remind(mail_app).stdout  # the limit (2) is reached
    assert len(smtp.collector.messages) == 5
    counts = {key: inv.reminded_count for key, inv in _invitations(mail_app).items()}
    assert counts == {
        ("ann@example.org", "Ward 7"): 2,
        ("ann@example.org", "Community"): 2,
        ("bob@example.org", "Ward 7"): 0,
        ("cat@example.org", "Renal"): 1,
    }


def test_reminders_wait_for_the_interval_and_stop_when_the_wave_closes(
    mail_app: Flask, smtp: Smtp
) -> None:
    _invite(mail_app)
    smtp.collector.messages.clear()
    assert "0 reminders sent" in _remind(mail_app, REMINDER_INTERVAL_HOURS=24).stdout
    assert _remind(mail_app, REMINDER_LIMIT=0).stdout.endswith(
        "reminders are switched off (REMINDER_LIMIT is 0).\n"
    )
    _set_wave(mail_app, closed_early_at=utcnow())
    result = _remind(mail_app)
    assert "no reminders sent: the wave closed" in result.stdout
    assert smtp.collector.messages == []


def test_a_refused_recipient_is_recorded_and_retried_without_blocking_the_rest(
    mail_app: Flask, smtp: Smtp
) -> None:
    smtp.collector.refuse = {"bob@example.org"}
    result = _invite(mail_app)
    assert result.exit_code == 1
    assert "3 invitations sent" in result.stdout and "1 failed" in result.stdout
    assert (
        "not sent to bob@example.org: bob@example.org refused by the mail server: 550"
        in result.stderr
    )
    assert smtp.collector.recipients() == ["ann@example.org", "ann@example.org", "cat@example.org"]
    bob = _invitations(mail_app)[("bob@example.org", "Ward 7")]
    assert bob.sent_at is None and bob.send_claim is None
    assert bob.send_error is not None and "550 5.1.1 mailbox unavailable" in bob.send_error
    with mail_app.app_context():
        detail = db.session.scalars(
            select(AuditEvent.detail).where(AuditEvent.action == "invitations.send")
        ).one()
    assert (
        detail is not None and detail["sent"] == 3 and detail["failed"][0]["invitation"] == bob.id
    )

    smtp.collector.refuse.clear()
    retry = _invite(mail_app)
    assert retry.exit_code == 0
    assert "1 invitations sent" in retry.stdout
    assert smtp.collector.recipients() == EVERYONE
    bob = _invitations(mail_app)[("bob@example.org", "Ward 7")]
    assert bob.sent_at is not None and bob.send_error is None


def test_an_unreachable_server_fails_every_message_and_the_next_run_sends_them(
    mail_app: Flask, smtp: Smtp
) -> None:
    result = _invite(mail_app, SMTP_PORT=free_port())
    assert result.exit_code == 1
    assert "0 invitations sent" in result.stdout and "4 failed" in result.stdout
    assert result.stderr.count("could not connect to the mail server 127.0.0.1:") == 4
    assert all(i.sent_at is None and i.send_error for i in _invitations(mail_app).values())
    assert _invite(mail_app).exit_code == 0
    assert smtp.collector.recipients() == EVERYONE
    assert all(i.send_error is None for i in _invitations(mail_app).values())


def test_a_failed_reminder_is_retried_and_not_counted(mail_app: Flask, smtp: Smtp) -> None:
    _invite(mail_app)
    smtp.collector.refuse = {"cat@example.org"}
    assert _remind(mail_app).exit_code == 1
    cat = _invitations(mail_app)[("cat@example.org", "Renal")]
    assert cat.reminded_count == 0 and cat.send_error is not None
    smtp.collector.refuse.clear()
    smtp.collector.messages.clear()
    assert _remind(mail_app).exit_code == 0
    # Ann (two teams) and Bob get their second reminder, Cat her first
    assert smtp.collector.recipients() == EVERYONE
    assert _invitations(mail_app)[("cat@example.org", "Renal")].reminded_count == 1


def test_claimed_invitations_are_skipped_until_the_claim_expires(
    mail_app: Flask, smtp: Smtp
) -> None:
    """Two runs at once: what one has claimed, the other leaves alone (unless the claim is stale)."""
    with mail_app.app_context():
        wave = db.session.scalars(select(Wave)).one()
        invitations.ensure_invitations(db.session, wave, "test")
        db.session.execute(
            update(Invitation).values(send_claim="another run", send_claimed_at=utcnow())
        )
        db.session.commit()
    assert "0 invitations sent" in _invite(mail_app).stdout
    assert smtp.collector.messages == []
    with mail_app.app_context():
        stale = utcnow() - invitations.CLAIM_TIMEOUT - timedelta(seconds=1)
        db.session.execute(update(Invitation).values(send_claimed_at=stale))
        db.session.commit()
    assert "4 invitations sent" in _invite(mail_app).stdout


def test_sending_in_batches_reports_what_remains(mail_app: Flask, smtp: Smtp) -> None:
    settings = invitations.MailingSettings.from_config(mail_app.config)
    with mail_app.app_context(), SmtpMailer(SmtpSettings.from_config(mail_app.config)) as mailer:
        wave = db.session.scalars(select(Wave)).one()
        report = invitations.send_invitations(
            db.session, wave, mailer, settings, Actor.cli(), limit=3
        )
        assert (report.sent, report.remaining) == (3, 1)
        assert "1 more are due: send again to continue" in report.describe()
        wave = db.session.scalars(select(Wave)).one()
        report = invitations.send_invitations(
            db.session, wave, mailer, settings, Actor.cli(), limit=3
        )
        assert (report.sent, report.remaining) == (1, 0)
    assert len(smtp.collector.messages) == 4


def test_the_buttons_send_invitations_and_reminders(mail_app: Flask, smtp: Smtp) -> None:
    with mail_app.app_context():
        study = db.session.scalars(select(Study)).one()
        add_user(db.session, "eval@example.org", "evaluator", study=study)
        wave_url = f"/admin/studies/{study.id}/waves/{study.waves[0].id}"
        db.session.commit()
    client = mail_app.test_client()
    token = sign_in(client, "eval@example.org")
    page = text_of(client.get(wave_url))
    assert "4 invitations are waiting to be sent" in page
    response = post(client, f"{wave_url}/invitations", token, follow_redirects=True)
    assert "Wave 1 of CLAHRC: 4 invitations sent" in text_of(response)
    assert len(smtp.collector.messages) == 4
    _submit(mail_app, "ann@example.org", "Community")
    response = post(client, f"{wave_url}/reminders", token, follow_redirects=True)
    assert "3 reminders sent" in text_of(response)
    assert len(smtp.collector.messages) == 7
    with mail_app.app_context():
        actors = db.session.scalars(
            select(AuditEvent.actor).where(AuditEvent.action.like("%.send"))
        ).all()
    assert actors == ["eval@example.org", "eval@example.org"]


def test_mail_settings_are_checked(mail_app: Flask) -> None:
    result = _invite(mail_app, BASE_URL="survey.example.org")
    assert result.exit_code == 1
    assert "BASE_URL must start with http:// or https://" in result.output
    assert run_cli(mail_app, ["send-invitations", "--study", "Nope", "--wave", "1"]).exit_code == 1
    assert (
        "has no wave 9"
        in run_cli(mail_app, ["send-reminders", "--study", "CLAHRC", "--wave", "9"]).output
    )


def test_migration_0002_gives_existing_invitations_their_own_salt(empty_app: Flask) -> None:
    engine = db.engine_for(empty_app)
    migrate.upgrade(engine, "0001")
    with engine.begin() as connection:
        connection.exec_driver_sql(
            "INSERT INTO studies (id, name, secret, created_at) VALUES (1, 'S', 'x', CURRENT_TIMESTAMP)"
        )
        connection.exec_driver_sql("INSERT INTO themes (id, study_id, name) VALUES (1, 1, 'T')")
        connection.exec_driver_sql("INSERT INTO teams (id, theme_id, name) VALUES (1, 1, 'A')")
        connection.exec_driver_sql(
            "INSERT INTO members (id, study_id, name, email, profession, organisation, organisation_type) VALUES (1, 1, 'n', 'a@b.org', 'p', 'o', 't'), (2, 1, 'm', 'c@d.org', 'p', 'o', 't')"
        )
        connection.exec_driver_sql(
            "INSERT INTO memberships (id, member_id, team_id, joined_on) VALUES (1, 1, 1, '2024-01-01'), (2, 2, 1, '2024-01-01')"
        )
        connection.exec_driver_sql(
            "INSERT INTO waves (id, study_id, number, opens, closes, instrument_id, instrument_version) VALUES (1, 1, 1, '2024-01-01 00:00:00', '2024-02-01 00:00:00', 'cop-health', 1)"
        )
        connection.exec_driver_sql(
            "INSERT INTO invitations (id, membership_id, wave_id, token_hash, reminded_count, current_page) VALUES (1, 1, 1, 'h1', 0, 0), (2, 2, 1, 'h2', 0, 0)"
        )
    migrate.upgrade(engine)
    with engine.connect() as connection:
        salts = [
            row[0]
            for row in connection.exec_driver_sql("SELECT token_salt FROM invitations ORDER BY id")
        ]
    assert len(salts) == 2 and len(set(salts)) == 2
    assert all(re.fullmatch(r"[0-9a-f]{32}", salt) for salt in salts)
    migrate.downgrade(engine, "0001")
    migrate.upgrade(engine)


@pytest.mark.slow
def test_every_message_links_to_withdrawal_and_later_invitations_to_the_team_results(
    mail_app: Flask, smtp: Smtp
) -> None:
    """Issue 15: a withdrawal link in every e-mail; issue 16: the team's results in the next
    invitation once a wave has closed (unless the study does not share them)."""
    assert _invite(mail_app).exit_code == 0
    _set_wave(mail_app, opens=utcnow() - timedelta(days=5))
    assert _remind(mail_app).exit_code == 0
    assert len(smtp.collector.messages) == 8  # four invitations, four reminders
    for message in smtp.collector.messages:
        text, html = body(message, "plain"), body(message, "html")
        token = link_token(text)
        assert f"{BASE_URL}/s/{token}/withdraw" in text
        assert f'href="{BASE_URL}/s/{token}/withdraw"' in html
        assert "/results" not in text and "/results" not in html  # no wave has closed yet
    withdraw = mail_app.test_client().get(
        f"/s/{link_token(body(smtp.collector.messages[0], 'plain'))}/withdraw"
    )
    assert withdraw.status_code == 200 and "What withdrawing does" in text_of(withdraw)

    with mail_app.app_context():  # wave 1 closes, wave 2 opens
        study = db.session.scalars(select(Study)).one()
        db.session.execute(update(Wave).values(closes=utcnow() - timedelta(hours=1)))
        db.session.add(
            Wave(
                study=study,
                number=2,
                opens=utcnow() - timedelta(minutes=5),
                closes=utcnow() + timedelta(days=7),
                instrument_id="cop-health",
                instrument_version=1,
            )
        )
        db.session.commit()
    smtp.collector.messages.clear()
    second = run_cli(mail_app, ["send-invitations", "--study", "CLAHRC", "--wave", "2"])
    assert second.exit_code == 0, second.output
    assert len(smtp.collector.messages) == 4
    for message in smtp.collector.messages:
        text, html = body(message, "plain"), body(message, "html")
        token = link_token(text)
        assert f"{BASE_URL}/s/{token}/results" in text
        assert f'href="{BASE_URL}/s/{token}/results"' in html
    results = mail_app.test_client().get(
        f"/s/{link_token(body(smtp.collector.messages[0], 'plain'))}/results"
    )
    assert results.status_code == 200

    with mail_app.app_context():  # the study stops sharing results: the next e-mails say nothing
        study = db.session.scalars(select(Study)).one()
        study.share_results = False
        db.session.commit()
    smtp.collector.messages.clear()
    _set_wave(mail_app, opens=utcnow() - timedelta(days=5))
    assert run_cli(mail_app, ["send-reminders", "--study", "CLAHRC", "--wave", "2"]).exit_code == 0
    assert smtp.collector.messages
    for message in smtp.collector.messages:
        assert "/results" not in body(message, "plain")
        assert "/withdraw" in body(message, "plain")
