"""Configuration defaults for the copkit web app, and the secret key kept in the instance folder."""

from __future__ import annotations

import contextlib
import os
import secrets
import tempfile
from pathlib import Path
from typing import Any

SECRET_KEY_FILE = "secret_key"
DATABASE_FILE = "copkit.sqlite3"


def default_config(instance_path: str | os.PathLike[str]) -> dict[str, Any]:
    """Return the default settings, computed when an app is created (never at import time).

    Every key can be overridden by an environment variable with the ``COPKIT_`` prefix
    (``COPKIT_MIN_CELL=7``; values are parsed as JSON where possible) and then by the mapping
    given to :func:`survey_app.factory.create_app`.

    Parameters
    ----------
    instance_path
        The app's instance folder; the default SQLite database lives there.

    Returns
    -------
    dict
        ``SESSION_COOKIE_SECURE`` is ``None`` here, meaning "decide after the overrides": secure
        unless the app is in testing or debug mode.

    Examples
    --------
    >>> config = default_config("/srv/copkit")
    >>> config["DATABASE_URL"], config["MIN_CELL"]
    ('sqlite:////srv/copkit/copkit.sqlite3', 5)
    """
    database = Path(instance_path) / DATABASE_FILE
    return {
        "DATABASE_URL": f"sqlite:///{database}",
        "DATABASE_ECHO": False,
        "SQLITE_BUSY_TIMEOUT_MS": 10_000,
        "SECRET_KEY": None,
        "MIN_CELL": 5,
        "MAX_CONTENT_LENGTH": 1024 * 1024,
        "SESSION_COOKIE_SECURE": None,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "WTF_CSRF_ENABLED": True,
        "WTF_CSRF_TIME_LIMIT": 8 * 3600,
        "SMTP_HOST": "localhost",
        "SMTP_PORT": 25,
        "SMTP_USER": None,
        "SMTP_PASSWORD": None,
        "SMTP_STARTTLS": False,
        "SMTP_TIMEOUT": 30,
        "MAIL_FROM": "copkit@localhost",
        "HELP_EMAIL": None,  # shown to respondents for help; MAIL_FROM when unset
        "BASE_URL": "http://127.0.0.1:5000",
        "REMINDER_LIMIT": 2,
        "REMINDER_INTERVAL_HOURS": 72,
        "LOGIN_MAX_FAILURES": 5,
        "LOGIN_MAX_FAILURES_PER_IP": 50,
        "LOGIN_LOCKOUT_MINUTES": 15,
        "TIMEZONE": "Europe/London",
        "TRUSTED_PROXIES": 0,
        "CONTENT_SECURITY_POLICY": (
            "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; "
            "form-action 'self'; base-uri 'none'; object-src 'none'"
        ),
    }


def instance_secret_key(instance_path: str | os.PathLike[str]) -> str:
    """Read the secret key kept in ``<instance>/secret_key``, creating it (mode 0600) if absent.

    Several gunicorn workers on one machine start at the same moment; the key is written to a
    temporary file and hard-linked into place, so exactly one key wins and every worker reads it.

    Parameters
    ----------
    instance_path
        The app's instance folder (created if missing).

    Returns
    -------
    str
        A 64-character hexadecimal key (256 random bits).

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     first = instance_secret_key(folder)
    ...     first == instance_secret_key(folder), len(first)
    (True, 64)
    """
    folder = Path(instance_path)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / SECRET_KEY_FILE
    if not path.exists():
        descriptor, temporary = tempfile.mkstemp(dir=folder, prefix=".secret_key.")
        try:
            os.fchmod(descriptor, 0o600)
            with os.fdopen(descriptor, "w", encoding="ascii") as handle:
                handle.write(secrets.token_hex(32) + "\n")
            with contextlib.suppress(FileExistsError):  # another worker won: use its key
                os.link(temporary, path)
        finally:
            os.unlink(temporary)
    key = path.read_text(encoding="ascii").strip()
    if len(key) < 32:
        raise ValueError(f"the secret key in {path} is too short (at least 32 characters needed)")
    return key
