"""Database engines (SQLite with WAL, foreign keys and a busy timeout; PostgreSQL) and sessions."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app, g
from sqlalchemy import Engine, create_engine, event, exc
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry, StaticPool

from survey_app.sqlite_write_lock import QueuedConnection, lock_path_for

EXTENSION_KEY = "copkit.database"
WRITE_LOCK_OPTION = "copkit_write_lock"
PING_AFTER_IDLE_SECONDS = 10.0
"""A pooled PostgreSQL connection idle for longer than this is tested before it is used."""
_IDLE_SINCE = "copkit_idle_since"
CONNECT_TIMEOUT_SECONDS = 10
"""How long a PostgreSQL connection attempt may take before it fails (libpq's
``connect_timeout``, unless the URL sets its own): a database host that drops packets must not
hang a request, or a worker's warm-up, for the minutes TCP would wait."""
_SESSION_KEY = "_copkit_db_session"
PRIVATE_FILE_MODE = 0o600
"""A SQLite database holds names and e-mail addresses: only its owner may read it. SQLite gives
its ``-wal`` and ``-shm`` files the database file's mode, so they are private too."""
SQLITE_BUSY_MESSAGES = (
    "database is locked",
    "database table is locked",
    "database schema is locked",
    "database is busy",
)
POSTGRES_TRANSIENT_STATES = frozenset(
    {
        "55P03",  # lock_not_available: lock_timeout ran out
        "40P01",  # deadlock_detected
        "40001",  # serialization_failure
        "57P01",  # admin_shutdown
        "57P02",  # crash_shutdown
        "57P03",  # cannot_connect_now (starting up)
        "53300",  # too_many_connections
    }
)
"""SQLSTATEs after which the same request is worth sending again in a moment."""


def normalise_url(url: str | URL) -> URL:
    """Parse a database URL, choosing psycopg 3 for a bare ``postgresql://`` or ``postgres://``.

    Examples
    --------
    >>> normalise_url("postgres://u@db/copkit").render_as_string()
    'postgresql+psycopg://u@db/copkit'
    >>> normalise_url("sqlite:///tmp/x.sqlite3").drivername
    'sqlite'
    """
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def make_engine(
    url: str | URL,
    *,
    busy_timeout_ms: int = 10_000,
    echo: bool = False,
    ping_after_idle_s: float = PING_AFTER_IDLE_SECONDS,
) -> Engine:
    """Create an engine for ``url`` with copkit's connection settings.

    SQLite connections get ``journal_mode=WAL`` (readers never block the writer) with
    ``synchronous=FULL`` (the WAL is synced at every commit, so a commit survives power loss),
    ``foreign_keys=ON`` and ``busy_timeout`` (a writer waits for the lock instead of failing);
    SQLAlchemy, not the sqlite3 module, emits ``BEGIN`` so that reads are inside the
    transaction too (serialisable), and a transaction started by :func:`begin_write` takes the
    write lock at once (``BEGIN IMMEDIATE``), after queueing on the lock file beside a database
    file (:mod:`survey_app.sqlite_write_lock`). A pooled PostgreSQL connection that has been
    idle for more than ``ping_after_idle_s`` is tested (``SELECT 1``) before use and replaced
    if the server has gone (see :func:`_ping_idle_connections`); connecting gives up after
    :data:`CONNECT_TIMEOUT_SECONDS` unless the URL says otherwise.

    Parameters
    ----------
    url
        A SQLAlchemy URL (``sqlite:///path`` or ``postgresql+psycopg://user@host/db``).
    busy_timeout_ms
        How long a SQLite writer waits for another writer's lock.
    echo
        Log every statement.
    ping_after_idle_s
        PostgreSQL: test a pooled connection before use once it has been idle this long.

    Examples
    --------
    >>> engine = make_engine("sqlite://")
    >>> with engine.connect() as connection:
    ...     connection.exec_driver_sql("PRAGMA foreign_keys").scalar()
    1
    >>> engine.dispose()
    """
    parsed = normalise_url(url)
    if parsed.get_backend_name() != "sqlite":
        if "connect_timeout" not in parsed.query:  # a URL's own setting wins
            parsed = parsed.update_query_dict({"connect_timeout": str(CONNECT_TIMEOUT_SECONDS)})
        engine = create_engine(parsed, echo=echo)
        _ping_idle_connections(engine, ping_after_idle_s)
        _set_lock_timeout(engine, busy_timeout_ms)
        return engine
    in_memory = parsed.database in (None, "", ":memory:")
    options: dict[str, Any] = {}
    lock_path: str | None = None
    if in_memory:
        options = {"poolclass": StaticPool, "connect_args": {"check_same_thread": False}}
    elif not parsed.query.get("uri"):
        options = {"connect_args": {"factory": QueuedConnection}}
        lock_path = lock_path_for(str(parsed.database))
    engine = create_engine(parsed, echo=echo, **options)
    if not in_memory and not parsed.query.get("uri"):
        _create_privately(engine, str(parsed.database))
    _configure_sqlite(engine, busy_timeout_ms=busy_timeout_ms, wal=not in_memory, lock=lock_path)
    return engine


