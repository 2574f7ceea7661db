"""Check a fresh run of make_reference.R against the committed reference files in this folder.

Usage: ``python tests/reference/compare_reference.py OUTDIR`` where OUTDIR is the folder that
``Rscript tests/reference/make_reference.R OUTDIR`` wrote. Closed-form values (psych, multilevel)
must equal the fresh ones to 1e-8 (relative). Values found by an iterative optimiser (lme4's
fits and predictions, lmerTest/pbkrtest inference, lavaan's invariance fits) are held to 1e-5:
the optimisers stop at a convergence tolerance, not at one exact point. Measured here, six
reruns of the script on one machine ended at one of two stopping points for the simulated
study's growth fit, whose `since` t values differ by 1.7e-6 (relative); a CI machine moved
lme4's team trajectories by 3e-8. The singular univbct fit's optimum is flat, and there the
same rounding moves estimates in the seventh digit. Our own tests compare our engine with these
files at 1e-6 or looser where they compare optimiser output. Values near 0 of an optimiser's
fit are held to an absolute 1e-9 instead: a p of 1e-7 moves in its fifth digit when its t moves
in its seventh. Every committed CSV must hold the
same values. Exits 1 and lists each difference otherwise.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Any

import pandas as pd

HERE = Path(__file__).resolve().parent
TOLERANCE = (1e-8, 1e-12)
OPTIMISER_TOLERANCE = (1e-5, 1e-9)
OPTIMISER_FILES = (
    ".inference.json",
    ".invariance.json",
    ".trajectories.json",
    "jsat.expected.json",
)


def _differences(
    committed: Any, fresh: Any, where: str, tolerance: tuple[float, float]
) -> list[str]:
    """Every place where two JSON values differ beyond ``tolerance`` (relative, absolute)."""
    if isinstance(committed, dict):
        if not isinstance(fresh, dict):
            return [f"{where}: fresh value is not an object"]
        found: list[str] = []
        for key, value in committed.items():
            if key == "note":
                continue
            if key not in fresh:
                found.append(f"{where}.{key}: missing from the fresh run")
                continue
            found.extend(_differences(value, fresh[key], f"{where}.{key}", tolerance))
        return found
    if isinstance(committed, list):
        if not isinstance(fresh, list) or len(fresh) != len(committed):
            return [f"{where}: lists differ in length"]
        return [
            problem
            for index, (left, right) in enumerate(zip(committed, fresh, strict=True))
            for problem in _differences(left, right, f"{where}[{index}]", tolerance)
        ]
    if isinstance(committed, int | float) and not isinstance(committed, bool):
        if not isinstance(fresh, int | float) or not math.isclose(
            committed, fresh, rel_tol=tolerance[0], abs_tol=tolerance[1]
        ):
            return [f"{where}: committed {committed!r}, fresh {fresh!r}"]
        return []
    return [] if committed == fresh else [f"{where}: committed {committed!r}, fresh {fresh!r}"]


def _tolerance(name: str) -> tuple[float, float]:
    """The (relative, absolute) tolerance for one committed file: closed form or an optimiser's."""
    return OPTIMISER_TOLERANCE if name.endswith(OPTIMISER_FILES) else TOLERANCE


def main(fresh_dir: Path) -> int:
    """Compare every committed reference file with the fresh run; print the differences."""
    problems: list[str] = []
    for committed in sorted(HERE.glob("*.json")):
        fresh = json.loads((fresh_dir / committed.name).read_text(encoding="utf-8"))
        tolerance = _tolerance(committed.name)
        problems.extend(
            _differences(json.loads(committed.read_text()), fresh, committed.name, tolerance)
        )
    for committed in sorted(HERE.glob("*.csv")):
        left = pd.read_csv(committed)
        right = pd.read_csv(fresh_dir / committed.name)
        try:
            pd.testing.assert_frame_equal(left, right, check_dtype=False, rtol=1e-7)
        except AssertionError as error:
            problems.append(f"{committed.name}: {error}")
    for problem in problems:
        print(problem)
    print(f"{len(problems)} differences")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
