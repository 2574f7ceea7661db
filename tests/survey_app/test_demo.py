"""``copkit demo``: the simulated study as real rows, every output file, working links, re-runs."""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pandas as pd
import pytest
import yaml
from click.testing import CliRunner, Result
from sqlalchemy import func, select

from survey_app.cli import main
from survey_app.extensions import db
from survey_app.factory import create_app
from survey_app.models import Invitation, Member, Response, Study, User, Wave
from survey_app.services.demo import DEMO_INFORMATION, DEMO_STUDY


def demo(
    config: dict[str, Any], out: Path, *args: str, password: str | None = "demo-password-1"
) -> Result:
    env = {"COPKIT_DEMO_PASSWORD": password} if password else {}
    return CliRunner().invoke(
        main,
        ["demo", "--no-serve", "--teams", "4", "--out", str(out), *args],
        obj=config,
        env=env,
        catch_exceptions=False,
    )


def config_for(url: str, tmp_path: Path) -> dict[str, Any]:
    return {
        "DATABASE_URL": url,
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "SECRET_KEY": "demo-test-secret",
        "TESTING": True,
    }


@pytest.mark.slow
def test_demo_loads_real_rows_writes_every_output_and_links_open(
    database_url: str, tmp_path: Path
) -> None:
    config = config_for(database_url, tmp_path)
    out = tmp_path / "demo-output"
    result = demo(config, out)
    assert result.exit_code == 0, result.output
    assert "copkit demo: 4 teams, 6 waves (wave 6 open)" in result.output
    assert "admin@example.org" in result.output
    for name in (
        "report.html",
        "invitations.csv",
        "bundle/responses.csv",
        "bundle/instrument.yaml",
        "results/formation.csv",
        "results/results.json",
    ):
        assert (out / name).is_file(), name
    report = (out / "report.html").read_text(encoding="utf-8")
    for section in (
        "summary",
        "study",
        "measurement",
        "trajectories",
        "agreement",
        "identity",
        "networks",
        "formation",
        "interventions",
        "methods",
        "limitations",
    ):
        assert f'id="{section}"' in report, section
    # titled with the study, as `copkit report STUDY` titles it (issue 14)
    assert f"<title>{DEMO_STUDY}: evaluation report" in report
    assert len(json.loads((out / "results/results.json").read_text())["verdicts"]) == 4
    # the demo's waves use cop-health version 2: roles on the roster, and every proposition
    # tested, interconnection (5) and brokers (7) included
    assert yaml.safe_load((out / "bundle/instrument.yaml").read_text())["version"] == 2
    assert {"KTA", "clinical lead"} <= set(pd.read_csv(out / "bundle/roster.csv")["role"].dropna())
    propositions = pd.read_csv(out / "results/propositions.csv").set_index("proposition")
    assert list(propositions.index) == [1, 2, 3, 4, 5, 6, 7]
    assert propositions.loc[[5, 7], "verdict"].ne("not_measured").all()
    assert propositions.loc[[5, 7], "estimate"].notna().all()
    assert 'id="propositions"' in report
    with (out / "invitations.csv").open(encoding="utf-8") as handle:
        links = list(csv.DictReader(handle))
    assert links and set(links[0]) == {"member", "team", "wave", "url"}
    assert {row["wave"] for row in links} == {"6"}
    assert all(row["url"].startswith("http://127.0.0.1:5000/s/") for row in links)

    app = create_app(config)
    with app.app_context():
        session = db.session
        study = session.scalar(select(Study).where(Study.name == DEMO_STUDY))
        assert study is not None
        waves = session.scalars(
            select(Wave).where(Wave.study_id == study.id).order_by(Wave.number)
        ).all()
        assert [w.status(w.opens) for w in waves[-1:]] == ["open"]
        assert all(w.closes < waves[-1].opens for w in waves[:-1])
        assert session.scalar(select(func.count()).select_from(Response)) > 100
        assert session.scalar(select(func.count()).select_from(User)) == 3
    client = app.test_client()
    for row in links:
        page = client.get(urlparse(row["url"]).path, follow_redirects=True)
        assert page.status_code == 200, row
        assert row["team"].encode() in page.data
    # the consent page says who is asking, with a contact that is not copkit's default
    consent = client.get(urlparse(links[0]["url"]).path + "/consent").text
    assert DEMO_INFORMATION["respondent_title"] in consent
    assert f"mailto:{DEMO_INFORMATION['contact_email']}" in consent
    for detail in ("sponsor", "chief_investigator", "ethics_reference", "privacy_notice_url"):
        assert DEMO_INFORMATION[detail].replace("&", "&amp;") in consent, detail
    assert "copkit@localhost" not in consent
    # copkit export-links on the open wave: every link it writes opens its survey (issue 16)
    exported = _export_links(config, tmp_path / "links.csv")
    with app.app_context():
        invited = db.session.scalar(
            select(func.count(Invitation.id)).where(Invitation.wave_id == waves[-1].id)
        )
    assert len(exported) == invited  # everyone invited to the open wave
    opened: Counter[str] = Counter()
    for row in exported:
        page = client.get(urlparse(row["link"]).path, follow_redirects=True)
        assert page.status_code == 200, row
        assert row["wave"] == "6"
        if "Before you start" in page.text:  # not answered yet: the survey, about their team
            assert row["team"] in page.text
            opened["consent"] += 1
        else:
            assert "You have already sent your answers" in page.text, row
            opened["already sent"] += 1
    assert opened["consent"] and opened["already sent"]  # both kinds of link were tried
    db.dispose(app)


