"""PostgreSQL connection pool: a connection the server dropped while idle is replaced, not used."""

from __future__ import annotations

import psycopg
import pytest
from sqlalchemy import exc, text

from survey_app.database import make_engine
from tests.survey_app.conftest import _psycopg_conninfo

pytestmark = pytest.mark.postgres


def _backend(engine: object) -> int:
    with engine.connect() as connection:  # type: ignore[attr-defined]
        return int(connection.execute(text("SELECT pg_backend_pid()")).scalar_one())


def _terminate(database: str, pid: int) -> None:
    with psycopg.connect(_psycopg_conninfo(database), autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))


def test_an_idle_connection_the_server_dropped_is_replaced_at_checkout(
    postgres_database: str,
) -> None:
    engine = make_engine(postgres_database, ping_after_idle_s=0.0)
    try:
        first = _backend(engine)
        _terminate(postgres_database, first)
        assert _backend(engine) != first  # tested at checkout, found dead, reconnected
    finally:
        engine.dispose()


def test_a_connection_used_moments_ago_is_not_tested_again(postgres_database: str) -> None:
    # Within the idle window there is no test round trip: a connection that died meanwhile
    # fails its request (and the pool is invalidated, so the next request reconnects).
    engine = make_engine(postgres_database, ping_after_idle_s=3600.0)
    try:
        first = _backend(engine)
        _terminate(postgres_database, first)
        with pytest.raises(exc.OperationalError):
            _backend(engine)
        assert _backend(engine) != first
    finally:
        engine.dispose()


def test_connecting_gives_up_after_ten_seconds_unless_the_url_says_otherwise() -> None:
    default = make_engine("postgresql://copkit@db.invalid/copkit")
    chosen = make_engine("postgresql://copkit@db.invalid/copkit?connect_timeout=3")
    try:
        assert default.url.query["connect_timeout"] == "10"
        assert chosen.url.query["connect_timeout"] == "3"
        _, options = default.dialect.create_connect_args(default.url)
        assert options["connect_timeout"] == "10"  # handed to libpq
    finally:
        default.dispose()
        chosen.dispose()
