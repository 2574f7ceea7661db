"""The export download form: which format of a study's pseudonymous data to download."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired

FORMAT_DESCRIPTIONS: dict[str, str] = {
    "bundle": "Study bundle: a .zip of CSV files and the instrument (copkit analyse, R, Python)",
    "wide-csv": "Wide CSV: one row per respondent, team and wave; items and scale scores",
    "long-csv": "Long CSV: one row per item answered, raw and reverse-keyed values",
    "xlsx": "Excel workbook: data, codebook and notes sheets",
    "sav": "SPSS data file (.sav) with variable and value labels",
    "dta": "Stata data file (.dta) with variable and value labels",
    "codebook": "Codebook (Markdown): every variable, label, scale, keying and missing values",
}
"""The formats offered for download, with a plain description of each."""


class ExportForm(FlaskForm):
    """Choose a format; the study is in the address the form posts to."""

    export_format = SelectField(
        "Format",
        choices=[SelectChoice(value, label) for value, label in FORMAT_DESCRIPTIONS.items()],
        default="bundle",
        validators=[InputRequired(message="Choose a format")],
    )
