"""The disclosure check across releases: the issue's attacks as pairs of figures, and a property
test over random teams with joiners, leavers, corrections, late answers and erasures."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reports.disclosure import (
    Release,
    ReleasedCell,
    cells_from_records,
    cells_to_records,
    check_release,
    isolating_pairs,
    make_release,
    recoverable_groups,
    rename_respondent,
)
from reports.suppression import Cell, SafeFigure, suppress


def people(prefix: str, n: int) -> frozenset[str]:
    return frozenset(f"{prefix}{i}" for i in range(n))


def team_cells(
    waves: dict[int, frozenset[str]], professions: dict[str, frozenset[str]] | None = None
) -> list[Cell]:
    """A team's practice mean per wave, the change between the last two and, optionally, the
    latest wave broken down by profession (as the manager brief publishes them)."""
    cells = [
        Cell(f"team|mean|w{w}", "mean:practice", who, 4.0 + w / 10, priority=10, wave=w)
        for w, who in sorted(waves.items())
    ]
    latest = max(waves)
    if len(waves) >= 2:
        previous = sorted(waves)[-2]
        cells.append(
            Cell(
                "team|change",
                f"change:practice:w{previous}-w{latest}",
                waves[previous] | waves[latest],
                0.1,
                depends_on=(f"team|mean|w{previous}", f"team|mean|w{latest}"),
            )
        )
    for profession, who in sorted((professions or {}).items()):
        cells.append(
            Cell(
                f"team|mean|w{latest}|{profession}",
                "mean:practice",
                who,
                5.0,
                parent=f"team|mean|w{latest}",
                wave=latest,
            )
        )
    return cells


def publish_in_turn(
    views: list[list[Cell]], min_cell: int = 5, *, across: bool = True
) -> list[Release]:
    """Publish each view after the other, each checked against the ones before (``across``) or
    on its own (what the app did before releases)."""
    releases: list[Release] = []
    for number, cells in enumerate(views, start=1):
        shown = check_release(cells, releases, min_cell) if across else suppress(cells, min_cell)
        releases.append(make_release(f"release {number}", cells, shown))
    return releases


def test_reopen_and_subtract_is_caught_across_releases() -> None:
    seven, eight = people("r", 7), people("r", 8)  # a late answer after the wave "closed"
    before = team_cells({5: seven})
    after = team_cells({5: eight})
    naive = publish_in_turn([before, after], across=False)
    assert [p.differ for p in isolating_pairs(naive)] == [1]  # the attack works without it
    checked = publish_in_turn([before, after])
    assert isolating_pairs(checked) == []
    shown = check_release(after, checked[:1])
    assert shown["team|mean|w5"].reason == "earlier"


def test_a_profession_correction_cannot_move_one_person_between_published_groups() -> None:
    gps, consultants = people("g", 7), people("c", 6)
    moved = "g6"
    team = gps | consultants
    before = team_cells({5: team}, {"GP": gps, "consultant": consultants})
    after = team_cells({5: team}, {"GP": gps - {moved}, "consultant": consultants | {moved}})
    assert isolating_pairs(publish_in_turn([before, after], across=False)) != []
    releases = publish_in_turn([before, after])
    assert isolating_pairs(releases) == []
    keys = {cell.key for cell in releases[1].cells}
    assert "team|mean|w5" in keys  # the team, unchanged, is shown again
    assert not keys & {"team|mean|w5|GP", "team|mean|w5|consultant"}


def test_a_joiner_is_not_read_off_across_waves_in_one_view_or_two() -> None:
    stayers = people("s", 5)
    one_view = suppress(team_cells({1: stayers, 2: stayers | {"joiner"}}))
    assert not one_view["team|mean|w1"].suppressed
    assert one_view["team|mean|w2"].suppressed  # the later wave gives way
    assert one_view["team|change"].suppressed  # and the change that rests on it
    releases = publish_in_turn(
        [team_cells({1: stayers}), team_cells({1: stayers, 2: stayers | {"joiner"}})]
    )
    assert isolating_pairs(releases) == []
    # five joiners at once are a group of five: both waves may be shown
    wide = suppress(team_cells({1: stayers, 2: stayers | people("j", 5)}))
    assert not any(f.suppressed for f in wide.values())


def test_an_erasure_withholds_the_figures_that_included_the_person() -> None:
    team = people("r", 9)
    before = team_cells({1: team, 2: team})
    after = team_cells({1: team - {"r3"}, 2: team - {"r3"}})
    assert isolating_pairs(publish_in_turn([before, after], across=False)) != []
    releases = publish_in_turn([before, after])
    assert isolating_pairs(releases) == []
    assert releases[1].cells == ()  # nothing of the recomputed figures may be shown


def _wards(joiners: frozenset[str]) -> tuple[list[Cell], list[Cell]]:
    """Wards X and Y (five each) at wave 1; at wave 2 they are one team (X) with ``joiners``."""
    x, y = people("x", 5), people("y", 5)
    wave1 = [
        Cell("X|mean|w1", "mean:practice", x, 4.0, priority=10, wave=1),
        Cell("Y|mean|w1", "mean:practice", y, 4.6, priority=10, wave=1),
    ]
    merged = Cell("X|mean|w2", "mean:practice", x | y | joiners, 4.4, priority=10, wave=2)
    return wave1, [*wave1, merged]


@pytest.mark.parametrize("joiners", [1, 2, 4])
def test_two_merged_wards_and_a_joiner_cannot_be_subtracted_three_figures_at_a_time(
    joiners: int,
) -> None:
    """Ward X (5) and ward Y (5) at wave 1, merged at wave 2 with joiners (11 with one): every
    pair of figures differs by 6 or more people, yet 11 x m(X, w2) - 5 x m(X, w1) - 5 x m(Y, w1)
    is the joiner's score when the stayers do not change (with more joiners, their sum)."""
    new = people("j", joiners)
    wave1, wave2 = _wards(new)
    everything = {
        cell.key: SafeFigure(cell.key, cell.value, cell.n, False, "", "") for cell in wave2
    }
    naive = [make_release("r1", wave1, everything), make_release("r2", wave2, everything)]
    assert isolating_pairs(naive) == []  # no pair gives the joiners away ...
    assert recoverable_groups(naive) == [("mean:practice", new)]  # ... three figures do
    releases = publish_in_turn([wave1, wave2])
    assert recoverable_groups(releases) == [] and isolating_pairs(releases) == []
    assert [cell.key for cell in releases[1].cells] == ["X|mean|w1", "Y|mean|w1"]
    assert check_release(wave2, releases[:1])["X|mean|w2"].reason == "earlier"
    one_view = suppress(wave2)  # all three in one view: the later wave gives way
    assert [key for key, fig in one_view.items() if fig.suppressed] == ["X|mean|w2"]
    assert one_view["X|mean|w2"].reason == "complementary"


