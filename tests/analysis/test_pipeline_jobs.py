"""The analysis with its model fits in worker processes writes the same files, byte for byte,
as the analysis in one process; the side-by-side runner returns each computation's value and
uses the workers."""

from __future__ import annotations

import gc
import json
import os
import time
from pathlib import Path

import pytest

from analysis import side_by_side
from analysis.pipeline import analyse_bundle, write_results
from analysis.side_by_side import SideBySide, all_cores, check_jobs, idle_cores
from analysis.simulate import simulate_study

DRAWS = 50


def _written(tmp_path: Path, jobs: int) -> dict[str, bytes]:
    bundle = simulate_study(teams=6, members=8, waves=4, seed=5).bundle
    results = analyse_bundle(bundle, permutations=DRAWS, jobs=jobs)
    out = write_results(results, tmp_path / f"jobs-{jobs}")
    files = {p.name: p.read_bytes() for p in sorted(out.iterdir())}
    summary = json.loads(files.pop("results.json"))
    summary.pop("generated")  # the time stamp
    files["results.json"] = json.dumps(summary, sort_keys=True).encode()
    return files


@pytest.mark.slow
def test_three_processes_write_what_one_writes(tmp_path: Path) -> None:
    serial = _written(tmp_path, 1)
    parallel = _written(tmp_path, 3)
    assert serial.keys() == parallel.keys()
    different = [name for name in serial if serial[name] != parallel[name]]
    assert different == []
    # the tables the workers compute are not trivially empty
    for name in ("growth.csv", "invariance.csv", "interventions.csv", "reliability.csv"):
        assert serial[name].count(b"\n") > 3, name


def _pid_after(seconds: float, value: int) -> tuple[int, int]:
    time.sleep(seconds)
    return os.getpid(), value * value


def _fails() -> None:
    raise ValueError("no model")


def test_values_come_back_in_order_and_a_worker_computes_some() -> None:
    with SideBySide(2) as workers:
        parts = [workers.submit(_pid_after, 0.2, k) for k in range(4)]
        results = [part.result() for part in reversed(parts)][::-1]
    assert [value for _pid, value in results] == [0, 1, 4, 9]
    pids = {pid for pid, _value in results}
    assert pids - {os.getpid()}, "no computation ran in a worker"


def test_one_job_computes_everything_here() -> None:
    with SideBySide(1) as workers:
        parts = [workers.submit(_pid_after, 0.0, k) for k in range(3)]
        results = [part.result() for part in parts]
    assert results == [(os.getpid(), 0), (os.getpid(), 1), (os.getpid(), 4)]


@pytest.mark.parametrize("jobs", [1, 2])
def test_an_error_in_a_computation_reaches_the_caller(jobs: int) -> None:
    with pytest.raises(ValueError, match="no model"), SideBySide(jobs) as workers:
        workers.submit(_fails).result()


@pytest.mark.parametrize("jobs", [0, -1, True, 1.5, "2"])
def test_jobs_must_be_a_whole_number_of_at_least_one(jobs: object) -> None:
    with pytest.raises(ValueError, match="jobs must be"):
        check_jobs(jobs)  # type: ignore[arg-type]


def test_no_number_means_every_core() -> None:
    assert check_jobs(None) == all_cores() >= 1


def test_taking_back_the_queue_computes_here_what_no_worker_started() -> None:
    with SideBySide(2) as workers:
        parts = [workers.submit(_pid_after, 1.0 if k == 0 else 0.0, k) for k in range(8)]
        time.sleep(0.3)  # the worker is inside the first computation
        workers.take_back_unstarted()
        results = [part.result() for part in parts]
    assert [value for _pid, value in results] == [k * k for k in range(8)]
    assert results[0][0] != os.getpid()  # started by the worker, left to it
    assert results[-1][0] == os.getpid()  # still queued: computed here, not waited for


def test_the_collector_is_left_as_it_was() -> None:
    # what the workers inherit is frozen out of the garbage collector while they run
    with SideBySide(2) as workers:
        assert gc.get_freeze_count() > 0
        workers.submit(_pid_after, 0.0, 1).result()
    assert gc.get_freeze_count() == 0


def test_idle_cores_leave_out_the_busy_ones(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    loadavg = tmp_path / "loadavg"
    monkeypatch.setattr(side_by_side, "LOADAVG", loadavg)
    loadavg.write_text("1.90 1.20 0.80 1/180 4242\n")  # this process alone runs now
    assert idle_cores() == all_cores()
    loadavg.write_text("0.10 0.20 0.80 1000/1200 4242\n")
    assert idle_cores() == 1
    loadavg.unlink()  # elsewhere: the one-minute load average
    monkeypatch.setattr(os, "getloadavg", lambda: (1000.0, 0.0, 0.0))
    assert idle_cores() == 1
