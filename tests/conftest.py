"""Fixtures shared by every test package: where the R reference data lives."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# Apps made by tests compute dashboards during the request, so a test sees the content it
# asked for (tests/survey_app/test_dashboard_background.py switches the background on).
os.environ.setdefault("COPKIT_DASHBOARD_BACKGROUND", "false")
# Nor do they render the report's PDF with every dashboard (seconds each);
# tests/survey_app/test_dashboard_prepare.py switches it on.
os.environ.setdefault("COPKIT_DASHBOARD_PDF", "false")

REPO_ROOT = Path(__file__).resolve().parents[1]
REFERENCE_DIR = REPO_ROOT / "tests" / "reference"


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    """The public data sets with values computed by R (``tests/reference``, see its README)."""
    return REFERENCE_DIR
