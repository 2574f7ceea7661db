"""Link tokens are credentials: they are removed from every log line before it is written.

A survey link (``/s/<token>``) lets anyone who holds it answer as that person, and a
password-reset link (``/auth/reset/<token>``) lets them set a staff password. Such addresses
reach the logs in access-log request lines and referrers, in Flask's "Exception on /s/... [POST]"
and in gunicorn's "Error handling request /s/...". :func:`redact_tokens` removes the token from
any text, and :class:`RedactingFilter` applies it to a log record's message and traceback;
:func:`install` puts the filter on the app's logger, gunicorn's loggers, werkzeug's and the
handlers of the root logger.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

TOKEN_LINKS = re.compile(r"(/s/|/auth/reset/)[^/?#\s\"']+")
"""The addresses whose next path segment is a token: survey links and password-reset links."""
REPLACEMENT = r"\1[token]"
LOGGERS = ("gunicorn.error", "gunicorn.access", "werkzeug", "survey_app")
"""Loggers that write request addresses (the app's own logger is named after its package)."""


def redact_tokens(text: str) -> str:
    """Replace the token of every survey or password-reset link in ``text``.

    Examples
    --------
    >>> redact_tokens("GET /s/Zk3q-9x/page/2?x=1 HTTP/1.1")
    'GET /s/[token]/page/2?x=1 HTTP/1.1'
    >>> redact_tokens("Exception on /auth/reset/abc.def [POST]")
    'Exception on /auth/reset/[token] [POST]'
    """
    return TOKEN_LINKS.sub(REPLACEMENT, text)


class RedactingFilter(logging.Filter):
    """A filter that rewrites a record's message (and its traceback) without link tokens.

    The message is formatted once with its arguments, redacted, and stored without arguments;
    a traceback is formatted and redacted into ``exc_text``, which formatters print instead of
    formatting the exception again. Records are never dropped.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact ``record`` in place; always keep it."""
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # a malformed call: keep what there is
            message = str(record.msg)
        record.msg = redact_tokens(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact_tokens(record.exc_text)
        if record.stack_info:
            record.stack_info = redact_tokens(record.stack_info)
        return True


_FILTER = RedactingFilter()


def install(extra_loggers: Iterable[logging.Logger] = ()) -> None:
    """Put the filter on :data:`LOGGERS`, on ``extra_loggers`` and on the root's handlers.

    A logger's filters see only records logged to it by name; records a child logger passes up
    reach the root's handlers, which get the filter too. Installing twice changes nothing.
    """
    targets: list[logging.Filterer] = [logging.getLogger(name) for name in LOGGERS]
    targets.extend(extra_loggers)
    for logger in [*targets]:
        if isinstance(logger, logging.Logger):
            targets.extend(logger.handlers)
    targets.extend(logging.getLogger().handlers)
    for target in targets:
        if _FILTER not in target.filters:
            target.addFilter(_FILTER)
