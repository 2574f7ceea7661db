"""The app's extensions, created unbound here and bound to an app by the factory."""

from __future__ import annotations

from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

from survey_app.database import Database

db = Database()
csrf = CSRFProtect()
login_manager = LoginManager()
