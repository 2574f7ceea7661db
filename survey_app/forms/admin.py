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
ROLE_CHOICES = [
    SelectChoice("admin", "Administrator: manages accounts and sees every study"),
    SelectChoice(
        "evaluator",
        "Evaluator: creates and runs studies, sees the data and free text of their studies",
    ),
    SelectChoice("manager", "Manager: sees aggregates of the teams they manage"),
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


class ThemeNameForm(FlaskForm):
    """A theme's new name (one form per theme on the study page, told apart by its prefix)."""

    name = StringField("New name", validators=[_required("the theme's name"), Length(max=200)])


class TeamNameForm(FlaskForm):
    """A team's new name."""

    name = StringField("New name", validators=[_required("the team's name"), Length(max=200)])


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
    role = StringField(
        "Role (optional)",
        description="For example KTA, facilitator, clinical lead; leave empty for none.",
        validators=[Length(max=100)],
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
    """An account's role, studies and (for managers) teams; the choices are set by the view."""

    role = RadioField(
        "Role",
        choices=ROLE_CHOICES,
        validators=[InputRequired(message="Choose a role")],
    )
    studies = SelectMultipleField(
        "Studies",
        coerce=int,
        description=(
            "The studies an evaluator or manager works on (any number; an evaluator may start "
            "with none and create their own). Administrators see every study."
        ),
        validators=[Optional()],
    )
    teams = SelectMultipleField(
        "Teams this manager sees",
        coerce=int,
        description="Managers only: teams of the account's studies.",
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


class ParticipantInformationForm(FlaskForm):
    """What respondents see of a study (every field optional; the service checks the values)."""

    respondent_title = StringField(
        "Title shown to respondents",
        description=(
            "In the survey's header, on its first page and in the e-mails, for example "
            "“Heart failure teams survey 2025”. Empty: the study's name."
        ),
        validators=[Optional(), Length(max=200)],
    )
    sponsor = StringField(
        "Sponsor or host organisation",
        description="For example “University of Salford, hosted by Salford Royal NHS Trust”.",
        validators=[Optional(), Length(max=300)],
    )
    chief_investigator = StringField("Chief investigator", validators=[Optional(), Length(max=200)])
    ethics_reference = StringField(
        "Ethics or R&D reference",
        description="For example an IRAS number or the trust's R&D reference.",
        validators=[Optional(), Length(max=200)],
    )
    privacy_notice_url = StringField(
        "Privacy notice link",
        description="The web address of the privacy notice respondents can read (https://...).",
        validators=[Optional(), Length(max=500)],
        render_kw={"spellcheck": "false", "inputmode": "url"},
    )
    contact_email = EmailField(
        "Contact e-mail address",
        description=(
            "Whom respondents write to with questions or to withdraw; shown on every survey "
            "page and in the e-mails. Invitations are not sent until it is set."
        ),
        validators=[Optional(), Length(max=320)],
        render_kw={"spellcheck": "false"},
    )


class LinksForm(FlaskForm):
    """Whose personal links to download."""

    who = RadioField(
        "Whose links",
        choices=[
            SelectChoice("everyone", "Everyone invited to this wave"),
            SelectChoice("not_submitted", "Only those who have not answered yet (for a reminder)"),
        ],
        default="everyone",
        validators=[InputRequired(message="Choose whose links to download")],
    )


class MailTemplateForm(FlaskForm):
    """The subject and text of one of a study's e-mails (the service checks the placeholders)."""

    subject = StringField("Subject", validators=[_required("a subject"), Length(max=300)])
    body = TextAreaField(
        "Message",
        description=(
            "Plain text; a blank line starts a new paragraph. Placeholders in braces are filled "
            "in for each person (see Placeholders above); {link} is required."
        ),
        validators=[_required("the message"), Length(max=5000)],
        render_kw={"rows": 14},
    )


class DataProtectionForm(FlaskForm):
    """A study's retention period and whether team members see their team's results."""

    retention_days = IntegerField(
        "Keep personal data for (days after the last wave closes)",
        description="Leave empty for the installation's default. `copkit purge-expired` deletes "
        "the study's members, answers and invitations once this has passed.",
        validators=[
            Optional(),
            NumberRange(min=1, max=36_500, message="Enter a number of days from 1 to 36500"),
        ],
    )
    share_results = RadioField(
        "Show team members their team's results",
        choices=[
            SelectChoice("yes", "Yes: a link on the thank-you page and in the next invitation"),
            SelectChoice("no", "No"),
        ],
        validators=[InputRequired(message="Choose whether team members see their team's results")],
    )
