"""A lock file that queues SQLite write transactions across processes, so waiting writers sleep
in the kernel instead of in SQLite's busy handler.

Why: a second writer's ``BEGIN IMMEDIATE`` finds the database locked and SQLite's busy handler
retries after sleeping 1, 2, 5, 10, 15, 20, 25, ... up to 100 ms at a time, so under load a
waiting writer often sleeps well past the moment the lock came free (the long tail of survey
submissions on SQLite). With the lock file, writers that use :func:`survey_app.database.
begin_write` first take an exclusive ``flock`` on ``<database>-writelock`` and are woken by the
kernel as soon as the previous writer commits or rolls back.

What does not change: SQLite's own locking decides who writes (WAL, ``busy_timeout``); writers
that do not use ``begin_write`` (migrations, plain ORM transactions) never touch the lock file
and simply meet SQLite's lock as before; a writer that cannot open the lock file writes without
it. A thread never waits for the lock file while it already holds it through another connection
(it meets SQLite's busy timeout instead, as before), so the lock file adds no deadlock.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading

LOCK_SUFFIX = "-writelock"
"""Appended to the database file's path to name its lock file (like SQLite's ``-wal``)."""

_local = threading.local()


def lock_path_for(database: str) -> str:
    """The lock file of the SQLite database file ``database`` (made absolute).

    Examples
    --------
    >>> lock_path_for("/srv/copkit/copkit.sqlite3")
    '/srv/copkit/copkit.sqlite3-writelock'
    """
    return os.path.abspath(database) + LOCK_SUFFIX


def _held_by_this_thread() -> set[str]:
    held: set[str] | None = getattr(_local, "held", None)
    if held is None:
        held = set()
        _local.held = held
    return held


class QueuedConnection(sqlite3.Connection):
    """A ``sqlite3`` connection that can queue its write transactions on a lock file.

    Created by ``sqlite3.connect(..., factory=QueuedConnection)``; :attr:`lock_path` is set by
    the engine's connect hook. :meth:`take_write_lock` is called before ``BEGIN IMMEDIATE``;
    the lock is given back when the transaction ends: after ``commit()`` or ``rollback()``
    (which SQLAlchemy calls for commits, rollbacks, closed sessions and connections returned to
    the pool) or when the connection closes.
    """

    lock_path: str | None = None
    _lock_fd: int | None = None
    _holder: set[str] | None = None
    """The holding thread's set of held lock files, while the lock is held."""

    def take_write_lock(self) -> None:
        """Wait for the lock file (blocking in the kernel) unless it cannot help.

        Skipped when there is no lock file, when it cannot be opened, or when this thread
        already holds it through another connection.
        """
        path = self.lock_path
        held = _held_by_this_thread()
        if path is None or self._holder is not None or path in held:
            return
        if self._lock_fd is None:
            try:
                self._lock_fd = os.open(path, os.O_RDONLY | os.O_CREAT | os.O_CLOEXEC, 0o600)
            except OSError:  # e.g. a read-only folder: SQLite's busy timeout alone, as before
                self.lock_path = None
                return
        fcntl.flock(self._lock_fd, fcntl.LOCK_EX)
        held.add(path)
        self._holder = held

    def give_write_lock(self) -> None:
        """Release the lock file if this connection holds it."""
        holder = self._holder
        if holder is None or self._lock_fd is None:
            return
        self._holder = None
        if self.lock_path is not None:
            holder.discard(self.lock_path)
        fcntl.flock(self._lock_fd, fcntl.LOCK_UN)

    @property
    def holds_write_lock(self) -> bool:
        """Whether this connection holds the lock file now."""
        return self._holder is not None

    def commit(self) -> None:
        """Commit, then let the next writer in."""
        try:
            super().commit()
        finally:
            self.give_write_lock()

    def rollback(self) -> None:
        """Roll back, then let the next writer in."""
        try:
            super().rollback()
        finally:
            self.give_write_lock()

    def close(self) -> None:
        """Close the connection and its lock file (which releases the lock in any case)."""
        try:
            super().close()
        finally:
            self.give_write_lock()
            if self._lock_fd is not None:
                os.close(self._lock_fd)
                self._lock_fd = None
