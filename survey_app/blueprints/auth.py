"""Staff sign-in, sign-out and password change (``/auth``)."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.wrappers import Response

from survey_app.blueprints.admin.blueprint import staff_navigation
from survey_app.extensions import db
from survey_app.forms.staff import ButtonForm, LoginForm, PasswordChangeForm
from survey_app.localtime import format_moment, zone_from_config
from survey_app.models import User, utcnow
from survey_app.services import authentication
from survey_app.services.audit import Actor
from survey_app.services.errors import ServiceError
from survey_app.services.transactions import end_read, write_transaction

bp = Blueprint("auth", __name__, url_prefix="/auth")
bp.context_processor(staff_navigation)

PASSWORD_KEY = "_copkit_password"
LOCKED_STATUS = 429
WRONG_DETAILS = "The email address or password is not right. Check them and try again."


def _safe_next(target: str | None) -> str | None:
    """``target`` if it is a path on this site (never another site), else None."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else None


def _lockout_message(until: str, minutes: int) -> str:
    noun = "minute" if minutes == 1 else "minutes"
    return (
        "Too many sign-in attempts have failed, so signing in is paused for this account from "
        f"your network until {until} (about {minutes} {noun}). Your password has not been "
        "changed. If you have forgotten it, ask your copkit administrator to reset it."
    )


STAFF_BLUEPRINTS = frozenset({"admin", "auth", "dashboard", "exports"})


@bp.before_app_request
def _sign_out_after_password_change() -> None:
    """End a session whose password has changed since it signed in (e.g. on another device).

    Only on staff pages; the read that loads the account is ended at once, so a view can start
    its own write transaction.
    """
    if request.blueprint not in STAFF_BLUEPRINTS or "_user_id" not in session:
        return
    if current_user.is_authenticated:
        user: User = current_user._get_current_object()
        if session.get(PASSWORD_KEY) != authentication.password_fingerprint(user):
            logout_user()
            session.clear()
    end_read(db.session)


@bp.route("/", methods=["GET", "POST"])
def index() -> Response | str | tuple[str, int]:
    """The sign-in page; a successful sign-in goes to the page asked for, else administration."""
    if current_user.is_authenticated:
        return redirect(url_for("admin.index"))
    form = LoginForm()
    error: str | None = None
    status = 200
    if form.validate_on_submit():
        policy = authentication.LoginPolicy.from_config(current_app.config)
        with write_transaction(db.session):
            outcome = authentication.attempt_login(
                db.session,
                form.email.data or "",
                form.password.data or "",
                request.remote_addr,
                policy,
            )
            user = outcome.user
            fingerprint = None if user is None else authentication.password_fingerprint(user)
        if user is not None and fingerprint is not None:
            target = _safe_next(request.args.get("next")) or url_for("admin.index")
            session.clear()  # a fresh session at sign-in (no fixation)
            login_user(user)
            session[PASSWORD_KEY] = fingerprint
            return redirect(target)
        if outcome.locked_until is not None:
            zone = zone_from_config(current_app.config)
            remaining = outcome.locked_until - utcnow()
            minutes = max(1, -(-int(remaining.total_seconds()) // 60))
            error = _lockout_message(format_moment(outcome.locked_until, zone), minutes)
            status = LOCKED_STATUS
        else:
            error = WRONG_DETAILS
    elif request.method == "POST":
        error = "Enter your email address and password."
    return render_template("auth/login.html", form=form, errors=[error] if error else []), status


@bp.post("/logout")
def logout() -> Response:
    """Sign out (a POST with the CSRF token, so no other site can sign anyone out)."""
    form = ButtonForm()
    if current_user.is_authenticated and form.validate_on_submit():
        user: User = current_user._get_current_object()
        with write_transaction(db.session):
            authentication.record_logout(db.session, Actor.of_user(user, request.remote_addr))
        logout_user()
    session.clear()
    flash("You have signed out.", "info")
    return redirect(url_for("auth.index"))


@bp.route("/password", methods=["GET", "POST"])
@login_required
def password() -> Response | str:
    """Change one's own password; other sessions of the account are signed out."""
    form = PasswordChangeForm()
    errors: list[str] = []
    if form.validate_on_submit():
        try:
            with write_transaction(db.session):
                user: User = current_user._get_current_object()
                authentication.change_password(
                    db.session,
                    Actor.of_user(user, request.remote_addr),
                    form.current.data or "",
                    form.new.data or "",
                    form.confirmation.data or "",
                )
                fingerprint = authentication.password_fingerprint(user)
        except ServiceError as problem:
            errors = [part for part in str(problem).split("; ") if part]
        else:
            session[PASSWORD_KEY] = fingerprint
            flash("Your password has been changed.", "info")
            return redirect(url_for("admin.index"))
    elif form.is_submitted():
        errors = [message for messages in form.errors.values() for message in messages]
    return render_template("auth/password.html", form=form, errors=errors)
