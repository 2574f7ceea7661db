"""The settings a command runs with, without starting the web app."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import click
from flask.config import Config

from survey_app.config import command_settings


def overrides(ctx: click.Context) -> Mapping[str, Any] | None:
    """Settings given to the command group (tests pass ``obj={"DATABASE_URL": ...}``)."""
    obj = ctx.find_root().obj
    return obj if isinstance(obj, Mapping) else None


def settings_for(ctx: click.Context) -> Config:
    """Defaults, ``COPKIT_*`` environment variables and the group's settings, checked: a
    setting out of range stops the command with its name and the rule it breaks."""
    try:
        return command_settings(overrides(ctx))
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
