"""Staff account pages for administrators: the list, a new account, and changing one."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from survey_app.blueprints.admin.blueprint import INVALID, actor, attach_problems, bp, staff
from survey_app.extensions import db
from survey_app.forms.admin import (
    AccountScopeForm,
    NewAccountForm,
    PasswordResetForm,
)
from survey_app.forms.staff import ButtonForm
from survey_app.models import User
from survey_app.services import accounts
from survey_app.services import authorisation as authz
from survey_app.services.accounts import AccountError, TeamGroup

SEE_OTHER = 303
"""Status of the redirect after a change (the browser then GETs the page)."""


def _offer_choices(form: AccountScopeForm) -> list[TeamGroup]:
    """Set the study and team choices of ``form``; returns the teams grouped by study."""
    form.studies.choices = [
        SelectChoice(study.id, study.name) for study in accounts.list_studies(db.session)
    ]
    groups = accounts.team_groups(db.session)
    form.teams.choices = [
        SelectChoice(team.id, accounts.team_label(team)) for group in groups for team in group.teams
    ]
    return groups


def _summary(form: AccountScopeForm | PasswordResetForm, others: list[str]) -> list[str]:
    """The error summary: each field's problems, named by the field's label, then the rest."""
    named = [f"{field.label.text}: {message}" for field in form for message in field.errors]
    return named + others


def _scope_data(account: User) -> dict[str, object]:
    return {
        "role": account.role,
        "studies": [study.id for study in account.studies],
        "teams": [link.team_id for link in account.managed_teams],
    }


@bp.get("/users")
def users() -> str:
    """Every staff account: email, role, studies, managed teams, active or not, created."""
    authz.require(staff(), "user.manage")
    return render_template(
        "admin/users.html",
        accounts=accounts.list_users(db.session),
        team_label=accounts.team_label,
        me=staff().id,
    )


def _render_new(form: NewAccountForm, errors: list[str], status: int = 200) -> tuple[str, int]:
    groups = _offer_choices(form)
    return (
        render_template(
            "admin/user_new.html",
            form=form,
            groups=groups,
            team_label=accounts.team_label,
            errors=_summary(form, errors),
        ),
        status,
    )


@bp.route("/users/new", methods=["GET", "POST"])
def new_user() -> Response | tuple[str, int]:
    """Create a staff account (the checks of ``copkit create-user``)."""
    authz.require(staff(), "user.manage")
    form = NewAccountForm()
    _offer_choices(form)
    if not form.is_submitted():
        return _render_new(form, [])
    if not form.validate():
        return _render_new(form, [], INVALID)
    try:
        account = accounts.create_user(
            db.session,
            form.email.data or "",
            form.role.data or "",
            form.password.data or "",
            study_ids=form.studies.data or [],
            team_ids=form.teams.data or [],
            actor=actor(),
        )
    except AccountError as error:
        return _render_new(form, attach_problems(form, error), INVALID)
    account_id, email, role = account.id, account.email, account.role
    flash(f"Account {email} created ({role}).", "info")
    return redirect(url_for("admin.user", user_id=account_id), code=SEE_OTHER)


def _render_account(
    account: User,
    *,
    form: AccountScopeForm | None = None,
    password_form: PasswordResetForm | None = None,
    errors: list[str] | None = None,
    status: int = 200,
) -> tuple[str, int]:
    form = form or AccountScopeForm(formdata=None, data=_scope_data(account))
    password_form = password_form or PasswordResetForm(formdata=None)
    groups = _offer_choices(form)
    summary = _summary(form, []) + _summary(password_form, errors or [])
    return (
        render_template(
            "admin/user.html",
            account=account,
            form=form,
            password_form=password_form,
            groups=groups,
            team_label=accounts.team_label,
            is_me=account.id == staff().id,
            errors=summary,
        ),
        status,
    )


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
def user(user_id: int) -> Response | tuple[str, int]:
    """An account: change its role, studies and teams; deactivate it or reset its password."""
    account = authz.account_in_scope(db.session, staff(), user_id)
    form = AccountScopeForm()
    if not form.is_submitted():
        return _render_account(account)
    _offer_choices(form)
    if not form.validate():
        return _render_account(account, form=form, status=INVALID)
    try:
        changes = accounts.update_user(
            db.session,
            account,
            form.role.data or "",
            study_ids=form.studies.data or [],
            team_ids=form.teams.data or [],
            actor=actor(),
        )
    except AccountError as error:
        others = attach_problems(form, error)
        return _render_account(account, form=form, errors=others, status=INVALID)
    flash(f"Account {account.email} updated." if changes else "Nothing was changed.", "info")
    return redirect(url_for("admin.user", user_id=user_id), code=SEE_OTHER)


@bp.post("/users/<int:user_id>/password")
def reset_password(user_id: int) -> Response | tuple[str, int]:
    """Set a new password for an account; its open sessions end."""
    account = authz.account_in_scope(db.session, staff(), user_id)
    form = PasswordResetForm()
    if not form.validate_on_submit():
        return _render_account(account, password_form=form, status=INVALID)
    try:
        accounts.reset_password(db.session, account, form.password.data or "", actor())
    except AccountError as error:
        others = attach_problems(form, error)
        return _render_account(account, password_form=form, errors=others, status=INVALID)
    flash(
        f"The password of {account.email} has been reset; their open sessions have ended.", "info"
    )
    return redirect(url_for("admin.user", user_id=user_id), code=SEE_OTHER)


def _set_active(user_id: int, active: bool) -> Response | tuple[str, int]:
    if not ButtonForm().validate_on_submit():
        abort(400)
    account = authz.account_in_scope(db.session, staff(), user_id)
    try:
        accounts.set_active(db.session, account, active, actor())
    except AccountError as error:
        messages = error.messages
        return _render_account(account, errors=messages, status=INVALID)
    if active:
        flash(f"Account {account.email} reactivated: they can sign in again.", "info")
    else:
        flash(
            f"Account {account.email} deactivated: they are signed out and cannot sign in.", "info"
        )
    return redirect(url_for("admin.user", user_id=user_id), code=SEE_OTHER)


@bp.post("/users/<int:user_id>/deactivate")
def deactivate_user(user_id: int) -> Response | tuple[str, int]:
    """Deactivate an account: signed out at once, and no sign-in until reactivated."""
    authz.account_in_scope(db.session, staff(), user_id)
    return _set_active(user_id, False)


@bp.post("/users/<int:user_id>/reactivate")
def reactivate_user(user_id: int) -> Response | tuple[str, int]:
    """Reactivate a deactivated account."""
    authz.account_in_scope(db.session, staff(), user_id)
    return _set_active(user_id, True)
