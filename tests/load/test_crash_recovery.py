"""SIGKILL of the whole server in the middle of a load: no acknowledged answer is lost.

Sixty respondents start a few at a time and walk the survey over HTTP. Once a quarter of them
have been shown the thank-you page, the gunicorn master and all its workers are killed at once
(SIGKILL to the process group), mid-request for many. The database is read as the crash left
it: every respondent thanked before the kill must have a submitted response holding exactly the
answers sent, and no submitted response may lack an answer (drafts may exist). Then the server
is restarted on the same database, the browsers whose requests failed carry on from their link
(as a person reloading would), and the same checks run on the final state, in which everyone
has submitted once.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import pytest
import requests

from tests.load.conftest import LoadDatabase
from tests.load.http_respondent import HttpRespondent
from tests.load.live_server import LiveServer
from tests.load.load_fixtures import PlannedAnswers, planned_answers
from tests.load.stored import StoredState, read_state

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]

RESPONDENTS = 60
STAGGER = 0.15
"""Seconds between respondents' starts, so that the kill finds them on different pages."""
KILL_AFTER = RESPONDENTS // 4
"""Thank-you pages shown before the server is killed."""
KILL_WAIT = 60.0
RESTART_WAIT = 60.0
ATTEMPTS = 4
TIME_LIMIT = 120.0


@dataclass
class Browser:
    """One respondent's browser through the crash."""

    index: int
    invitation: int
    answers: PlannedAnswers
    outcome: str = ""
    thanked_before_kill: bool = False
    failures: list[str] = field(default_factory=list)
    failed_before_kill: bool = False
    error: str = ""
    statuses: list[int] = field(default_factory=list)


@dataclass
class Run:
    """Shared state of the run: the kill and restart moments and the thank-you count."""

    killed: threading.Event = field(default_factory=threading.Event)
    back: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    thanked: int = 0
    thanked_signal: threading.Condition = field(init=False)

    def __post_init__(self) -> None:
        self.thanked_signal = threading.Condition(self.lock)

    def count_thanks(self) -> None:
        with self.thanked_signal:
            self.thanked += 1
            self.thanked_signal.notify_all()


def _respond(browser: Browser, base_url: str, link_token: str, run: Run) -> None:
    time.sleep(browser.index * STAGGER)
    client = HttpRespondent(base_url, link_token, browser.answers)
    try:
        for _ in range(ATTEMPTS):
            try:
                outcome = client.complete()
            except requests.RequestException as error:
                browser.failures.append(type(error).__name__)
                browser.failed_before_kill |= not run.killed.is_set()
                if not run.back.wait(RESTART_WAIT):
                    raise
                continue  # like a person reloading the link once the site is back
            if outcome == "thanks" and not run.killed.is_set():
                browser.thanked_before_kill = True
            browser.outcome = outcome
            if outcome == "thanks":
                run.count_thanks()
            return
        browser.error = f"no answer after {ATTEMPTS} attempts"
    except Exception as error:  # recorded and asserted on below, with the browser's identity
        browser.error = f"{type(error).__name__}: {error}"
    finally:
        browser.statuses = client.statuses
        client.close()


def _check_acknowledged(state: StoredState, browsers: list[Browser], *, before_kill: bool) -> None:
    submitted = state.submitted()
    for browser in browsers:
        thanked = browser.thanked_before_kill if before_kill else browser.outcome == "thanks"
        if thanked:
            stored = submitted.get(browser.invitation)
            assert stored is not None, f"respondent {browser.index}: thanked, nothing stored"
            assert stored.differences(browser.answers) == [], browser.index


def test_a_killed_server_loses_no_acknowledged_submission(
    load_database: LoadDatabase, live_server: LiveServer
) -> None:
    study = load_database.study
    browsers = [
        Browser(index, study.invitation_ids[index], planned_answers(index, study.teammates[index]))
        for index in range(RESPONDENTS)
    ]
    run = Run()
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=RESPONDENTS) as pool:
        for browser in browsers:
            pool.submit(_respond, browser, live_server.base_url, study.tokens[browser.index], run)
        with run.thanked_signal:
            run.thanked_signal.wait_for(lambda: run.thanked >= KILL_AFTER, KILL_WAIT)
        run.killed.set()
        live_server.kill()
        killed_at = time.monotonic() - started
        at_crash = read_state(load_database.url, study.wave_id)
        live_server.start()
        run.back.set()
    elapsed = time.monotonic() - started
    live_server.stop()
    final = read_state(load_database.url, study.wave_id)

    thanked_before = [b for b in browsers if b.thanked_before_kill]
    submitted_at_crash = at_crash.submitted()
    drafts_at_crash = sum(
        1 for rows in at_crash.responses.values() for row in rows if row.submitted_at is None
    )
    interrupted = [b for b in browsers if b.failures]
    outcomes = Counter(b.outcome or "error" for b in browsers)
    statuses = Counter(status for b in browsers for status in b.statuses)
    print(
        f"\n[{load_database.kind}] killed at {killed_at:.1f} s: thanked before the kill "
        f"{len(thanked_before)}, of them stored {sum(b.invitation in submitted_at_crash for b in thanked_before)}; "
        f"submitted in the database at the crash {len(submitted_at_crash)}, drafts "
        f"{drafts_at_crash}; browsers whose requests failed {len(interrupted)}; after the "
        f"restart: outcomes {dict(outcomes)}, submitted {len(final.submitted())}/{RESPONDENTS}; "
        f"{elapsed:.1f} s; statuses {dict(sorted(statuses.items()))}"
    )

    errors = [f"respondent {b.index}: {b.error}" for b in browsers if b.error]
    assert not errors, errors
    assert not [b.index for b in browsers if b.failed_before_kill]
    assert not [status for status in statuses if status >= 500], statuses
    assert not live_server.error_lines(), live_server.error_lines()
    # The kill happened in the middle of the load, interrupting requests.
    assert KILL_AFTER <= len(thanked_before) < RESPONDENTS
    assert interrupted
    # The database as the crash left it.
    assert at_crash.duplicates() == {}
    assert at_crash.half_stored() == {}
    _check_acknowledged(at_crash, browsers, before_kill=True)
    # A link that later said "already sent" was committed before the kill, its reply lost.
    assert {b.invitation for b in browsers if b.outcome == "already_sent"} <= set(
        submitted_at_crash
    )
    # After the restart and the retries: everyone submitted exactly once, as sent.
    assert final.duplicates() == {}
    assert final.half_stored() == {}
    _check_acknowledged(final, browsers, before_kill=False)
    assert set(final.submitted()) == {b.invitation for b in browsers}
    for browser in browsers:
        assert final.submitted()[browser.invitation].differences(browser.answers) == []
    assert elapsed < TIME_LIMIT
