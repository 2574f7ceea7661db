"""The roster pages: members, a member's details and memberships, and the CSV upload."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from survey_app.blueprints.admin.blueprint import (
    INVALID,
    actor,
    bp,
    form_problems,
    load_study,
    problems_of,
    staff,
)
from survey_app.extensions import db
from survey_app.forms.admin import (
    EndMembershipForm,
    MemberForm,
    MembershipForm,
    NewMemberForm,
    RosterUploadForm,
)
from survey_app.models import Member, Study, utcnow
from survey_app.services import authorisation as authz
from survey_app.services import members, roster_import, study_setup
from survey_app.services.errors import ServiceError
from survey_app.services.roster_import import RosterError

NO_TEAM = 0


def _team_choices(study: Study, *, optional: bool) -> list[tuple[int, str]]:
    choices = [(t.id, study_setup.team_label(t)) for t in study_setup.list_teams(db.session, study)]
    return [(NO_TEAM, "No team yet"), *choices] if optional else choices


def _details(form: MemberForm | NewMemberForm) -> members.MemberDetails:
    return members.MemberDetails.of(
        form.name.data,
        form.email.data,
        form.profession.data,
        form.organisation.data,
        form.organisation_type.data,
        form.role.data,
    )


def _render_members(
    study: Study,
    form: NewMemberForm | None = None,
    errors: list[str] | None = None,
    status: int = 200,
) -> tuple[str, int]:
    form = form or NewMemberForm(team=NO_TEAM)
    form.team.choices = _team_choices(study, optional=True)
    return (
        render_template(
            "admin/members.html",
            study=study,
            listing=members.search_members(
                db.session,
                study,
                request.args.get("q", "")[:200],
                request.args.get("page", 1, type=int) or 1,
            ),
            form=form,
            errors=errors or [],
            today=utcnow().date(),
        ),
        status,
    )


@bp.route("/studies/<int:study_id>/members", methods=["GET", "POST"])
def members_page(study_id: int) -> Response | tuple[str, int]:
    """The study's roster, and adding one person by hand."""
    study = load_study(study_id, "study.view")
    form = NewMemberForm()
    form.team.choices = _team_choices(study, optional=True)
    if not form.is_submitted():
        return _render_members(study)
    authz.require(staff(), "study.edit")
    if not form.validate():
        return _render_members(study, form, form_problems(form), INVALID)
    team = (
        None
        if not form.team.data
        else authz.team_in_scope(db.session, staff(), study, form.team.data)
    )
    try:
        member = members.create_member(db.session, study, _details(form), team, actor())
    except ServiceError as error:
        return _render_members(study, form, problems_of(error, form), INVALID)
    name = member.name
    flash(f"{name} added to the roster.", "info")
    return redirect(url_for("admin.members_page", study_id=study_id))


def _render_member(
    study: Study,
    member: Member,
    *,
    form: MemberForm | None = None,
    membership_form: MembershipForm | None = None,
    errors: list[str] | None = None,
    status: int = 200,
) -> tuple[str, int]:
    if form is None:
        form = MemberForm(obj=member)
    membership_form = membership_form or MembershipForm(joined_on=utcnow().date())
    membership_form.team.choices = _team_choices(study, optional=False)
    return (
        render_template(
            "admin/member.html",
            study=study,
            member=member,
            form=form,
            membership_form=membership_form,
            end_form=EndMembershipForm(left_on=utcnow().date()),
            errors=errors or [],
        ),
        status,
    )


@bp.route("/studies/<int:study_id>/members/<int:member_id>", methods=["GET", "POST"])
def member(study_id: int, member_id: int) -> Response | tuple[str, int]:
    """One member: change their details, see and change their memberships."""
    study = load_study(study_id, "study.view")
    person = authz.member_in_scope(db.session, staff(), study, member_id)
    form = MemberForm()
    if not form.is_submitted():
        return _render_member(study, person)
    authz.require(staff(), "study.edit")
    if not form.validate():
        return _render_member(study, person, form=form, errors=form_problems(form), status=INVALID)
    try:
        changes = members.update_member(db.session, study, person, _details(form), actor())
    except ServiceError as error:
        return _render_member(
            study, person, form=form, errors=problems_of(error, form), status=INVALID
        )
    flash("Details saved." if changes else "Nothing changed.", "info")
    return redirect(url_for("admin.member", study_id=study_id, member_id=member_id))


@bp.post("/studies/<int:study_id>/members/<int:member_id>/memberships")
def add_membership(study_id: int, member_id: int) -> Response | tuple[str, int]:
    """Put a member in a team."""
    study = load_study(study_id, "study.edit")
    person = authz.member_in_scope(db.session, staff(), study, member_id)
    form = MembershipForm()
    form.team.choices = _team_choices(study, optional=False)
    if not form.validate_on_submit():
        return _render_member(
            study, person, membership_form=form, errors=form_problems(form), status=INVALID
        )
    team = authz.team_in_scope(db.session, staff(), study, form.team.data)
    try:
        members.add_membership(db.session, study, person, team, form.joined_on.data, actor())
    except ServiceError as error:
        return _render_member(
            study, person, membership_form=form, errors=problems_of(error, form), status=INVALID
        )
    flash("Membership added.", "info")
    return redirect(url_for("admin.member", study_id=study_id, member_id=member_id))


@bp.post("/studies/<int:study_id>/memberships/<int:membership_id>/end")
def end_membership(study_id: int, membership_id: int) -> Response | tuple[str, int]:
    """Record that a member left a team."""
    study = load_study(study_id, "study.edit")
    membership = authz.membership_in_scope(db.session, staff(), study, membership_id)
    member_id = membership.member_id
    form = EndMembershipForm()
    if not form.validate_on_submit():
        person = authz.member_in_scope(db.session, staff(), study, member_id)
        return _render_member(study, person, errors=form_problems(form), status=INVALID)
    try:
        members.end_membership(db.session, study, membership, form.left_on.data, actor())
    except ServiceError as error:
        person = authz.member_in_scope(db.session, staff(), study, member_id)
        return _render_member(study, person, errors=problems_of(error), status=INVALID)
    flash("Membership ended.", "info")
    return redirect(url_for("admin.member", study_id=study_id, member_id=member_id))


@bp.route("/studies/<int:study_id>/roster", methods=["GET", "POST"])
def roster_upload(study_id: int) -> Response | tuple[str, int]:
    """Upload a roster CSV: all of it is imported, or (with any problem) none of it."""
    study = load_study(study_id, "roster.import")
    form = RosterUploadForm()
    if not form.is_submitted():
        return render_template("admin/roster.html", study=study, form=form, errors=[]), 200
    if not form.validate():
        errors = form_problems(form)
        return render_template("admin/roster.html", study=study, form=form, errors=errors), INVALID
    data = form.file.data.read()
    name = study.name
    try:
        summary = roster_import.import_roster(
            db.session, name, data, actor(), create_missing_study=False
        )
    except RosterError as error:
        roster_import.record_rejection(db.session, study, name, error, actor())
        return (
            render_template("admin/roster.html", study=study, form=form, errors=error.messages),
            INVALID,
        )
    except ServiceError as error:
        errors = problems_of(error, form)
        return render_template("admin/roster.html", study=study, form=form, errors=errors), INVALID
    flash(summary.describe(), "info")
    return redirect(url_for("admin.members_page", study_id=study_id))
