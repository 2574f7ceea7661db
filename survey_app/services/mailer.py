"""Sending mail over SMTP: one connection per run, and a clear error for each message that fails."""

from __future__ import annotations

import contextlib
import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from types import TracebackType
from typing import Any

from survey_app.config import DEFAULTS, setting


class MailError(Exception):
    """One message could not be sent; ``str(error)`` says why (it is stored on the invitation)."""


@dataclass(frozen=True)
class SmtpSettings:
    """Where and how to send: ``COPKIT_SMTP_HOST``, ``_PORT``, ``_USER``, ``_PASSWORD``,
    ``_STARTTLS``, ``_TIMEOUT`` and ``COPKIT_MAIL_FROM``.

    Examples
    --------
    >>> SmtpSettings.from_config({"SMTP_PORT": 587, "MAIL_FROM": "survey@example.org"}).port
    587
    """

    host: str = DEFAULTS["SMTP_HOST"]
    port: int = DEFAULTS["SMTP_PORT"]
    user: str | None = DEFAULTS["SMTP_USER"]
    password: str | None = DEFAULTS["SMTP_PASSWORD"]
    starttls: bool = DEFAULTS["SMTP_STARTTLS"]
    timeout: float = DEFAULTS["SMTP_TIMEOUT"]
    mail_from: str = DEFAULTS["MAIL_FROM"]

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> SmtpSettings:
        """The settings from an app's configuration; ValueError for an impossible value."""
        port = setting(config, "SMTP_PORT")
        if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
            raise ValueError(f"setting SMTP_PORT must be a port number (1-65535), not {port!r}")
        timeout = setting(config, "SMTP_TIMEOUT")
        if isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0:
            raise ValueError(f"setting SMTP_TIMEOUT must be a positive number, not {timeout!r}")
        starttls = setting(config, "SMTP_STARTTLS")
        if isinstance(starttls, str):
            starttls = starttls.strip().lower() in ("1", "true", "yes", "on")
        mail_from = str(config.get("MAIL_FROM") or "")
        if "@" not in mail_from:
            raise ValueError(f"setting MAIL_FROM must be an email address, not {mail_from!r}")
        return cls(
            host=str(config.get("SMTP_HOST") or DEFAULTS["SMTP_HOST"]),
            port=port,
            user=config.get("SMTP_USER") or None,
            password=config.get("SMTP_PASSWORD") or None,
            starttls=bool(starttls),
            timeout=float(timeout),
            mail_from=mail_from,
        )


def build_message(
    settings: SmtpSettings,
    *,
    to_name: str,
    to_email: str,
    subject: str,
    text: str,
    html: str,
) -> EmailMessage:
    """A multipart/alternative message (plain text first, then HTML) with its own Message-ID.

    Examples
    --------
    >>> message = build_message(SmtpSettings(mail_from="survey@example.org"), to_name="Ann Smith",
    ...     to_email="ann@nhs.net", subject="Survey", text="Hello", html="<p>Hello</p>")
    >>> message["To"], message.get_content_type()
    ('Ann Smith <ann@nhs.net>', 'multipart/alternative')
    """
    message = EmailMessage()
    message["From"] = settings.mail_from
    local, _, domain = to_email.rpartition("@")
    message["To"] = Address(display_name=to_name, username=local, domain=domain)
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = make_msgid(domain=settings.mail_from.rpartition("@")[2] or None)
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    return message


class SmtpMailer:
    """An SMTP connection for one sending run, used as a context manager.

    The connection is opened on the first message. If it cannot be opened, that message and
    every later one fail at once with the same reason (no waiting for a timeout per message).
    A refused recipient fails only its own message; if the server drops the connection, the
    mailer reconnects once.
    """

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings
        self._smtp: smtplib.SMTP | None = None
        self._connect_error: str | None = None
        self._reconnected = False

    def __enter__(self) -> SmtpMailer:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def _connect(self) -> smtplib.SMTP:
        if self._smtp is not None:
            return self._smtp
        if self._connect_error is not None:
            raise MailError(self._connect_error)
        settings = self.settings
        try:
            smtp = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
            try:
                if settings.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if settings.user:
                    smtp.login(settings.user, settings.password or "")
            except BaseException:
                smtp.close()
                raise
        except (OSError, smtplib.SMTPException) as error:
            self._connect_error = (
                f"could not connect to the mail server {settings.host}:{settings.port}: "
                f"{_reason(error)}"
            )
            raise MailError(self._connect_error) from error
        self._smtp = smtp
        return smtp

    def send(self, message: EmailMessage) -> None:
        """Send one message; raise :class:`MailError` with the reason if it is not accepted."""
        smtp = self._connect()
        try:
            refused = smtp.send_message(message)
        except smtplib.SMTPServerDisconnected as error:
            self._drop()
            if self._reconnected:
                raise MailError(
                    f"the mail server closed the connection: {_reason(error)}"
                ) from error
            self._reconnected = True
            self.send(message)
            return
        except smtplib.SMTPRecipientsRefused as error:
            raise MailError(_refusals(error.recipients)) from error
        except (smtplib.SMTPException, OSError) as error:
            if isinstance(error, OSError):
                self._drop()
            raise MailError(_reason(error)) from error
        if refused:
            raise MailError(_refusals(refused))

    def _drop(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            with contextlib.suppress(OSError):
                smtp.close()

    def close(self) -> None:
        """Say goodbye to the server (if connected)."""
        smtp, self._smtp = self._smtp, None
        if smtp is None:
            return
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()


def _reason(error: BaseException) -> str:
    """A one-line reason for an SMTP or network error."""
    if isinstance(error, smtplib.SMTPResponseException):
        text = (
            error.smtp_error.decode("utf-8", "replace")
            if isinstance(error.smtp_error, bytes)
            else str(error.smtp_error)
        )
        return f"{error.smtp_code} {text}".strip()
    return str(error) or type(error).__name__


def _refusals(recipients: Mapping[str, tuple[int, bytes]]) -> str:
    """``refused by the mail server: 550 5.1.1 no such mailbox`` for each recipient."""
    parts = [
        f"{address} refused by the mail server: {code} {reply.decode('utf-8', 'replace')}"
        for address, (code, reply) in recipients.items()
    ]
    return "; ".join(parts)
