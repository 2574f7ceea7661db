"""Study administration forms: only presence and format here; the services check the rules."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    DateField,
    DateTimeLocalField,
    EmailField,
    IntegerField,
    PasswordField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from survey_app.services.accounts import MIN_PASSWORD_LENGTH

DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]
NO_STUDY = 0
"""The study choice of an account without one (administrators only)."""
ROLE_CHOICES = [
    SelectChoice("admin", "Administrator: manages accounts and every study"),
    SelectChoice("evaluator", "Evaluator: runs one study, sees its data and free text"),
    SelectChoice("manager", "Manager: sees aggregates of the teams they manage, in one study"),
]
PASSWORD_HINT = (
    f"At least {MIN_PASSWORD_LENGTH} characters. Give it to the person by phone or in person, "
    "not by email; they can change it once signed in."
)


def _required(what: str) -> DataRequired:
    return DataRequired(message=f"Enter {what}")


class StudyForm(FlaskForm):
    """A new study."""

    name = StringField("Study name", validators=[_required("the study's name"), Length(max=200)])


class ThemeForm(FlaskForm):
    """A new theme in a study."""

    name = StringField("Theme name", validators=[_required("the theme's name"), Length(max=200)])


class TeamForm(FlaskForm):
    """A new team in one of the study's themes."""

    theme = SelectField("Theme", coerce=int, validators=[InputRequired(message="Choose a theme")])
    name = StringField("Team name", validators=[_required("the team's name"), Length(max=200)])


class MemberForm(FlaskForm):
    """A person's details."""

    name = StringField("Full name", validators=[_required("the person's name"), Length(max=200)])
    email = EmailField(
        "Email address",
        validators=[_required("the email address"), Length(max=320)],
        render_kw={"spellcheck": "false", "autocomplete": "off"},
    )
    profession = StringField(
        "Profession",
        description="For example nurse, GP, pharmacist, academic, manager.",
        validators=[_required("the profession"), Length(max=100)],
    )
    organisation = StringField(
        "Organisation", validators=[_required("the organisation"), Length(max=200)]
    )
    organisation_type = StringField(
        "Type of organisation",
        description="For example university, acute trust, general practice.",
        validators=[_required("the type of organisation"), Length(max=100)],
    )


class NewMemberForm(MemberForm):
    """A person's details and, optionally, a first team."""

    team = SelectField("Team", coerce=int, validators=[InputRequired(message="Choose a team")])


class MembershipForm(FlaskForm):
    """Putting a member in a team."""

    team = SelectField("Team", coerce=int, validators=[InputRequired(message="Choose a team")])
    joined_on = DateField("Joined on", validators=[InputRequired(message="Enter the date joined")])


class EndMembershipForm(FlaskForm):
    """A member leaving a team."""

    left_on = DateField("Left on", validators=[InputRequired(message="Enter the date they left")])


class InterventionForm(FlaskForm):
    """An intervention in a team."""

    team = SelectField("Team", coerce=int, validators=[InputRequired(message="Choose a team")])
    started_on = DateField(
        "Started on", validators=[InputRequired(message="Enter the date it started")]
    )
    kind = StringField(
        "Kind",
        description="For example facilitated workshop, knowledge transfer associate, co-location.",
        validators=[_required("the kind of intervention"), Length(max=100)],
    )
    description = TextAreaField("Description", validators=[Optional(), Length(max=2000)])


class RosterUploadForm(FlaskForm):
    """A roster CSV file."""

    file = FileField("Roster file (CSV)", validators=[FileRequired(message="Choose a CSV file")])


class WaveForm(FlaskForm):
    """A wave's number, dates and instrument."""

    number = IntegerField(
        "Wave number",
        validators=[InputRequired(message="Enter the wave number"), NumberRange(min=1, max=1000)],
    )
    opens = DateTimeLocalField(
        "Opens", format=DATETIME_FORMATS, validators=[InputRequired(message="Enter when it opens")]
    )
    closes = DateTimeLocalField(
        "Closes",
        format=DATETIME_FORMATS,
        validators=[InputRequired(message="Enter when it closes")],
    )
    instrument = SelectField(
        "Questionnaire", validators=[InputRequired(message="Choose the questionnaire")]
    )


class AuditFilterForm(FlaskForm):
    """Filters of the audit page (a GET form: it changes nothing, so it needs no CSRF token)."""

    class Meta:
        csrf = False

    action = SelectField("Action", validators=[Optional()])
    actor = StringField("User (email or part of it)", validators=[Optional(), Length(max=320)])
    since = DateField("From", validators=[Optional()])
    until = DateField("To", validators=[Optional()])
    page = IntegerField("Page", validators=[Optional(), NumberRange(min=1, max=100_000)])


class AccountScopeForm(FlaskForm):
    """An account's role, study and (for managers) teams; the choices are set by the view."""

    role = RadioField(
        "Role",
        choices=ROLE_CHOICES,
        validators=[InputRequired(message="Choose a role")],
    )
    study = SelectField(
        "Study",
        coerce=int,
        description="Required for evaluators and managers.",
        validators=[InputRequired(message="Choose a study")],
    )
    teams = SelectMultipleField(
        "Teams this manager sees",
        coerce=int,
        description="Managers only: teams of the account's study.",
        validators=[Optional()],
    )


class NewAccountForm(AccountScopeForm):
    """A new staff account: its email and first password as well as its role and scope."""

    email = EmailField(
        "Email address",
        description="The person signs in with it.",
        validators=[_required("the email address"), Length(max=320)],
        render_kw={"spellcheck": "false", "autocomplete": "off"},
    )
    password = PasswordField(
        "Initial password",
        description=PASSWORD_HINT,
        validators=[_required("an initial password"), Length(max=1024)],
        render_kw={"autocomplete": "new-password"},
    )


class PasswordResetForm(FlaskForm):
    """A new password an administrator sets for someone else's account."""

    password = PasswordField(
        "New password",
        description=PASSWORD_HINT,
        validators=[_required("the new password"), Length(max=1024)],
        render_kw={"autocomplete": "new-password"},
    )
