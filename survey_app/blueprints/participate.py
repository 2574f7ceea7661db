"""Respondents' pages: the survey behind each invitation link (``/s/<token>``).

Link states and their HTTP status: an unknown link is 404 and a closed wave 410 (the link will
never take answers); a link whose wave has not opened yet and an already submitted link are
200 on GET, because the link is valid and the page is its correct, final answer (people often
reopen the email to check that their answers arrived; that is not an error to alert on); a
POST to an already submitted link is 409 Conflict, since the change it asks for conflicts with
the stored state. Every survey page is sent with ``Cache-Control: no-store`` and
``Referrer-Policy: no-referrer`` (its address carries the link's token).

Forms are protected against forgery by a token bound to the link
(:func:`survey_app.tokens.survey_form_token`) rather than by the session's CSRF token: survey
pages set no cookie, and a page left open for hours can still be sent while the wave is open.
A POST without the right token is refused with 400 and changes nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFError
from werkzeug.wrappers import Response as WerkzeugResponse

from survey_app.background import in_thread
from survey_app.extensions import csrf, db
from survey_app.forms.consent import ConsentForm
from survey_app.forms.questionnaire import (
    NONE_OF_THESE,
    PREFER_NOT,
    PageForm,
    answer_fields,
    initial_data,
    page_answers,
    page_form,
)
from survey_app.localtime import format_day, zone_from_config
from survey_app.services import dashboard, erasure
from survey_app.services import survey as surveys
from survey_app.services.participant_information import installation_contact
from survey_app.services.questionnaire import Page, estimated_minutes, rated_item_count
from survey_app.tokens import is_survey_form_token, survey_form_token

bp = Blueprint("participate", __name__)
csrf.exempt(bp)  # the survey's forms carry the link-bound token checked by _refuse_forgery

STATE_STATUS: dict[str, int] = {"unknown": 404, "scheduled": 200, "closed": 410, "submitted": 200}
STATE_TITLES: dict[str, str] = {
    "unknown": "This survey link does not work",
    "scheduled": "This survey is not open yet",
    "closed": "This survey has closed",
    "submitted": "You have already sent your answers",
}
INVALID_STATUS = 422
"""A page re-shown with errors (nothing was saved)."""


@bp.after_request
def _no_store(response: WerkzeugResponse) -> WerkzeugResponse:
    """Survey pages hold answers and carry the link's token: never cache them anywhere."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _installation_help() -> str | None:
    """The installation's help address (``COPKIT_HELP_EMAIL``, else a real sender address)."""
    return installation_contact(current_app.config)


@bp.context_processor
def _help_contact() -> dict[str, Any]:
    """Whom respondents write to when no study is known (an unknown link, the landing page)."""
    return {"help_email": _installation_help(), "study": None}


def _render(template: str, survey: surveys.Survey | None, **context: Any) -> str:
    """Render a respondent's page with who is asking: the link's study in the header, its
    contact (else the installation's help address) as the address for help."""
    link = None if survey is None else survey.invitation
    study = None if link is None else link.study
    help_email = _installation_help() if study is None else study.contact(_installation_help())
    return render_template(template, study=study, help_email=help_email, **context)


def _date(moment: datetime) -> str:
    """A day as respondents read it, in the study's time zone (``TIMEZONE``)."""
    return format_day(moment, zone_from_config(current_app.config))


def _state_page(survey: surveys.Survey, *, posting: bool = False) -> ResponseReturnValue:
    """The plain page for a link that cannot take answers now; it reveals nothing else."""
    status = STATE_STATUS.get(survey.state, 404)
    if posting and survey.state == "submitted":
        status = 409
    dates: dict[str, str] = {}
    if survey.invitation is not None:
        link = survey.invitation
        dates = {"opens": _date(link.opens), "closes": _date(link.closing)}
    state = survey.state if survey.state in STATE_TITLES else "unknown"
    title = STATE_TITLES[state]
    unsent = survey.closed_unsent
    if unsent:
        title = "This survey closed before you sent your answers"
    token = (request.view_args or {}).get("token", "")
    page = _render(
        "participate/state.html",
        survey,
        state=state,
        title=title,
        closed_unsent=unsent,
        terms=_terms(survey) if unsent else None,
        token=token,
        **dates,
    )
    return page, status


def _form_token(token: str) -> str:
    """The anti-forgery token the forms of link ``token`` carry."""
    return survey_form_token(token, current_app.config["SECRET_KEY"])


