"""Independent analyses run side by side in forked processes, with the results of running them in turn."""

from __future__ import annotations

import gc
import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from pathlib import Path
from types import TracebackType
from typing import Any, Generic, TypeVar

__all__ = ["Pending", "SideBySide", "all_cores", "check_jobs", "idle_cores"]

T = TypeVar("T")


def all_cores() -> int:
    """The cores this process may run on (``os.sched_getaffinity``; ``os.cpu_count`` elsewhere)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


LOADAVG = Path("/proc/loadavg")
"""Linux's load figures; its fourth field counts the processes running or ready to run now."""


def _running_elsewhere() -> int:
    """Processes other than this one running or ready to run now (``/proc/loadavg``), or,
    where that file does not exist, the one-minute load average."""
    try:
        return max(0, int(LOADAVG.read_text(encoding="ascii").split()[3].split("/")[0]) - 1)
    except (OSError, IndexError, ValueError):
        pass
    try:
        return round(os.getloadavg()[0])
    except OSError:  # no load average on this system
        return 0


def idle_cores() -> int:
    """The cores this process may run on that other programs leave idle now: :func:`all_cores`
    less the other processes running or ready to run, at least 1.

    A command line's default number of processes: on a machine whose cores are busy, more
    processes gain no time (they share the same cores) and each holds its own memory. The
    count is of this moment, not the load average, which still counts a command that ended
    seconds ago (a report run just after an analysis would otherwise get one process).
    """
    return max(1, all_cores() - _running_elsewhere())


def check_jobs(jobs: int | None) -> int:
    """``jobs`` as a number of processes: ``None`` is every core; refused unless a whole
    number of at least 1."""
    if jobs is None:
        return all_cores()
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise ValueError(f"jobs must be a whole number of at least 1, got {jobs!r}")
    return jobs


class Pending(Generic[T]):
    """A computation handed to :class:`SideBySide`: ``result()`` is its value.

    The value comes from the worker that ran it; a computation no worker has started yet
    when its result is asked for is taken back (cancelled) and run in this process instead,
    so the asking process works rather than waits.
    """

    def __init__(
        self,
        function: Callable[..., T],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        future: Future[T] | None,
    ) -> None:
        self._call = (function, args, kwargs)
        self._future = future
        self._value: tuple[T] | None = None

    def take_back(self) -> None:
        """Compute the value here, now, if no worker has started it."""
        if self._value is None and (self._future is None or self._future.cancel()):
            self.result()

    def result(self) -> T:
        """The value (computed here if no worker has started it)."""
        if self._value is None:
            if self._future is not None and not self._future.cancel():
                return self._future.result()
            function, args, kwargs = self._call
            self._value = (function(*args, **kwargs),)
        return self._value[0]


class SideBySide:
    """Run independent computations in ``jobs - 1`` forked worker processes beside this one.

    Use as a context manager: :meth:`submit` queues a computation for the workers and
    returns a :class:`Pending` whose ``result()`` is its value. The caller does its own share
    of the work meanwhile, then asks for the results, last submitted first: a computation no
    worker has started by then runs in the caller (with one job, every computation runs so,
    when its result is asked for). Submit the longest computations first.

    Parameters
    ----------
    jobs : int
        Processes working on the analysis, this one included. With 1 every computation runs
        in this process when submitted.

    Notes
    -----
    Workers are forked (POSIX ``fork``), so they start with every module this process has
    imported: a worker costs no start-up imports, unlike a freshly started interpreter
    (joblib's loky), which would import numpy, pandas and scipy again in each worker. A
    computation and its arguments are pickled to the worker and its value pickled back;
    the same function on the same data runs the same floating-point operations whatever the
    process, so the results equal those of running in turn (the pipeline's tests compare
    them). Forking a process that runs other threads is unsafe (a lock another thread held
    stays held in the child), so only single-threaded callers (the ``copkit`` command line)
    should ask for more than one job; the web app analyses with one. Where ``fork`` does not
    exist, every computation runs here.
    """

    def __init__(self, jobs: int) -> None:
        self.jobs = check_jobs(jobs)
        self._pool: Executor | None = None
        self._submitted: list[Pending[Any]] = []

    def __enter__(self) -> SideBySide:
        if self.jobs > 1 and "fork" in multiprocessing.get_all_start_methods():
            # What the workers inherit stays out of the garbage collector until the end
            # (gc.freeze): a collection in a worker would write to every inherited object
            # and so copy this process's whole heap, page by page, into the worker.
            gc.collect()
            gc.freeze()
            self._pool = ProcessPoolExecutor(
                max_workers=self.jobs - 1, mp_context=multiprocessing.get_context("fork")
            )
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=error is not None)
            self._pool = None
            gc.unfreeze()

    def submit(self, function: Callable[..., T], *args: Any, **kwargs: Any) -> Pending[T]:
        """Queue ``function(*args, **kwargs)`` for the workers (see :class:`Pending`)."""
        future = None if self._pool is None else self._pool.submit(function, *args, **kwargs)
        pending = Pending(function, args, kwargs, future)
        self._submitted.append(pending)
        return pending

    def take_back_unstarted(self) -> None:
        """Compute here, last submitted first, every computation no worker has started.

        Call it when this process has done its own share: it then works through the queue
        from its end while the workers finish what they started, instead of waiting for the
        first result it asks for while later computations still wait in the queue.
        """
        for pending in reversed(self._submitted):
            pending.take_back()
