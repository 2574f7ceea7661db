"""Check a fresh run of make_reference.R against the committed reference files in this folder.

Usage: ``python tests/reference/compare_reference.py OUTDIR`` where OUTDIR is the folder that
``Rscript tests/reference/make_reference.R OUTDIR`` wrote. Closed-form values (psych, multilevel)
must equal the fresh ones to 1e-8 (relative). Values found by an iterative optimiser (lme4's
fits and predictions, lmerTest/pbkrtest inference, lavaan's invariance fits) are held to 1e-6:
the optimisers stop at a convergence tolerance, and a different BLAS or R build moves their
estimates in the eighth digit (a CI machine moved lme4's trajectories by 3e-8); our own tests
compare with them at 1e-6 or looser. The singular univbct growth fit has a flat optimum, where
that rounding moves lme4's estimates in the seventh digit, so its two files are held to 1e-5.
Every committed CSV must hold the same values. Exits 1 and lists each difference otherwise.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Any

import pandas as pd

HERE = Path(__file__).resolve().parent
TOLERANCE = 1e-8
OPTIMISER_TOLERANCE = 1e-6
OPTIMISER_SUFFIXES = (".inference.json", ".invariance.json", ".trajectories.json")
FLAT_OPTIMUM_TOLERANCE = {
    "univbct_jsat.expected.json": 1e-5,
    "univbct_singular.inference.json": 1e-5,
}


def _differences(committed: Any, fresh: Any, where: str, tolerance: float) -> list[str]:
    """Every place where two JSON values differ beyond ``tolerance`` (relative), with its path."""
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
            committed, fresh, rel_tol=tolerance, abs_tol=1e-12
        ):
            return [f"{where}: committed {committed!r}, fresh {fresh!r}"]
        return []
    return [] if committed == fresh else [f"{where}: committed {committed!r}, fresh {fresh!r}"]


def _tolerance(name: str) -> float:
    """The relative tolerance for one committed file: closed form, optimiser fit or flat optimum."""
    if name in FLAT_OPTIMUM_TOLERANCE:
        return FLAT_OPTIMUM_TOLERANCE[name]
    return OPTIMISER_TOLERANCE if name.endswith(OPTIMISER_SUFFIXES) else TOLERANCE


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
