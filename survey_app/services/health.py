"""Is the database usable? One real read of every table of the schema, for ``/healthz``."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, select
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from survey_app.database import is_temporarily_unavailable
from survey_app.models import Base

UNREACHABLE = "the database cannot be reached"
SCHEMA = "the database lacks tables or columns this version needs (run copkit init-db)"
DAMAGED = "the database file is damaged or is not a database"
BUSY = "the database is busy"
OTHER = "reading the database failed"

_SCHEMA_WORDS = ("no such table", "no such column", "does not exist", "undefined")
_DAMAGE_WORDS = ("malformed", "not a database", "corrupt", "disk i/o error", "encrypted")


@dataclass(frozen=True)
class HealthProblem:
    """Why the database is not usable: a fixed phrase for the public answer, and the detail."""

    summary: str
    detail: str


def _classify(error: SQLAlchemyError) -> str:
    text = str(error.orig if isinstance(error, DBAPIError) else error).lower()
    if any(word in text for word in _DAMAGE_WORDS):
        return DAMAGED
    if any(word in text for word in _SCHEMA_WORDS):
        return SCHEMA
    if "unable to open" in text:
        return UNREACHABLE
    if is_temporarily_unavailable(error):
        busy = isinstance(error, DBAPIError) and not error.connection_invalidated
        return BUSY if busy and "lock" in text else UNREACHABLE
    return OTHER


def check_database(engine: Engine) -> HealthProblem | None:
    """Read one row of every table of the schema (every mapped column); None if all went well.

    Selecting the mapped columns proves the migrations this code needs have run; reading a row
    makes SQLite open each table's pages, so a damaged file fails here rather than "ok". A
    newer schema (extra columns or tables) passes: this version can still work with it.

    Returns
    -------
    HealthProblem or None
        ``summary`` is one of :data:`UNREACHABLE`, :data:`SCHEMA`, :data:`DAMAGED`,
        :data:`BUSY` or :data:`OTHER`; ``detail`` the first line of the database's message.

    Examples
    --------
    >>> from survey_app.database import make_engine
    >>> engine = make_engine("sqlite://")
    >>> check_database(engine).summary
    'the database lacks tables or columns this version needs (run copkit init-db)'
    >>> Base.metadata.create_all(engine)
    >>> check_database(engine) is None
    True
    >>> engine.dispose()
    """
    try:
        with engine.connect() as connection:
            for table in Base.metadata.sorted_tables:
                connection.execute(select(*table.columns).limit(1)).all()
    except SQLAlchemyError as error:
        first_line = (str(error).splitlines() or [type(error).__name__])[0]
        return HealthProblem(summary=_classify(error), detail=first_line)
    return None
