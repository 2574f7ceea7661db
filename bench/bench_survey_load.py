"""Benchmark: survey page GETs and submissions under gunicorn, beside a bare Flask "hello" route.

Run with ``python -m bench.bench_survey_load`` (or ``make bench``). For each database (a SQLite
file with WAL; a fresh PostgreSQL database at 127.0.0.1:5432, skipped when unreachable) it
prepares an open wave whose invitations all hold a consented draft with every rated page
answered, starts ``copkit serve --workers 4`` on it and plain gunicorn (same version, same
worker settings) on :mod:`bench.hello_app`, and then, at 1, 16 and 64 concurrent clients,
measures three kinds of request back to back:

- **hello**: ``GET /`` of the bare Flask app (the baseline);
- **survey page**: ``GET /s/<token>/page/1`` of a draft (link lookup, questionnaire layout,
  stored answers read back into the form, page rendered); each request a different link;
- **submission**: the final page POST of a prepared draft (``POST /s/<token>/page/9`` with
  the CSRF token and a comment): the write transaction that locks the invitation, validates
  and stores the last page, checks every page is complete and marks the response submitted,
  answered ``303`` to the thank-you page (not followed). Each request submits a different
  draft; afterwards the database must hold exactly as many submitted responses as ``303``s.

The load generator is Python threads (one ``http.client`` connection per request; gunicorn's
sync workers close the connection after each response) on the same machine as the servers;
every request has a 30 s timeout and every level is bounded in count and time. Throughput is
completed requests over the level's wall time; latencies are per request (connect to last
byte), nearest-rank percentiles. The figure to quote is the ratio of the survey's throughput to
the hello route's, measured seconds apart on the same machine; beside it, the ratio of the
servers' CPU time per request (read from ``/proc``), which other load on the machine and the
load generator's own cost distort less.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import math
import os
import platform
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from importlib import metadata
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlencode

from sqlalchemy import create_engine, insert, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from survey_app import migrate
from survey_app.database import make_engine
from survey_app.models import (
    Answer,
    Invitation,
    Member,
    Membership,
    Response,
    Study,
    Team,
    Theme,
    Wave,
    utcnow,
)
from survey_app.services.questionnaire import pages_for
from survey_app.tokens import hash_token, survey_form_token

REPO = Path(__file__).resolve().parents[1]
RESULT_PATH = REPO / "bench" / "results" / "survey_load.json"
WORKERS = 4
LEVELS: dict[int, int] = {1: 150, 16: 600, 64: 1200}
"""Concurrent clients -> measured requests of each kind at that level."""
WARM_UP_PER_CLIENT = 2
LEVEL_TIME_LIMIT = 60.0
"""Seconds after which a level stops even if not every request was made."""
REQUEST_TIMEOUT = 30.0
START_TIMEOUT = 30.0
READING_DRAFTS = 200
"""Drafts only ever read (the survey-page GETs cycle through them)."""
TEAM_SIZE = 8
SECRET_KEY = "bench-secret-key-0123456789abcdef0123456789abcdef"
POSTGRES_URL = os.environ.get(
    "COPKIT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
GOALS = {"min_ratio": 0.25, "p95_ms_at_16": 100.0, "errors": 0}


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def bench_token(index: int) -> str:
    """The link token of draft ``index`` (well formed, 43 characters)."""
    return f"bench-{index:05d}-".ljust(43, "x")


# --------------------------------------------------------------------------- database


def prepare_database(url: str, drafts: int) -> int:
    """Migrate ``url`` and fill it with one open wave of ``drafts`` consented drafts.

    Every draft has answered all rated pages and the roster page ("None of these") and stands
    on the last page, so posting that page submits it. Returns the wave's id.
    """
    _, pages = pages_for("cop-health", 1)
    items = [question.id for page in pages if page.kind == "rated" for question in page.questions]
    last_page = len(pages)
    engine = make_engine(url)
    try:
        migrate.upgrade(engine)
        moment = utcnow()
        with Session(engine) as session:
            study = Study(name="Benchmark CLAHRC")
            theme = Theme(study=study, name="Integrated care")
            wave = Wave(
                study=study,
                number=1,
                opens=moment - timedelta(days=1),
                closes=moment + timedelta(days=13),
                instrument_id="cop-health",
                instrument_version=1,
            )
            team: Team | None = None
            invitations = []
            for index in range(drafts):
                if index % TEAM_SIZE == 0:
                    team = Team(theme=theme, name=f"Team {index // TEAM_SIZE + 1}")
                member = Member(
                    study=study,
                    name=f"Respondent {index:05d}",
                    email=f"r{index:05d}@example.nhs.uk",
                    profession="nurse",
                    organisation="Salford Royal",
                    organisation_type="acute trust",
                )
                membership = Membership(member=member, team=team, joined_on=date(2020, 1, 1))
                invitation = Invitation(
                    membership=membership,
                    wave=wave,
                    token_hash=hash_token(bench_token(index)),
                    consented_at=moment,
                    started_at=moment,
                    current_page=last_page,
                )
                invitations.append(invitation)
            session.add_all([study, wave, *invitations])
            session.flush()
            session.execute(
                insert(Response),
                [
                    {"invitation_id": inv.id, "created_at": moment, "updated_at": moment}
                    for inv in invitations
                ],
            )
            response_ids = session.execute(select(Response.id)).scalars().all()
            session.execute(
                insert(Answer),
                [
                    {"response_id": rid, "item_id": item, "value": float(1 + position % 5)}
                    for rid in response_ids
                    for position, item in enumerate(items)
                ],
            )
            session.commit()
            return wave.id
    finally:
        engine.dispose()


def count_submitted(url: str) -> int:
    """How many responses are submitted (each with every rated answer)."""
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            value = connection.execute(
                text("SELECT count(*) FROM responses WHERE submitted_at IS NOT NULL")
            ).scalar()
            return int(value or 0)
    finally:
        engine.dispose()


@contextlib.contextmanager
def sqlite_database(folder: Path) -> Iterator[str]:
    """A SQLite file in ``folder`` (copkit's engine puts it in WAL mode)."""
    yield f"sqlite:///{folder / 'bench.sqlite3'}"


@contextlib.contextmanager
def postgres_database() -> Iterator[str]:
    """A fresh PostgreSQL database at :data:`POSTGRES_URL`'s server, dropped afterwards."""
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    name = f"copkit_bench_{secrets.token_hex(6)}"
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def postgres_available() -> str | None:
    """None when the PostgreSQL server answers, else why not."""
    engine = create_engine(POSTGRES_URL, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as error:  # any failure to connect means: skip PostgreSQL
        return f"{type(error).__name__}: {str(error).splitlines()[0]}"
    finally:
        engine.dispose()
    return None


# --------------------------------------------------------------------------- servers


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _gunicorn_options() -> list[str]:
    """The options ``copkit serve`` gives gunicorn (survey_app/commands/server.py)."""
    options = ["--workers", str(WORKERS), "--worker-class", "sync", "--timeout", "60"]
    options += ["--graceful-timeout", "10", "--access-logfile", "-", "--error-logfile", "-"]
    import gunicorn

    if gunicorn.version_info >= (25, 0):
        options.append("--no-control-socket")
    return options


class Server:
    """A server subprocess in its own process group, with its output in a log file."""

    def __init__(
        self, name: str, command: list[str], port: int, env: dict[str, str], log: Path
    ) -> None:
        self.name = name
        self.command = command
        self.port = port
        self.env = env
        self.log_path = log
        self.process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    def start(self, probe_path: str) -> None:
        """Start and wait until ``probe_path`` answers 200."""
        self._log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            self.command,
            env=self.env,
            cwd=REPO,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            with contextlib.suppress(OSError, http.client.HTTPException):
                if request(self.port, "GET", probe_path)[0] == 200:
                    return
            time.sleep(0.2)
        self.stop()
        tail = self.log_path.read_text(errors="replace").splitlines()[-20:]
        raise RuntimeError(f"{self.name} did not start\n" + "\n".join(tail))

    def stop(self) -> None:
        """SIGTERM the process group; SIGKILL after 10 s."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        if self._log is not None:
            self._log.close()
        self.process = None

    def cpu_seconds(self) -> float | None:
        """CPU time used so far by the server's master and workers."""
        return None if self.process is None else group_cpu_seconds(self.process.pid)

    def error_lines(self) -> list[str]:
        """Tracebacks and gunicorn errors in the log."""
        text_ = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        marks = ("Traceback", "[ERROR]", "[CRITICAL]")
        return [line for line in text_.splitlines() if any(mark in line for mark in marks)]


def _environment(database_url: str, instance: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("COPKIT_")}
    env.update(
        COPKIT_DATABASE_URL=database_url,
        COPKIT_SECRET_KEY=SECRET_KEY,
        COPKIT_SESSION_COOKIE_SECURE="false",
        COPKIT_INSTANCE_PATH=str(instance),
        PYTHONUNBUFFERED="1",
    )
    return env


def copkit_server(database_url: str, folder: Path) -> Server:
    """``copkit serve --workers 4`` on ``database_url``."""
    script = shutil.which("copkit", path=str(Path(sys.executable).parent))
    base = [script] if script else [sys.executable, "-c", "from survey_app.cli import main; main()"]
    port = free_port()
    command = [*base, "serve", "--host", "127.0.0.1", "--port", str(port)]
    command += ["--workers", str(WORKERS)]
    env = _environment(database_url, folder / "instance")
    return Server("copkit serve", command, port, env, folder / "copkit.log")


def hello_server(folder: Path) -> Server:
    """gunicorn with copkit's worker settings serving :mod:`bench.hello_app`."""
    port = free_port()
    command = [sys.executable, "-m", "gunicorn", *_gunicorn_options()]
    command += ["--bind", f"127.0.0.1:{port}", "bench.hello_app:app"]
    env = {key: value for key, value in os.environ.items() if not key.startswith("COPKIT_")}
    return Server("hello", command, port, env, folder / "hello.log")


# --------------------------------------------------------------------------- load


def request(
    port: int,
    method: str,
    path: str,
    body: str | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, bytes, http.client.HTTPMessage]:
    """One HTTP request on a new loopback connection: status, body and headers."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.read(), response.headers
    finally:
        connection.close()


@dataclass
class LevelResult:
    """What one kind of request achieved at one concurrency."""

    kind: str
    concurrency: int
    planned: int
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    succeeded: int = 0
    error_samples: list[str] = field(default_factory=list)
    wall: float = 0.0
    truncated: bool = False
    server_cpu: float | None = None

    def summary(self) -> dict[str, Any]:
        """Counts, throughput and latency percentiles (milliseconds)."""
        done = len(self.latencies)
        ordered = sorted(self.latencies)
        return {
            "requests": done,
            "planned": self.planned,
            "errors": self.errors,
            "succeeded_with_warm_up": self.succeeded,
            "error_samples": self.error_samples[:5],
            "seconds": round(self.wall, 3),
            "per_second": round(done / self.wall, 1) if self.wall else 0.0,
            "p50_ms": _percentile_ms(ordered, 50),
            "p95_ms": _percentile_ms(ordered, 95),
            "p99_ms": _percentile_ms(ordered, 99),
            "max_ms": round(ordered[-1] * 1000, 1) if ordered else None,
            "truncated": self.truncated,
            "server_cpu_ms_per_request": round(self.server_cpu / done * 1000, 2)
            if self.server_cpu is not None and done
            else None,
        }


def _percentile_ms(ordered: list[float], q: float) -> float | None:
    """Nearest-rank percentile: the value at rank ceil(q/100 * n) of the sorted sample."""
    if not ordered:
        return None
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return round(ordered[rank - 1] * 1000, 2)


Call = Callable[[int, Any], str | None]
"""``call(index, client_state) -> None`` when the request succeeded, else what went wrong."""


def group_cpu_seconds(group: int) -> float | None:
    """CPU time (user + system) used so far by the processes of process group ``group``.

    Read from ``/proc/<pid>/stat`` (fields 5, 14 and 15: process group, utime, stime, in clock
    ticks); None where there is no ``/proc``. The gunicorn master and its workers form one
    group; a PostgreSQL server's own processes are not in it.
    """
    proc = Path("/proc")
    if not proc.is_dir():
        return None
    ticks = 0
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        if int(fields[2]) == group:
            ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def run_level(
    kind: str,
    call: Call,
    concurrency: int,
    count: int,
    *,
    start_index: int,
    server: Server,
    client_state: Callable[[], Any] = lambda: None,
) -> tuple[LevelResult, int]:
    """Make ``count`` requests from ``concurrency`` threads (after a warm-up of two per client).

    Request ``i`` gets the index ``start_index + i``; returns the result and the next free index.
    The CPU time of ``server``'s process group during the measured requests is recorded.
    """
    states = [client_state() for _ in range(concurrency)]
    result = LevelResult(kind, concurrency, count)
    warm = WARM_UP_PER_CLIENT * concurrency
    _drive(call, states, start_index, warm, result, measured=False)
    cpu_before = server.cpu_seconds()
    started = time.perf_counter()
    deadline = time.monotonic() + LEVEL_TIME_LIMIT
    made = _drive(call, states, start_index + warm, count, result, measured=True, deadline=deadline)
    result.wall = time.perf_counter() - started
    cpu_after = server.cpu_seconds()
    if cpu_before is not None and cpu_after is not None:
        result.server_cpu = cpu_after - cpu_before
    result.truncated = made < count
    return result, start_index + warm + made


def _drive(
    call: Call,
    states: list[Any],
    first: int,
    count: int,
    result: LevelResult,
    *,
    measured: bool,
    deadline: float | None = None,
) -> int:
    """Run ``count`` calls over one thread per state; return how many were made.

    Every call counts in ``result.succeeded`` or ``result.errors``; only measured calls add a
    latency.
    """
    lock = threading.Lock()
    next_index = [0]

    def worker(state: Any) -> None:
        while True:
            with lock:
                if next_index[0] >= count or (deadline and time.monotonic() > deadline):
                    return
                offset = next_index[0]
                next_index[0] += 1
            began = time.perf_counter()
            try:
                problem = call(first + offset, state)
            except (OSError, http.client.HTTPException) as error:
                problem = f"{type(error).__name__}: {error}"
            elapsed = time.perf_counter() - began
            with lock:
                if measured:
                    result.latencies.append(elapsed)
                if problem is None:
                    result.succeeded += 1
                else:
                    result.errors += 1
                    result.error_samples.append(problem)

    threads = [threading.Thread(target=worker, args=(state,)) for state in states]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return next_index[0]


# --------------------------------------------------------------------------- the three kinds


def hello_call(port: int) -> Call:
    """``GET /`` of the bare Flask app."""

    def call(index: int, state: Any) -> str | None:
        status, body, _ = request(port, "GET", "/")
        return None if status == 200 and body == b"hello" else f"hello answered {status}"

    return call


def page_call(port: int, reading: list[str]) -> Call:
    """``GET /s/<token>/page/1`` of a draft, cycling through the read-only drafts."""

    def call(index: int, state: Any) -> str | None:
        path = f"/s/{reading[index % len(reading)]}/page/1"
        status, body, _ = request(port, "GET", path)
        if status != 200 or b'name="me1"' not in body:
            return f"survey page answered {status}"
        return None

    return call


def submit_call(port: int, last_page: int) -> Call:
    """The final page POST of draft ``index``: expect ``303`` to its thank-you page.

    The form carries the link's own form token, as the page the respondent sent it from does
    (survey pages set no cookie; the token is derived from the link and the secret key).
    """

    def call(index: int, state: Any) -> str | None:
        token = bench_token(index)
        form = {"csrf_token": survey_form_token(token, SECRET_KEY), "action": "next"}
        body = urlencode({**form, "helped": "Huddles"})
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        status, _, answer = request(port, "POST", f"/s/{token}/page/{last_page}", body, headers)
        location = answer.get("Location", "")
        if status != 303 or not location.endswith(f"/s/{token}/thanks"):
            return f"submission answered {status} {location}"
        return None

    return call


# --------------------------------------------------------------------------- the run


def _drafts_needed() -> int:
    submissions = sum(LEVELS.values()) + WARM_UP_PER_CLIENT * sum(LEVELS)
    return submissions + READING_DRAFTS


def bench_database(kind: str, database_url: str, folder: Path) -> dict[str, Any]:
    """Prepare ``database_url``, serve it and the hello app, and measure every level."""
    _, pages = pages_for("cop-health", 1)
    last_page = len(pages)
    drafts = _drafts_needed()
    started = time.perf_counter()
    prepare_database(database_url, drafts)
    _say(f"  [{kind}] {drafts} drafts prepared in {time.perf_counter() - started:.1f} s")
    reading = [bench_token(index) for index in range(drafts - READING_DRAFTS, drafts)]
    copkit = copkit_server(database_url, folder)
    hello = hello_server(folder)
    levels: list[dict[str, Any]] = []
    try:
        hello.start("/")
        copkit.start("/healthz")
        next_draft = 0
        acknowledged = 0
        for concurrency, count in LEVELS.items():
            hello_result, _ = run_level(
                "hello", hello_call(hello.port), concurrency, count, start_index=0, server=hello
            )
            page_result, _ = run_level(
                "survey_page",
                page_call(copkit.port, reading),
                concurrency,
                count,
                start_index=0,
                server=copkit,
            )
            submit_result, next_draft = run_level(
                "submission",
                submit_call(copkit.port, last_page),
                concurrency,
                count,
                start_index=next_draft,
                server=copkit,
            )
            acknowledged += submit_result.succeeded
            level = _level_summary(concurrency, hello_result, page_result, submit_result)
            levels.append(level)
            _say(
                f"  [{kind}] c={concurrency:>2}: hello {_brief(level['hello'])}; "
                f"page {_brief(level['survey_page'])}, x{level['ratio_survey_page']} "
                f"(cpu x{level['cpu_ratio_survey_page']}); "
                f"submission {_brief(level['submission'])}, x{level['ratio_submission']} "
                f"(cpu x{level['cpu_ratio_submission']}); errors {level['errors']}"
            )
    finally:
        copkit.stop()
        hello.stop()
    stored = count_submitted(database_url)
    return {
        "levels": levels,
        "submissions_acknowledged": acknowledged,
        "submissions_stored": stored,
        "server_errors_logged": copkit.error_lines() + hello.error_lines(),
    }


def _brief(summary: dict[str, Any]) -> str:
    return (
        f"{summary['per_second']}/s p95 {summary['p95_ms']} ms "
        f"cpu {summary['server_cpu_ms_per_request']} ms"
    )


def _level_summary(
    concurrency: int, hello: LevelResult, page: LevelResult, submit: LevelResult
) -> dict[str, Any]:
    summaries = {result.kind: result.summary() for result in (hello, page, submit)}
    level: dict[str, Any] = {"concurrency": concurrency, **summaries}
    for kind in ("survey_page", "submission"):
        level[f"ratio_{kind}"] = _ratio(
            summaries[kind]["per_second"], summaries["hello"]["per_second"]
        )
        level[f"cpu_ratio_{kind}"] = _ratio(
            summaries["hello"]["server_cpu_ms_per_request"],
            summaries[kind]["server_cpu_ms_per_request"],
        )
    level["errors"] = sum(summary["errors"] for summary in summaries.values())
    return level


def _ratio(numerator: float | None, denominator: float | None) -> float | None:
    if not numerator or not denominator:
        return None
    return round(numerator / denominator, 3)


def _goals(databases: dict[str, Any]) -> dict[str, Any]:
    verdicts: dict[str, Any] = {}
    for kind, result in databases.items():
        if "levels" not in result:
            continue
        levels = result["levels"]
        at_16 = next(level for level in levels if level["concurrency"] == 16)
        verdicts[kind] = {
            "ratio_at_least_a_quarter": all(
                level[key] is not None and level[key] >= GOALS["min_ratio"]
                for level in levels
                for key in ("ratio_survey_page", "ratio_submission")
            ),
            "p95_under_100ms_at_16": all(
                at_16[key]["p95_ms"] is not None and at_16[key]["p95_ms"] < GOALS["p95_ms_at_16"]
                for key in ("survey_page", "submission")
            ),
            "zero_errors": all(level["errors"] == 0 for level in levels)
            and result["submissions_acknowledged"] == result["submissions_stored"]
            and not result["server_errors_logged"],
        }
    return verdicts


def run() -> dict[str, Any]:
    """Run the benchmark on SQLite and PostgreSQL; write ``bench/results/survey_load.json``."""
    _say(f"survey load benchmark: gunicorn x{WORKERS} workers, levels {LEVELS}")
    load_at_start = [round(value, 2) for value in os.getloadavg()]
    databases: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="copkit-bench-") as temporary:
        root = Path(temporary)
        (root / "sqlite").mkdir()
        with sqlite_database(root / "sqlite") as url:
            databases["sqlite"] = bench_database("sqlite", url, root / "sqlite")
        reason = postgres_available()
        if reason is None:
            (root / "postgresql").mkdir()
            with postgres_database() as url:
                databases["postgresql"] = bench_database("postgresql", url, root / "postgresql")
        else:
            _say(f"  PostgreSQL skipped: {reason}")
            databases["postgresql"] = {"skipped": reason}
    report = {
        "benchmark": "survey_load",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "definitions": {
            "hello": "GET / of bench/hello_app.py under gunicorn with copkit serve's settings",
            "survey_page": "GET /s/<token>/page/1 of a consented draft (answers filled in)",
            "submission": "final page POST (page 9) of a prepared draft -> 303 to /thanks",
            "ratio": "survey requests per second / hello requests per second, same level",
            "percentiles": "nearest rank, per request latency (connect to last byte)",
            "server_cpu_ms_per_request": "user+system CPU of the gunicorn master and workers "
            "(from /proc) during the measured requests, per request; PostgreSQL's own CPU is "
            "not included",
            "cpu_ratio": "hello CPU per request / survey CPU per request: the throughput ratio "
            "if the server's CPU were the only limit (less sensitive to other load on the "
            "machine and to the load generator)",
        },
        "settings": {
            "gunicorn_workers": WORKERS,
            "worker_class": "sync",
            "levels": LEVELS,
            "warm_up_per_client": WARM_UP_PER_CLIENT,
            "level_time_limit_s": LEVEL_TIME_LIMIT,
            "load_generator": "Python threads, http.client, one connection per request",
        },
        "machine": {
            "python": platform.python_version(),
            "processor": platform.machine(),
            "cpus": os.cpu_count(),
            "gunicorn": metadata.version("gunicorn"),
            "flask": metadata.version("flask"),
            "sqlalchemy": metadata.version("sqlalchemy"),
            "load_average_at_start": load_at_start,
            "load_average_at_end": [round(value, 2) for value in os.getloadavg()],
        },
        "databases": databases,
        "goals": GOALS,
        "goals_met": _goals(databases),
    }
    RESULT_PATH.parent.mkdir(parents=True, exist_ok=True)
    RESULT_PATH.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    _say(f"written {RESULT_PATH}")
    return report


def main() -> None:
    """Entry point of ``python -m bench.bench_survey_load``."""
    report = run()
    print(json.dumps(report["goals_met"], indent=2))


if __name__ == "__main__":
    main()
