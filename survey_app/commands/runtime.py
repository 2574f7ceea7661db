"""What every command shares: building the app from the command's configuration."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import click
from flask import Flask

from survey_app.factory import create_app


def app_for(ctx: click.Context) -> Flask:
    """Create the app for a command; a mapping in the root context's ``obj`` overrides config.

    Tests call ``CliRunner().invoke(main, args, obj={"DATABASE_URL": ...})``; from a shell the
    configuration comes from ``COPKIT_*`` environment variables.
    """
    obj = ctx.find_root().obj
    config: Mapping[str, Any] | None = obj if isinstance(obj, Mapping) else None
    return create_app(config)
