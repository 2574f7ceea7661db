"""Checks on names and emails typed by staff or read from a roster, with plain messages."""

from __future__ import annotations

import re

EMAIL_MAX_LENGTH = 320
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.][^@\s]*$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def name_problem(value: str, what: str, max_length: int) -> str | None:
    """What is wrong with a required name (``None`` if nothing); ``value`` is already stripped.

    Examples
    --------
    >>> name_problem("", "team", 200)
    'missing value for "team"'
    >>> name_problem("a" * 5, "team", 4)
    'team is longer than 4 characters'
    >>> name_problem("Heart failure", "theme", 200) is None
    True
    """
    if not value:
        return f'missing value for "{what}"'
    if len(value) > max_length:
        return f"{what} is longer than {max_length} characters"
    if _CONTROL.search(value):
        return f"{what} contains a control character (a line break or tab inside the value)"
    return None


def is_email(value: str) -> bool:
    """Whether ``value`` looks like an email address (one @, a dot in the domain, no spaces).

    Examples
    --------
    >>> is_email("ann.smith@nhs.net"), is_email("not-an-email"), is_email("a@b")
    (True, False, False)
    """
    return (
        len(value) <= EMAIL_MAX_LENGTH
        and _EMAIL.match(value) is not None
        and not _CONTROL.search(value)
    )


def email_problem(value: str) -> str | None:
    """What is wrong with a required email address, or ``None``.

    Examples
    --------
    >>> email_problem("not-an-email")
    'email "not-an-email" is not an email address'
    """
    if not value:
        return 'missing value for "email"'
    if not is_email(value):
        return f'email "{value}" is not an email address'
    return None


def clean(value: str | None) -> str:
    """A value with surrounding whitespace removed (``None`` becomes empty).

    Examples
    --------
    >>> clean("  Ward 7 "), clean(None)
    ('Ward 7', '')
    """
    return "" if value is None else value.strip()
