"""Agreement statistics against multilevel on lq2002, the rwg null simulation, and edge cases."""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import analysis as an
from analysis import rwg_null
from analysis.agreement import agreement_table, awg, icc1, icc2, rwg, rwg_j, rwg_j_star
from analysis.rwg_null import clear_memory_cache, rwg_null_quantile, rwg_null_variance

TOL = 1e-6
# The 49 companies of multilevel::lq2002 (checked against the reference file below).
# fmt: off
LQ_TEAMS = [
    "2", "3", "4", "5", "6", "7", "9", "10", "13", "14", "15", "16", "17", "18", "19", "20",
    "21", "22", "23", "24", "25", "26", "27", "28", "29", "30", "31", "32", "33", "34", "35",
    "37", "38", "41", "42", "43", "44", "45", "46", "47", "48", "49", "50", "52", "54", "55",
    "56", "57", "58",
]
# fmt: on


@pytest.fixture(autouse=True, scope="module")
def isolated_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Keep simulated quantiles of this module in a temporary cache directory."""
    path = tmp_path_factory.mktemp("copkit-cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("COPKIT_CACHE_DIR", str(path))
        clear_memory_cache()
        yield path
    clear_memory_cache()


@pytest.fixture(scope="module")
def lq2002(reference_dir: Path) -> pd.DataFrame:
    return pd.read_csv(reference_dir / "lq2002_leadership.csv")


@pytest.fixture(scope="module")
def lq_expected(reference_dir: Path) -> dict[str, Any]:
    with (reference_dir / "lq2002_leadership.expected.json").open(encoding="utf-8") as handle:
        expected: dict[str, Any] = json.load(handle)
    return expected


@pytest.fixture(scope="module")
def lq_teams(lq2002: pd.DataFrame) -> dict[str, pd.DataFrame]:
    return {str(team): frame for team, frame in lq2002.groupby("team")}


# --- pinned against R (multilevel) ------------------------------------------------------------


def test_every_team_is_pinned(lq_expected: dict[str, Any], lq2002: pd.DataFrame) -> None:
    assert lq_expected["options"] == 5
    assert sorted(lq_expected["rwg_j"], key=int) == LQ_TEAMS
    assert sorted(lq_expected["rwg_first_item"], key=int) == LQ_TEAMS
    assert {str(t) for t in lq2002["team"].unique()} == set(LQ_TEAMS)
    assert len(LQ_TEAMS) == 49


@pytest.mark.parametrize("team", LQ_TEAMS)
def test_rwg_j_and_rwg_match_multilevel(
    team: str, lq_teams: dict[str, pd.DataFrame], lq_expected: dict[str, Any]
) -> None:
    frame = lq_teams[team]
    assert rwg_j(frame[lq_expected["items"]], options=5) == pytest.approx(
        lq_expected["rwg_j"][team], abs=TOL
    )
    assert rwg(frame["LEAD01"], options=5) == pytest.approx(
        lq_expected["rwg_first_item"][team], abs=TOL
    )


def test_icc1_icc2_of_scale_mean_match_multilevel(
    lq2002: pd.DataFrame, lq_expected: dict[str, Any]
) -> None:
    data = lq2002.assign(score=lq2002[lq_expected["items"]].mean(axis=1))
    assert icc1(data, "score", "team") == pytest.approx(lq_expected["icc1_scale_mean"], abs=TOL)
    assert icc2(data, "score", "team") == pytest.approx(lq_expected["icc2_scale_mean"], abs=TOL)


@pytest.mark.slow
def test_agreement_table_reproduces_multilevel(
    lq2002: pd.DataFrame, lq_expected: dict[str, Any]
) -> None:
    items = lq_expected["items"]
    data = lq2002.assign(wave=1)
    table = agreement_table(data, {"leadership": items, "lead01": ["LEAD01"]}, options=5)
    assert list(table.columns) == [
        "team", "wave", "scale", "n", "rwg_j", "rwg_j_star", "rwg_j_null95", "awg", "icc1",
        "icc2",
    ]  # fmt: skip
    assert len(table) == 2 * 49
    assert table["scale"].tolist()[:4] == ["leadership", "lead01", "leadership", "lead01"]
    lead = table[table["scale"] == "leadership"].set_index("team")
    first = table[table["scale"] == "lead01"].set_index("team")
    for team in LQ_TEAMS:
        assert lead.at[int(team), "rwg_j"] == pytest.approx(lq_expected["rwg_j"][team], abs=TOL)
        assert first.at[int(team), "rwg_j"] == pytest.approx(
            lq_expected["rwg_first_item"][team], abs=TOL
        )
    np.testing.assert_allclose(lead["icc1"], lq_expected["icc1_scale_mean"], rtol=0, atol=TOL)
    np.testing.assert_allclose(lead["icc2"], lq_expected["icc2_scale_mean"], rtol=0, atol=TOL)
    assert lead["n"].sum() == len(lq2002)
    sizes = lq2002.groupby("team").size()
    assert lead["n"].to_dict() == sizes.to_dict()
    team2 = lq2002[lq2002["team"] == 2]
    mean_var = team2[items].var().mean()
    assert lead.at[2, "rwg_j_star"] == pytest.approx(1 - mean_var / 2.0, rel=1e-12)
    assert lead.at[2, "rwg_j_null95"] == rwg_null_quantile(int(sizes[2]), 11, 5, 0.95)


# --- rwg, rwg(j), r*wg(j) definitions and edge cases ------------------------------------------


def test_null_variances() -> None:
    assert rwg_null_variance(5) == 2.0
    assert rwg_null_variance(7) == 4.0
    assert rwg_null_variance(2) == pytest.approx(0.25)
    assert [rwg_null_variance(5, n) for n in ("slight", "moderate", "heavy")] == [1.34, 0.90, 0.44]
    assert [rwg_null_variance(7, n) for n in ("slight", "moderate", "heavy")] == [2.90, 2.14, 1.39]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: rwg([1, 2, 3], 5, null="lenient"), "unknown null distribution 'lenient'"),
        (lambda: rwg_j(np.ones((3, 2)), 5, null="skewed"), "unknown null distribution"),
        (lambda: rwg([1, 2, 3], 6, null="slight"), "no published slight-skew null variance for 6"),
        (lambda: rwg_j_star(np.ones((3, 2)), 9, null="heavy"), "heavy-skew null variance for 9"),
        (lambda: rwg([1, 2], 1), "options must be at least 2"),
        (lambda: rwg([1, 2], 4.5), "options must be an integer"),  # type: ignore[arg-type]
        (lambda: rwg(["a", "b"], 5), "non-numeric"),  # type: ignore[list-item]
        (lambda: rwg(np.ones((3, 2)), 5), "one item"),
        (lambda: rwg_j(np.ones(3), 5), "2-D"),
        (lambda: rwg_j(pd.DataFrame({"a": ["x", "y"]}), 5), "not numeric: a"),
        (lambda: awg([1, 2, 3], low=5, high=1), "low must be below high"),
        (lambda: awg([1, 2, 6], low=1, high=5), "outside the scale"),
        (lambda: icc1(pd.DataFrame({"g": [1]}), "y", "g"), "columns not in the data: y"),
        (lambda: icc2(pd.DataFrame({"g": [1], "y": ["a"]}), "y", "g"), "must be numeric"),
    ],
)
def test_bad_input_raises_clear_value_error(call: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()


def test_rwg_definition_truncation_and_missing() -> None:
    # var([2, 3, 4, 5]) = 5/3 on a 5-point scale: 1 - (5/3)/2
    assert rwg([2, 3, 4, 5], 5) == pytest.approx(1 / 6)
    assert rwg(pd.Series([2, 3, np.nan, 4, 5, None]), 5) == pytest.approx(1 / 6)
    assert rwg([4, 4, 4], 5) == 1.0
    assert rwg([1, 5, 1, 5], 5) == 0.0  # variance 16/3 > 2 truncated
    assert rwg([3, 4], 5, null="slight") == pytest.approx(1 - 0.5 / 1.34)
    assert rwg([3, 4], 7, null="heavy") == pytest.approx(1 - 0.5 / 1.39)


@pytest.mark.parametrize("values", [[], [3], [np.nan, 3], [np.nan, np.nan]])
def test_fewer_than_two_values_give_nan(values: list[float]) -> None:
    assert np.isnan(rwg(values, 5))
    frame = pd.DataFrame({"a": pd.Series(values, dtype=float), "b": pd.Series(values, dtype=float)})
    assert np.isnan(rwg_j(frame, 5))
    assert np.isnan(rwg_j_star(frame, 5))
    assert np.isnan(awg(values, 1, 5))


def test_rwg_j_definition() -> None:
    team = pd.DataFrame({"a": [2, 3, 4, 5], "b": [3, 3, 4, 4], "c": [4, 4, 4, 4]})
    mean_var = (5 / 3 + 1 / 3 + 0) / 3
    ratio = mean_var / 2
    assert rwg_j(team, 5) == pytest.approx(3 * (1 - ratio) / (3 * (1 - ratio) + ratio))
    assert rwg_j_star(team, 5) == pytest.approx(1 - ratio)
    assert rwg_j(team[["a"]], 5) == pytest.approx(rwg(team["a"], 5))
    assert rwg_j(team.to_numpy(), 5) == rwg_j(team, 5)


def test_rwg_j_truncates_but_rwg_j_star_does_not() -> None:
    split = pd.DataFrame({"a": [1, 5, 1, 5], "b": [5, 1, 5, 1]})
    assert rwg_j(split, 5) == 0.0
    assert rwg_j_star(split, 5) == pytest.approx(1 - (16 / 3) / 2)


def test_rwg_j_drops_incomplete_rows() -> None:
    team = pd.DataFrame({"a": [2, 3, 4, 5, 1], "b": [3, 3, 4, 4, np.nan]})
    assert rwg_j(team, 5) == pytest.approx(rwg_j(team.iloc[:4], 5))
    assert rwg_j_star(team, 5) == pytest.approx(rwg_j_star(team.iloc[:4], 5))


def test_rwg_j_rises_with_items_at_equal_item_variance() -> None:
    team = pd.DataFrame({"a": [2, 3, 4, 3], "b": [3, 2, 3, 4], "c": [4, 3, 2, 3]})
    assert rwg_j(team[["a"]], 5) < rwg_j(team[["a", "b"]], 5) < rwg_j(team, 5)
    assert rwg_j_star(team[["a"]], 5) == pytest.approx(rwg_j_star(team, 5))


# --- a_wg ---------------------------------------------------------------------------------


def test_awg_definition() -> None:
    # M = 4, s^2 = 2/3, n = 4 on 1..5: max variance (6*4 - 16 - 5) * 4/3 = 4
    assert awg([3, 4, 4, 5], 1, 5) == pytest.approx(1 - 2 * (2 / 3) / 4)
    assert awg([3, 3, 3, 3], 1, 5) == 1.0
    # Maximal disagreement for the mean: half at each end.
    assert awg([1, 1, 5, 5], 1, 5) == pytest.approx(-1.0)
    assert awg([3, 4, np.nan, 4, 5], 1, 5) == awg([3, 4, 4, 5], 1, 5)


def test_awg_is_symmetric_under_reverse_keying() -> None:
    values = np.array([2, 3, 3, 4, 6, 5])
    assert awg(values, 1, 7) == pytest.approx(awg(8 - values, 1, 7))


@pytest.mark.parametrize(
    "values",
    [
        [1, 1, 1, 1],  # all at the lower end: maximum possible variance 0
        [5, 5, 5],  # all at the upper end
        [4, 4, 5, 5],  # mean 4.5 above (5 * 3 + 1) / 4 = 4
        [1, 1, 1, 2],  # mean 1.25 below (1 * 3 + 5) / 4 = 2
    ],
)
def test_awg_is_nan_when_the_mean_is_too_extreme(values: list[float]) -> None:
    assert np.isnan(awg(values, 1, 5))


def test_awg_defined_at_the_admissible_bound() -> None:
    # mean (1 * 3 + 5) / 4 = 2: all but one at the low end is still admissible.
    assert awg([1, 1, 1, 5], 1, 5) == pytest.approx(-1.0)


# --- ICC(1), ICC(2) ---------------------------------------------------------------------------


def test_icc_definitions_with_unequal_groups() -> None:
    data = pd.DataFrame({"team": list("aaabbbbcc"), "y": [1, 2, 3, 3, 4, 5, 6, 6, 8]})
    groups = data.groupby("team")["y"]
    grand = data["y"].mean()
    msb = (groups.size() * (groups.mean() - grand) ** 2).sum() / 2
    msw = ((data["y"] - groups.transform("mean")) ** 2).sum() / (9 - 3)
    k = 9 / 3
    assert icc1(data, "y", "team") == pytest.approx((msb - msw) / (msb + (k - 1) * msw))
    assert icc2(data, "y", "team") == pytest.approx((msb - msw) / msb)


def test_icc_drops_missing_and_is_nan_when_undefined() -> None:
    data = pd.DataFrame({"team": list("aaabbb"), "y": [1.0, 2.0, 3.0, 3.0, 4.0, 5.0]})
    with_gaps = pd.concat(
        [data, pd.DataFrame({"team": ["a", None], "y": [np.nan, 9.0]})], ignore_index=True
    )
    assert icc1(with_gaps, "y", "team") == pytest.approx(icc1(data, "y", "team"))
    assert np.isnan(icc1(data[data["team"] == "a"], "y", "team"))  # one group
    assert np.isnan(icc2(pd.DataFrame({"team": list("ab"), "y": [1.0, 2.0]}), "y", "team"))
    assert np.isnan(icc2(pd.DataFrame({"team": list("aabb"), "y": [1.0] * 4}), "y", "team"))
    # No between-team differences at all: ICC(1) negative, not clipped.
    same_means = pd.DataFrame({"team": list("aabb"), "y": [1.0, 3.0, 1.0, 3.0]})
    assert icc1(same_means, "y", "team") < 0


# --- the random-response null -----------------------------------------------------------------


def test_null_quantile_falls_with_team_size_and_rises_with_items() -> None:
    by_size = [rwg_null_quantile(size, 4, 7) for size in (3, 5, 10, 20, 40)]
    assert all(a > b for a, b in itertools.pairwise(by_size))
    # With more items random teams reach higher rwg(j) (Cohen, Doveh & Eick, 2001); for very
    # small item counts the single-item and two-item quantiles are close, so start at two.
    by_items = [rwg_null_quantile(8, items, 7) for items in (2, 4, 8, 16)]
    assert all(a < b for a, b in itertools.pairwise(by_items))
    assert all(0.0 <= v <= 1.0 for v in by_size + by_items)
    assert rwg_null_quantile(10, 4, 7, q=0.5) < rwg_null_quantile(10, 4, 7, q=0.95)


def test_null_quantile_exact_small_case() -> None:
    # Two respondents, one item, 3 options: rwg is 1 (p 1/3), 0.25 (p 4/9) or 0 (p 2/9).
    assert rwg_null_quantile(2, 1, 3, q=0.1) == 0.0
    assert rwg_null_quantile(2, 1, 3, q=0.5) == pytest.approx(0.25)
    assert rwg_null_quantile(2, 1, 3, q=0.9) == 1.0


def test_null_quantile_is_deterministic_and_cached(
    isolated_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clear_memory_cache()
    start = time.perf_counter()
    first = rwg_null_quantile(12, 4, 7, reps=10000, seed=3)
    cold = time.perf_counter() - start
    start = time.perf_counter()
    second = rwg_null_quantile(12, 4, 7, reps=10000, seed=3)
    warm = time.perf_counter() - start
    assert first == second
    assert warm < 0.01 and warm < cold
    assert cold < 2.0  # about 0.01 s on one core; generous for a loaded machine

    stored = json.loads((isolated_cache / rwg_null._CACHE_FILE).read_text(encoding="utf-8"))
    assert first in stored.values()

    # From disk in a fresh process (memory cleared): no simulation needed.
    def no_simulation(*args: object) -> np.ndarray:
        raise AssertionError("simulated although cached on disk")

    clear_memory_cache()
    monkeypatch.setattr(rwg_null, "_simulate_rwg", no_simulation)
    assert rwg_null_quantile(12, 4, 7, reps=10000, seed=3) == first


def test_null_quantile_recomputes_identically_without_cache(tmp_path: Path) -> None:
    value = rwg_null_quantile(6, 3, 5, reps=2000, seed=1)
    clear_memory_cache()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("COPKIT_CACHE_DIR", str(tmp_path / "fresh"))
        assert rwg_null_quantile(6, 3, 5, reps=2000, seed=1) == value
        assert (tmp_path / "fresh" / rwg_null._CACHE_FILE).is_file()
    assert rwg_null_quantile(6, 3, 5, reps=2000, seed=2) != value


def test_null_quantile_survives_a_corrupt_or_unwritable_cache(tmp_path: Path) -> None:
    corrupt = tmp_path / "corrupt"
    corrupt.mkdir()
    (corrupt / rwg_null._CACHE_FILE).write_text("{not json", encoding="utf-8")
    blocked = tmp_path / "a-file"
    blocked.write_text("", encoding="utf-8")
    expected = rwg_null_quantile(5, 2, 5, reps=500)
    for directory in (corrupt, blocked):
        clear_memory_cache()
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("COPKIT_CACHE_DIR", str(directory))
            assert rwg_null_quantile(5, 2, 5, reps=500) == expected


def test_null_quantile_with_skewed_null_is_lower() -> None:
    # Uniform random answers judged against a smaller (skewed) null variance agree less.
    assert rwg_null_quantile(10, 4, 5, null="slight") < rwg_null_quantile(10, 4, 5)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"group_size": 1, "n_items": 4, "options": 5}, "group_size must be an integer of at"),
        ({"group_size": 5, "n_items": 0, "options": 5}, "n_items must be"),
        ({"group_size": 5, "n_items": 4, "options": 1}, "options must be at least 2"),
        ({"group_size": 5, "n_items": 4, "options": 5, "q": 1.0}, "q must be in"),
        ({"group_size": 5, "n_items": 4, "options": 5, "reps": 0}, "reps must be"),
        ({"group_size": 5, "n_items": 4, "options": 6, "null": "slight"}, "no published"),
        ({"group_size": 5, "n_items": 4, "options": 5, "null": "odd"}, "unknown null"),
    ],
)
def test_null_quantile_rejects_bad_arguments(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        rwg_null_quantile(**kwargs)


# --- the per team x wave table ----------------------------------------------------------------


def _study(seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for team, size in (("t1", 6), ("t2", 4), ("t3", 5)):
        level = rng.integers(2, 6)
        for wave in (1, 2):
            for person in range(size):
                answers = np.clip(level + rng.integers(-1, 2, size=5), 1, 7)
                rows.append({"team": team, "wave": wave, "respondent": f"{team}-{person}",
                             **{f"q{i}": float(a) for i, a in enumerate(answers)}})  # fmt: skip
    data = pd.DataFrame(rows)
    data.loc[0, "q1"] = np.nan  # t1 wave 1: one incomplete respondent on scale "a"
    data.loc[data["team"] == "t2", "q4"] = np.nan  # t2 never answered scale "b" item q4
    single = {"team": "t4", "wave": 1, "respondent": "t4-0", **{f"q{i}": 4.0 for i in range(5)}}
    return pd.concat([data, pd.DataFrame([single])], ignore_index=True)


SCALES = {"a": ["q0", "q1", "q2"], "b": ["q3", "q4"]}


def test_agreement_table_rows_equal_single_group_functions() -> None:
    data = _study()
    table = agreement_table(data, SCALES, options=7)
    assert len(table) == (3 * 2 + 1) * 2
    assert table[["team", "wave", "scale"]].values.tolist()[:4] == [
        ["t1", 1, "a"], ["t1", 1, "b"], ["t1", 2, "a"], ["t1", 2, "b"],
    ]  # fmt: skip
    for row in table.to_dict("records"):
        group = data[(data["team"] == row["team"]) & (data["wave"] == row["wave"])]
        scale_items: list[str] = SCALES[str(row["scale"])]
        items = group[scale_items]
        complete = items.dropna()
        n = int(row["n"])
        assert n == len(complete)
        assert _same(row["rwg_j"], rwg_j(items, 7))
        assert _same(row["rwg_j_star"], rwg_j_star(items, 7))
        per_item = [awg(complete[c], 1, 7) for c in scale_items]
        defined = [v for v in per_item if np.isfinite(v)]
        assert _same(row["awg"], float(np.mean(defined)) if defined else float("nan"))
        expected_null = rwg_null_quantile(n, len(scale_items), 7) if n >= 2 else float("nan")
        assert _same(row["rwg_j_null95"], expected_null)


def _same(actual: Any, expected: float) -> bool:
    """Equal to 1e-12, or both nan."""
    if np.isnan(expected):
        return bool(np.isnan(actual))
    return bool(actual == pytest.approx(expected, abs=1e-12))


def _row(table: pd.DataFrame, team: str, wave: int, scale: str) -> dict[str, Any]:
    mask = (table["team"] == team) & (table["wave"] == wave) & (table["scale"] == scale)
    records = table[mask].to_dict("records")
    assert len(records) == 1
    return {str(k): v for k, v in records[0].items()}


def test_agreement_table_small_and_empty_teams() -> None:
    table = agreement_table(_study(), SCALES, options=7)
    assert _row(table, "t1", 1, "a")["n"] == 5
    empty = _row(table, "t2", 1, "b")
    assert empty["n"] == 0 and np.isnan(empty["rwg_j"]) and np.isnan(empty["awg"])
    single = _row(table, "t4", 1, "a")
    assert single["n"] == 1
    assert np.isnan(single["rwg_j"]) and np.isnan(single["rwg_j_null95"])
    assert np.isnan(single["awg"]) and np.isnan(single["rwg_j_star"])


def test_agreement_table_iccs_per_wave_on_scale_means() -> None:
    data = _study()
    table = agreement_table(data, SCALES, options=7)
    for wave in (1, 2):
        rows = table[(table["wave"] == wave) & (table["scale"] == "a")]
        assert rows["icc1"].nunique() == 1
        in_wave = data[data["wave"] == wave].dropna(subset=SCALES["a"])
        scored = in_wave.assign(score=in_wave[SCALES["a"]].mean(axis=1))
        assert rows["icc1"].iloc[0] == pytest.approx(icc1(scored, "score", "team"))
        assert rows["icc2"].iloc[0] == pytest.approx(icc2(scored, "score", "team"))
    first, second = (table[(table["wave"] == w) & (table["scale"] == "a")] for w in (1, 2))
    assert first["icc1"].iloc[0] != second["icc1"].iloc[0]


def test_agreement_table_custom_columns_and_null() -> None:
    data = _study().rename(columns={"team": "cop", "wave": "round"})
    table = agreement_table(data, SCALES, options=7, team="cop", wave="round", null="slight")
    assert list(table.columns[:3]) == ["cop", "round", "scale"]
    t1 = data[(data["cop"] == "t1") & (data["round"] == 2)]
    row = table[(table["cop"] == "t1") & (table["round"] == 2) & (table["scale"] == "a")]
    assert row["rwg_j"].iloc[0] == pytest.approx(rwg_j(t1[SCALES["a"]], 7, null="slight"))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.drop(columns="q2"), "columns not in the data: q2"),
        (lambda d: d.drop(columns="wave"), "columns not in the data: wave"),
        (lambda d: d.assign(q0=d["q0"].where(d.index != 3, 8.0)), "'q0' has 1 value.*outside 1..7"),
        (lambda d: d.assign(q3=d["q3"].where(d.index != 2, 0.0)), "outside 1..7"),
        (lambda d: d.assign(q0="x"), "'q0' must be numeric"),
    ],
)
def test_agreement_table_rejects_bad_data(change: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        agreement_table(change(_study()), SCALES, options=7)


def test_agreement_table_rejects_bad_null_and_empty_scales() -> None:
    with pytest.raises(ValueError, match="no published moderate-skew null variance for 6"):
        agreement_table(_study(), SCALES, options=6, null="moderate")
    with pytest.raises(ValueError, match="items_by_scale is empty"):
        agreement_table(_study(), {}, options=7)


def test_flat_front_module_exports() -> None:
    for name in ("rwg", "rwg_j", "rwg_j_star", "awg", "icc1", "icc2", "agreement_table",
                 "rwg_null_quantile", "rwg_null_variance"):  # fmt: skip
        assert name in an.__all__
        assert callable(getattr(an, name))
