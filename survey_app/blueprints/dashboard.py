"""Dashboards (``/dashboard``): evaluators' live report of their study, managers' team pages.

Every view needs a signed-in staff account and checks role and scope through
:mod:`survey_app.services.authorisation`: the study page and the report download need
``study.view`` (admins and the study's evaluators; managers get 403), a team page needs
``team.view`` and a team in the user's scope (a manager's own teams; another team is 404).
The content comes from :mod:`survey_app.services.dashboard`, which caches it in the database.
"""

from __future__ import annotations

from collections.abc import Callable
from io import BytesIO

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_login import current_user
from werkzeug.wrappers import Response as BaseResponse

from survey_app.background import in_thread
from survey_app.blueprints.admin.blueprint import staff_navigation
from survey_app.blueprints.staff import guard_staff_blueprint
from survey_app.extensions import db
from survey_app.forms.dashboard import ReportForm
from survey_app.forms.staff import ButtonForm
from survey_app.models import User, utcnow
from survey_app.services import authorisation as authz
from survey_app.services import dashboard as service
from survey_app.services.audit import Actor

bp = guard_staff_blueprint(Blueprint("dashboard", __name__, url_prefix="/dashboard"))


@bp.after_request
def _private(response: BaseResponse) -> BaseResponse:
    """Results are for the signed-in user only: no shared cache may keep them."""
    response.headers["Cache-Control"] = "private, no-store"
    return response


bp.context_processor(staff_navigation)


def _user() -> User:
    user: User = current_user._get_current_object()
    return user


def _settings() -> service.DashboardSettings:
    return service.settings_from_config(current_app.config)


def _preparing() -> tuple[str, int, dict[str, str]]:
    retry_after = int(current_app.config["DASHBOARD_RETRY_AFTER_SECONDS"])
    page = render_template("dashboard/preparing.html", retry_after=retry_after)
    return page, 503, {"Retry-After": str(retry_after)}


@bp.get("/")
def index() -> str:
    """Managers: their teams. Evaluators and admins: their studies, each with its teams."""
    user = _user()
    session = db.session
    if user.role == "manager":
        authz.require(user, "team.view")
        teams = service.manager_team_entries(session, user)
        return render_template("dashboard/index.html", manager=True, teams=teams, studies=[])
    authz.require(user, "study.view")
    studies = service.study_entries(session, user, now=utcnow())
    return render_template("dashboard/index.html", manager=False, teams=[], studies=studies)


@bp.get("/study/<int:study_id>")
def study(study_id: int) -> str | tuple[str, int, dict[str, str]]:
    """The evaluator report's content for the study, live (every wave, free text included)."""
    user = _user()
    authz.require(user, "study.view")
    found = authz.study_in_scope(db.session, user, study_id)
    page = service.study_dashboard(db.session, found, settings=_settings(), later=in_thread)
    if page is None:
        return _preparing()
    return render_template("dashboard/study.html", page=page, form=ReportForm())


@bp.post("/study/<int:study_id>/report")
def report(study_id: int) -> Response | BaseResponse:
    """Send the full evaluator report (HTML or PDF) as an attachment, audited."""
    user = _user()
    authz.require(user, "study.view")
    found = authz.study_in_scope(db.session, user, study_id)
    form = ReportForm()
    if not form.validate_on_submit():
        abort(400)
    return _download(
        lambda actor: service.report_file(
            db.session, found, str(form.report_format.data), settings=_settings(), actor=actor
        ),
        user,
        url_for("dashboard.study", study_id=study_id),
    )


def _download(
    make: Callable[[Actor], service.ReportFile], user: User, back: str
) -> Response | BaseResponse:
    """Send the file ``make`` builds (and audits) as an attachment; if it cannot be built,
    go back to ``back`` with the reason shown."""
    try:
        file = make(Actor.of_user(user, request.remote_addr))
    except service.DashboardError as error:
        for message in error.messages:
            flash(message, "error")
        return redirect(back, code=303)
    return send_file(
        BytesIO(file.data), mimetype=file.mimetype, as_attachment=True, download_name=file.filename
    )


@bp.get("/team/<int:team_id>")
def team(team_id: int) -> str | tuple[str, int, dict[str, str]]:
    """A team's manager brief content: closed waves, team figures only, small cells withheld."""
    user = _user()
    authz.require(user, "team.view")
    found_study, found_team = service.dashboard_team(db.session, user, team_id)
    page = service.team_dashboard(
        db.session, found_study, found_team, settings=_settings(), later=in_thread
    )
    if page is None:
        return _preparing()
    return render_template(
        "dashboard/team.html", page=page, manager=user.role == "manager", form=ButtonForm()
    )


@bp.post("/team/<int:team_id>/brief")
def brief(team_id: int) -> Response | BaseResponse:
    """Send the team's manager brief as a PDF attachment (what the team page shows), audited."""
    user = _user()
    authz.require(user, "team.view")
    found_study, found_team = service.dashboard_team(db.session, user, team_id)
    if not ButtonForm().validate_on_submit():
        abort(400)
    return _download(
        lambda actor: service.team_brief_file(
            db.session, found_study, found_team, settings=_settings(), actor=actor
        ),
        user,
        url_for("dashboard.team", team_id=team_id),
    )
