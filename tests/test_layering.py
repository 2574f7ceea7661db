"""The layering rule: instruments, analysis and reports never import the web stack."""

from __future__ import annotations

import subprocess
import sys

WEB_STACK = ("flask", "wtforms", "sqlalchemy", "flask_wtf", "flask_login", "survey_app")


def test_pure_packages_do_not_import_the_web_stack() -> None:
    probe = (
        "import sys, instruments, analysis, reports\n"
        "import analysis as an\n"
        "for name in getattr(an, '__all__', []):\n"
        "    getattr(an, name)\n"
        f"print(','.join(m for m in {WEB_STACK!r} if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "", f"web stack imported: {result.stdout.strip()}"


def test_the_probe_can_fail() -> None:
    """The same probe sees flask once survey_app is imported, so the check above is real."""
    probe = "import sys, survey_app.factory\nprint('flask' in sys.modules)\n"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert result.returncode != 0 or result.stdout.strip() == "True"
