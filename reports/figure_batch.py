"""Report figures drawn together, in parallel worker processes, after the sections are built."""

from __future__ import annotations

import gc
import os
from collections.abc import Callable, Mapping
from contextlib import nullcontext
from typing import Any

from markupsafe import Markup

from reports import figures

__all__ = ["FigureBatch", "default_jobs"]

_PLACEHOLDER = "<!--copkit figure {}-->"


def default_jobs() -> int:
    """Worker processes for drawing figures when none are asked for: every core this
    process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def _draw(name: str, args: tuple[Any, ...], kwargs: dict[str, Any], dpi: int | None) -> str:
    """Draw one figure with :mod:`reports.figures` (in a worker process or here).

    The figure's artists refer to one another in cycles, which only the cyclic garbage
    collector frees: collected here, after each figure, a 100-panel figure is gone before
    the next is drawn instead of piling up with it.
    """
    draw: Callable[..., Markup] = getattr(figures, name)
    with figures.raster_figures(dpi) if dpi is not None else nullcontext():
        markup = str(draw(*args, **kwargs))
    gc.collect()
    return markup


class FigureBatch:
    """Stands in for :mod:`reports.figures` while a report is built: each ``*_figure`` call
    is noted and answered with a placeholder; :meth:`draw` then draws them all at once.

    Every figure is drawn by its own call of the same function with the same arguments
    (and, inside :func:`reports.figures.raster_figures`, the same resolution), one figure a
    task, so the markup is the same whatever the number of workers. Matplotlib draws in one
    thread per process (its settings are process-wide), so the figures of a 100-team report,
    most of its time, are shared out over worker processes (joblib, forked from this one).
    """

    def __init__(self) -> None:
        self._calls: list[tuple[str, tuple[Any, ...], dict[str, Any], int | None]] = []

    def __getattr__(self, name: str) -> Callable[..., Markup]:
        if not name.endswith("_figure") or not callable(getattr(figures, name, None)):
            raise AttributeError(name)

        def note(*args: Any, **kwargs: Any) -> Markup:
            self._calls.append((name, args, kwargs, figures.raster_dpi()))
            return Markup(_PLACEHOLDER.format(len(self._calls) - 1))

        return note

    def __len__(self) -> int:
        return len(self._calls)

    def draw(self, jobs: int | None = 1) -> Mapping[str, Markup]:
        """Draw every noted figure; placeholder -> figure markup.

        Parameters
        ----------
        jobs : int or None
            Worker processes; 1 draws here, in this process; None uses every core
            (:func:`default_jobs`). Never more workers than figures.

        Raises
        ------
        ValueError
            If ``jobs`` is not a whole number of at least 1 (or None).
        """
        if jobs is not None and (isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1):
            raise ValueError(f"jobs must be a whole number of at least 1, got {jobs!r}")
        workers = min(default_jobs() if jobs is None else jobs, len(self._calls))
        if workers <= 1:
            drawn = [_draw(*call) for call in self._calls]
        else:
            drawn = _draw_in_workers(self._calls, workers)
        return {_PLACEHOLDER.format(index): Markup(markup) for index, markup in enumerate(drawn)}


def _draw_in_workers(
    calls: list[tuple[str, tuple[Any, ...], dict[str, Any], int | None]], workers: int
) -> list[str]:
    """Draw ``calls`` on ``workers`` processes forked from this one, in order.

    Forked workers start with everything this process has imported (matplotlib, fonts),
    so drawing on two costs no more CPU time than drawing here; the workers end with the
    batch (idle ones would hold their memory while a PDF renders).
    """
    from joblib import Parallel, delayed

    # costliest first (most rows drawn), so no worker is left with a long figure at the end
    order = sorted(range(len(calls)), key=lambda i: -_weight(calls[i]))
    # Objects the workers inherit stay out of their garbage collector (gc.freeze): a
    # collection in a worker would otherwise write to every inherited object and so copy
    # the pages of this process's whole heap into each worker.
    gc.collect()
    gc.freeze()
    try:
        with Parallel(n_jobs=workers, backend="multiprocessing", batch_size=1) as parallel:
            results = parallel(delayed(_draw)(*calls[i]) for i in order)
    finally:
        gc.unfreeze()
    drawn: list[str] = [""] * len(calls)
    for i, markup in zip(order, results, strict=True):
        drawn[i] = str(markup)
    return drawn


def _weight(call: tuple[str, tuple[Any, ...], dict[str, Any], int | None]) -> int:
    """Roughly how long a figure takes: the rows of the data it draws."""
    return sum(len(a) for a in call[1] if hasattr(a, "__len__") and not isinstance(a, str))
