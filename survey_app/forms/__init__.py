"""WTForms forms of the web app; the questionnaire's forms are composed from the instrument."""
