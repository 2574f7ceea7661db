"""Write transactions: take the write lock first, commit on success, roll back on any error."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.orm import Session

from survey_app.database import begin_write


def end_read(session: Session) -> None:
    """End the session's read-only transaction (e.g. the one loading the signed-in user).

    Raises
    ------
    RuntimeError
        If the session holds changes not yet committed: they belong to someone else's write.
    """
    if session.new or session.dirty or session.deleted:
        raise RuntimeError("the session has uncommitted changes; commit them before a new write")
    if session.in_transaction():
        session.commit()


@contextmanager
def write_transaction(session: Session) -> Iterator[Session]:
    """Run the block in one write transaction of ``session``.

    Any read transaction still open is ended first, then :func:`begin_write` starts the write
    (``BEGIN IMMEDIATE`` on SQLite), so everything the block reads is read under the write lock
    and a concurrent writer queues rather than failing. The block's changes are committed when
    it finishes and rolled back if it raises.

    Examples
    --------
    >>> from sqlalchemy import text
    >>> from survey_app.database import make_engine
    >>> session = Session(make_engine("sqlite://"))
    >>> with write_transaction(session):
    ...     _ = session.execute(text("CREATE TABLE t (x INTEGER)"))
    ...     _ = session.execute(text("INSERT INTO t VALUES (1)"))
    >>> session.execute(text("SELECT count(*) FROM t")).scalar()
    1
    >>> session.close()
    """
    end_read(session)
    begin_write(session)
    try:
        yield session
    except BaseException:
        session.rollback()
        raise
    session.commit()
