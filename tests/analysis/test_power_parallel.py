"""Power replications on several processes and on a Dask cluster give the one-process table."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pandas as pd
import pytest

from analysis.power import power_analysis, power_table

# growth model and formation verdicts: everything a replication does, on two small designs
DESIGNS: dict[str, Any] = {
    "teams": [4, 6],
    "members": 6,
    "waves": 4,
    "effect": 0.6,
    "reps": 3,
    "seed": 11,
    "method": "growth",
    "verdicts": True,
}


def _without_timing(table: pd.DataFrame) -> pd.DataFrame:
    return table.drop(columns="seconds")


@pytest.fixture(scope="module")
def one_process() -> pd.DataFrame:
    return power_table(**DESIGNS, jobs=1)


@pytest.mark.slow
def test_two_workers_give_the_same_table_as_one(one_process: pd.DataFrame) -> None:
    calls: list[tuple[int, int]] = []
    two = power_table(**DESIGNS, jobs=2, progress=lambda done, total: calls.append((done, total)))
    pd.testing.assert_frame_equal(_without_timing(two), _without_timing(one_process))
    assert calls == [(k, 6) for k in range(1, 7)]
    assert one_process["verdict_accuracy"].notna().all()  # the verdicts were judged too
    assert (one_process["method"] == "growth").all()


@pytest.mark.slow
def test_another_seed_gives_other_studies(one_process: pd.DataFrame) -> None:
    other = power_table(**(DESIGNS | {"seed": 12}), jobs=2)
    assert not _without_timing(other).equals(_without_timing(one_process))


@pytest.fixture(scope="module")
def dask_scheduler() -> Iterator[str]:
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            scheduler_port=0,
            dashboard_address=None,
        ) as cluster,
    ):
        yield cluster.scheduler_address


@pytest.mark.slow
def test_a_dask_cluster_gives_the_same_table(
    one_process: pd.DataFrame, dask_scheduler: str
) -> None:
    on_cluster = power_table(**DESIGNS, scheduler=dask_scheduler)
    pd.testing.assert_frame_equal(_without_timing(on_cluster), _without_timing(one_process))


@pytest.mark.parametrize("jobs", [0, -2, True, 1.5])
def test_jobs_must_be_a_positive_whole_number(jobs: Any) -> None:
    with pytest.raises(ValueError, match="jobs must be a whole number of at least 1"):
        power_analysis(
            teams=4, members=6, waves=4, effect=0.5, reps=2, method="team_means", jobs=jobs
        )