def test_five_joiners_to_merged_wards_are_a_group_that_may_be_shown() -> None:
    wave1, wave2 = _wards(people("j", 5))
    assert not any(fig.suppressed for fig in suppress(wave2).values())
    assert recoverable_groups(publish_in_turn([wave1, wave2])) == []


def test_renaming_an_erased_respondent_keeps_every_check() -> None:
    team = people("r", 6)
    release = make_release("r1", team_cells({1: team}), suppress(team_cells({1: team})))
    renamed = rename_respondent(release, "r3", "erased-1")
    assert all("r3" not in cell.respondents for cell in renamed.cells)
    assert all(len(cell.respondents) == 6 for cell in renamed.cells)
    later = team_cells({1: team - {"r3"}})
    assert check_release(later, [renamed])["team|mean|w1"].reason == "earlier"


def test_released_cells_round_trip_through_json_records() -> None:
    cells = (ReleasedCell("a", "mean:practice", frozenset({"R2", "R1"})),)
    records = cells_to_records(cells)
    assert records == [{"key": "a", "measure": "mean:practice", "respondents": ["R1", "R2"]}]
    assert cells_from_records(records) == cells
    with pytest.raises(ValueError, match="released cell 0"):
        cells_from_records([{"key": "a", "respondents": "R1"}])


def test_published_values_carry_only_their_displayed_precision() -> None:
    cells = [
        Cell("a", "m", people("r", 6), 4.214286),
        Cell("b", "n", people("r", 6), 0.72499, digits=2),
    ]
    shown = suppress(cells)
    assert shown["a"].value == 4.2 and shown["a"].text == "4.2"
    assert shown["b"].value == 0.72 and shown["b"].text == "0.72"


