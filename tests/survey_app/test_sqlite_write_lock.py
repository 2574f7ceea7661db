"""SQLite writers queue on a lock file beside the database; SQLite's busy timeout stays behind it."""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from survey_app import sqlite_write_lock
from survey_app.database import begin_write, make_engine
from survey_app.sqlite_write_lock import LOCK_SUFFIX

SHORT_BUSY_MS = 50
"""A busy timeout far shorter than the waits below: a writer that only had SQLite's busy
handler would give up ("database is locked") long before the first writer finishes."""


@pytest.fixture
def database(tmp_path: Path) -> Path:
    path = tmp_path / "copkit.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE t (x INTEGER)")
    engine.dispose()
    return path


@pytest.fixture
def engines(database: Path) -> Iterator[tuple[Engine, Engine]]:
    """Two engines on one file, as two gunicorn workers have; the second gives up quickly."""
    first = make_engine(f"sqlite:///{database}")
    second = make_engine(f"sqlite:///{database}", busy_timeout_ms=SHORT_BUSY_MS)
    yield first, second
    first.dispose()
    second.dispose()


def _write(engine: Engine, value: int) -> None:
    with Session(engine) as session:
        begin_write(session)
        session.execute(text("INSERT INTO t VALUES (:x)"), {"x": value})
        session.commit()


def _values(engine: Engine) -> list[int]:
    with engine.connect() as connection:
        return [row[0] for row in connection.execute(text("SELECT x FROM t ORDER BY x"))]


def _lock_is_free(database: Path) -> bool:
    descriptor = os.open(f"{database}{LOCK_SUFFIX}", os.O_RDONLY)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(descriptor)  # also releases the probe's own lock
    return True


def test_a_waiting_writer_sleeps_on_the_lock_file_not_on_the_busy_timeout(
    engines: tuple[Engine, Engine], database: Path
) -> None:
    first, second = engines
    done: list[float] = []
    failures: list[BaseException] = []

    def later_writer() -> None:
        try:
            _write(second, 2)
            done.append(time.monotonic())
        except BaseException as error:  # reported by the assertions below
            failures.append(error)

    with Session(first) as session:
        begin_write(session)
        session.execute(text("INSERT INTO t VALUES (1)"))
        assert (Path(f"{database}{LOCK_SUFFIX}")).exists()
        thread = threading.Thread(target=later_writer)
        thread.start()
        time.sleep(10 * SHORT_BUSY_MS / 1000)  # ten busy timeouts
        assert not done and not failures  # still waiting, and not given up
        committed = time.monotonic()
        session.commit()
    thread.join(10)
    assert not failures
    assert done and done[0] - committed < 2.0  # woken once the first writer committed
    assert _values(first) == [1, 2]
    assert _lock_is_free(database)


@pytest.mark.parametrize("ending", ["rollback", "close"])
def test_rollback_and_close_let_the_next_writer_in(
    engines: tuple[Engine, Engine], database: Path, ending: str
) -> None:
    first, second = engines
    session = Session(first)
    begin_write(session)
    session.execute(text("INSERT INTO t VALUES (1)"))
    assert not _lock_is_free(database)
    getattr(session, ending)()
    assert _lock_is_free(database)
    _write(second, 2)  # at once: neither the lock file nor SQLite's lock is held
    assert _values(second) == [2]
    session.close()


def test_a_failed_begin_gives_the_lock_back(engines: tuple[Engine, Engine], database: Path) -> None:
    """A writer outside copkit holds SQLite's lock: the busy timeout still applies, and the
    writer that gave up does not keep the lock file."""
    _, second = engines
    outsider = sqlite3.connect(database, isolation_level=None)
    outsider.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(OperationalError, match="locked"):
            _write(second, 1)
        assert _lock_is_free(database)
    finally:
        outsider.execute("ROLLBACK")
        outsider.close()
    _write(second, 1)
    assert _values(second) == [1]


def test_a_thread_never_waits_for_its_own_lock(
    engines: tuple[Engine, Engine], database: Path
) -> None:
    """Two write transactions at once in one thread meet SQLite's busy timeout as before,
    instead of waiting forever for a lock file the thread itself holds."""
    first, second = engines
    outcome: list[BaseException | None] = []

    def nested() -> None:
        with Session(first) as outer:
            begin_write(outer)
            try:
                _write(second, 2)
            except OperationalError as error:
                outcome.append(error)
            else:
                outcome.append(None)

    thread = threading.Thread(target=nested, daemon=True)
    thread.start()
    thread.join(10)
    assert not thread.is_alive(), "the nested writer waited for its own thread's lock"
    assert isinstance(outcome[0], OperationalError) and "locked" in str(outcome[0])
    assert _lock_is_free(database)


def test_writes_go_on_without_a_lock_file(database: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> int:
        raise PermissionError("read-only folder")

    monkeypatch.setattr(sqlite_write_lock.os, "open", refuse)
    engine = make_engine(f"sqlite:///{database}")
    _write(engine, 7)
    assert _values(engine) == [7]
    engine.dispose()


def test_in_memory_databases_have_no_lock_file(tmp_path: Path) -> None:
    engine = make_engine("sqlite://")
    with Session(engine) as session:
        begin_write(session)
        session.execute(text("CREATE TABLE t (x INTEGER)"))
        session.commit()
    engine.dispose()
    assert list(tmp_path.iterdir()) == []
