"""``copkit serve``: run the web app under gunicorn."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any

import click
from flask import Flask
from gunicorn.app.base import BaseApplication
from gunicorn.glogging import Logger

from survey_app import migrate
from survey_app.commands.runtime import app_for
from survey_app.extensions import db

_SURVEY_LINK = re.compile(r"(/s/)[^/?#\s]+")


def redact_tokens(text: str) -> str:
    """Replace the token of every survey link (``/s/<token>``) in ``text``; links are credentials.

    Examples
    --------
    >>> redact_tokens("GET /s/Zk3q-9x/page/2?x=1 HTTP/1.1")
    'GET /s/[token]/page/2?x=1 HTTP/1.1'
    """
    return _SURVEY_LINK.sub(r"\1[token]", text)


class RedactingLogger(Logger):
    """gunicorn's logger, with survey-link tokens removed from the access log."""

    def atoms(
        self, resp: Any, req: Any, environ: dict[str, Any], request_time: timedelta
    ) -> dict[str, Any]:
        """The access-log fields, with tokens redacted from the request line and path."""
        atoms: dict[str, Any] = super().atoms(resp, req, environ, request_time)
        for key in ("r", "U", "f"):
            if isinstance(atoms.get(key), str):
                atoms[key] = redact_tokens(atoms[key])
        return atoms


class CopkitServer(BaseApplication):
    """gunicorn run in-process; each worker builds its own app (and database engine)."""

    def __init__(self, options: dict[str, Any], config: dict[str, Any] | None) -> None:
        self.options = options
        self.app_config = config
        super().__init__()

    def load_config(self) -> None:
        """Hand the command's options to gunicorn (skipping settings this version lacks)."""
        for key, value in self.options.items():
            if key in self.cfg.settings:
                self.cfg.set(key, value)

    def load(self) -> Flask:
        """Build the app in the worker, after the fork, and warm it up before any request."""
        from survey_app.factory import create_app
        from survey_app.warm_up import warm_up

        app = create_app(self.app_config)
        warm_up(app)
        return app


def run_server(config: dict[str, Any] | None, *, host: str, port: int, workers: int) -> None:
    """Run the app under gunicorn in this process until stopped; ``config`` overrides settings."""
    options = {
        "bind": f"{host}:{port}",
        "workers": workers,
        "worker_class": "sync",
        "accesslog": "-",
        "logger_class": RedactingLogger,
        "errorlog": "-",
        "timeout": 60,
        "graceful_timeout": 10,
        "proc_name": "copkit",
        # gunicorn >= 25 opens a control socket in ~/.gunicorn; several servers on one
        # machine would fight over it, and copkit does not use it.
        "control_socket_disable": True,
    }
    click.echo(f"copkit serving on http://{host}:{port}/ with {workers} worker(s)", err=True)
    CopkitServer(options, config).run()


def server_options(command: Callable[..., None]) -> Callable[..., None]:
    """The ``--host``, ``--port`` (or ``PORT``) and ``--workers`` options of a serving command."""
    options = (
        click.option(
            "--host", default="127.0.0.1", show_default=True, help="Address to listen on."
        ),
        click.option(
            "--port",
            type=click.IntRange(1, 65535),
            default=5000,
            envvar="PORT",
            show_default=True,
            help="Port to listen on (the PORT environment variable also sets it).",
        ),
        click.option(
            "--workers",
            type=click.IntRange(1, 64),
            default=2,
            show_default=True,
            help="Number of gunicorn worker processes.",
        ),
    )
    for option in reversed(options):
        command = option(command)
    return command


@click.command("serve")
@server_options
@click.pass_context
def serve(ctx: click.Context, host: str, port: int, workers: int) -> None:
    """Serve the web app with gunicorn (stop it with Ctrl-C).

    The app keeps no state of its own, so several servers may share one PostgreSQL database
    behind a load balancer. Run `copkit init-db` first.
    """
    app = app_for(ctx)  # fail now, in the terminal, if the configuration is wrong
    engine = db.engine_for(app)
    try:
        revision = migrate.current_revision(engine)
    finally:
        engine.dispose()
    if revision is None:
        click.echo("warning: the database has no tables yet; run `copkit init-db`.", err=True)
    elif revision != migrate.head_revision():
        click.echo("warning: the database schema is out of date; run `copkit init-db`.", err=True)
    obj = ctx.find_root().obj
    run_server(
        dict(obj) if isinstance(obj, Mapping) else None, host=host, port=port, workers=workers
    )
