"""The dashboard cache: reused while the data are unchanged, recomputed when they change, and
computed by one request at a time across app servers (threads standing in for them here)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from survey_app.config import setting
from survey_app.extensions import db
from survey_app.models import DashboardSnapshot, Intervention, Member, Study, Wave, utcnow
from survey_app.services import dashboard as service
from survey_app.services import dashboard_content
from tests.survey_app.conftest import make_test_app
from tests.survey_app.dashboard_support import (
    DashboardStudy,
    build_dashboard_study,
    submit_pending,
)
from tests.survey_app.staff_support import add_user, sign_in, text_of

EVALUATOR = "evaluator@example.org"
SETTINGS = service.DashboardSettings(figures=False, wait_seconds=0)


@pytest.fixture
def dash_app(migrated_database_url: str, tmp_path: Path) -> Iterator[Flask]:
    """The app without report figures (faster) and without waiting for other computations."""
    app = make_test_app(
        migrated_database_url, tmp_path, DASHBOARD_FIGURES=False, DASHBOARD_WAIT_SECONDS=0
    )
    yield app
    db.dispose(app)


@pytest.fixture
def study(dash_app: Flask) -> DashboardStudy:
    with dash_app.app_context():
        setup = build_dashboard_study(db.session)
        add_user(db.session, EVALUATOR, "evaluator", study=db.session.get(Study, setup.study_id))
        db.session.commit()
    return setup


@dataclass
class Gate:
    """Counts computations; while ``hold`` is set, each one waits for ``release``."""

    calls: list[int] = field(default_factory=list)
    hold: bool = False
    started: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)


@pytest.fixture
def gate(monkeypatch: pytest.MonkeyPatch) -> Gate:
    state = Gate()
    real = dashboard_content.analyse_for_dashboard

    def analyse(bundle: Any) -> Any:
        state.calls.append(len(state.calls) + 1)
        if state.hold:
            state.started.set()
            if not state.release.wait(60):
                raise RuntimeError("the test never released the computation")
        return real(bundle)

    monkeypatch.setattr(dashboard_content, "analyse_for_dashboard", analyse)
    return state


def _snapshot(app: Flask, study_id: int, **changes: Any) -> service.Snapshot | None:
    with app.app_context():
        study = db.session.get(Study, study_id)
        assert study is not None
        settings = service.DashboardSettings(**{**SETTINGS.__dict__, **changes})
        return service.evaluator_snapshot(db.session, study, settings=settings)


def _in_thread(work: Callable[[], Any]) -> tuple[threading.Thread, list[Any]]:
    out: list[Any] = []
    thread = threading.Thread(target=lambda: out.append(work()), daemon=True)
    thread.start()
    return thread, out


def _rows(app: Flask) -> int:
    with app.app_context():
        return int(db.session.scalar(select(func.count(DashboardSnapshot.id))) or 0)


def _close_open_wave(app: Flask, study: DashboardStudy) -> None:
    with app.app_context():
        wave = db.session.get(Wave, study.open_wave_id)
        assert wave is not None
        wave.closed_early_at = utcnow() - timedelta(seconds=1)
        db.session.commit()


@pytest.mark.slow
def test_the_snapshot_is_reused_until_a_wave_closes(
    dash_app: Flask, study: DashboardStudy, gate: Gate
) -> None:
    client = dash_app.test_client()
    sign_in(client, EVALUATOR)
    path = f"/dashboard/study/{study.study_id}"
    first = text_of(client.get(path))
    assert "Computed just now" in first and len(gate.calls) == 1
    second = text_of(client.get(path))
    assert "Computed just now" not in second and "Computed " in second
    assert len(gate.calls) == 1  # the second request did not recompute
    assert _rows(dash_app) == 1

    with dash_app.app_context():
        submit_pending(db.session, study.pending[("Five", "f2")])
    open_wave = text_of(client.get(path))  # a response to the open wave changes nothing ...
    assert len(gate.calls) == 1 and '<th scope="col">wave 3</th>' not in open_wave
    assert "Wave 3 is still open and not counted here" in open_wave
    _close_open_wave(dash_app, study)  # ... until the wave closes
    third = text_of(client.get(path))
    assert "Computed just now" in third and len(gate.calls) == 2
    assert "2/5 (40%)" in third  # Five's wave 3, closed with two responses
    assert "still open" not in third
    client.get(path)
    assert len(gate.calls) == 2


@pytest.mark.slow
@pytest.mark.parametrize("change", ["profession", "intervention"])
def test_other_data_changes_invalidate_the_snapshot(
    dash_app: Flask, study: DashboardStudy, gate: Gate, change: str
) -> None:
    assert _snapshot(dash_app, study.study_id) is not None
    with dash_app.app_context():
        if change == "profession":
            member = db.session.get(Member, study.member_ids["f5"])
            assert member is not None
            member.profession = "pharmacist"
        else:
            intervention = db.session.scalars(select(Intervention)).one()
            intervention.description = "Three half days"
        db.session.commit()
    again = _snapshot(dash_app, study.study_id)
    assert again is not None and again.computed_now
    assert len(gate.calls) == 2


@pytest.mark.slow
def test_one_computation_at_a_time_and_the_old_snapshot_meanwhile(
    dash_app: Flask, study: DashboardStudy, gate: Gate
) -> None:
    client = dash_app.test_client()
    sign_in(client, EVALUATOR)
    path = f"/dashboard/study/{study.study_id}"

    gate.hold = True  # server A starts the first computation and is still at it ...
    thread, out = _in_thread(lambda: _snapshot(dash_app, study.study_id))
    assert gate.started.wait(60)
    assert _snapshot(dash_app, study.study_id) is None  # ... so B does not compute too
    waiting = client.get(path)
    retry = setting(dash_app.config, "DASHBOARD_RETRY_AFTER_SECONDS")
    assert waiting.status_code == 503 and waiting.headers["Retry-After"] == str(retry)
    assert "The results are being prepared" in text_of(waiting)
    gate.release.set()
    thread.join(60)
    assert out and out[0] is not None and out[0].computed_now
    assert len(gate.calls) == 1
    later = _snapshot(dash_app, study.study_id)
    assert later is not None and later.fresh and not later.computed_now

    with dash_app.app_context():  # new data: A recomputes, B meanwhile shows the old snapshot
        submit_pending(db.session, study.pending[("Trio", "t1")])
    _close_open_wave(dash_app, study)
    gate.started.clear()
    gate.release.clear()
    thread, out = _in_thread(lambda: _snapshot(dash_app, study.study_id))
    assert gate.started.wait(60)
    stale = client.get(path)
    assert stale.status_code == 200
    assert "these results are being updated" in text_of(stale)
    assert '<th scope="col">wave 3</th>' not in text_of(stale)  # from before wave 3 closed
    gate.release.set()
    thread.join(60)
    assert len(gate.calls) == 2
    fresh = text_of(client.get(path))
    assert "being updated" not in fresh and "1/3 (33%)" in fresh
    assert '<th scope="col">wave 3</th>' in fresh
    assert len(gate.calls) == 2


@pytest.mark.slow
def test_a_computation_abandoned_by_a_dead_server_is_taken_over(
    dash_app: Flask, study: DashboardStudy, gate: Gate
) -> None:
    with dash_app.app_context():
        db.session.add(
            DashboardSnapshot(
                study_id=study.study_id,
                audience="evaluator",
                claim="dead-server",
                claimed_at=utcnow() - timedelta(minutes=11),
            )
        )
        db.session.commit()
    assert _snapshot(dash_app, study.study_id, lease_seconds=3600) is None  # still leased
    taken = _snapshot(dash_app, study.study_id, lease_seconds=600)
    assert taken is not None and taken.computed_now
    with dash_app.app_context():
        row = db.session.scalars(select(DashboardSnapshot)).one()
        assert row.claim is None and row.fingerprint is not None
    assert len(gate.calls) == 1


def test_a_failed_computation_releases_its_claim(
    dash_app: Flask, study: DashboardStudy, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(bundle: Any) -> Any:
        raise RuntimeError("a bug")

    monkeypatch.setattr(dashboard_content, "analyse_for_dashboard", broken)
    with pytest.raises(RuntimeError, match="a bug"):
        _snapshot(dash_app, study.study_id)
    with dash_app.app_context():
        row = db.session.scalars(select(DashboardSnapshot)).one()
        assert row.claim is None and row.computed_at is None


@pytest.mark.slow
def test_a_stale_manager_snapshot_is_not_shown_under_a_stricter_minimum(
    dash_app: Flask, study: DashboardStudy, gate: Gate
) -> None:
    def manager(min_cell: int) -> service.Snapshot | None:
        with dash_app.app_context():
            row = db.session.get(Study, study.study_id)
            assert row is not None
            settings = service.DashboardSettings(figures=False, wait_seconds=0, min_cell=min_cell)
            return service.manager_snapshot(db.session, row, settings=settings)

    assert manager(5) is not None
    with dash_app.app_context():  # another server is recomputing it
        row = db.session.scalars(select(DashboardSnapshot)).one()
        row.claim, row.claimed_at = "busy", utcnow()
        db.session.commit()
    looser = manager(3)
    assert looser is not None and not looser.fresh  # stricter than asked: may be shown
    assert manager(6) is None  # looser than asked: never shown
    assert len(gate.calls) == 1
