"""Write transactions, owned by the services: take the write lock first, commit on success, roll back on any error."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Concatenate, ParamSpec, TypeVar

from sqlalchemy.orm import Session

from survey_app.database import begin_write

WRITING = "copkit_writing"
"""The key of ``session.info`` that is true while :func:`write_transaction` holds the session."""

P = ParamSpec("P")
R = TypeVar("R")


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
    it finishes and rolled back if it raises. Inside a write transaction of the same session
    (one service calling another), the block joins it: the outermost one commits.

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
    if session.info.get(WRITING):
        yield session
        return
    end_read(session)
    begin_write(session)
    session.info[WRITING] = True
    try:
        yield session
    except BaseException:
        session.rollback()
        raise
    else:
        session.commit()
    finally:
        session.info.pop(WRITING, None)


def transactional(
    service: Callable[Concatenate[Session, P], R],
) -> Callable[Concatenate[Session, P], R]:
    """Make a service that writes own its transaction (docs/architecture.md#conventions).

    The service (whose first argument is the session) runs in one :func:`write_transaction`:
    committed when it returns, rolled back when it raises (a :class:`ServiceError` included),
    so its caller (a view, a command) never begins, commits or rolls back. Called inside a
    write transaction (a command's, or another service's), it joins that one instead. A caller
    holding changes it has not committed gets the RuntimeError of :func:`end_read`: they would
    otherwise be committed by someone who did not make them.

    Examples
    --------
    >>> from sqlalchemy import text
    >>> from survey_app.database import make_engine
    >>> @transactional
    ... def add_row(session: Session, x: int) -> None:
    ...     _ = session.execute(text("INSERT INTO t VALUES (:x)"), {"x": x})
    ...     if x < 0:
    ...         raise ValueError("x must not be negative")
    >>> session = Session(make_engine("sqlite://"))
    >>> with write_transaction(session):
    ...     _ = session.execute(text("CREATE TABLE t (x INTEGER)"))
    >>> add_row(session, 1)
    >>> add_row(session, -1)
    Traceback (most recent call last):
    ...
    ValueError: x must not be negative
    >>> session.in_transaction()  # committed, or rolled back: nothing left open
    False
    >>> session.execute(text("SELECT x FROM t")).scalars().all()
    [1]
    >>> session.close()
    """

    @functools.wraps(service)
    def run(session: Session, /, *args: P.args, **kwargs: P.kwargs) -> R:
        with write_transaction(session):
            return service(session, *args, **kwargs)

    return run