def _export_links(config: dict[str, Any], out: Path) -> list[dict[str, str]]:
    """Run ``copkit export-links`` for the demo's open wave; the CSV's rows."""
    args = ["export-links", "--study", DEMO_STUDY, "--wave", "6", "--out", str(out)]
    result = CliRunner().invoke(main, args, obj=config, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    with out.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert rows and list(rows[0]) == ["name", "email", "team", "wave", "link"]
    return rows


@pytest.mark.slow
def test_demo_rerun_reuses_and_reset_starts_over(tmp_path: Path) -> None:
    config = config_for(f"sqlite:///{tmp_path / 'demo.sqlite3'}", tmp_path)
    first = demo(config, tmp_path / "one")
    assert first.exit_code == 0, first.output

    def counts() -> tuple[int, int, int]:
        app = create_app(config)
        with app.app_context():
            session = db.session
            found = (
                session.scalar(select(func.count()).select_from(Study)) or 0,
                session.scalar(select(func.count()).select_from(Member)) or 0,
                session.scalar(select(func.count()).select_from(Response)) or 0,
            )
        db.dispose(app)
        return found

    before = counts()
    again = demo(config, tmp_path / "two", password=None)
    assert again.exit_code == 0, again.output
    assert "reusing the demo study" in again.output
    assert counts() == before
    assert (tmp_path / "two" / "invitations.csv").read_text() == (
        tmp_path / "one" / "invitations.csv"
    ).read_text()
    reset = demo(config, tmp_path / "three", "--reset", password=None)
    assert reset.exit_code == 0, reset.output
    assert "password:" in reset.output
    assert counts()[0] == 1


@pytest.mark.parametrize("bad", [["--teams", "1"], ["--port", "0"]])
def test_demo_refuses_bad_options(bad: list[str], tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["demo", "--no-serve", *bad], obj=config_for("sqlite://", tmp_path)
    )
    assert result.exit_code == 2


@pytest.mark.slow
def test_demo_links_point_at_the_port_it_serves_on(tmp_path: Path) -> None:
    config = config_for(f"sqlite:///{tmp_path / 'demo.sqlite3'}", tmp_path)
    out = tmp_path / "out"
    result = demo(config, out, "--port", "5123")
    assert result.exit_code == 0, result.output
    with (out / "invitations.csv").open(encoding="utf-8") as handle:
        urls = [row["url"] for row in csv.DictReader(handle)]
    assert urls and all(url.startswith("http://127.0.0.1:5123/s/") for url in urls)
    assert "http://127.0.0.1:5123/s/" in result.output
