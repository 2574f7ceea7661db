"""``copkit serve``: run the web app under gunicorn."""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import signal
import socket
import sys
import time
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any

import click
from flask import Flask
from gunicorn.app.base import BaseApplication
from gunicorn.glogging import Logger
from sqlalchemy.exc import SQLAlchemyError

from survey_app import log_redaction, migrate
from survey_app.commands.runtime import app_for, database_error
from survey_app.extensions import db
from survey_app.log_redaction import redact_tokens


class RedactingLogger(Logger):
    """gunicorn's logger, with link tokens removed from the access log and the error log."""

    def setup(self, cfg: Any) -> None:
        """Set gunicorn's handlers up, then filter every record of both logs."""
        super().setup(cfg)
        log_redaction.install([self.error_log, self.access_log])

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


PR_SET_PDEATHSIG = 1
"""Linux prctl(2) option: the signal a process receives when its parent dies."""
PORT_WAIT_SECONDS = 30
"""How long ``copkit serve`` waits for its port to come free before giving up."""


def exit_with_master(server: Any, worker: Any) -> None:
    """gunicorn ``post_fork`` hook: a worker gets SIGTERM as soon as its master dies.

    A master killed with ``kill -9`` cannot stop its workers, which then keep the listening
    socket (and answer on it) until they notice, up to half of gunicorn's ``timeout`` later: a
    server restarted within those 30 seconds failed with "Address already in use". With the
    parent-death signal (Linux) the kernel tells the workers at once; each finishes the request
    it is serving and exits, which closes the socket. Elsewhere nothing changes (the restart
    waits for the port, see :func:`wait_for_port`).
    """
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)
    if os.getppid() != server.pid:  # the master died before the signal was armed
        os.kill(os.getpid(), signal.SIGTERM)


def _port_in_use(host: str, port: int) -> bool:
    """Whether binding ``host:port`` as gunicorn does (SO_REUSEADDR) fails: someone listens."""
    try:
        family, kind, protocol, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM
        )[0]
    except socket.gaierror:
        return False  # gunicorn will say what is wrong with the address
    with socket.socket(family, kind, protocol) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as error:
            return error.errno == errno.EADDRINUSE
    return False


def wait_for_port(host: str, port: int, seconds: float) -> None:
    """Wait until ``host:port`` can be bound, saying so; ClickException after ``seconds``.

    The address is bound with SO_REUSEADDR (as gunicorn binds it), so connections of a stopped
    server in TIME_WAIT do not count; only a process still listening there does, such as the
    workers of a master that was killed a moment ago (they leave within seconds, see
    :func:`exit_with_master`). SO_REUSEPORT is not used: it would let a second server, or
    those orphaned workers, share the port silently.
    """
    if not _port_in_use(host, port):
        return
    click.echo(
        f"copkit: port {port} on {host} is in use (a server that was just stopped may still be "
        f"closing); waiting up to {seconds:.0f} s for it",
        err=True,
    )
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        time.sleep(0.2)
        if not _port_in_use(host, port):
            click.echo(f"copkit: port {port} is free", err=True)
            return
    raise click.ClickException(
        f"port {port} on {host} is still in use after {seconds:.0f} s: another program is "
        "listening there (choose another --port, or stop it)"
    )


def run_server(
    config: dict[str, Any] | None,
    *,
    host: str,
    port: int,
    workers: int,
    port_wait: float = PORT_WAIT_SECONDS,
) -> None:
    """Run the app under gunicorn in this process until stopped; ``config`` overrides settings.

    Waits (at most ``port_wait`` seconds) for the port first, and arms each worker to exit
    when the master dies (:func:`exit_with_master`).
    """
    wait_for_port(host, port, port_wait)
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
        "post_fork": exit_with_master,
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
    except SQLAlchemyError as error:  # one line, not a traceback; exit status 1
        raise database_error(engine, error) from None
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
