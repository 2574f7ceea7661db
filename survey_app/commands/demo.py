"""``copkit demo``: load the demo study, analyse it, write the report and serve the app."""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import click
from flask import Flask

from analysis.bundle import Bundle, write_bundle
from analysis.csv_cells import write_csv_rows
from analysis.pipeline import analyse_bundle, write_results
from reports import write_report
from reports.labels import counts_text, verdict_counts
from survey_app import migrate
from survey_app.commands.runtime import app_for
from survey_app.commands.server import run_server, server_options
from survey_app.extensions import db
from survey_app.models import utcnow
from survey_app.services.demo import (
    DEMO_STUDY,
    STAFF,
    DemoLink,
    find_demo,
    load_demo,
    open_links,
    refresh_demo,
    remove_demo,
    simulate_demo,
)
from survey_app.services.export import export_bundle


def _say(message: str, started: float) -> None:
    click.echo(f"demo [{time.monotonic() - started:5.1f}s] {message}", err=True)


def _write_links(path: Path, links: list[DemoLink]) -> None:
    write_csv_rows(
        path,
        ["member", "team", "wave", "url"],
        ((link.member, link.team, link.wave, link.url) for link in links),
    )


def _load_or_reuse(
    app: Flask, *, reset: bool, teams: int, seed: int, started: float
) -> tuple[Bundle, list[DemoLink], dict[str, str]]:
    """Migrate, load the demo study unless it is there, and export its bundle and open links."""
    migrate.upgrade(db.engine_for(app))
    chosen = os.environ.get("COPKIT_DEMO_PASSWORD")
    secret_key = str(app.config["SECRET_KEY"])
    passwords: dict[str, str] = {}
    with app.app_context():
        session = db.session
        if reset:
            remove_demo(session)
            _say("removed the previous demo study", started)
        study = find_demo(session)
        if study is None:
            _say(f"simulating {teams} teams x 6 waves, cop-health version 2 (seed {seed})", started)
            simulated = simulate_demo(teams, seed)
            password = chosen or secrets.token_urlsafe(9)
            passwords = {role: password for role in STAFF}
            load_demo(
                session,
                simulated,
                now=utcnow(),
                passwords=passwords,
                secret_key=secret_key,
                seed=seed,
            )  # @transactional: committed
            _say("loaded the demo study into the database", started)
        else:
            _say("reusing the demo study already in the database (--reset starts over)", started)
            refresh_demo(session, chosen)
            if chosen:
                passwords = {role: chosen for role in STAFF}
        study = find_demo(session)
        if study is None:  # pragma: no cover - just loaded or found
            raise click.ClickException("the demo study could not be loaded")
        bundle = export_bundle(session, study)
        links = open_links(
            session, study.id, secret_key=secret_key, base_url=str(app.config["BASE_URL"])
        )
    return bundle, links, passwords


@click.command("demo")
@click.option("--no-serve", is_flag=True, help="Write the outputs and stop; do not serve the app.")
@click.option(
    "--out",
    "out_dir",
    default="demo-output",
    show_default=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for report.html, bundle/, results/ and invitations.csv.",
)
@click.option("--seed", default=7, show_default=True, type=int, help="Seed of the simulated study.")
@click.option("--reset", is_flag=True, help="Delete the demo study and start over.")
@click.option(
    "--teams",
    default=8,
    show_default=True,
    type=click.IntRange(2, 60),
    help="Teams in a newly loaded demo study.",
)
@server_options
@click.pass_context
def demo(
    ctx: click.Context,
    no_serve: bool,
    out_dir: Path,
    seed: int,
    reset: bool,
    teams: int,
    host: str,
    port: int,
    workers: int,
) -> None:
    """Load a simulated CLAHRC study (eight teams, six waves of cop-health version 2, the last one
    open) into the database, export its bundle, analyse it, write the evaluator report (with
    all seven CLAHRC propositions tested), and serve the app.

    Staff logins admin@, evaluator@ and manager@example.org use COPKIT_DEMO_PASSWORD, or a
    generated password printed once. Re-running reuses the loaded demo; --reset starts over.
    """
    started = time.monotonic()
    base_url = f"http://{host}:{port}"
    obj = ctx.find_root().obj
    overrides: dict[str, Any] = dict(obj) if isinstance(obj, Mapping) else {}
    overrides.setdefault("BASE_URL", os.environ.get("COPKIT_BASE_URL", base_url))
    # the demo is served over plain http on this machine: a Secure cookie would never be sent
    overrides.setdefault("SESSION_COOKIE_SECURE", False)
    app = app_for(ctx, overrides)
    try:
        bundle, links, passwords = _load_or_reuse(
            app, reset=reset, teams=teams, seed=seed, started=started
        )
    finally:
        db.dispose(app)
    out_dir.mkdir(parents=True, exist_ok=True)
    write_bundle(bundle, out_dir / "bundle")
    _say(f"exported the pseudonymous bundle to {out_dir / 'bundle'}", started)
    results = analyse_bundle(bundle, progress=lambda step, done, total: None)
    write_results(results, out_dir / "results")
    _say(f"analysed it into {out_dir / 'results'}", started)
    write_report(results, out_dir / "report.html", study=DEMO_STUDY)
    _say(f"wrote the evaluator report {out_dir / 'report.html'}", started)
    _write_links(out_dir / "invitations.csv", links)
    click.echo("")
    click.echo(
        f"copkit demo: {len(bundle.teams)} teams, {len(bundle.waves)} waves "
        f"(wave {bundle.waves[-1]} open): " + counts_text(verdict_counts(results.verdicts))
    )
    click.echo(f"  report:      {out_dir / 'report.html'}")
    click.echo(f"  survey links for the open wave: {out_dir / 'invitations.csv'} ({len(links)})")
    for link in links[:2]:
        click.echo(f"    {link.member} ({link.team}): {link.url}")
    if passwords:
        click.echo(
            "  staff logins (password shown once): "
            + ", ".join(STAFF.values())
            + f"  password: {next(iter(passwords.values()))}"
        )
    else:
        click.echo(
            "  staff logins: "
            + ", ".join(STAFF.values())
            + " (passwords as when the demo was loaded; --reset sets new ones)"
        )
    if no_serve:
        return
    click.echo(f"  app:         {base_url}/  (Ctrl-C stops it)")
    run_server(overrides, host=host, port=port, workers=workers)
