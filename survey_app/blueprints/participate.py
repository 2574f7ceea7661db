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

from survey_app.extensions import csrf, db
from survey_app.forms.consent import ConsentForm
from survey_app.forms.questionnaire import (
    PREFER_NOT,
    PageForm,
    answer_fields,
    initial_data,
    page_answers,
    page_form,
)
from survey_app.localtime import format_day, zone_from_config
from survey_app.services import survey as surveys
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


@bp.context_processor
def _help_contact() -> dict[str, str]:
    """Whom respondents write to for help (``COPKIT_HELP_EMAIL``, else the sender address)."""
    config = current_app.config
    return {"help_email": str(config.get("HELP_EMAIL") or config.get("MAIL_FROM") or "")}


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
    page = render_template(
        "participate/state.html", state=state, title=STATE_TITLES[state], **dates
    )
    return page, status


def _form_token(token: str) -> str:
    """The anti-forgery token the forms of link ``token`` carry."""
    return survey_form_token(token, current_app.config["SECRET_KEY"])


def _refuse_forgery(token: str) -> None:
    """Roll back and answer 400 unless the POST carries link ``token``'s form token."""
    if not current_app.config.get("WTF_CSRF_ENABLED", True):
        return
    sent = request.form.get("csrf_token")
    if is_survey_form_token(sent, token, current_app.config["SECRET_KEY"]):
        return
    db.session.rollback()
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
        render_template(
            "participate/consent.html",
            form=form,
            token=token,
            form_token=_form_token(token),
            team_name=survey.team_name,
            item_count=rated_item_count(survey.pages),
            minutes=estimated_minutes(survey.pages),
            min_cell=current_app.config["MIN_CELL"],
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
    survey = surveys.find_for_update(db.session, token)
    if not survey.open:
        db.session.rollback()
        return _state_page(survey, posting=True)
    _refuse_forgery(token)
    form = ConsentForm()
    if not form.validate():
        db.session.rollback()
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
        render_template(
            "participate/page.html",
            survey=survey,
            page=page,
            total=len(survey.pages),
            form=form,
            fields=answer_fields(form),
            token=token,
            form_token=_form_token(token),
            team_name=survey.team_name,
            prefer_not=PREFER_NOT,
            unanswered=unanswered,
        ),
        status,
    )


def _alters(survey: surveys.Survey, page: Page) -> list[surveys.Alter]:
    return surveys.alters(db.session, survey) if page.kind == "network" else []


@bp.route("/s/<token>/page/<int:number>", methods=["GET", "POST"])
def page(token: str, number: int) -> ResponseReturnValue:
    """One page of the questionnaire: show it (answers saved so far filled in) or save it."""
    posting = request.method == "POST"
    survey = (surveys.find_for_update if posting else surveys.find)(db.session, token)
    if not survey.open:
        db.session.rollback()
        return _state_page(survey, posting=posting)
    if posting:
        _refuse_forgery(token)
    current = survey.page(number)
    if current is None:
        db.session.rollback()
        abort(404)
    if not survey.consented:
        db.session.rollback()
        return _redirect("participate.consent", token)
    if not survey.may_open(number):
        db.session.rollback()
        return _redirect("participate.page", token, number=survey.resume_page)
    if posting:
        return _save(survey, current, token)
    stored = surveys.stored_answers(db.session, survey, current)
    form = page_form(current, alters=_alters(survey, current), data=initial_data(current, stored))
    # sent back here from a submit that found this page incomplete (a query flag, not a flash
    # message: survey pages keep no session)
    unanswered = request.args.get("unanswered") == "1"
    return _render_page(survey, current, form, token, unanswered=unanswered)


def _save(survey: surveys.Survey, current: Page, token: str) -> ResponseReturnValue:
    """Validate and store a page submit (inside the write transaction of ``survey``)."""
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
        db.session.rollback()
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
    return render_template("participate/thanks.html", team_name=survey.team_name)