def _create_privately(engine: Engine, database: str) -> None:
    """Create the SQLite file (mode 0600) just before SQLite would create it (mode 0644).

    Done at the first connection, not when the engine is made, so that an app that never
    touches its default database leaves no file behind. An existing file keeps its mode: an
    administrator may have chosen another on purpose.
    """

    @event.listens_for(engine, "do_connect")
    def _before_connect(dialect: Any, record: Any, cargs: Any, cparams: Any) -> None:
        # exists already, or cannot be made here: SQLite opens it or reports why, as before
        with contextlib.suppress(OSError):
            descriptor = os.open(database, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE)
            os.close(descriptor)


def _set_lock_timeout(engine: Engine, milliseconds: int) -> None:
    """Make every PostgreSQL connection give up waiting for a lock after ``milliseconds``.

    Without it a request queued behind a long lock waits until gunicorn kills its worker; with
    it the statement fails with SQLSTATE 55P03, and the app answers 503 with Retry-After.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        autocommit = dbapi_connection.autocommit
        dbapi_connection.autocommit = True
        try:
            with dbapi_connection.cursor() as cursor:
                cursor.execute(f"SET lock_timeout = {int(milliseconds)}")
        finally:
            dbapi_connection.autocommit = autocommit


def is_temporarily_unavailable(error: BaseException) -> bool:
    """Whether ``error`` means "the database cannot serve this now; try again shortly".

    True for a lock that was not granted in time (SQLite "database is locked", PostgreSQL
    ``lock_timeout``, a deadlock or serialisation failure), a database that cannot be reached
    or is restarting, and a connection pool with no free connection. Not for errors that the
    same request would meet again (a missing table, a constraint, bad SQL).

    Examples
    --------
    >>> import sqlite3
    >>> from sqlalchemy.exc import OperationalError
    >>> is_temporarily_unavailable(
    ...     OperationalError("BEGIN", {}, sqlite3.OperationalError("database is locked")))
    True
    >>> is_temporarily_unavailable(
    ...     OperationalError("SELECT", {}, sqlite3.OperationalError("no such table: x")))
    False
    """
    if isinstance(error, (exc.TimeoutError, exc.DisconnectionError)):
        return True
    if not isinstance(error, exc.DBAPIError):
        return False
    if error.connection_invalidated:
        return True
    original = error.orig
    if isinstance(original, sqlite3.OperationalError):
        return str(original).lower().startswith(SQLITE_BUSY_MESSAGES)
    state = getattr(original, "sqlstate", None)
    if state is not None:
        return state in POSTGRES_TRANSIENT_STATES or state.startswith("08")
    # psycopg's own failure to connect (refused, timed out, name unknown) has no SQLSTATE
    return isinstance(error, exc.OperationalError) and type(original).__module__.startswith(
        "psycopg"
    )


def _ping_idle_connections(engine: Engine, after_seconds: float) -> None:
    """Test a pooled connection at checkout when it has been idle for ``after_seconds``.

    SQLAlchemy's ``pool_pre_ping`` tests every checkout, which costs a round trip on every
    request; a connection checked in a few milliseconds ago is alive. A connection that fails
    the test (the server restarted, a firewall dropped it) is discarded and the pool connects
    afresh, so the request does not see the error. A connection that dies within the idle
    window fails its request, and SQLAlchemy then invalidates the pool's older connections.
    """

    @event.listens_for(engine, "checkin")
    def _on_checkin(dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        record.info[_IDLE_SINCE] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_connection: Any, record: ConnectionPoolEntry, proxy: Any) -> None:
        idle_since = record.info.get(_IDLE_SINCE)
        if idle_since is None or time.monotonic() - idle_since < after_seconds:
            return
        try:
            alive = engine.dialect.do_ping(dbapi_connection)
        except Exception as error:  # any failure means the connection is gone
            raise exc.DisconnectionError(f"pooled connection failed its test: {error}") from error
        if not alive:
            raise exc.DisconnectionError("pooled connection failed its test")


def _configure_sqlite(engine: Engine, *, busy_timeout_ms: int, wal: bool, lock: str | None) -> None:
    """Install the connect and begin hooks that set SQLite's pragmas and transaction control."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, record: ConnectionPoolEntry) -> None:
        dbapi_connection.isolation_level = None  # SQLAlchemy emits BEGIN itself (below)
        if isinstance(dbapi_connection, QueuedConnection):
            dbapi_connection.lock_path = lock
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
            cursor.execute("PRAGMA foreign_keys = ON")
            if wal:
                cursor.execute("PRAGMA journal_mode = WAL")
                cursor.fetchall()
                # sync the WAL at every commit: an acknowledged submission survives power loss
                cursor.execute("PRAGMA synchronous = FULL")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        if not connection.get_execution_options().get(WRITE_LOCK_OPTION, False):
            connection.exec_driver_sql("BEGIN")
            return
        raw = connection.connection.dbapi_connection
        queued = raw if isinstance(raw, QueuedConnection) else None
        if queued is not None:
            queued.take_write_lock()  # released by the connection's commit() or rollback()
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            if queued is not None:
                queued.give_write_lock()
            raise


