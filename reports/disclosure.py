"""Releases and the disclosure check across them: what an audience saw once stays seen.

A manager who looked at last month's page, or at the page before a correction or an erasure,
still holds its figures. Suppressing each view on its own (:func:`reports.suppression.suppress`)
is therefore not enough: a new view must also be checked against everything the same audience
was shown before. Each published view is kept as a :class:`Release`: the figures it showed
(:class:`ReleasedCell`, with the exact respondents each rests on; never the values, which are
not needed to judge a difference). :func:`check_release` decides a new view's figures against
every earlier release, and :func:`isolating_pairs` audits a list of releases for any two
published figures of one measure, in one release or two, whose respondents differ by 1 to
``min_cell - 1`` people (the difference of their totals would be those few people's answers).

The attacks this closes, each a pair of published figures of one measure:

- **Reopen and subtract.** Wave 5 shown over 7 respondents, then (after a late answer) over 8:
  ``8 x mean_8 - 7 x mean_7`` is the late respondent's score. The second figure is withheld.
- **Corrections.** A member's profession corrected from GP to consultant moves them between
  two profession figures of a past wave; each new figure differs from the one shown before by
  that one person. (The app also keeps professions as recorded at each wave.)
- **Joiners and leavers.** Wave 1 over five people, wave 2 over the same five and one joiner:
  the measure names no wave, so the two means are comparable and the later one is withheld.
- **Erasure.** After a member's data are erased, a figure recomputed without them differs from
  the one shown before by exactly that member; it is withheld, not re-shown.

Figures computed from other figures (``depends_on``: changes, verdicts) are not kept: they are
withheld whenever an input is, and computed from the displayed (rounded) inputs, so they add
nothing an audience could not work out from the inputs themselves.

Examples
--------
>>> from reports.suppression import Cell
>>> five = frozenset("abcde")
>>> first = [Cell("team|w1", "mean:practice", five, 4.0, wave=1)]
>>> shown = check_release(first, [], 5)
>>> release1 = make_release("release 1", first, shown)
>>> second = [Cell("team|w2", "mean:practice", five | {"joiner"}, 4.3, wave=2)]
>>> shown = check_release(second, [release1], 5)
>>> shown["team|w2"].text
"suppressed: could be worked out from figures shown before (it would reveal fewer than 5 people's answers)"
>>> isolating_pairs([release1, make_release("release 2", second, shown)], 5)
[]
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from reports.suppression import DEFAULT_MIN_CELL, Cell, SafeFigure, isolated_groups, suppress

__all__ = [
    "IsolatingPair",
    "Release",
    "ReleasedCell",
    "cells_from_records",
    "cells_to_records",
    "check_release",
    "isolating_pairs",
    "make_release",
    "published_cells",
    "recoverable_groups",
    "rename_respondent",
]


@dataclass(frozen=True)
class ReleasedCell:
    """A figure an audience was shown: its key, what it measures and whom it rests on.

    Attributes
    ----------
    key : str
        The figure's key in its view (e.g. ``"Ward|mean|practice|w3"``).
    measure : str
        What it aggregates; figures of one measure can be subtracted from each other.
    respondents : frozenset of str
        The pseudonyms it rests on (kept for the check, never shown).
    """

    key: str
    measure: str
    respondents: frozenset[str]


@dataclass(frozen=True)
class Release:
    """Everything one audience was shown at once (a view as published)."""

    label: str
    cells: tuple[ReleasedCell, ...]


@dataclass(frozen=True)
class IsolatingPair:
    """Two published figures of one measure whose respondents differ by a few people.

    Attributes
    ----------
    measure : str
        Their measure.
    first, second : tuple of str
        ``(release label, cell key)`` of each.
    differ : int
        How many people are in one but not the other (1 to ``min_cell - 1``).
    """

    measure: str
    first: tuple[str, str]
    second: tuple[str, str]
    differ: int


def published_cells(
    cells: Iterable[Cell], shown: Mapping[str, SafeFigure]
) -> tuple[ReleasedCell, ...]:
    """The figures of a view that were published, as they are kept in its release.

    Suppressed figures were never seen, and derived ones (``depends_on``) carry nothing beyond
    their inputs, so neither is kept.
    """
    return tuple(
        ReleasedCell(cell.key, cell.measure, cell.respondents)
        for cell in cells
        if not cell.depends_on and cell.key in shown and not shown[cell.key].suppressed
    )


def make_release(label: str, cells: Iterable[Cell], shown: Mapping[str, SafeFigure]) -> Release:
    """The release of a view: its published figures (see :func:`published_cells`)."""
    return Release(label, published_cells(cells, shown))


def check_release(
    cells: Iterable[Cell], earlier: Sequence[Release], min_cell: int = DEFAULT_MIN_CELL
) -> dict[str, SafeFigure]:
    """Decide a new view's figures against itself and every earlier release of its audience.

    The rules of :func:`reports.suppression.suppress` apply within the view; in addition every
    figure of an earlier release counts as published for good, and a new figure whose
    respondents differ from an earlier one of the same measure by 1 to ``min_cell - 1`` people
    is withheld (reason ``"earlier"``, shown as "could be worked out from figures shown
    before"). A new figure resting on exactly the respondents of an earlier one may be shown
    again (its difference is nobody).

    Parameters
    ----------
    cells : iterable of Cell
        Every figure the new view would show.
    earlier : sequence of Release
        Every release the same audience has been shown, in any order.
    min_cell : int
        The smallest number of respondents a figure may rest on.

    Returns
    -------
    dict of str to SafeFigure
        As :func:`reports.suppression.suppress`.

    Notes
    -----
    For every pair of published cells :math:`A, B` of one measure (in the new view or one new
    and one earlier) the result guarantees :math:`|A \\triangle B| = 0` or
    :math:`|A \\triangle B| \\geq` ``min_cell``, so no difference of two published totals
    rests on fewer than ``min_cell`` people; :func:`isolating_pairs` checks exactly that.

    References
    ----------
    Hundepool, A. et al. (2012). *Statistical Disclosure Control*. Wiley, section 5.6
    (linked tables and disclosure by differencing).
    """
    seen = [
        Cell(f"{release.label}|{cell.key}", cell.measure, cell.respondents, None)
        for release in earlier
        for cell in release.cells
    ]
    return suppress(cells, min_cell, seen=seen)


def isolating_pairs(
    releases: Sequence[Release], min_cell: int = DEFAULT_MIN_CELL
) -> list[IsolatingPair]:
    """Every pair of published figures of one measure that isolates 1 to ``min_cell - 1`` people.

    The pairs are looked for within each release and across every two releases. An empty
    list means no difference of two published totals reveals fewer than ``min_cell`` people.

    Examples
    --------
    >>> a = ReleasedCell("w1", "mean:practice", frozenset("abcde"))
    >>> b = ReleasedCell("w2", "mean:practice", frozenset("abcdef"))
    >>> isolating_pairs([Release("r1", (a,)), Release("r2", (b,))], 5)
    [IsolatingPair(measure='mean:practice', first=('r1', 'w1'), second=('r2', 'w2'), differ=1)]
    """
    by_measure: dict[str, list[tuple[str, ReleasedCell]]] = defaultdict(list)
    for release in releases:
        for cell in release.cells:
            by_measure[cell.measure].append((release.label, cell))
    found: list[IsolatingPair] = []
    for measure in sorted(by_measure):
        cells = sorted(by_measure[measure], key=lambda item: len(item[1].respondents))
        for index, (label_a, a) in enumerate(cells):
            for label_b, b in cells[index + 1 :]:
                if len(b.respondents) - len(a.respondents) >= min_cell:
                    break
                differ = len(a.respondents ^ b.respondents)
                if 0 < differ < min_cell:
                    found.append(IsolatingPair(measure, (label_a, a.key), (label_b, b.key), differ))
    return found


def recoverable_groups(
    releases: Sequence[Release], min_cell: int = DEFAULT_MIN_CELL
) -> list[tuple[str, frozenset[str]]]:
    """Groups of 1 to ``min_cell - 1`` people that some linear combination of published
    figures of one measure, in any releases, isolates (see
    :func:`reports.suppression.isolated_groups`: any number of figures, groups of one or two
    atoms); an empty list means none.

    Examples
    --------
    >>> x, y = frozenset("abcde"), frozenset("fghij")
    >>> first = Release("r1", (ReleasedCell("X|w1", "m", x), ReleasedCell("Y|w1", "m", y)))
    >>> merged = Release("r2", (ReleasedCell("X|w2", "m", x | y | {"z"}),))
    >>> recoverable_groups([first, merged], 5)
    [('m', frozenset({'z'}))]
    """
    by_measure: dict[str, set[frozenset[str]]] = defaultdict(set)
    for release in releases:
        for cell in release.cells:
            by_measure[cell.measure].add(cell.respondents)
    return [
        (measure, group)
        for measure in sorted(by_measure)
        for group in isolated_groups(sorted(by_measure[measure], key=sorted), min_cell)
    ]


def rename_respondent(release: Release, old: str, new: str) -> Release:
    """The release with respondent ``old`` called ``new`` (after an erasure: the pseudonym
    goes, the sets keep their shape so later releases are still checked against them)."""
    return Release(
        release.label,
        tuple(
            ReleasedCell(
                cell.key,
                cell.measure,
                frozenset(new if r == old else r for r in cell.respondents),
            )
            if old in cell.respondents
            else cell
            for cell in release.cells
        ),
    )


def cells_to_records(cells: Iterable[ReleasedCell]) -> list[dict[str, Any]]:
    """Released cells as JSON-ready records (respondents sorted)."""
    return [
        {"key": cell.key, "measure": cell.measure, "respondents": sorted(cell.respondents)}
        for cell in cells
    ]


def cells_from_records(records: Iterable[Mapping[str, Any]]) -> tuple[ReleasedCell, ...]:
    """The inverse of :func:`cells_to_records`.

    Raises
    ------
    ValueError
        For a record without ``key``, ``measure`` or a list of ``respondents``.
    """
    out: list[ReleasedCell] = []
    for index, record in enumerate(records):
        respondents = record.get("respondents")
        if "key" not in record or "measure" not in record or not isinstance(respondents, list):
            raise ValueError(f"released cell {index} needs key, measure and a respondents list")
        out.append(
            ReleasedCell(
                str(record["key"]), str(record["measure"]), frozenset(map(str, respondents))
            )
        )
    return tuple(out)
