"""begin_read: a snapshot on SQLite, autocommit reads on PostgreSQL, transactional again after."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from survey_app.database import begin_read, begin_write, make_engine


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """An engine on an empty database with one table ``t`` holding one row."""
    engine = make_engine(database_url)
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE t (x INTEGER)")
        connection.exec_driver_sql("INSERT INTO t VALUES (1)")
    yield engine
    engine.dispose()


def _insert_elsewhere(engine: Engine, value: int) -> None:
    with engine.connect() as other:
        other.execute(text("INSERT INTO t VALUES (:x)"), {"x": value})
        other.commit()


def _count(session: Session) -> int:
    return int(session.execute(text("SELECT count(*) FROM t")).scalar_one())


def _autocommit(session: Session) -> bool:
    return bool(session.connection().connection.dbapi_connection.autocommit)  # type: ignore[union-attr]


def test_reads_see_what_each_database_promises(engine: Engine, database_kind: str) -> None:
    """SQLite: one snapshot for the whole read. PostgreSQL: each statement sees what was
    committed before it, as in a READ COMMITTED transaction (no BEGIN, no ROLLBACK sent)."""
    with Session(engine) as session:
        begin_read(session)
        assert _count(session) == 1
        _insert_elsewhere(engine, 2)
        if database_kind == "sqlite":
            assert _count(session) == 1
        else:
            assert _autocommit(session)
            assert _count(session) == 2
            # every statement is its own transaction: nothing is left open on the server
            status = session.execute(text("SELECT now() = statement_timestamp()")).scalar_one()
            assert status is True


def test_the_connection_is_transactional_again_afterwards(
    engine: Engine, database_kind: str
) -> None:
    with Session(engine) as session:
        begin_read(session)
        _count(session)
    with Session(engine) as session:  # the same pooled connection, back in the pool meanwhile
        begin_write(session)
        session.execute(text("INSERT INTO t VALUES (3)"))
        if database_kind == "postgresql":
            assert not _autocommit(session)
        session.rollback()  # the insert was inside a transaction, so it is undone
    with Session(engine) as session:
        assert _count(session) == 1


def test_a_running_transaction_is_joined(engine: Engine) -> None:
    with Session(engine) as session:
        session.execute(text("INSERT INTO t VALUES (4)"))
        begin_read(session)
        assert _count(session) == 2
        session.rollback()
        assert _count(session) == 1
