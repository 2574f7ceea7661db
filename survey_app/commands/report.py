"""``copkit report``: the evaluator report or a manager brief, from a bundle or a study."""

from __future__ import annotations

from pathlib import Path

import click
from click.core import ParameterSource

from analysis.bundle import Bundle, BundleError, read_bundle
from analysis.pipeline import analyse_bundle
from analysis.side_by_side import idle_cores
from reports import write_report
from survey_app.commands.analysis_options import adjust_option, ddf_option, jobs_option
from survey_app.commands.progress import step_printer
from survey_app.commands.settings import settings_for

# A report of a bundle never starts the web app (0.4 s and about 50 MiB of imports): the
# database, its models and services are imported by the two functions that read a study.


def _bundle_from_study(ctx: click.Context, name: str) -> tuple[Bundle, str]:
    """The study's answers as a bundle, the report recorded in its audit log."""
    from survey_app.commands.runtime import app_for, refusal
    from survey_app.extensions import db
    from survey_app.services.audit import CLI_ACTOR
    from survey_app.services.errors import ServiceError
    from survey_app.services.export import export_bundle, find_study, record_report

    app = app_for(ctx)
    try:
        with app.app_context():
            session = db.session
            try:
                study = find_study(session, name or None)
            except ServiceError as exc:
                raise click.ClickException(refusal(exc)) from exc
            bundle = export_bundle(session, study)
            record_report(session, study, {"waves": bundle.waves}, actor=CLI_ACTOR)
            return bundle, study.name
    finally:
        db.dispose(app)


def _write_released_brief(
    ctx: click.Context, name: str, teams: tuple[str, ...], min_cell: int | None, out_path: Path
) -> None:
    """A study's manager brief: its release in force (what the dashboards show), audited."""
    from reports.pdf import html_to_pdf
    from survey_app.commands.runtime import app_for, refusal
    from survey_app.extensions import db
    from survey_app.services import dashboard
    from survey_app.services.audit import CLI_ACTOR
    from survey_app.services.errors import ServiceError
    from survey_app.services.export import find_study, record_report

    app = app_for(ctx)
    configured = int(app.config["MIN_CELL"])
    if min_cell is not None and min_cell != configured:
        raise click.BadParameter(
            f"a study's manager brief is its release, made with COPKIT_MIN_CELL ({configured})",
            param_hint="--min-cell",
        )
    try:
        with app.app_context():
            session = db.session
            try:
                study = find_study(session, name or None)
                settings = dashboard.settings_from_config(app.config)
                html = dashboard.released_brief(session, study, list(teams), settings=settings)
            except ServiceError as exc:
                raise click.ClickException(refusal(exc)) from exc
            record_report(
                session,
                study,
                {"audience": "manager", "teams": list(teams), "via": "release"},
                actor=CLI_ACTOR,
            )
    finally:
        db.dispose(app)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    if out_path.suffix.lower() == ".pdf":
        out_path.write_bytes(html_to_pdf(html))
    else:
        out_path.write_text(html, encoding="utf-8")
    click.echo(f"manager report (the released figures) written to {out_path}")


_ANALYSIS_OPTIONS = (
    ("criteria", "--criteria"),
    ("adjust", "--adjust"),
    ("include_open_waves", "--include-open-waves"),
    ("title", "--title"),
    ("ddf", "--ddf"),
    ("jobs", "--jobs"),
)
"""Options of a fresh analysis (or of the evaluator report) that a study's release never uses."""


def _refuse_analysis_options(ctx: click.Context) -> None:
    """Refuse options a study's manager brief would silently ignore.

    A study's manager brief is its release: the closed waves' figures its managers'
    dashboards show, judged by the study's formation criteria (analysis/formation.yaml) and
    checked against every earlier release. Judging it again with other options would publish
    figures the dashboards do not show, so those options are refused rather than ignored.
    """
    given = [
        flag
        for name, flag in _ANALYSIS_OPTIONS
        if ctx.get_parameter_source(name) not in (None, ParameterSource.DEFAULT)
    ]
    if given:
        raise click.UsageError(
            f"{', '.join(given)} cannot be used for a study's manager brief and would be "
            "ignored: the brief is the study's release (the closed waves' figures its "
            "managers' dashboards show, judged by the default formation criteria and checked "
            "against every earlier release). To judge the data differently, export the study "
            "(copkit export --format bundle) and run copkit report on the bundle."
        )


