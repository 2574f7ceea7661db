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
6. **Combinations of many figures.** Rules 2-4 name pairs and breakdowns; three figures or
   more can still isolate someone: wards X and Y (five each) at wave 1, merged at wave 2 with
   one joiner, give ``11 m(X+Y+j) - 5 m(X) - 5 m(Y)``, the joiner's score, although every two
   of the figures differ by six people or more. So, per measure, the shown cells (and the
   ``seen`` ones) are also checked for *any* linear combination of their totals that rests
   on fewer than ``min_cell`` people (:func:`isolated_groups`), and while one exists a new
   cell taking part in it is withheld (lowest priority, then the later wave, then fewest
   respondents). People who appear in exactly the same cells form one *atom* (any
   combination treats them alike); the search covers combinations resting on one atom or
   two (one person, the joiners of one wave, two people apart), not every larger union.

Cells of different measures are taken to be not subtractable from each other (a scale mean
and an agreement index, say); give cells the same ``measure`` whenever one could be combined
with the other. A composite (e.g. the mean of three practice scales) must rest on exactly the
respondents of the parts shown beside it: if a composite over 7 people were shown next to
its parts over 8, a little algebra would give the eighth person's answers. The manager brief
therefore computes the practice scales on the composite's respondents.

Figures of a wave that is still open change as people respond: two looks at the same wave
whose ``n`` differ by fewer than ``min_cell`` reveal the late respondents (rule 2 across
time). Views that update live should publish only closed waves, or pass what they showed before
as ``seen`` cells (below).

Rule 2 across time in general: whatever an audience saw before stays seen. :func:`suppress`
takes those cells as ``seen`` (:mod:`reports.disclosure` keeps them as releases): they are
never withdrawn, and a new cell that differs from one of them by 1 to ``min_cell - 1``
respondents gives way (reason ``"earlier"``). A measure should therefore not name the wave:
the same scale at two waves over the same people but one joiner is the joiner's answer
(nearly, when the others changed little), so ``mean:practice`` at wave 1 and at wave 2 are
comparable cells. When two cells of one view clash at equal priority the later wave gives way,
exactly as if the waves had been published one after the other.

