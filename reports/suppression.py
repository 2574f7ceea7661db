"""Small-cell suppression for manager-facing figures: primary, complementary and derived rules.

Managers see aggregates only, and no figure may rest on fewer than ``min_cell`` respondents
(``COPKIT_MIN_CELL``, default 5), neither directly nor by subtracting one published figure from
another. Every figure a manager view publishes is first described as a :class:`Cell` (its
value, the exact set of respondent pseudonyms it rests on, and what it measures) and the whole
set of cells of that view is passed through :func:`suppress` at once. The pseudonyms never
leave this module: the result (:class:`SafeFigure`) carries only the value, ``n`` and a notice.

The rules, applied until nothing changes:

1. **Primary.** A cell resting on fewer than ``min_cell`` respondents is suppressed and shown
   as ``"suppressed: fewer than 5 responses"`` (with the actual ``min_cell``). Its ``n`` is not
   shown either (a count of 1 in a professional group says that the one nurse responded).
2. **Two views of the same measure.** Cells are comparable when they have the same
   ``measure`` (the same per-person quantity, e.g. the mutual engagement score at wave 3).
   Two comparable published cells whose respondent sets differ by 1 to ``min_cell - 1``
   people (symmetric difference) are not both shown: the difference of their totals would
   reveal those few people. The one with the lower ``priority`` (team-level figures rank
   above subgroups), then the smaller ``n``, is suppressed. This covers a team mean next to
   a subgroup mean (team of 6, profession of 5: the other profession's 1 person is the
   difference), the same team and wave counted twice with different ``n`` (e.g. all
   respondents versus those who also answered the previous wave), and two overlapping teams
   a manager sees side by side.
3. **Complementary suppression in a breakdown.** A cell may name a ``parent`` cell of the
   same measure that it breaks down (e.g. professions within the team); the parts of one
   parent must be disjoint subsets of it. If the parent is shown, the respondents of the
   parent not covered by the shown parts (the residual, recoverable by subtraction) must be
   none or at least ``min_cell``; otherwise the smallest shown part is suppressed as well,
   and again until that holds (a team of 6 split 5/1: the 1 is primary, the 5 complementary).
4. **Recoverable wholes.** If a parent is suppressed but every one of its parts is shown,
   the parent is their sum; the smallest part is suppressed too.
5. **Derived figures.** A cell computed from other cells (``depends_on``, e.g. the change
   between two waves) is suppressed whenever any cell it depends on is suppressed, so that
   no suppressed figure can be recovered by adding a published change to a published level.

Cells of different measures are taken to be not subtractable from each other (a scale mean
and an agreement index, say); give cells the same ``measure`` whenever one could be combined
with the other. A composite (e.g. the mean of three practice scales) must rest on exactly the
respondents of the parts shown beside it: if a composite over 7 people were shown next to
its parts over 8, a little algebra would give the eighth person's answers. The manager brief
therefore computes the practice scales on the composite's respondents. Where only counts are known (no respondent sets), :func:`safe_pair` and
:func:`partition_release` apply rules 2 and 3 to numbers of respondents of nested groups.

Figures of a wave that is still open change as people respond: two looks at the same wave
whose ``n`` differ by fewer than ``min_cell`` reveal the late respondents (rule 2 across
time). Views that update live should publish only closed waves, or remember the ``n`` last
shown and apply :func:`safe_pair`.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import combinations

__all__ = [
    "DEFAULT_MIN_CELL",
    "Cell",
    "SafeFigure",
    "notice",
    "partition_release",
    "safe_pair",
    "suppress",
]

#: The smallest number of respondents a published figure may rest on (``COPKIT_MIN_CELL``).
DEFAULT_MIN_CELL = 5

PRIMARY = "primary"
COMPLEMENTARY = "complementary"
DERIVED = "derived"


def notice(min_cell: int = DEFAULT_MIN_CELL, reason: str = PRIMARY) -> str:
    """The text that replaces a suppressed figure.

    Examples
    --------
    >>> notice(5)
    'suppressed: fewer than 5 responses'
    >>> notice(10, "complementary")
    'suppressed: fewer than 10 responses (could be worked out from other figures)'
    """
    base = f"suppressed: fewer than {min_cell} responses"
    if reason == COMPLEMENTARY:
        return base + " (could be worked out from other figures)"
    if reason == DERIVED:
        return base + " (rests on a suppressed figure)"
    return base


@dataclass(frozen=True)
class Cell:
    """A figure a view wants to publish, with the respondents it rests on.

    Attributes
    ----------
    key : str
        Unique name of the figure within the view.
    measure : str
        What is aggregated; cells with the same measure can be subtracted from one another.
    respondents : frozenset of str
        Pseudonyms of the respondents the figure rests on (never published).
    value : float or None
        The figure.
    priority : int
        Higher is kept in preference when one of two cells must go (team level above
        subgroups).
    parent : str or None
        Key of the cell this one is a part of (a breakdown of the same measure).
    depends_on : tuple of str
        Keys of the cells this figure is computed from (a derived figure).
    digits : int
        Decimals when the figure is shown.
    """

    key: str
    measure: str
    respondents: frozenset[str]
    value: float | None
    priority: int = 0
    parent: str | None = None
    depends_on: tuple[str, ...] = ()
    digits: int = 1

    @property
    def n(self) -> int:
        """The number of respondents the figure rests on."""
        return len(self.respondents)


@dataclass(frozen=True)
class SafeFigure:
    """A figure as it may be published: its value and ``n``, or a suppression notice.

    Attributes
    ----------
    key : str
        The cell's key.
    value : float or None
        None when suppressed (or when the figure itself is missing).
    n : int or None
        Respondents the figure rests on; None when suppressed.
    suppressed : bool
        Whether the figure is withheld.
    reason : str
        ``""``, ``"primary"``, ``"complementary"`` or ``"derived"``.
    text : str
        What to print: the formatted value, ``"n/a"``, or the notice.
    """

    key: str
    value: float | None
    n: int | None
    suppressed: bool
    reason: str
    text: str


def _format(value: float | None, digits: int) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return f"{value:.{digits}f}"


def _validate(cells: Sequence[Cell], min_cell: int) -> dict[str, Cell]:
    if isinstance(min_cell, bool) or not isinstance(min_cell, int) or min_cell < 1:
        raise ValueError(f"min_cell must be a whole number of at least 1, got {min_cell!r}")
    by_key: dict[str, Cell] = {}
    for cell in cells:
        if cell.key in by_key:
            raise ValueError(f"two cells share the key {cell.key!r}")
        by_key[cell.key] = cell
    for cell in cells:
        for dep in cell.depends_on:
            if dep not in by_key:
                raise ValueError(f"cell {cell.key!r} depends on unknown cell {dep!r}")
        if cell.parent is None:
            continue
        parent = by_key.get(cell.parent)
        if parent is None:
            raise ValueError(f"cell {cell.key!r} names unknown parent {cell.parent!r}")
        if parent.measure != cell.measure:
            raise ValueError(
                f"cell {cell.key!r} breaks down {parent.key!r} but measures {cell.measure!r}, "
                f"not {parent.measure!r}"
            )
        if not cell.respondents <= parent.respondents:
            raise ValueError(f"cell {cell.key!r} has respondents outside its parent {parent.key!r}")
    parts: dict[str, list[Cell]] = defaultdict(list)
    for cell in cells:
        if cell.parent is not None:
            parts[cell.parent].append(cell)
    for parent_key, children in parts.items():
        for a, b in combinations(children, 2):
            if a.respondents & b.respondents:
                raise ValueError(
                    f"parts {a.key!r} and {b.key!r} of {parent_key!r} overlap; "
                    "the parts of a breakdown must be disjoint"
                )
    return by_key


def _victim(candidates: Iterable[Cell]) -> Cell:
    """The cell to give up: lowest priority, then fewest respondents, then by key."""
    return min(candidates, key=lambda c: (c.priority, c.n, c.key))


def _pairwise(group: list[Cell], reasons: dict[str, str], min_cell: int) -> bool:
    shown = [c for c in group if c.key not in reasons]
    for a, b in combinations(shown, 2):
        differ = len(a.respondents ^ b.respondents)
        if 0 < differ < min_cell:
            reasons[_victim((a, b)).key] = COMPLEMENTARY
            return True
    return False


def _breakdowns(
    group: list[Cell], by_key: dict[str, Cell], reasons: dict[str, str], min_cell: int
) -> bool:
    parts: dict[str, list[Cell]] = defaultdict(list)
    for cell in group:
        if cell.parent is not None:
            parts[cell.parent].append(cell)
    for parent_key, children in sorted(parts.items()):
        parent = by_key[parent_key]
        shown = [c for c in children if c.key not in reasons]
        covered: frozenset[str] = frozenset().union(*(c.respondents for c in shown))
        if parent.key not in reasons:
            residual = len(parent.respondents - covered)
            if shown and 0 < residual < min_cell:
                reasons[_victim(shown).key] = COMPLEMENTARY
                return True
        elif shown and len(shown) == len(children) and covered == parent.respondents:
            reasons[_victim(shown).key] = COMPLEMENTARY
            return True
    return False


def suppress(cells: Iterable[Cell], min_cell: int = DEFAULT_MIN_CELL) -> dict[str, SafeFigure]:
    """Decide which figures of one view may be published (the rules in the module docstring).

    Parameters
    ----------
    cells : iterable of Cell
        Every figure the view (a page, a dashboard, a brief over several teams) will show.
    min_cell : int
        The smallest number of respondents a figure may rest on.

    Returns
    -------
    dict of str to SafeFigure
        By cell key, in the order given.

    Raises
    ------
    ValueError
        For a duplicate key, an unknown parent or dependency, a part outside its parent,
        overlapping parts of one breakdown, or ``min_cell`` below 1.

    Notes
    -----
    Rules 2-4 are applied one suppression at a time until no rule fires, so the result does
    not depend on the order of the cells; ties are broken by priority, ``n`` and key. The
    check is exact for the linear combinations the rules name (pairs of cells, a parent minus
    its shown parts); it does not search every linear combination of many cells.

    References
    ----------
    Hundepool, A. et al. (2012). *Statistical Disclosure Control*. Wiley, ch. 5 (tabular
    data: primary and secondary suppression). Office for National Statistics (2006).
    *Review of the Dissemination of Health Statistics: Confidentiality Guidance*.

    Examples
    --------
    A team of 6 whose nurses number 5 and whose one GP is the rest: the GP's figure is
    primary-suppressed and the nurses' too, because team minus nurses is the GP.

    >>> team = Cell("team", "practice:w3", frozenset("abcdef"), 5.2, priority=1)
    >>> nurses = Cell("nurse", "practice:w3", frozenset("abcde"), 5.0, parent="team")
    >>> gp = Cell("gp", "practice:w3", frozenset("f"), 6.2, parent="team")
    >>> shown = suppress([team, nurses, gp], min_cell=5)
    >>> [(k, f.text) for k, f in shown.items()]  # doctest: +NORMALIZE_WHITESPACE
    [('team', '5.2'),
     ('nurse', 'suppressed: fewer than 5 responses (could be worked out from other figures)'),
     ('gp', 'suppressed: fewer than 5 responses')]
    """
    ordered = list(cells)
    by_key = _validate(ordered, min_cell)
    reasons: dict[str, str] = {c.key: PRIMARY for c in ordered if c.n < min_cell}
    groups: dict[str, list[Cell]] = defaultdict(list)
    for cell in ordered:
        if not cell.depends_on:
            groups[cell.measure].append(cell)
    changed = True
    while changed:
        changed = False
        for measure in sorted(groups):
            group = groups[measure]
            if _pairwise(group, reasons, min_cell) or _breakdowns(group, by_key, reasons, min_cell):
                changed = True
        for cell in ordered:
            if cell.key not in reasons and any(d in reasons for d in cell.depends_on):
                reasons[cell.key] = DERIVED
                changed = True
    out: dict[str, SafeFigure] = {}
    for cell in ordered:
        reason = reasons.get(cell.key, "")
        if reason:
            out[cell.key] = SafeFigure(cell.key, None, None, True, reason, notice(min_cell, reason))
        else:
            out[cell.key] = SafeFigure(
                cell.key, cell.value, cell.n, False, "", _format(cell.value, cell.digits)
            )
    return out


def safe_pair(n_a: int, n_b: int, min_cell: int = DEFAULT_MIN_CELL) -> bool:
    """Whether two figures of the same measure on nested groups may both be shown.

    Both must rest on at least ``min_cell`` respondents and their sizes must be equal or
    differ by at least ``min_cell`` (otherwise the difference of their totals reveals the
    few people in one but not the other). Use it when only counts are known, e.g. the ``n``
    of a wave shown last week against today's.

    Examples
    --------
    >>> safe_pair(6, 5)   # team of 6 and a subgroup of 5: the sixth person is exposed
    False
    >>> safe_pair(12, 6), safe_pair(7, 7)
    (True, True)
    """
    if min_cell < 1:
        raise ValueError(f"min_cell must be at least 1, got {min_cell}")
    if min(n_a, n_b) < min_cell:
        return False
    return n_a == n_b or abs(n_a - n_b) >= min_cell


def partition_release(
    whole: int, parts: Sequence[int], min_cell: int = DEFAULT_MIN_CELL
) -> tuple[bool, list[bool]]:
    """Which of a whole and its disjoint parts may be shown, from their counts only.

    Parts under ``min_cell`` are withheld (primary); then, while the whole minus the shown
    parts leaves 1 to ``min_cell - 1`` respondents, the smallest shown part is withheld too
    (complementary); if the whole is withheld and every part is shown, the smallest part
    goes as well.

    Parameters
    ----------
    whole : int
        Respondents in the whole (e.g. the team).
    parts : sequence of int
        Respondents in each disjoint part (e.g. each profession); they may not sum to more
        than ``whole``.

    Returns
    -------
    (bool, list of bool)
        Whether the whole may be shown, and for each part whether it may be shown.

    Examples
    --------
    >>> partition_release(6, [5, 1])      # 5/1: both parts withheld, the team shown
    (True, [False, False])
    >>> partition_release(5, [3, 2])      # 3/2: both parts withheld, the team shown
    (True, [False, False])
    >>> partition_release(12, [5, 5, 2])  # 12 - 5 - 5 = 2: one 5 must go as well
    (True, [False, True, False])
    >>> partition_release(3, [2, 1])
    (False, [False, False])
    """
    if any(p < 0 for p in parts) or sum(parts) > whole:
        raise ValueError(f"parts {list(parts)} must be non-negative and sum to at most {whole}")
    names = [f"p{i}" for i in range(len(parts))]
    members = iter(range(whole))
    sets = [frozenset(str(next(members)) for _ in range(p)) for p in parts]
    cells = [Cell("whole", "m", frozenset(str(i) for i in range(whole)), 0.0, priority=1)]
    cells += [Cell(name, "m", s, 0.0, parent="whole") for name, s in zip(names, sets, strict=True)]
    result = suppress(cells, min_cell)
    return (not result["whole"].suppressed, [not result[name].suppressed for name in names])