def begin_write(session: Session) -> None:
    """Start ``session``'s transaction as a writer.

    On SQLite this emits ``BEGIN IMMEDIATE``: the write lock is taken before the first read, so
    two requests writing at once queue instead of one failing with "database is locked" when it
    tries to upgrade a read snapshot. Writers queue on the database's lock file first (the
    kernel wakes the next one as soon as a transaction ends), with the busy timeout behind it.
    On PostgreSQL it simply starts the transaction (row locks and constraints do the rest).

    Raises
    ------
    RuntimeError
        If the session is already inside a transaction (commit or roll back first).

    Examples
    --------
    >>> from sqlalchemy import text
    >>> session = Session(make_engine("sqlite://"))
    >>> begin_write(session)
    >>> session.execute(text("SELECT 1")).scalar()
    1
    >>> session.close()
    """
    if session.in_transaction():
        raise RuntimeError(
            "begin_write() must start the transaction; commit or roll back the session first"
        )
    session.connection(execution_options={WRITE_LOCK_OPTION: True})


def begin_read(session: Session) -> None:
    """Start ``session``'s transaction for a request that only reads.

    On SQLite this is the ordinary (deferred) ``BEGIN``: every read of the transaction sees one
    snapshot. On PostgreSQL the connection runs in autocommit instead: each statement sees the
    data committed before it started, exactly as it would inside a transaction at PostgreSQL's
    default isolation (READ COMMITTED), but without the ``BEGIN`` and ``ROLLBACK`` round trips.
    The connection is back in transactional mode once the session commits, rolls back or
    closes; until then the session must not write (each statement would commit on its own).
    A session already in a transaction is left as it is: the reads join that transaction.

    Examples
    --------
    >>> from sqlalchemy import text
    >>> session = Session(make_engine("sqlite://"))
    >>> begin_read(session)
    >>> session.in_transaction(), session.execute(text("SELECT 1")).scalar()
    (True, 1)
    >>> session.close()
    """
    if session.in_transaction():
        return
    if session.get_bind().dialect.name == "postgresql":
        session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
    else:
        session.connection()


@dataclass(frozen=True)
class _Bound:
    """The engine and session factory of one app."""

    engine: Engine
    session_factory: sessionmaker[Session]


class Database:
    """The app's database: an engine per app and one session per application context.

    Created unbound in :mod:`survey_app.extensions`; :meth:`init_app` builds the engine from
    ``DATABASE_URL``. ``db.session`` is closed (and rolled back if uncommitted) when the
    application context ends, i.e. after every request and CLI command.
    """

    def init_app(self, app: Flask) -> None:
        """Create the engine for ``app.config["DATABASE_URL"]`` and register the teardown."""
        engine = make_engine(
            app.config["DATABASE_URL"],
            busy_timeout_ms=int(app.config["DATABASE_LOCK_TIMEOUT_MS"]),
            echo=bool(app.config["DATABASE_ECHO"]),
        )
        app.extensions[EXTENSION_KEY] = _Bound(engine, sessionmaker(bind=engine))
        app.teardown_appcontext(_close_session)

    @staticmethod
    def _bound(app: Flask | None = None) -> _Bound:
        target = app if app is not None else current_app
        try:
            bound: _Bound = target.extensions[EXTENSION_KEY]
        except KeyError:
            raise RuntimeError("the database is not initialised for this app") from None
        return bound

    @property
    def engine(self) -> Engine:
        """The current app's engine."""
        return self._bound().engine

    def engine_for(self, app: Flask) -> Engine:
        """``app``'s engine, outside an application context (commands, tests)."""
        return self._bound(app).engine

    @property
    def session(self) -> Session:
        """The session of the current application context (created on first use)."""
        session: Session | None = g.get(_SESSION_KEY)
        if session is None:
            session = self._bound().session_factory()
            setattr(g, _SESSION_KEY, session)
        return session

    def dispose(self, app: Flask) -> None:
        """Close every pooled connection of ``app``'s engine (tests, process shutdown)."""
        self._bound(app).engine.dispose()


def _close_session(exception: BaseException | None) -> None:
    """Close the context's session; uncommitted work is rolled back."""
    session: Session | None = g.pop(_SESSION_KEY, None)
    if session is not None:
        session.close()
