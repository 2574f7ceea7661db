"""Fixtures shared by every test package: where the R reference data lives."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    """The folder of public data sets with values computed by R (``../shared/reference``)."""
    path = REPO_ROOT.parent / "shared" / "reference"
    if not path.is_dir():
        raise RuntimeError(
            f"reference data not found at {path}; the shared/ folder must sit beside the repo"
        )
    return path
