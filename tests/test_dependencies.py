"""Every runtime dependency in pyproject.toml is used by the runtime code (others go in extras)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("instruments", "analysis", "reports", "survey_app")

#: Distribution name -> the module the code imports, where the two differ.
IMPORT_NAMES = {
    "flask-wtf": "flask_wtf",
    "flask-login": "flask_login",
    "pyyaml": "yaml",
    "pillow": "PIL",
}
#: Dependencies the code loads by another route than an import statement, and where.
LOADED_OTHERWISE = {
    # SQLAlchemy loads the driver named in the URL; copkit names psycopg 3 for PostgreSQL
    "psycopg": ("survey_app/database.py", "postgresql+psycopg"),
}


def _runtime_dependencies() -> list[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return [
        re.split(r"[\[<>=!~ ;]", spec, maxsplit=1)[0].lower() for spec in project["dependencies"]
    ]


def _runtime_source() -> str:
    return "\n".join(
        path.read_text(encoding="utf-8")
        for package in PACKAGES
        for path in (ROOT / package).rglob("*.py")
        if "migrations" not in path.parts
    )


def test_every_runtime_dependency_is_imported_by_the_runtime_code() -> None:
    source = _runtime_source()
    unused = []
    for name in _runtime_dependencies():
        if name in LOADED_OTHERWISE:
            where, text = LOADED_OTHERWISE[name]
            if text not in (ROOT / where).read_text(encoding="utf-8"):
                unused.append(name)
            continue
        module = IMPORT_NAMES.get(name, name.replace("-", "_"))
        if not re.search(rf"^\s*(import|from) {re.escape(module)}\b", source, re.MULTILINE):
            unused.append(name)
    assert not unused, f"runtime dependencies no runtime module imports: {unused} (move to extras)"


def test_the_libraries_the_design_names_are_used_at_runtime() -> None:
    analysis = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "analysis").glob("*.py"))
    assert re.search(r"^\s*(import pingouin|from pingouin import)", analysis, re.MULTILINE)
    assert re.search(r"^\s*from statsmodels\.stats\.multitest import", analysis, re.MULTILINE)
