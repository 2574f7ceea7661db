"""A real SMTP server for the mail tests (aiosmtpd on 127.0.0.1), and reading what it got."""

from __future__ import annotations

import re
import socket
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy
from typing import Any

from click.testing import CliRunner, Result
from flask import Flask

from survey_app.cli import main

BASE_URL = "https://survey.example.org"
LINK = re.compile(re.escape(BASE_URL) + r"/s/([A-Za-z0-9_-]{43})")


@dataclass
class Collector:
    """An aiosmtpd handler keeping every message; refuses the addresses in ``refuse`` (550)."""

    refuse: set[str] = field(default_factory=set)
    messages: list[EmailMessage] = field(default_factory=list)

    async def handle_RCPT(  # noqa: N802  (aiosmtpd's hook name)
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        if address.lower() in self.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(  # noqa: N802
        self, server: Any, session: Any, envelope: Any
    ) -> str:
        message = message_from_bytes(envelope.original_content, policy=default_policy)
        assert isinstance(message, EmailMessage)
        self.messages.append(message)
        return "250 Message accepted"

    def recipients(self) -> list[str]:
        return sorted(str(m["To"].addresses[0].addr_spec) for m in self.messages)


def body(message: EmailMessage, kind: str) -> str:
    """The plain-text or HTML part of a message."""
    part = message.get_body((kind,))
    assert part is not None, f"no {kind} part"
    content: str = part.get_content()
    return content


def link_token(text: str) -> str:
    """The token of the survey link in a message."""
    match = LINK.search(text)
    assert match is not None, "no survey link"
    return match.group(1)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@dataclass
class Smtp:
    collector: Collector
    port: int


MAIL_CONFIG = {
    "SMTP_HOST": "127.0.0.1",
    "MAIL_FROM": "survey@example.org",
    "HELP_EMAIL": "survey-help@example.org",
    "BASE_URL": BASE_URL,
    "REMINDER_INTERVAL_HOURS": 0,
    "SMTP_TIMEOUT": 5,
}
"""Mail settings that copkit accepts (a real sender and help address), minus the port."""


def run_cli(app: Flask, args: list[str], **extra: Any) -> Result:
    """Run ``copkit ARGS`` against ``app``'s database with :data:`MAIL_CONFIG` (and the app's
    SMTP port, when it has one), ``extra`` overriding."""
    config = {
        "DATABASE_URL": app.config["DATABASE_URL"],
        "INSTANCE_PATH": app.instance_path,
        "SECRET_KEY": app.config["SECRET_KEY"],
        "TESTING": True,
        **MAIL_CONFIG,
        "SMTP_PORT": app.config.get("SMTP_PORT", 25),
        **extra,
    }
    return CliRunner().invoke(main, args, obj=config, catch_exceptions=False)