# --- the property: random teams over time ----------------------------------------------------


@dataclass
class Person:
    """Someone in the simulated study: which waves they belong to, answer, and as what."""

    name: str
    teams: tuple[int, ...]
    joins: int
    leaves: int
    answers: frozenset[int]
    profession: str
    corrected_at: int | None = None
    corrected_to: str = "GP"
    erased_at: int | None = None
    late: int | None = None
    """A wave this person answered late, after it was first released (reopened)."""


@dataclass
class World:
    """The simulated study and how the app computes professions of past waves."""

    people: list[Person]
    teams: int
    waves: int
    min_cell: int
    rewrite_history: bool
    releases: list[Release] = field(default_factory=list)


def _profession(person: Person, wave: int, now: int, rewrite: bool) -> str:
    corrected = person.corrected_at is not None and (
        person.corrected_at <= (now if rewrite else wave)
    )
    return person.corrected_to if corrected else person.profession


def _respondents(world: World, team: int, wave: int, now: int) -> dict[str, str]:
    """Who answered ``wave`` for ``team`` as seen when release ``now`` is made: name ->
    profession."""
    out: dict[str, str] = {}
    for person in world.people:
        if team not in person.teams or not person.joins <= wave < person.leaves:
            continue
        if person.erased_at is not None and person.erased_at <= now:
            continue
        answered = wave in person.answers or (person.late == wave and now > wave)
        if answered:
            out[person.name] = _profession(person, wave, now, world.rewrite_history)
    return out


def _view(world: World, now: int) -> list[Cell]:
    """Every figure the managers' release after wave ``now`` closed would show."""
    cells: list[Cell] = []
    for team in range(world.teams):
        waves = {w: _respondents(world, team, w, now) for w in range(1, now + 1)}
        for wave, who in waves.items():
            mean_key = f"t{team}|mean|w{wave}"
            cells.append(
                Cell(mean_key, "mean:practice", frozenset(who), 4.0, priority=10, wave=wave)
            )
            # agreement rests on the same people; identity on those who answered it (here all)
            cells.append(
                Cell(f"t{team}|rwg|w{wave}", "rwg:practice", frozenset(who), 0.7, 10, wave=wave)
            )
        latest = waves[now]
        for profession in sorted(set(latest.values())):
            group = frozenset(n for n, p in latest.items() if p == profession)
            cells.append(
                Cell(
                    f"t{team}|mean|w{now}|{profession}",
                    "mean:practice",
                    group,
                    5.0,
                    parent=f"t{team}|mean|w{now}",
                    wave=now,
                )
            )
        if now >= 2:
            a, b = f"t{team}|mean|w{now - 1}", f"t{team}|mean|w{now}"
            cells.append(
                Cell(
                    f"t{team}|change",
                    f"change:practice:w{now - 1}-w{now}",
                    frozenset(waves[now - 1]) | frozenset(latest),
                    0.1,
                    depends_on=(a, b),
                )
            )
    return cells


@st.composite
def worlds(draw: st.DrawFn) -> World:
    waves = draw(st.integers(min_value=2, max_value=5))
    teams = draw(st.integers(min_value=1, max_value=3))
    count = draw(st.integers(min_value=3, max_value=16))
    min_cell = draw(st.integers(min_value=2, max_value=6))
    everyone = []
    for index in range(count):
        first = draw(st.integers(0, teams - 1))
        overlap = draw(st.booleans()) and teams > 1
        joins = draw(st.integers(1, waves))
        leaves = draw(st.integers(joins + 1, waves + 1))
        answers = draw(st.frozensets(st.integers(1, waves)))
        corrected = draw(st.one_of(st.none(), st.integers(1, waves)))
        erased = draw(st.one_of(st.none(), st.integers(2, waves)))
        late = draw(st.one_of(st.none(), st.integers(1, waves - 1)))
        everyone.append(
            Person(
                name=f"R{index:02d}",
                teams=(first, (first + 1) % teams) if overlap else (first,),
                joins=joins,
                leaves=leaves,
                answers=answers,
                profession=draw(st.sampled_from(["nurse", "GP", "pharmacist"])),
                corrected_at=corrected,
                erased_at=erased,
                late=late,
            )
        )
    rewrite = draw(st.booleans())
    return World(everyone, teams, waves, min_cell, rewrite)


