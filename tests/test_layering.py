"""The layering rule (docs/architecture.md#layers): the import-linter contracts hold and can break."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("instruments", "analysis", "reports", "survey_app")
WEB_STACK = ("flask", "wtforms", "sqlalchemy", "flask_wtf", "flask_login", "werkzeug", "survey_app")
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint_imports(tree: Path) -> subprocess.CompletedProcess[str]:
    """Run ``lint-imports`` with the project's contracts on the packages under ``tree``."""
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--config", str(tree / "pyproject.toml")],
        cwd=tree,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(tree)},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def tree_copy(tmp_path: Path) -> Path:
    """The four packages' Python files and pyproject.toml, copied so a test can break them."""
    for package in PACKAGES:
        shutil.copytree(
            ROOT / package,
            tmp_path / package,
            ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "templates", "static"),
        )
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_the_contracts_hold_on_this_tree() -> None:
    result = _lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 kept, 0 broken" in result.stdout


# Each attack: (module, the import added to it, the contract it must break).
ATTACKS = [
    ("analysis/scoring.py", "import reports.render", "Layers"),
    ("instruments/schema.py", "import analysis.scoring", "Layers"),
    ("reports/render.py", "import survey_app.config", "Layers"),
    ("reports/figures.py", "import werkzeug", "Only survey_app imports the web stack"),
    ("analysis/network.py", "import flask", "Only survey_app imports the web stack"),
    ("instruments/loader.py", "import jinja2", "Documents are made in reports only"),
]


def test_imports_against_the_rule_break_the_contracts(tree_copy: Path) -> None:
    """One run over a copy with every attack (a run costs seconds); each must be reported."""
    for module, bad_import, _contract in ATTACKS:
        path = tree_copy / module
        path.write_text(path.read_text(encoding="utf-8") + f"\n{bad_import}  # the attack\n")
    result = _lint_imports(tree_copy)
    assert result.returncode == 1, result.stdout + result.stderr
    broken = {line.removesuffix(" BROKEN") for line in result.stdout.splitlines()}
    for module, bad_import, contract in ATTACKS:
        assert any(name.startswith(contract) for name in broken), (contract, result.stdout)
        importer = module.removesuffix(".py").replace("/", ".")
        imported = bad_import.removeprefix("import ")
        assert f"{importer} -> {imported}" in result.stdout, (module, result.stdout)


def _loaded_web_modules(code: str) -> list[str]:
    probe = f"import sys\n{code}\nprint(','.join(m for m in {WEB_STACK!r} if m in sys.modules))\n"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return [name for name in result.stdout.strip().split(",") if name]


@pytest.mark.slow
def test_importing_every_public_name_loads_no_web_module() -> None:
    """What the contracts check statically, at run time: ``analysis.__all__`` resolved in full."""
    loaded = _loaded_web_modules(
        "import instruments, analysis, reports\nimport analysis as an\n"
        "for name in an.__all__:\n    getattr(an, name)\n"
    )
    assert loaded == []


@pytest.mark.slow
def test_the_run_time_probe_sees_the_web_stack_when_it_is_loaded() -> None:
    assert "flask" in _loaded_web_modules("import survey_app.factory")
