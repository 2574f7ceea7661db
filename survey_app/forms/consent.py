"""The consent form shown before the first question."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField
from wtforms.validators import DataRequired

CONSENT_MESSAGE = "Tick the box to say you agree to take part, or close this page if you do not"


class ConsentForm(FlaskForm):
    """Agreement to take part: no consent, no questions."""

    class Meta:
        csrf = False  # the survey's link-bound form token is checked by the view

    agree = BooleanField(
        "I have read this information and agree to take part",
        validators=[DataRequired(message=CONSENT_MESSAGE)],
    )
