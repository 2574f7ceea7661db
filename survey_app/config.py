"""Configuration defaults for the copkit web app, and the secret key kept in the instance folder."""

from __future__ import annotations

import contextlib
import os
import secrets
import tempfile
from collections.abc import Mapping, MutableMapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

from flask.config import Config

DEFAULT_MAIL_FROM = "copkit@localhost"
"""The sender address copkit ships with: nobody can write back to it, so nothing is sent from it."""
SECRET_KEY_FILE = "secret_key"
INSTANCE_PATH_KEY = "INSTANCE_PATH"
"""The override that chooses the instance folder (not a setting the app keeps)."""
DATABASE_FILE = "copkit.sqlite3"


DEFAULTS: Mapping[str, Any] = MappingProxyType(
    {
        "DATABASE_ECHO": False,
        "DATABASE_LOCK_TIMEOUT_MS": 10_000,  # SQLite busy_timeout, PostgreSQL lock_timeout
        "RETRY_AFTER_SECONDS": 10,  # Retry-After of a 503 (database busy or unreachable)
        "SECRET_KEY": None,
        "MIN_CELL": 5,
        "RETENTION_DAYS": 730,  # personal data kept after a study's last wave closed (per study)
        "MAX_CONTENT_LENGTH": 1024 * 1024,
        "SESSION_COOKIE_SECURE": None,
        "HSTS_SECONDS": 365 * 24 * 3600,  # Strict-Transport-Security while cookies are Secure
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
        "MAIL_FROM": DEFAULT_MAIL_FROM,
        "HELP_EMAIL": None,  # shown to respondents for help; MAIL_FROM when unset
        "BASE_URL": "http://127.0.0.1:5000",
        "REMINDER_LIMIT": 2,
        "REMINDER_INTERVAL_HOURS": 72,
        "LOGIN_MAX_FAILURES": 5,  # per account and address (or known browser) in the window
        "LOGIN_MAX_FAILURES_PER_ACCOUNT": 20,  # per account from unknown browsers, any address
        "LOGIN_MAX_FAILURES_PER_IP": 50,  # per address, before it is slowed (not blocked)
        "LOGIN_MAX_DELAY_SECONDS": 30,  # the longest wait a slowed address is given
        "LOGIN_LOCKOUT_MINUTES": 15,  # the window in which failures count
        "LOGIN_KNOWN_BROWSER_DAYS": 90,  # a browser that signed in is known to the account
        "SESSION_IDLE_MINUTES": 30,  # a staff session unused this long ends
        "SESSION_ABSOLUTE_HOURS": 8,  # and any staff session ends this long after sign-in
        "SESSION_ACTIVITY_SECONDS": 60,  # how often a session's last use is written
        "PASSWORD_RESET_MINUTES": 30,  # a "forgot password" link works this long, once
        "PASSWORD_RESETS_PER_HOUR": 3,  # links sent to one account in an hour, at most
        "TIMEZONE": "Europe/London",
        "TRUSTED_PROXIES": 0,
        "DASHBOARD_FIGURES": True,  # draw the report's figures on dashboards (1.2 of 3 CPU s, demo)
        "DASHBOARD_WAIT_SECONDS": 20,  # a request waits this long for another's first computation
        "DASHBOARD_LEASE_SECONDS": 600,  # after this long a dashboard computation is presumed dead
        "DASHBOARD_RETRY_AFTER_SECONDS": 5,  # the "being prepared" page reloads after this
        "DASHBOARD_PDF": True,  # keep the evaluator report's PDF ready with its dashboard
        "DASHBOARD_BACKGROUND": True,  # pages compute dashboards in the background, never waiting
        "CONTENT_SECURITY_POLICY": (
            "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; "
            "form-action 'self'; base-uri 'none'; object-src 'none'"
        ),
    }
)
"""Every setting and its default, except ``DATABASE_URL`` (it depends on the instance folder).

The one place where copkit's settings and their defaults are written: code elsewhere reads
``app.config[KEY]`` (complete once the app exists) or, for a partial mapping, :func:`setting`.
"""


def setting(config: Mapping[str, Any], key: str) -> Any:
    """``config[key]``, or its default from :data:`DEFAULTS` when ``config`` does not have it.

    For functions that take any mapping of settings (an app's configuration, or a few settings
    in a test or doctest) without writing the default a second time.

    Examples
    --------
    >>> setting({"SMTP_PORT": 587}, "SMTP_PORT"), setting({}, "SMTP_PORT")
    (587, 25)
    >>> setting({}, "SMTP_PROT")
    Traceback (most recent call last):
    ...
    KeyError: 'SMTP_PROT is not a copkit setting (survey_app/config.py lists them)'
    """
    if key in config:
        return config[key]
    try:
        return DEFAULTS[key]
    except KeyError:
        raise KeyError(f"{key} is not a copkit setting (survey_app/config.py lists them)") from None


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
    return {"DATABASE_URL": f"sqlite:///{database}", **DEFAULTS}


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


TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "off"})
FRAMEWORK_BOOLEAN_SETTINGS = frozenset(
    {
        "TESTING",
        "DEBUG",
        "PROPAGATE_EXCEPTIONS",
        "TRAP_HTTP_EXCEPTIONS",
        "TRAP_BAD_REQUEST_ERRORS",
        "EXPLAIN_TEMPLATE_LOADING",
        "TEMPLATES_AUTO_RELOAD",
        "SESSION_REFRESH_EACH_REQUEST",
        "SESSION_COOKIE_SECURE",
        "REMEMBER_COOKIE_SECURE",
        "WTF_CSRF_SSL_STRICT",
        "WTF_CSRF_CHECK_DEFAULT",
    }
)
"""Flask's and its extensions' on/off settings (besides copkit's own, see :func:`boolean_settings`)."""


def parse_boolean(name: str, value: object) -> bool:
    """An on/off setting as a bool: ``true``/``false``, ``yes``/``no``, ``on``/``off``, ``1``/``0``.

    Environment variables arrive as text (``COPKIT_SMTP_STARTTLS=no``) or, where the text is
    JSON, as a number or bool (``0``, ``false``); every form means the same thing.

    Raises
    ------
    ValueError
        Naming the setting, for any other value (``"maybe"``, ``2``).

    Examples
    --------
    >>> [parse_boolean("X", value) for value in ("no", "Off", 0, "FALSE", "yes", 1, True)]
    [False, False, False, False, True, True, True]
    >>> parse_boolean("SMTP_STARTTLS", "maybe")
    Traceback (most recent call last):
    ...
    ValueError: setting SMTP_STARTTLS must be on or off (true/false, yes/no, on/off, 1/0), not 'maybe'
    """
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        word = value.strip().lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
    raise ValueError(
        f"setting {name} must be on or off (true/false, yes/no, on/off, 1/0), not {value!r}"
    )


def boolean_settings(defaults: Mapping[str, Any]) -> frozenset[str]:
    """The on/off settings: copkit's (those whose default is a bool) and the framework's."""
    own = {key for key, value in defaults.items() if isinstance(value, bool)}
    return frozenset(own) | FRAMEWORK_BOOLEAN_SETTINGS


def resolve_booleans(config: MutableMapping[str, Any], defaults: Mapping[str, Any]) -> None:
    """Parse every on/off setting in ``config`` in place (``None`` means "not set", kept).

    The one place where settings become bools: without it ``COPKIT_SESSION_COOKIE_SECURE=no``
    stayed the text ``"no"``, which Python counts as true.

    Examples
    --------
    >>> config = {"SMTP_STARTTLS": "no", "SESSION_COOKIE_SECURE": "0", "DEBUG": None}
    >>> resolve_booleans(config, {"SMTP_STARTTLS": False})
    >>> config
    {'SMTP_STARTTLS': False, 'SESSION_COOKIE_SECURE': False, 'DEBUG': None}
    """
    for key in boolean_settings(defaults):
        if config.get(key) is not None:
            config[key] = parse_boolean(key, config[key])


RANGES: tuple[tuple[str, int], ...] = (
    ("MIN_CELL", 1),
    ("REMINDER_LIMIT", 0),
    ("MAX_CONTENT_LENGTH", 1),
    ("TRUSTED_PROXIES", 0),
    ("HSTS_SECONDS", 0),
    ("DATABASE_LOCK_TIMEOUT_MS", 1),
    ("RETRY_AFTER_SECONDS", 1),
    ("SESSION_IDLE_MINUTES", 1),
    ("SESSION_ABSOLUTE_HOURS", 1),
    ("SESSION_ACTIVITY_SECONDS", 1),
    ("PASSWORD_RESET_MINUTES", 1),
    ("PASSWORD_RESETS_PER_HOUR", 1),
    ("LOGIN_KNOWN_BROWSER_DAYS", 1),
)
"""Whole-number settings and the least value each may take."""


def layer_settings(
    config: Config, defaults: Mapping[str, Any], overrides: Mapping[str, Any]
) -> None:
    """Fill ``config`` in layers: ``defaults``, then ``COPKIT_*`` environment variables (JSON
    where possible), then ``overrides``; parse the on/off settings and check the ranges.

    Raises
    ------
    ValueError
        If a whole-number setting is out of range (:data:`RANGES`) or an on/off one unreadable.
    """
    config.update(defaults)
    config.from_prefixed_env("COPKIT")
    config.update(overrides)
    resolve_booleans(config, defaults)
    for key, minimum in RANGES:
        value = config.get(key)
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise ValueError(
                f"setting {key} (COPKIT_{key}) must be a whole number >= {minimum}, not {value!r}"
            )


def command_settings(overrides: Mapping[str, Any] | None = None) -> Config:
    """The settings as the app would see them, for a command that does not need the app
    (``copkit report BUNDLE``: starting the web app cost it 0.4 s and about 50 MiB).

    Examples
    --------
    >>> command_settings({"MIN_CELL": 7})["MIN_CELL"]
    7
    """
    config = Config(os.getcwd())
    given = {k: v for k, v in (overrides or {}).items() if k != INSTANCE_PATH_KEY}
    layer_settings(config, DEFAULTS, given)
    return config