def _refuse_forgery(token: str) -> None:
    """Answer 400 unless the POST carries link ``token``'s form token (raised inside
    :func:`surveys.locked`, which then rolls back)."""
    if not current_app.config["WTF_CSRF_ENABLED"]:
        return
    sent = request.form.get("csrf_token")
    if is_survey_form_token(sent, token, current_app.config["SECRET_KEY"]):
        return
    raise CSRFError("The survey form token is missing or does not belong to this link.")


def _redirect(
    endpoint: str, token: str, number: int | None = None, **query: str
) -> WerkzeugResponse:
    values: dict[str, Any] = {"token": token, **query}
    if number is not None:
        values["number"] = number
    return redirect(url_for(endpoint, **values), code=303)


@bp.get("/")
def index() -> str:
    """Landing page for someone who arrives without their invitation link."""
    return render_template("participate/index.html")


@bp.get("/s/<token>")
def entry(token: str) -> ResponseReturnValue:
    """The invitation link: consent first, then the page where the respondent stopped."""
    survey = surveys.find(db.session, token)
    if not survey.open:
        return _state_page(survey)
    if not survey.consented:
        return _redirect("participate.consent", token)
    return _redirect("participate.page", token, number=survey.resume_page)


def _render_consent(
    survey: surveys.Survey, form: ConsentForm, token: str, status: int = 200
) -> ResponseReturnValue:
    return (
        _render(
            "participate/consent.html",
            survey,
            form=form,
            token=token,
            form_token=_form_token(token),
            team_name=survey.team_name,
            item_count=rated_item_count(survey.pages),
            minutes=estimated_minutes(survey.pages),
            min_cell=current_app.config["MIN_CELL"],
            terms=_terms(survey),
        ),
        status,
    )


@bp.route("/s/<token>/consent", methods=["GET", "POST"])
def consent(token: str) -> ResponseReturnValue:
    """What is asked, who sees what, and agreement to take part."""
    if request.method == "GET":
        survey = surveys.find(db.session, token)
        if not survey.open:
            return _state_page(survey)
        return _render_consent(survey, ConsentForm(data={"agree": survey.consented}), token)
    with surveys.locked(db.session, token) as survey:
        if not survey.open:
            return _state_page(survey, posting=True)
        _refuse_forgery(token)
        form = ConsentForm()
        if not form.validate():
            return _render_consent(survey, form, token, INVALID_STATUS)
        surveys.give_consent(db.session, survey)
        return _redirect("participate.page", token, number=survey.resume_page)


def _render_page(
    survey: surveys.Survey,
    page: Page,
    form: PageForm,
    token: str,
    status: int = 200,
    *,
    unanswered: bool = False,
) -> ResponseReturnValue:
    return (
        _render(
            "participate/page.html",
            survey,
            page=page,
            total=len(survey.pages),
            form=form,
            fields=answer_fields(form),
            token=token,
            form_token=_form_token(token),
            team_name=survey.team_name,
            prefer_not=PREFER_NOT,
            none_of_these=NONE_OF_THESE,
            unanswered=unanswered,
        ),
        status,
    )


def _alters(survey: surveys.Survey, page: Page) -> list[surveys.Alter]:
    return surveys.alters(db.session, survey) if page.kind == "network" else []


def _current_page(survey: surveys.Survey, number: int) -> Page:
    """Page ``number`` of the link's questionnaire (404 if it has none)."""
    current = survey.page(number)
    if current is None:
        abort(404)
    return current


def _refusal(
    survey: surveys.Survey, token: str, number: int, *, posting: bool
) -> ResponseReturnValue | None:
    """Why page ``number`` of the link cannot be shown or saved now (None: it can)."""
    if not survey.open:
        return _state_page(survey, posting=posting)
    if posting:
        _refuse_forgery(token)
    _current_page(survey, number)
    if not survey.consented:
        return _redirect("participate.consent", token)
    if not survey.may_open(number):
        return _redirect("participate.page", token, number=survey.resume_page)
    return None


@bp.route("/s/<token>/page/<int:number>", methods=["GET", "POST"])
def page(token: str, number: int) -> ResponseReturnValue:
    """One page of the questionnaire: show it (answers saved so far filled in) or save it."""
    if request.method == "POST":
        with surveys.locked(db.session, token) as survey:
            refusal = _refusal(survey, token, number, posting=True)
            if refusal is not None:
                return refusal
            return _save(survey, _current_page(survey, number), token)
    survey = surveys.find(db.session, token)
    refusal = _refusal(survey, token, number, posting=False)
    if refusal is not None:
        return refusal
    current = _current_page(survey, number)
    stored = surveys.stored_answers(db.session, survey, current)
    form = page_form(current, alters=_alters(survey, current), data=initial_data(current, stored))
    # sent back here from a submit that found this page incomplete (a query flag, not a flash
    # message: survey pages keep no session)
    unanswered = request.args.get("unanswered") == "1"
    return _render_page(survey, current, form, token, unanswered=unanswered)


