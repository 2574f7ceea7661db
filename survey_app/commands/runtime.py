"""What every command shares: building the app, and the notice of a command still to come."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NoReturn

import click
from flask import Flask

from survey_app.factory import create_app

NOT_YET_AVAILABLE_EXIT = 2


def app_for(ctx: click.Context) -> Flask:
    """Create the app for a command; a mapping in the root context's ``obj`` overrides config.

    Tests call ``CliRunner().invoke(main, args, obj={"DATABASE_URL": ...})``; from a shell the
    configuration comes from ``COPKIT_*`` environment variables.
    """
    obj = ctx.find_root().obj
    config: Mapping[str, Any] | None = obj if isinstance(obj, Mapping) else None
    return create_app(config)


def not_yet_available(issue: int, title: str) -> NoReturn:
    """Say on stderr which issue brings this command, and exit with status 2."""
    click.echo(f"not yet available: arrives with issue {issue} ({title})", err=True)
    raise SystemExit(NOT_YET_AVAILABLE_EXIT)


PASS_THROUGH = {"ignore_unknown_options": True, "allow_extra_args": True}
"""Context settings for a placeholder command: accept any arguments and still explain itself."""