Every published value is rounded to the digits it is shown with (:attr:`SafeFigure.value`), so
nothing built from the published figures (a chart's coordinates, a stored summary) carries
more precision than the printed text: two means of 4.2143 and 4.2100 are both 4.2.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import combinations

import numpy as np

__all__ = [
    "DEFAULT_MIN_CELL",
    "Cell",
    "SafeFigure",
    "displayed",
    "isolated_groups",
    "notice",
    "suppress",
]

#: The smallest number of respondents a published figure may rest on (``COPKIT_MIN_CELL``).
DEFAULT_MIN_CELL = 5

PRIMARY = "primary"
COMPLEMENTARY = "complementary"
DERIVED = "derived"
EARLIER = "earlier"


def notice(min_cell: int = DEFAULT_MIN_CELL, reason: str = PRIMARY) -> str:
    """The text that replaces a suppressed figure, naming the real reason.

    Only a primary suppression rests on fewer than ``min_cell`` responses; a figure withheld
    because it could be worked out from others may rest on many, so its text must not claim
    too few responses (it would contradict a response count shown beside it).

    Examples
    --------
    >>> notice(5)
    'suppressed: fewer than 5 responses'
    >>> notice(10, "complementary")
    "suppressed: could be worked out from other figures (it would reveal fewer than 10 people's answers)"
    >>> notice(5, "earlier")
    "suppressed: could be worked out from figures shown before (it would reveal fewer than 5 people's answers)"
    >>> notice(5, "derived")
    'suppressed: rests on a suppressed figure'
    """
    few = f"(it would reveal fewer than {min_cell} people's answers)"
    if reason == COMPLEMENTARY:
        return f"suppressed: could be worked out from other figures {few}"
    if reason == EARLIER:
        return f"suppressed: could be worked out from figures shown before {few}"
    if reason == DERIVED:
        return "suppressed: rests on a suppressed figure"
    return f"suppressed: fewer than {min_cell} responses"


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
        Decimals when the figure is shown (and to which its published value is rounded).
    wave : int
        The wave the figure describes (0: none in particular); between two clashing cells of
        equal priority the later wave gives way.
    """

    key: str
    measure: str
    respondents: frozenset[str]
    value: float | None
    priority: int = 0
    parent: str | None = None
    depends_on: tuple[str, ...] = ()
    digits: int = 1
    wave: int = 0

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
        The figure rounded to the digits it is shown with; None when suppressed (or when the
        figure itself is missing).
    n : int or None
        Respondents the figure rests on; None when suppressed.
    suppressed : bool
        Whether the figure is withheld.
    reason : str
        ``""``, ``"primary"``, ``"complementary"``, ``"derived"`` or ``"earlier"`` (it would
        reveal a few people against a figure published before).
    text : str
        What to print: the formatted value, ``"n/a"``, or the notice.
    """

    key: str
    value: float | None
    n: int | None
    suppressed: bool
    reason: str
    text: str


def _missing(value: float | None) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _format(value: float | None, digits: int) -> str:
    if value is None or _missing(value):
        return "n/a"
    return f"{value:.{digits}f}"


def displayed(value: float | None, digits: int) -> float | None:
    """``value`` rounded to the ``digits`` it is shown with (None and NaN unchanged).

    Examples
    --------
    >>> displayed(4.214286, 1), displayed(0.72499, 2), displayed(None, 1)
    (4.2, 0.72, None)
    """
    if value is None or _missing(value) or math.isinf(value):
        return value
    return round(float(value), digits) + 0.0  # + 0.0: no "-0.0"


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
    """The cell to give up: lowest priority, then the later wave, then fewest respondents,
    then by key."""
    return min(candidates, key=lambda c: (c.priority, -c.wave, c.n, c.key))


def _pairwise(
    group: list[Cell], seen: Sequence[Cell], reasons: dict[str, str], min_cell: int
) -> bool:
    """Rule 2 over one measure: withhold one of every two shown cells (or the new one of a new
    and a ``seen`` cell) whose respondents differ by 1 to ``min_cell - 1`` people.

    Cells are compared in order of size, and only with cells whose size differs by less than
    ``min_cell`` (a larger size gap means a larger symmetric difference), so a measure with
    many cells (every team and wave, and every earlier release) stays quick.
    """
    pool = [(c, False) for c in group if c.key not in reasons] + [(c, True) for c in seen]
    pool.sort(key=lambda item: (item[0].n, item[1], item[0].key))
    changed = False
    for index, (a, a_seen) in enumerate(pool):
        if not a_seen and a.key in reasons:
            continue
        for b, b_seen in pool[index + 1 :]:
            if b.n - a.n >= min_cell:
                break
            if (a_seen and b_seen) or (not b_seen and b.key in reasons):
                continue
            differ = len(a.respondents ^ b.respondents)
            if not 0 < differ < min_cell:
                continue
            changed = True
            if a_seen or b_seen:
                victim = a if b_seen else b
                reasons[victim.key] = EARLIER
            else:
                victim = _victim((a, b))
                reasons[victim.key] = COMPLEMENTARY
            if victim is a:
                break
    return changed


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


_RANK_TOLERANCE = 1e-9
"""Singular values below this share of the largest (times the matrix size) count as zero."""
_EXACT = 1e-8
"""How close to exact a norm or a Cauchy-Schwarz equality must be to count as exact."""


@dataclass(frozen=True)
class _Atoms:
    """The people of a measure's cells grouped by the cells they appear in (columns of the
    cell-by-atom incidence matrix), and the projection onto the matrix's row space."""

    groups: list[frozenset[str]]
    matrix: np.ndarray
    """Cells by atoms: 1 where the atom's people are in the cell."""
    residual: np.ndarray
    """``I - P`` over atoms, ``P`` the projection onto the row space of ``matrix``."""


def _atoms(sets: Sequence[frozenset[str]]) -> _Atoms:
    pattern: dict[str, list[int]] = defaultdict(list)
    for row, who in enumerate(sets):
        for person in who:
            pattern[person].append(row)
    by_pattern: dict[tuple[int, ...], set[str]] = defaultdict(set)
    for person, rows in pattern.items():
        by_pattern[tuple(rows)].add(person)
    keys = sorted(by_pattern, key=lambda k: sorted(by_pattern[k]))
    groups = [frozenset(by_pattern[k]) for k in keys]
    matrix = np.zeros((len(sets), len(groups)))
    for column, pattern_rows in enumerate(keys):
        matrix[list(pattern_rows), column] = 1.0
    if not groups or not len(sets):
        return _Atoms(groups, matrix, np.eye(len(groups)))
    _, singular, vt = np.linalg.svd(matrix, full_matrices=False)
    limit = _RANK_TOLERANCE * max(matrix.shape) * float(singular[0])
    basis = vt[: int((singular > limit).sum())]
    return _Atoms(groups, matrix, np.eye(len(groups)) - basis.T @ basis)


def _exposures(atoms: _Atoms, min_cell: int) -> dict[frozenset[str], np.ndarray]:
    """Groups of fewer than ``min_cell`` people (one atom or two) that some linear combination
    of the cells' totals isolates, each with the combination's weights over atoms.

    A vector over atoms is a combination of the cells' totals exactly when it lies in the
    matrix's row space. One atom's indicator lies there when its residual is zero; a vector
    on two atoms ``a, b`` does when their rows of the residual are parallel
    (``R_ab^2 = R_aa R_bb``), the vector then being ``R_ab e_a - R_aa e_b``.
    """
    residual, sizes = atoms.residual, np.array([len(g) for g in atoms.groups])
    found: dict[frozenset[str], np.ndarray] = {}
    diagonal = np.diag(residual)
    for a in np.flatnonzero((diagonal < _EXACT) & (sizes < min_cell)):
        vector = np.zeros(len(sizes))
        vector[a] = 1.0
        found[atoms.groups[a]] = vector
    free = np.flatnonzero((diagonal >= _EXACT) & (sizes < min_cell - 1))
    if len(free) < 2:
        return found
    block = residual[np.ix_(free, free)]
    parallel = block**2 >= np.outer(diagonal[free], diagonal[free]) * (1 - _EXACT)
    small = sizes[free][:, None] + sizes[free][None, :] < min_cell
    for i, j in zip(*np.nonzero(np.triu(parallel & small, k=1)), strict=True):
        a, b = free[i], free[j]
        vector = np.zeros(len(sizes))
        vector[a], vector[b] = residual[a, b], -diagonal[a]
        found[atoms.groups[a] | atoms.groups[b]] = vector
    return found


def _linked(sets: Sequence[frozenset[str]]) -> list[list[int]]:
    """The indexes of ``sets`` in groups linked by shared people (connected components): no
    combination of sets of one group can cancel people of another, so each is searched alone."""
    root = list(range(len(sets)))

    def find(i: int) -> int:
        while root[i] != i:
            root[i] = root[root[i]]
            i = root[i]
        return i

    owner: dict[str, int] = {}
    for index, who in enumerate(sets):
        for person in who:
            if person in owner:
                root[find(index)] = find(owner[person])
            else:
                owner[person] = index
    linked: dict[int, list[int]] = defaultdict(list)
    for index in range(len(sets)):
        linked[find(index)].append(index)
    return list(linked.values())


def isolated_groups(
    sets: Sequence[frozenset[str]], min_cell: int = DEFAULT_MIN_CELL
) -> list[frozenset[str]]:
    """Groups of 1 to ``min_cell - 1`` people that a linear combination of totals over
    ``sets`` (figures of one measure) isolates: one atom or two (rule 6).

    With :math:`M` the cells-by-atoms incidence matrix and :math:`P = M^+ M` the projection
    onto its row space, a combination :math:`\\lambda^T M` of the cells' totals can equal the
    indicator :math:`e_a` of atom :math:`a` exactly when :math:`((I - P) e_a)_a = 0`, and a
    vector on atoms :math:`a, b` exactly when rows :math:`a` and :math:`b` of :math:`I - P`
    are parallel. A group is returned when its atoms hold fewer than ``min_cell`` people.

    References
    ----------
    Chin, F. Y. and Ozsoyoglu, G. (1982). Auditing and inference control in statistical
    databases. *IEEE Transactions on Software Engineering*, SE-8(6), 574-582 (the audit
    expert: a person is compromised when their unit vector lies in the row space of the
    answered queries).

    Examples
    --------
    >>> x, y = frozenset("abcde"), frozenset("fghij")
    >>> isolated_groups([x, y, x | y | {"joiner"}], 5)
    [frozenset({'joiner'})]
    >>> isolated_groups([x, y, x | y], 5)
    []
    """
    found = [
        group
        for component in _linked(sets)
        for group in _exposures(_atoms([sets[i] for i in component]), min_cell)
    ]
    return sorted(found, key=lambda g: (len(g), sorted(g)))


def _combinations(
    group: list[Cell], seen: Sequence[Cell], reasons: dict[str, str], min_cell: int
) -> bool:
    """Rule 6 over one measure: in each group of linked cells, withhold a new cell of a
    combination that isolates a few people and that the ``seen`` cells alone do not (those
    were published already)."""
    if min_cell < 2:
        return False
    shown = [c for c in group if c.key not in reasons]
    cells = shown + list(seen)
    changed = False
    for component in _linked([c.respondents for c in cells]):
        if any(i < len(shown) for i in component):
            changed = _withhold_in(component, cells, len(shown), reasons, min_cell) or changed
    return changed


def _new_exposures(
    component: list[int], cells: list[Cell], n_shown: int, min_cell: int
) -> tuple[_Atoms, dict[frozenset[str], np.ndarray]]:
    """The atoms of one group of linked cells, and the groups of people its cells isolate that
    its earlier cells (index ``n_shown`` on) alone did not."""
    atoms = _atoms([cells[i].respondents for i in component])
    exposures = _exposures(atoms, min_cell)
    earlier = [cells[i].respondents for i in component if i >= n_shown]
    if exposures and earlier:
        before = _exposures(_atoms(earlier), min_cell)
        exposures = {g: v for g, v in exposures.items() if g not in before}
    return atoms, exposures


def _withhold_in(
    component: list[int],
    cells: list[Cell],
    n_shown: int,
    reasons: dict[str, str],
    min_cell: int,
) -> bool:
    """Rule 6 in one group of linked cells (indices into ``cells``, whose first ``n_shown``
    are new): withhold a new cell of the combination isolating the smallest group that the
    earlier cells alone did not; whether one was withheld."""
    atoms, exposures = _new_exposures(component, cells, n_shown, min_cell)
    if not exposures:
        return False
    people, vector = min(exposures.items(), key=lambda item: (len(item[0]), sorted(item[0])))
    weights, *_ = np.linalg.lstsq(atoms.matrix.T, vector, rcond=None)
    taking_part = [i for i, w in zip(component, weights, strict=True) if abs(w) > _EXACT]
    candidates = [cells[i] for i in taking_part if i < n_shown]
    if not candidates:  # the least-squares weights avoid the new cells: any new one may do
        new = [cells[i] for i in component if i < n_shown]
        candidates = [c for c in new if c.respondents & people] or new
    victim = _victim(candidates)
    reasons[victim.key] = EARLIER if any(i >= n_shown for i in taking_part) else COMPLEMENTARY
    return True


def suppress(
    cells: Iterable[Cell], min_cell: int = DEFAULT_MIN_CELL, *, seen: Iterable[Cell] = ()
) -> dict[str, SafeFigure]:
    """Decide which figures of one view may be published (the rules in the module docstring).

    Parameters
    ----------
    cells : iterable of Cell
        Every figure the view (a page, a dashboard, a brief over several teams) will show.
    min_cell : int
        The smallest number of respondents a figure may rest on.
    seen : iterable of Cell
        Figures the same audience was shown before (earlier releases): they stay published,
        and a cell of ``cells`` whose respondents differ from one of the same measure by 1 to
        ``min_cell - 1`` people is withheld (reason ``"earlier"``). Their keys, parents and
        values do not matter; see :func:`reports.disclosure.check_release`.

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
    Rules 2-4 and 6 are applied until no rule fires, so the result does not depend on the
    order of the cells; ties are broken by priority, the later wave, ``n`` and key. The
    check is exact for pairs of cells and a parent minus its shown parts, and finds every
    linear combination of any number of cells that isolates one or two atoms of fewer than
    ``min_cell`` people (rule 6); a union of three or more small atoms is not searched.

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
     ('nurse', "suppressed: could be worked out from other figures (it would reveal fewer than 5 people's answers)"),
     ('gp', 'suppressed: fewer than 5 responses')]
    """
    ordered = list(cells)
    by_key = _validate(ordered, min_cell)
    reasons: dict[str, str] = {c.key: PRIMARY for c in ordered if c.n < min_cell}
    groups: dict[str, list[Cell]] = defaultdict(list)
    for cell in ordered:
        if not cell.depends_on:
            groups[cell.measure].append(cell)
    earlier: dict[str, list[Cell]] = defaultdict(list)
    distinct: set[tuple[str, frozenset[str]]] = set()
    for cell in seen:
        if cell.measure in groups and (cell.measure, cell.respondents) not in distinct:
            distinct.add((cell.measure, cell.respondents))
            earlier[cell.measure].append(cell)
    changed = True
    while changed:
        changed = False
        for measure in sorted(groups):
            group = groups[measure]
            if (
                _pairwise(group, earlier[measure], reasons, min_cell)
                or _breakdowns(group, by_key, reasons, min_cell)
                or _combinations(group, earlier[measure], reasons, min_cell)
            ):
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
            value = displayed(cell.value, cell.digits)
            out[cell.key] = SafeFigure(
                cell.key, value, cell.n, False, "", _format(value, cell.digits)
            )
    return out
