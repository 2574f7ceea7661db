"""The conventions of docs/architecture.md#conventions a grep can hold: settings, transactions."""

from __future__ import annotations

import re
from pathlib import Path

from survey_app.config import DEFAULTS, default_config

ROOT = Path(__file__).resolve().parents[1]
SURVEY_APP = ROOT / "survey_app"

READ_FROM_THE_ENVIRONMENT = {
    "INSTANCE_PATH": ROOT / "survey_app" / "factory.py",  # chooses where the settings live
    "CACHE_DIR": ROOT / "analysis" / "rwg_null.py",  # analysis has no app configuration
}
"""Documented ``COPKIT_`` variables that are not app settings, and the module that reads each."""

FRAMEWORK_SETTINGS = {
    "SESSION_COOKIE_HTTPONLY",
    "SESSION_COOKIE_SAMESITE",
    "REMEMBER_COOKIE_HTTPONLY",
    "REMEMBER_COOKIE_SAMESITE",
    "WTF_CSRF_ENABLED",
    "WTF_CSRF_TIME_LIMIT",
}
"""Flask's and Flask-WTF's own settings: copkit sets their values, their documentation is theirs."""


def documented_settings() -> set[str]:
    """The settings named in the README's configuration table (``_X`` abbreviates ``COPKIT_X``)."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    names: set[str] = set()
    for row in table.splitlines():
        if not row.startswith("| `"):
            continue
        first_cell = row.split(" | ", 1)[0]
        for name in re.findall(r"`(COPKIT)?(_[A-Z0-9_]+)`", first_cell):
            names.add(name[1].removeprefix("_"))
    return names


def test_every_documented_setting_has_its_default_in_config_py() -> None:
    documented = documented_settings()
    assert {"DATABASE_URL", "SMTP_TIMEOUT", "DASHBOARD_LEASE_SECONDS"} <= documented
    settings = set(default_config("/srv/copkit"))
    missing = documented - settings - set(READ_FROM_THE_ENVIRONMENT)
    assert not missing, f"documented in README but without a default in config.py: {missing}"


def test_every_setting_of_config_py_is_documented() -> None:
    undocumented = set(DEFAULTS) - documented_settings() - FRAMEWORK_SETTINGS
    assert not undocumented, f"settings in config.py missing from README's table: {undocumented}"


def test_variables_read_from_the_environment_are_read_where_named() -> None:
    for name, module in READ_FROM_THE_ENVIRONMENT.items():
        assert f'"COPKIT_{name}"' in module.read_text(encoding="utf-8"), (name, module)


def test_no_module_writes_a_default_beside_config_py() -> None:
    """``config.get("KEY", default)`` would be a second default: read ``config[KEY]`` or
    ``survey_app.config.setting``; likewise no module reads the environment for a setting."""
    second_default = re.compile(r"""config\.get\(\s*["'][A-Z][A-Z0-9_]*["']\s*,""")
    environment = re.compile(r"""os\.environ(\.get\(|\[)\s*["']COPKIT_""")
    offenders = []
    for path in sorted(SURVEY_APP.rglob("*.py")):
        if path.name == "config.py" or "migrations" in path.parts:
            continue
        text = path.read_text(encoding="utf-8")
        for pattern in (second_default, environment):
            for match in pattern.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                offenders.append(f"{path.relative_to(ROOT)}:{line}")
    allowed = {
        "survey_app/factory.py",  # COPKIT_INSTANCE_PATH chooses where the settings live
        "survey_app/commands/demo.py",  # the demo's password, and its URL on the port it serves
    }
    offenders = [o for o in offenders if o.split(":")[0] not in allowed]
    assert not offenders, f"settings with a default outside config.py: {offenders}"


TRANSACTION_CONTROL = re.compile(
    r"\.(commit|rollback|begin|begin_nested)\(|\bbegin_write\(|\bwrite_transaction\("
)


def test_views_never_begin_commit_or_roll_back() -> None:
    """Services own their transactions (``@transactional``, services/transactions.py)."""
    offenders = []
    for path in sorted((SURVEY_APP / "blueprints").rglob("*.py")):
        name = str(path.relative_to(ROOT))
        text = path.read_text(encoding="utf-8")
        for match in TRANSACTION_CONTROL.finditer(text):
            offenders.append(f"{name}:{text.count(chr(10), 0, match.start()) + 1}")
    assert not offenders, f"transaction control in views: {offenders}"


COMMAND_RUNNER = "survey_app/commands/runtime.py"
"""Opens the one transaction of ``database_session(ctx, write=True)``: a command's checks
(``require_study``) and the services it calls run in it, the services joining it
(docs/architecture.md#conventions)."""


def test_commands_never_begin_commit_or_roll_back() -> None:
    """Commands leave transactions to the services, as views do (the runner is the exception)."""
    offenders = []
    for path in sorted((SURVEY_APP / "commands").rglob("*.py")):
        name = str(path.relative_to(ROOT))
        text = path.read_text(encoding="utf-8")
        found = [
            match
            for match in TRANSACTION_CONTROL.finditer(text)
            if name != COMMAND_RUNNER or match.group(0) != "write_transaction("
        ]
        offenders += [f"{name}:{text.count(chr(10), 0, m.start()) + 1}" for m in found]
    assert not offenders, f"transaction control in commands: {offenders}"


def test_the_transaction_check_sees_a_view_that_commits() -> None:
    view = "def save():\n    db.session.commit()\n    with write_transaction(db.session):\n"
    assert len(TRANSACTION_CONTROL.findall(view)) == 2
