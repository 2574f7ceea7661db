"""Dashboards computed in the background: no page waits for the analysis. The first look after
a wave closed gets "being prepared" (which reloads itself) while a thread computes; later looks
get the stored result; a data change shows the previous result while the new one is made; the
admin page's Close prepares both audiences' dashboards. A team member's results page (their
survey link) is served the same way as the managers' pages."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from survey_app.extensions import db
from survey_app.models import DashboardSnapshot, Invitation, Study, Wave, utcnow
from survey_app.services import dashboard as service
from survey_app.services import dashboard_content
from survey_app.tokens import hash_token
from tests.survey_app.conftest import make_test_app
from tests.survey_app.dashboard_support import DashboardStudy, build_dashboard_study
from tests.survey_app.staff_support import add_user, csrf_token, sign_in, text_of
from tests.survey_app.survey_fixtures import token

EVALUATOR = "evaluator@example.org"
ADMIN = "admin@example.org"


@pytest.fixture
def bg_app(migrated_database_url: str, tmp_path: Path) -> Iterator[Flask]:
    app = make_test_app(
        migrated_database_url,
        tmp_path,
        DASHBOARD_FIGURES=False,
        DASHBOARD_BACKGROUND=True,
        DASHBOARD_RETRY_AFTER_SECONDS=3,
    )
    yield app
    # Let the computations this test started finish before the engine goes: a thread still
    # holding a connection would leave it to the garbage collector, in some later test.
    for thread in threading.enumerate():
        if thread.name == "copkit-background":
            thread.join(120)
    db.dispose(app)


@pytest.fixture
def study(bg_app: Flask) -> DashboardStudy:
    with bg_app.app_context():
        setup = build_dashboard_study(db.session)
        found = db.session.get(Study, setup.study_id)
        add_user(db.session, EVALUATOR, "evaluator", study=found)
        add_user(db.session, ADMIN, "admin")
        db.session.commit()
    return setup


@dataclass
class Gate:
    """Records which thread ran each analysis; holds each one until ``release`` is set."""

    threads: list[str] = field(default_factory=list)
    started: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)


@pytest.fixture
def gate(monkeypatch: pytest.MonkeyPatch) -> Gate:
    state = Gate()
    real = dashboard_content.analyse_for_dashboard

    def analyse(bundle: Any) -> Any:
        state.threads.append(threading.current_thread().name)
        state.started.set()
        if not state.release.wait(60):
            raise RuntimeError("the test never released the computation")
        return real(bundle)

    monkeypatch.setattr(dashboard_content, "analyse_for_dashboard", analyse)
    return state


def _until(check: Any, seconds: float = 300.0) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError("not done in time")


def _timed_get(client: FlaskClient, path: str) -> tuple[Any, float]:
    started = time.perf_counter()
    response = client.get(path)
    return response, time.perf_counter() - started


@pytest.mark.slow
def test_the_first_look_is_told_to_come_back_and_the_result_is_then_stored(
    bg_app: Flask, study: DashboardStudy, gate: Gate
) -> None:
    client = bg_app.test_client()
    sign_in(client, EVALUATOR)
    path = f"/dashboard/study/{study.study_id}"
    first, _ = _timed_get(client, path)
    assert first.status_code == 503 and first.headers["Retry-After"] == "3"
    page = first.get_data(as_text=True)
    assert "being prepared" in page and '<meta http-equiv="refresh" content="3">' in page
    assert gate.started.wait(30)  # the analysis runs, but not in the request's thread
    again, seconds = _timed_get(client, path)  # while it runs, nobody waits
    assert again.status_code == 503 and seconds < 5
    gate.release.set()
    shown = _until(lambda: (r := client.get(path)).status_code == 200 and text_of(r))
    assert "Computed " in shown and "being prepared" not in shown
    assert len(gate.threads) == 1 and gate.threads[0] == "copkit-background"


@pytest.mark.slow
def test_newer_data_show_the_previous_result_while_the_new_one_is_made(
    bg_app: Flask, study: DashboardStudy, gate: Gate
) -> None:
    gate.release.set()
    client = bg_app.test_client()
    sign_in(client, EVALUATOR)
    path = f"/dashboard/study/{study.study_id}"
    _until(lambda: client.get(path).status_code == 200)
    gate.release.clear()
    with bg_app.app_context():
        wave = db.session.get(Wave, study.open_wave_id)
        assert wave is not None
        wave.closed_early_at = utcnow() - timedelta(seconds=1)  # its closing date passed
        db.session.commit()
    stale = client.get(path)
    assert stale.status_code == 200 and "being updated" in text_of(stale)
    assert _until(lambda: len(gate.threads) == 2)
    gate.release.set()
    fresh = _until(lambda: "being updated" not in (t := text_of(client.get(path))) and t)
    assert "still open" not in fresh  # wave 3 now counts


@pytest.mark.slow
def test_closing_a_wave_on_the_admin_page_prepares_both_dashboards(
    bg_app: Flask, study: DashboardStudy, gate: Gate
) -> None:
    gate.release.set()
    client = bg_app.test_client()
    sign_in(client, ADMIN)
    wave_page = f"/admin/studies/{study.study_id}/waves/{study.open_wave_id}"
    token = csrf_token(client, wave_page)
    closed = client.post(f"{wave_page}/close", data={"csrf_token": token, "confirm": "yes"})
    assert closed.status_code in (302, 303)
    settings = service.settings_from_config(bg_app.config)

    def stored() -> bool:
        with bg_app.app_context():
            rows = db.session.scalars(
                select(DashboardSnapshot).where(DashboardSnapshot.study_id == study.study_id)
            ).all()
            return len(rows) == 2 and all(r.computed_at and r.claim is None for r in rows)

    assert _until(stored)
    with bg_app.app_context():
        found = db.session.get(Study, study.study_id)
        assert found is not None
        for look in (service.evaluator_snapshot, service.manager_snapshot):
            snapshot = look(db.session, found, settings=settings)
            assert snapshot is not None and snapshot.fresh and not snapshot.computed_now
    assert gate.threads and set(gate.threads) == {"copkit-background"}


def _member_link(app: Flask, study: DashboardStudy) -> str:
    """A team member's survey link of closed wave 1, whose results page is ``<link>/results``."""
    link = token("results-in-background")
    with app.app_context():
        invitation = db.session.scalars(
            select(Invitation)
            .join(Wave, Wave.id == Invitation.wave_id)
            .where(Wave.study_id == study.study_id, Wave.number == 1)
            .order_by(Invitation.id)
        ).first()
        assert invitation is not None
        invitation.token_hash = hash_token(link)
        db.session.commit()
    return f"/s/{link}/results"


@pytest.mark.slow
def test_a_team_members_results_page_never_waits_for_the_analysis(
    bg_app: Flask, study: DashboardStudy, gate: Gate
) -> None:
    client = bg_app.test_client()
    path = _member_link(bg_app, study)
    first, seconds = _timed_get(client, path)
    assert first.status_code == 503 and first.headers["Retry-After"] == "3" and seconds < 5
    page = first.get_data(as_text=True)
    assert "being prepared" in page and '<meta http-equiv="refresh" content="3">' in page
    assert gate.started.wait(30)  # the release is made, but not in the request's thread
    again, seconds = _timed_get(client, path)
    assert again.status_code == 503 and seconds < 5
    gate.release.set()
    shown = _until(lambda: (r := client.get(path)).status_code == 200 and text_of(r))
    assert "is doing" in shown and "being prepared" not in shown
    assert gate.threads == ["copkit-background"]
