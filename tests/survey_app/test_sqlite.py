"""SQLite set-up: WAL journal, foreign keys, busy timeout, and writers taking the lock up front."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import text
from sqlalchemy.orm import Session

from survey_app.database import begin_write, make_engine, normalise_url
from survey_app.extensions import db


def test_pragmas_on_every_connection(sqlite_app: Flask) -> None:
    engine = db.engine_for(sqlite_app)
    for _ in range(2):  # a fresh connection and a pooled one
        with engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            # FULL (2): the WAL is synced at every commit, so an acknowledged answer survives a
            # power cut (some builds default to NORMAL in WAL mode, which does not)
            assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 2
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 10_000


def test_busy_timeout_is_configurable(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'x.sqlite3'}", busy_timeout_ms=2500)
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 2500
    engine.dispose()


def test_reads_happen_inside_the_transaction(tmp_path: Path) -> None:
    """SQLAlchemy emits BEGIN itself, so a SELECT already holds a snapshot (serialisable)."""
    path = tmp_path / "x.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE t (x INTEGER)")
        connection.exec_driver_sql("INSERT INTO t VALUES (1)")
    with Session(engine) as session:
        assert session.execute(text("SELECT count(*) FROM t")).scalar() == 1
        other = sqlite3.connect(path)
        other.execute("INSERT INTO t VALUES (2)")
        other.commit()
        other.close()
        assert session.execute(text("SELECT count(*) FROM t")).scalar() == 1  # same snapshot
    engine.dispose()


def test_begin_write_takes_the_write_lock_at_once(tmp_path: Path) -> None:
    path = tmp_path / "x.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE t (x INTEGER)")
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    with Session(engine) as session:
        begin_write(session)
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")
        session.rollback()
    other.execute("BEGIN IMMEDIATE")  # free again once the writer is done
    other.execute("ROLLBACK")
    other.close()

    with Session(engine) as session:  # an ordinary transaction does not lock until it writes
        session.execute(text("SELECT 1"))
        other = sqlite3.connect(path, timeout=0, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
        other.close()
    engine.dispose()


def test_begin_write_refuses_a_running_transaction(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'x.sqlite3'}")
    with Session(engine) as session:
        session.execute(text("SELECT 1"))
        with pytest.raises(RuntimeError, match="commit or roll back"):
            begin_write(session)
    engine.dispose()


def test_postgres_urls_use_psycopg_3() -> None:
    assert normalise_url("postgresql://u@h/d").drivername == "postgresql+psycopg"
    assert normalise_url("postgresql+psycopg://u@h/d").drivername == "postgresql+psycopg"
