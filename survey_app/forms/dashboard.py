"""The report download form on an evaluator's dashboard: HTML or PDF."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired

REPORT_FORMAT_LABELS: dict[str, str] = {
    "html": "HTML (one self-contained file, opens in any browser)",
    "pdf": "PDF (for printing; the first download takes a little longer)",
}
"""The report formats offered, with a plain description of each."""


class ReportForm(FlaskForm):
    """Choose the report's format; the study is in the address the form posts to."""

    report_format = SelectField(
        "Format",
        choices=[SelectChoice(value, label) for value, label in REPORT_FORMAT_LABELS.items()],
        default="html",
        validators=[InputRequired(message="Choose a format")],
    )
