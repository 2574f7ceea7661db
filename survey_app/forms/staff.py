"""Staff sign-in, sign-out and password-change forms."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Length


class LoginForm(FlaskForm):
    """Email and password."""

    email = EmailField(
        "Email address",
        validators=[DataRequired(message="Enter your email address"), Length(max=320)],
        render_kw={"autocomplete": "username", "spellcheck": "false"},
    )
    password = PasswordField(
        "Password",
        validators=[DataRequired(message="Enter your password"), Length(max=1024)],
        render_kw={"autocomplete": "current-password"},
    )


class PasswordChangeForm(FlaskForm):
    """The current password, and the new one twice."""

    current = PasswordField(
        "Current password",
        validators=[DataRequired(message="Enter your current password"), Length(max=1024)],
        render_kw={"autocomplete": "current-password"},
    )
    new = PasswordField(
        "New password",
        description="At least 10 characters. A few unrelated words make a strong password.",
        validators=[DataRequired(message="Enter a new password"), Length(max=1024)],
        render_kw={"autocomplete": "new-password"},
    )
    confirmation = PasswordField(
        "New password again",
        validators=[DataRequired(message="Enter the new password again"), Length(max=1024)],
        render_kw={"autocomplete": "new-password"},
    )


class ButtonForm(FlaskForm):
    """A form with nothing but its CSRF token, behind a button (sign out, close a wave, ...)."""


class ForgotPasswordForm(FlaskForm):
    """The e-mail address of the account whose password was forgotten."""

    email = EmailField(
        "Email address",
        validators=[DataRequired(message="Enter your email address"), Length(max=320)],
        render_kw={"autocomplete": "username", "spellcheck": "false"},
    )


class PasswordResetForm(FlaskForm):
    """A new password, twice (reached through a "forgot password" link)."""

    new = PasswordField(
        "New password",
        description="At least 10 characters. A few unrelated words make a strong password.",
        validators=[DataRequired(message="Enter a new password"), Length(max=1024)],
        render_kw={"autocomplete": "new-password"},
    )
    confirmation = PasswordField(
        "New password again",
        validators=[DataRequired(message="Enter the new password again"), Length(max=1024)],
        render_kw={"autocomplete": "new-password"},
    )
