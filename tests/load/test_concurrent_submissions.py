"""Fifty respondents submitting at the same moment, and five links sent from two browsers at once.

Against ``copkit serve --workers 3`` on SQLite (WAL) and on PostgreSQL, over loopback HTTP.
Every browser walks the whole survey (link, consent with the CSRF token from the page, every
page, the final submit); all of them wait at one barrier and then post their final page
together. A browser shown the thank-you page must find its answers stored, exactly once.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import pytest

from tests.load.conftest import LoadDatabase
from tests.load.http_respondent import HttpRespondent
from tests.load.live_server import LiveServer
from tests.load.load_fixtures import PlannedAnswers, planned_answers
from tests.load.stored import read_state

pytestmark = [pytest.mark.slow, pytest.mark.timeout(150)]

SINGLE = 50
"""Respondents with a link of their own."""
RACING = 5
"""Links submitted from two browsers at the same moment."""
BARRIER_TIMEOUT = 60.0
TIME_LIMIT = 90.0


@dataclass
class Client:
    """One browser of the run and what happened to it."""

    index: int
    invitation: int
    answers: PlannedAnswers
    outcome: str = ""
    error: str = ""
    statuses: list[int] = field(default_factory=list)


def _run(client: Client, base_url: str, link_token: str, barrier: threading.Barrier) -> None:
    def line_up() -> None:
        # A broken barrier means someone failed earlier: submit anyway, the test reports it.
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait(BARRIER_TIMEOUT)

    browser = HttpRespondent(base_url, link_token, client.answers, before_submit=line_up)
    try:
        client.outcome = browser.complete()
    except Exception as error:  # recorded and asserted on below, with the client's identity
        client.error = f"{type(error).__name__}: {error}"
        barrier.abort()
    finally:
        client.statuses = browser.statuses
        browser.close()


def test_simultaneous_submissions_are_each_stored_exactly_once(
    load_database: LoadDatabase, live_server: LiveServer
) -> None:
    study = load_database.study
    clients: list[tuple[Client, str]] = []
    for index in range(SINGLE):
        answers = planned_answers(index, study.teammates[index])
        clients.append((Client(index, study.invitation_ids[index], answers), study.tokens[index]))
    for index in range(SINGLE, SINGLE + RACING):
        for browser in ("A", "B"):
            answers = planned_answers(index, study.teammates[index], f" (browser {browser})")
            client = Client(index, study.invitation_ids[index], answers)
            clients.append((client, study.tokens[index]))
    barrier = threading.Barrier(len(clients))

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=len(clients)) as pool:
        for client, link_token in clients:
            pool.submit(_run, client, live_server.base_url, link_token, barrier)
    elapsed = time.monotonic() - started
    state = read_state(load_database.url, study.wave_id)

    requests_made = sum(len(client.statuses) for client, _ in clients)
    statuses = Counter(status for client, _ in clients for status in client.statuses)
    outcomes = Counter(client.outcome or "error" for client, _ in clients)
    print(
        f"\n[{load_database.kind}] {len(clients)} browsers, {requests_made} requests in "
        f"{elapsed:.1f} s; outcomes {dict(outcomes)}; statuses {dict(sorted(statuses.items()))}"
    )
    errors = [f"client {c.index}: {c.error}" for c, _ in clients if c.error]
    assert not errors, errors
    assert not [s for s in statuses if s >= 500], statuses
    assert not live_server.error_lines(), live_server.error_lines()
    assert elapsed < TIME_LIMIT

    assert state.duplicates() == {}
    assert state.half_stored() == {}
    submitted = state.submitted()
    # Every single respondent was thanked and their own answers are what is stored.
    for client, _ in clients[:SINGLE]:
        assert client.outcome == "thanks", client
        stored = submitted.get(client.invitation)
        assert stored is not None, f"respondent {client.index} was thanked but nothing is stored"
        assert stored.differences(client.answers) == [], client.index
    # Each racing pair: one browser thanked, the other told the answers were already sent,
    # and the stored response is the thanked browser's.
    for index in range(SINGLE, SINGLE + RACING):
        pair = [client for client, _ in clients if client.index == index]
        assert sorted(client.outcome for client in pair) == ["already_sent", "thanks"], pair
        winner = next(client for client in pair if client.outcome == "thanks")
        stored = submitted[winner.invitation]
        assert stored.differences(winner.answers) == [], index
        assert 409 in next(c for c in pair if c is not winner).statuses
    assert len(submitted) == SINGLE + RACING
    assert sum(len(rows) for rows in state.responses.values()) == SINGLE + RACING
