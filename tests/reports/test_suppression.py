"""Small-cell suppression: primary, complementary, two views, recoverable wholes, derived."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reports.suppression import Cell, notice, suppress


def people(prefix: str, n: int) -> frozenset[str]:
    return frozenset(f"{prefix}{i}" for i in range(n))


def team_with_professions(sizes: dict[str, int], measure: str = "practice:w4") -> list[Cell]:
    everyone: set[str] = set()
    parts = []
    for profession, n in sizes.items():
        members = people(profession, n)
        everyone |= members
        parts.append(Cell(profession, measure, members, 5.0, parent="team"))
    return [Cell("team", measure, frozenset(everyone), 5.0, priority=10), *parts]


def shown(result: dict, key: str) -> bool:
    return not result[key].suppressed


def test_team_of_three_is_suppressed_with_the_notice() -> None:
    result = suppress(team_with_professions({"nurse": 2, "GP": 1}), min_cell=5)
    assert all(f.suppressed for f in result.values())
    team = result["team"]
    assert team.text == "suppressed: fewer than 5 responses"
    assert team.value is None and team.n is None and team.reason == "primary"


def test_team_of_five_split_three_two_shows_only_the_team() -> None:
    result = suppress(team_with_professions({"nurse": 3, "GP": 2}), min_cell=5)
    assert shown(result, "team") and result["team"].n == 5 and result["team"].text == "5.0"
    assert not shown(result, "nurse") and not shown(result, "GP")


def test_team_of_six_split_five_one_withholds_the_five_as_well() -> None:
    result = suppress(team_with_professions({"nurse": 5, "GP": 1}), min_cell=5)
    assert shown(result, "team")
    assert result["GP"].reason == "primary"
    assert result["nurse"].reason == "complementary"  # team minus nurses = the one GP
    assert "worked out" in result["nurse"].text


def test_residual_of_several_shown_parts_is_protected() -> None:
    # 12 = 5 + 5 + 2: both fives pass alone against the team, but team - 5 - 5 = the 2
    result = suppress(team_with_professions({"a": 5, "b": 5, "c": 2}), min_cell=5)
    assert shown(result, "team") and not shown(result, "c")
    assert sum(shown(result, k) for k in ("a", "b")) == 1


def test_breakdown_is_shown_when_every_group_and_complement_is_large_enough() -> None:
    result = suppress(team_with_professions({"a": 5, "b": 6}), min_cell=5)
    assert all(not f.suppressed for f in result.values())


def test_two_views_of_one_wave_differing_by_fewer_than_min_cell_are_not_both_shown() -> None:
    everyone = people("r", 7)
    panel = people("r", 6)  # e.g. only those who also answered the wave before
    result = suppress(
        [
            Cell("all", "mean:w3", everyone, 5.1, priority=10),
            Cell("panel", "mean:w3", panel, 5.0, priority=5),
        ]
    )
    assert shown(result, "all") and not shown(result, "panel")
    # differing by min_cell or more: both may be shown
    wide = suppress(
        [
            Cell("all", "mean:w3", people("r", 12), 5.1, priority=10),
            Cell("panel", "mean:w3", people("r", 7), 5.0, priority=5),
        ]
    )
    assert shown(wide, "all") and shown(wide, "panel")


def test_overlapping_teams_in_one_view_are_checked_against_each_other() -> None:
    a = people("r", 6)
    b = a | {"x"}  # b is a plus one member
    result = suppress([Cell("A", "mean:w2", a, 5.0), Cell("B", "mean:w2", b, 5.2)])
    assert sum(f.suppressed for f in result.values()) == 1
    # different measures cannot be subtracted
    apart = suppress([Cell("A", "mean:me:w2", a, 5.0), Cell("B", "mean:je:w2", b, 5.2)])
    assert not any(f.suppressed for f in apart.values())


def test_a_suppressed_whole_is_not_left_recoverable_from_its_parts() -> None:
    team = people("n", 5) | people("g", 5)
    cells = [
        Cell("team", "m", team, 5.0, priority=1),
        Cell("other-view", "m", team | {"z"}, 5.0, priority=9),  # forces "team" out
        Cell("nurse", "m", people("n", 5), 5.0, parent="team"),
        Cell("gp", "m", people("g", 5), 5.0, parent="team"),
    ]
    result = suppress(cells)
    assert not shown(result, "team")
    assert not (shown(result, "nurse") and shown(result, "gp"))


def test_derived_figures_follow_their_inputs() -> None:
    cells = [
        Cell("w1", "m:w1", people("r", 4), 4.0),
        Cell("w2", "m:w2", people("r", 8), 5.0),
        Cell("change", "c", people("r", 8), 1.0, depends_on=("w1", "w2")),
    ]
    result = suppress(cells)
    assert result["change"].reason == "derived" and result["change"].value is None
    fine = suppress([*cells[1:2], Cell("w1", "m:w1", people("r", 6), 4.0), cells[2]])
    assert not fine["change"].suppressed and fine["change"].text == "1.0"


def test_min_cell_is_configurable_and_in_the_notice() -> None:
    cells = team_with_professions({"nurse": 6, "GP": 4})
    assert not suppress(cells, min_cell=3)["GP"].suppressed
    assert (
        suppress(cells, min_cell=11)["team"].text
        == notice(11)
        == ("suppressed: fewer than 11 responses")
    )


@pytest.mark.parametrize(
    ("cells", "message"),
    [
        ([Cell("a", "m", people("r", 5), 1.0), Cell("a", "m", people("s", 5), 1.0)], "share"),
        ([Cell("p", "m", people("r", 5), 1.0, parent="nope")], "unknown parent"),
        ([Cell("d", "m", people("r", 5), 1.0, depends_on=("nope",))], "unknown cell"),
        (
            [Cell("t", "m", people("r", 5), 1.0), Cell("p", "m", people("s", 2), 1.0, parent="t")],
            "outside its parent",
        ),
        (
            [
                Cell("t", "m", people("r", 6), 1.0),
                Cell("p", "m", people("r", 3), 1.0, parent="t"),
                Cell("q", "m", people("r", 4), 1.0, parent="t"),
            ],
            "overlap",
        ),
        (
            [Cell("t", "m", people("r", 6), 1.0), Cell("p", "x", people("r", 3), 1.0, parent="t")],
            "measures",
        ),
    ],
)
def test_bad_cells_are_rejected_with_a_clear_message(cells: list[Cell], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        suppress(cells)


@pytest.mark.parametrize("bad", [0, -1, True, 2.5])
def test_min_cell_must_be_a_positive_whole_number(bad: object) -> None:
    with pytest.raises(ValueError, match="min_cell"):
        suppress([], min_cell=bad)  # type: ignore[arg-type]


def partition_release(whole: int, parts: list[int], min_cell: int = 5) -> tuple[bool, list[bool]]:
    """What :func:`suppress` shows of a team of ``whole`` people and its disjoint ``parts``
    (professions, say): the team, then whether each part is shown."""
    members = iter(range(whole))
    sets = [frozenset(str(next(members)) for _ in range(p)) for p in parts]
    cells = [Cell("whole", "m", frozenset(str(i) for i in range(whole)), 0.0, priority=1)]
    cells += [Cell(f"p{i}", "m", s, 0.0, parent="whole") for i, s in enumerate(sets)]
    result = suppress(cells, min_cell)
    return not result["whole"].suppressed, [
        not result[f"p{i}"].suppressed for i in range(len(parts))
    ]


def test_a_team_and_its_professions() -> None:
    assert partition_release(3, [2, 1]) == (False, [False, False])
    assert partition_release(5, [3, 2]) == (True, [False, False])
    assert partition_release(6, [5, 1]) == (True, [False, False])
    assert partition_release(10, [5, 5]) == (True, [True, True])
    assert partition_release(12, [5, 5, 2]) == (True, [False, True, False])


def _disclosed(
    whole: int, parts: list[int], shown_whole: bool, shown_parts: list[bool], min_cell: int
) -> bool:
    """Whether any group of 1..min_cell-1 people has a total derivable from the shown totals.

    The published totals are sums over sets of people; a group's total can be derived when its
    indicator vector lies in the span of the published sets' indicator vectors.
    """
    labels: np.ndarray = (
        np.concatenate([np.full(p, i) for i, p in enumerate(parts)]) if parts else np.array([])
    )
    n_people = whole
    rows = []
    if shown_whole:
        rows.append(np.ones(n_people))
    for i, ok in enumerate(shown_parts):
        if ok:
            vector = np.zeros(n_people)
            vector[: len(labels)][np.asarray(labels) == i] = 1
            rows.append(vector)
    if not rows:
        return False
    basis = np.array(rows)
    rank = np.linalg.matrix_rank(basis)
    # people of one part are interchangeable, so it suffices to test sets built per part
    groups = [
        list(range(n_people))[sum(parts[:i]) : sum(parts[: i + 1])] for i in range(len(parts))
    ]
    rest = list(range(sum(parts), n_people))
    pools = [*groups, rest] if rest else groups
    for combo in itertools.product(*[range(len(pool) + 1) for pool in pools]):
        size = sum(combo)
        if not 0 < size < min_cell:
            continue
        vector = np.zeros(n_people)
        for pool, take in zip(pools, combo, strict=True):
            vector[pool[:take]] = 1
        if np.linalg.matrix_rank(np.vstack([basis, vector])) == rank:
            return True
    return False


@settings(max_examples=60, deadline=None, derandomize=True)
@given(
    parts=st.lists(st.integers(min_value=0, max_value=8), min_size=1, max_size=4),
    unassigned=st.integers(min_value=0, max_value=3),
    min_cell=st.integers(min_value=2, max_value=6),
)
def test_no_small_group_can_be_recovered_from_what_is_shown(
    parts: list[int], unassigned: int, min_cell: int
) -> None:
    whole = sum(parts) + unassigned
    if whole == 0:
        return
    shown_whole, shown_parts = partition_release(whole, parts, min_cell)
    assert not _disclosed(whole, parts, shown_whole, shown_parts, min_cell)
    # and the check itself can fail: publishing every part regardless would disclose
    if any(0 < p < min_cell for p in parts):
        assert _disclosed(whole, parts, True, [True] * len(parts), min_cell)


def test_verdict_is_withheld_with_the_means_it_rests_on() -> None:
    """Derived rule: the verdict cell depends on its wave's means, so when a two-view clash
    withholds those means the verdict's yes/no signs go too (printed brief and dashboard)."""
    from reports.suppression import Cell, suppress

    people = frozenset(f"R{i}" for i in range(6))
    cells = [
        Cell("whole|mean", "mean:practice:w2", people, 5.0),
        Cell("part|mean", "mean:practice:w2", people - {"R5"}, 5.2, priority=0),
        Cell("part|verdict", "verdict:part", people - {"R5"}, None, depends_on=("part|mean",)),
    ]
    shown = suppress(cells, 5)
    assert shown["part|mean"].suppressed
    assert shown["part|verdict"].suppressed
    assert not shown["whole|mean"].suppressed
