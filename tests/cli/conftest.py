"""Fixtures for command-line tests: the installed console script and a simulated bundle."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

COPKIT = str(Path(sys.executable).with_name("copkit"))


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``copkit ARGS`` and capture its output (bounded in time)."""
    return subprocess.run([COPKIT, *args], capture_output=True, text=True, timeout=300, env=env)


@pytest.fixture(scope="session")
def simulated_bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A bundle written by ``copkit simulate`` (6 teams, 8 members, 4 waves, seed 3)."""
    bundle = tmp_path_factory.mktemp("cli") / "bundle"
    made = run(
        "simulate",
        "--teams",
        "6",
        "--members",
        "8",
        "--waves",
        "4",
        "--seed",
        "3",
        "--out",
        str(bundle),
    )
    assert made.returncode == 0, made.stderr
    return bundle