@click.command("report")
@click.argument("source", required=False, default="")
@click.option(
    "--out",
    "out_path",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="report.html or report.pdf (the format follows the suffix).",
)
@click.option(
    "--audience",
    type=click.Choice(["evaluator", "manager"]),
    default="evaluator",
    show_default=True,
    help="The full report, or the one-page-per-team manager brief.",
)
@click.option(
    "--team",
    "teams",
    multiple=True,
    help="Team(s) to cover (repeatable); a manager brief needs at least one.",
)
@click.option(
    "--min-cell",
    type=click.IntRange(2, 100),
    default=None,
    help="Manager brief: suppress figures resting on fewer respondents "
    "(default COPKIT_MIN_CELL, 5).",
)
@click.option("--title", default=None, help="Title of the evaluator report.")
@click.option(
    "--criteria",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="YAML file overriding formation thresholds (see analysis/formation.yaml); the "
    "verdicts, the evidence marked and the brief's wording follow it.",
)
@adjust_option
@click.option(
    "--include-open-waves",
    is_flag=True,
    help="Also analyse waves still open (their figures will change); every page then says so.",
)
@jobs_option(
    "Evaluator report: processes analysing and drawing its figures at once (each holds its "
    "own memory; 1: the least memory); the report is the same whatever the number.  "
    "[default: the idle cores, at least 1]",
    default=None,
)
@ddf_option(
    "as copkit analyse, the report names the method beside every interval and p it takes from them"
)
@click.pass_context
def report(
    ctx: click.Context,
    source: str,
    out_path: Path,
    audience: str,
    teams: tuple[str, ...],
    min_cell: int | None,
    title: str | None,
    criteria: Path | None,
    adjust: str,
    include_open_waves: bool,
    jobs: int | None,
    ddf: str,
) -> None:
    """Write the evaluator report or a manager brief as self-contained HTML or PDF.

    SOURCE is a study bundle (folder or .zip) or the name of a study in the database (it may
    be left out when the database holds one study). Manager briefs show aggregates only and
    suppress every figure resting on fewer than --min-cell respondents, including figures
    that could be recovered by subtracting two others. A study's manager brief is its release
    (the closed waves' figures its managers' dashboards show, checked against every earlier
    release), never a fresh analysis of the live data.
    """
    if out_path.suffix.lower() not in {".html", ".htm", ".pdf"}:
        raise click.BadParameter("must end in .html or .pdf", param_hint="--out")
    if audience == "manager" and not teams:
        raise click.BadParameter(
            "a manager brief is for named teams: give --team", param_hint="--team"
        )
    from_bundle = bool(source) and Path(source).exists()
    if audience == "manager" and not from_bundle:
        _refuse_analysis_options(ctx)
        _write_released_brief(ctx, source, teams, min_cell, out_path)
        return
    settings = settings_for(ctx)
    try:
        if from_bundle:
            bundle, study = read_bundle(source), None
        else:
            bundle, study = _bundle_from_study(ctx, source)
    except BundleError as exc:
        raise click.ClickException(str(exc)) from exc
    unknown = [t for t in teams if t not in bundle.teams]
    if unknown:
        raise click.BadParameter(
            f"unknown team(s) {', '.join(unknown)} (teams: {', '.join(bundle.teams)})",
            param_hint="--team",
        )
    jobs = idle_cores() if jobs is None else jobs
    try:
        results = analyse_bundle(
            bundle,
            criteria=criteria,
            include_open_waves=include_open_waves,
            adjust=adjust,
            ddf=ddf,
            progress=step_printer("analyse"),
            jobs=jobs,
        )
    except ValueError as exc:
        raise click.ClickException(f"{criteria}: {exc}" if criteria else str(exc)) from exc
    write_report(
        results,
        out_path,
        audience=audience,
        team=list(teams) or None,
        min_cell=min_cell or int(settings["MIN_CELL"]),
        study=study,
        title=title,
        progress=step_printer("report") if audience == "evaluator" else None,
        pdf_progress=step_printer("pdf") if out_path.suffix.lower() == ".pdf" else None,
        jobs=jobs,
    )
    click.echo(f"{audience} report written to {out_path}")