@pytest.mark.slow
@settings(max_examples=200, deadline=None, derandomize=True)
@given(world=worlds())
def test_no_two_published_figures_ever_isolate_fewer_than_min_cell_people(world: World) -> None:
    """Release after each wave closes, with joiners, leavers, overlapping teams, late answers to
    reopened waves, profession corrections
    (even ones that rewrite past waves) and erasures: no two figures of one measure, in one
    release or any two, differ by 1..min_cell-1 people, and no combination of any number of
    them isolates one or two atoms of fewer than min_cell people."""
    releases: list[Release] = []
    for now in range(1, world.waves + 1):
        cells = _view(world, now)
        shown = check_release(cells, releases, world.min_cell)
        for cell in cells:  # and within a release, nothing under min_cell is shown
            if not shown[cell.key].suppressed:
                assert cell.n >= world.min_cell
        releases.append(make_release(f"release {now}", cells, shown))
    assert isolating_pairs(releases, world.min_cell) == []
    assert recoverable_groups(releases, world.min_cell) == []


@pytest.mark.slow
def test_the_property_can_fail_without_the_check_across_releases() -> None:
    """The same worlds published view by view on their own leak: the property is not vacuous."""
    leaks = 0

    @settings(max_examples=100, deadline=None, derandomize=True)
    @given(world=worlds())
    def count(world: World) -> None:
        nonlocal leaks
        releases = [
            make_release(f"r{now}", cells, suppress(cells, world.min_cell))
            for now in range(1, world.waves + 1)
            for cells in [_view(world, now)]
        ]
        leaks += bool(isolating_pairs(releases, world.min_cell))

    count()
    assert leaks > 0


@st.composite
def merged_wards(draw: st.DrawFn) -> tuple[int, list[list[Cell]]]:
    """Two wards at wave 1 merged at wave 2 with some joiners and leavers, and a third wave."""
    min_cell = draw(st.integers(3, 6))
    x = people("x", draw(st.integers(min_cell, min_cell + 4)))
    y = people("y", draw(st.integers(min_cell, min_cell + 4)))
    joiners = people("j", draw(st.integers(0, min_cell + 1)))
    leavers = frozenset(draw(st.lists(st.sampled_from(sorted(x | y)), max_size=2)))
    later = people("k", draw(st.integers(0, 2)))
    waves = {1: {"X": x, "Y": y}, 2: {"X": (x | y | joiners) - leavers}}
    waves[3] = {"X": waves[2]["X"] | later}
    views: list[list[Cell]] = []
    for now in (1, 2, 3):
        views.append(
            [
                Cell(f"{team}|mean|w{w}", "mean:practice", who, 4.0, priority=10, wave=w)
                for w in range(1, now + 1)
                for team, who in sorted(waves[w].items())
            ]
        )
    return min_cell, views


@pytest.mark.slow
@settings(max_examples=150, deadline=None, derandomize=True)
@given(case=merged_wards())
def test_merged_wards_never_isolate_anyone_by_any_combination(
    case: tuple[int, list[list[Cell]]],
) -> None:
    min_cell, views = case
    releases = publish_in_turn(views, min_cell)
    assert isolating_pairs(releases, min_cell) == []
    assert recoverable_groups(releases, min_cell) == []


@pytest.mark.slow
def test_merged_wards_leak_when_only_pairs_are_checked() -> None:
    """Published with every figure that no pair rule withholds, the same worlds leak through
    combinations of three figures: the property above is not vacuous."""
    leaks = 0

    @settings(max_examples=150, deadline=None, derandomize=True)
    @given(case=merged_wards())
    def count(case: tuple[int, list[list[Cell]]]) -> None:
        nonlocal leaks
        min_cell, views = case
        shown = {
            cell.key: SafeFigure(cell.key, cell.value, cell.n, False, "", "") for cell in views[-1]
        }
        naive = [make_release(f"r{i}", cells, shown) for i, cells in enumerate(views)]
        if isolating_pairs(naive, min_cell) == []:
            leaks += bool(recoverable_groups(naive, min_cell))

    count()
    assert leaks > 0