def _save(survey: surveys.Survey, current: Page, token: str) -> ResponseReturnValue:
    """Validate and store a page submit (inside :func:`surveys.locked`)."""
    forward = request.form.get("action", "next") != "back"
    form = page_form(
        current,
        alters=_alters(survey, current),
        require_answers=forward,
        formdata=request.form,
    )
    valid = form.validate()
    valid = form.validate_keys(request.form) and valid
    if not valid:
        return _render_page(survey, current, form, token, INVALID_STATUS)
    answers = page_answers(form)
    try:
        if forward and current.number == len(survey.pages):
            surveys.submit(db.session, survey, answers)
            return _redirect("participate.thanks", token)
        target = surveys.save_page(db.session, survey, current.number, answers, forward=forward)
    except surveys.AlreadySubmittedError:
        return _state_page(surveys.Survey("submitted", survey.invitation), posting=True)
    except surveys.LinkNotOpenError:
        return _state_page(survey, posting=True)
    except surveys.InvalidAnswersError:
        form.form_errors.append(
            "Some answers could not be accepted, so nothing was saved. Check the page and "
            "send it again."
        )
        return _render_page(survey, current, form, token, INVALID_STATUS)
    except surveys.IncompleteError as error:
        return _redirect("participate.page", token, number=error.page_number, unanswered="1")
    return _redirect("participate.page", token, number=target)


@bp.get("/s/<token>/thanks")
def thanks(token: str) -> ResponseReturnValue:
    """The thank-you page, shown once the response is committed."""
    survey = surveys.find(db.session, token)
    if survey.state == "unknown":
        return _state_page(survey)
    if survey.state != "submitted":
        return _redirect("participate.entry", token)
    return _render(
        "participate/thanks.html",
        survey,
        team_name=survey.team_name,
        token=token,
        terms=_terms(survey),
    )


# --- withdrawal and the team's results (docs/architecture.md#privacy) -------------------------


def _terms(survey: surveys.Survey) -> erasure.DataTerms | None:
    """The link's study's retention period and whether it shares results with team members."""
    if survey.invitation is None:
        return None
    days = int(current_app.config["RETENTION_DAYS"])
    return erasure.data_terms(db.session, survey.invitation.team_id, days)


@bp.route("/s/<token>/withdraw", methods=["GET", "POST"])
def withdraw(token: str) -> ResponseReturnValue:
    """Withdraw from the study: what it does, then (on POST) every trace of the person deleted.

    Any of the person's links works, whatever its wave's state (an old invitation e-mail
    too); no sign-in, the link is the credential, and the form carries its link-bound token.
    """
    if request.method == "POST":
        with surveys.locked(db.session, token) as survey:
            if survey.invitation is None:
                return _state_page(survey, posting=True)
            _refuse_forgery(token)
            surveys.withdraw(db.session, survey)
            return _render("participate/withdrawn.html", survey)
    survey = surveys.find(db.session, token)
    if survey.invitation is None:
        return _state_page(survey)
    return _render(
        "participate/withdraw.html",
        survey,
        token=token,
        form_token=_form_token(token),
        team_name=survey.team_name,
        terms=_terms(survey),
    )


@bp.get("/s/<token>/results")
def results(token: str) -> ResponseReturnValue:
    """The team's released results, as the team's managers see them, for the link's holder."""
    survey = surveys.find(db.session, token)
    if survey.invitation is None:
        return _state_page(survey)
    settings = dashboard.settings_from_config(current_app.config)
    found = dashboard.team_results(
        db.session, survey.invitation.team_id, settings=settings, later=in_thread
    )
    if found is None:
        return _state_page(surveys.Survey("unknown"))
    if not found.shared:
        return _render("participate/results.html", survey, shared=False, page=None), 404
    if found.page is None:  # being prepared in the background: the page reloads itself
        retry_after = int(current_app.config["DASHBOARD_RETRY_AFTER_SECONDS"])
        page = _render(
            "participate/results.html", survey, shared=True, page=None, retry_after=retry_after
        )
        return page, 503, {"Retry-After": str(retry_after)}
    return _render(
        "participate/results.html",
        survey,
        shared=True,
        page=found.page,
        token=token,
        team_name=survey.team_name,
    )
