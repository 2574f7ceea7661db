"""Staff sign-in, sign-out, password change and "forgot password" (``/auth``)."""

from __future__ import annotations

import math
import secrets
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    current_app,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required, login_user, logout_user
from itsdangerous import BadSignature, URLSafeTimedSerializer
from werkzeug.wrappers import Response

from survey_app.blueprints.admin.blueprint import staff_navigation
from survey_app.blueprints.staff import form_problems, problems_of
from survey_app.extensions import db
from survey_app.forms.staff import (
    ButtonForm,
    ForgotPasswordForm,
    LoginForm,
    PasswordChangeForm,
    PasswordResetForm,
)
from survey_app.localtime import format_moment, zone_from_config
from survey_app.models import User, utcnow
from survey_app.services import authentication, password_resets, staff_sessions
from survey_app.services.audit import Actor
from survey_app.services.errors import ServiceError
from survey_app.services.mailer import MailError, SmtpMailer, SmtpSettings, build_message
from survey_app.services.transactions import end_read

bp = Blueprint("auth", __name__, url_prefix="/auth")
bp.context_processor(staff_navigation)

LOCKED_STATUS = 429
BROWSER_COOKIE = "copkit_browser"
"""The cookie by which a browser that signed in to an account before is known to it."""
WRONG_DETAILS = "The email address or password is not right. Check them and try again."


def _safe_next(target: str | None) -> str | None:
    """``target`` if it is a path on this site (never another site), else None."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else None


FORGOTTEN = (
    "Your password has not been changed. If you have forgotten it, use "
    '"Forgot your password?" below.'
)


def _lockout_message(reason: str | None, until: str, seconds: int) -> str:
    """What a held-back sign-in is told: which rule, until when, and what still works."""
    minutes = max(1, -(-seconds // 60))
    about = f"about {minutes} minute{'s' if minutes != 1 else ''}"
    if reason == authentication.SLOWED:
        return (
            "Many sign-in attempts have come from your network just now, so it is being slowed "
            f"down. Wait {seconds} second{'s' if seconds != 1 else ''} and try again."
        )
    if reason == authentication.PAUSED_UNKNOWN:
        return (
            "Too many sign-in attempts for this account have failed, from several places, so "
            f"signing in to it is paused until {until} ({about}) on browsers it has not "
            "signed in with before. A browser you have signed in with before can still sign "
            "in. " + FORGOTTEN
        )
    where = "in this browser" if reason == authentication.PAUSED_BROWSER else "from your network"
    return (
        "Too many sign-in attempts have failed, so signing in is paused for this account "
        f"{where} until {until} ({about}). " + FORGOTTEN
    )


def _browser_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key or "", salt=BROWSER_COOKIE)


def _known_browser() -> authentication.KnownBrowser | None:
    """The sign-in cookie this browser carries, if its signature holds and it is not too old."""
    value = request.cookies.get(BROWSER_COOKIE)
    if not value:
        return None
    days = int(current_app.config["LOGIN_KNOWN_BROWSER_DAYS"])
    try:
        data = _browser_serializer().loads(value, max_age=days * 24 * 3600)
        return authentication.KnownBrowser(
            user_id=int(data["u"]), fingerprint=str(data["p"]), browser_id=str(data["b"])
        )
    except (BadSignature, KeyError, TypeError, ValueError):
        return None


def _remember_browser(
    response: Response, user: User, known: authentication.KnownBrowser | None
) -> None:
    """Give the browser (or renew) its sign-in cookie for ``user`` (OWASP's device cookie)."""
    browser_id = known.id_for(user) if known is not None else None
    data = {
        "u": user.id,
        "p": authentication.password_fingerprint(user),
        "b": browser_id or secrets.token_urlsafe(12),
    }
    config = current_app.config
    response.set_cookie(
        BROWSER_COOKIE,
        _browser_serializer().dumps(data),
        max_age=int(config["LOGIN_KNOWN_BROWSER_DAYS"]) * 24 * 3600,
        path=url_for("auth.index"),
        secure=bool(config.get("SESSION_COOKIE_SECURE")),
        httponly=True,
        samesite="Lax",
    )


STAFF_BLUEPRINTS = frozenset({"admin", "auth", "dashboard", "exports"})


@bp.before_app_request
def record_activity() -> None:
    """On staff pages: load the session's account, and write its activity time when due.

    Loading the account checks the server-side session (see ``factory._load_user``); a session
    that ended or expired leaves the request signed out. The read that loads it is ended at
    once, so a view can start its own write transaction; the activity time is written in a
    short transaction of its own (at most once per ``SESSION_ACTIVITY_SECONDS``).
    """
    if request.blueprint not in STAFF_BLUEPRINTS or "_user_id" not in session:
        return
    if not current_user.is_authenticated:  # ended, expired or deactivated: forget it here too
        logout_user()
        session.pop(staff_sessions.TOKEN_KEY, None)
    end_read(db.session)
    session_id = g.pop("copkit_touch_session", None)
    if session_id is not None:
        staff_sessions.touch(db.session, session_id)


@bp.route("/", methods=["GET", "POST"])
def index() -> Response:
    """The sign-in page; a successful sign-in goes to the page asked for, else administration."""
    if current_user.is_authenticated:
        return redirect(url_for("admin.index"))
    form = LoginForm()
    error: str | None = None
    status = 200
    retry_after: int | None = None
    if form.validate_on_submit():
        policy = authentication.LoginPolicy.from_config(current_app.config)
        lifetimes = staff_sessions.SessionLifetimes.from_config(current_app.config)
        known = _known_browser()
        outcome, token = authentication.sign_in(
            db.session,
            form.email.data or "",
            form.password.data or "",
            request.remote_addr,
            policy,
            lifetimes,
            browser=known,
        )
        user = outcome.user
        if user is not None and token is not None:
            target = _safe_next(request.args.get("next")) or url_for("admin.index")
            session.clear()  # a fresh session at sign-in (no fixation)
            login_user(user)
            session[staff_sessions.TOKEN_KEY] = token
            signed_in = redirect(target)
            _remember_browser(signed_in, user, known)
            return signed_in
        if outcome.locked_until is not None:
            zone = zone_from_config(current_app.config)
            seconds = max(1, math.ceil((outcome.locked_until - utcnow()).total_seconds()))
            error = _lockout_message(
                outcome.reason, format_moment(outcome.locked_until, zone), seconds
            )
            status = LOCKED_STATUS
            retry_after = seconds
        else:
            error = WRONG_DETAILS
    elif request.method == "POST":
        error = "Enter your email address and password."
    page = render_template("auth/login.html", form=form, errors=[error] if error else [])
    response = make_response(page, status)
    if retry_after is not None:
        response.headers["Retry-After"] = str(retry_after)
    return response


@bp.post("/logout")
def logout() -> Response:
    """Sign out (a POST with the CSRF token, so no other site can sign anyone out).

    The session's row is deleted, so the cookie is worthless everywhere, copies included.
    """
    form = ButtonForm()
    if current_user.is_authenticated and form.validate_on_submit():
        user: User = current_user._get_current_object()
        authentication.sign_out(
            db.session,
            session.get(staff_sessions.TOKEN_KEY),
            Actor.of_user(user, request.remote_addr),
        )
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
            user: User = current_user._get_current_object()
            authentication.change_password(
                db.session,
                Actor.of_user(user, request.remote_addr),
                form.current.data or "",
                form.new.data or "",
                form.confirmation.data or "",
                keep_session=session.get(staff_sessions.TOKEN_KEY),
            )
        except ServiceError as error:
            errors = problems_of(error, form)
        else:
            flash("Your password has been changed.", "info")
            return redirect(url_for("admin.index"))
    elif form.is_submitted():
        errors = form_problems(form)
    return render_template("auth/password.html", form=form, errors=errors)


def _send_reset_link(
    app: Flask, link: password_resets.ResetLink, address: str, ip: str | None
) -> None:
    """E-mail the link at ``address`` (called once the answer has gone, so the page's timing
    says nothing about whether the account exists); a failure is logged and audited."""
    config = app.config
    policy = password_resets.ResetPolicy.from_config(config)
    with app.app_context():
        context = {
            "email": link.email,
            "link": address,
            "minutes": int(policy.lifetime.total_seconds() // 60),
            "site": str(config["BASE_URL"]),
        }
        try:
            settings = SmtpSettings.from_config(config)
            message = build_message(
                settings,
                to_name=link.email,
                to_email=link.email,
                subject="Choose a new copkit password",
                text=render_template("mail/password_reset.txt", **context),
                html=render_template("mail/password_reset.html", **context),
            )
            with SmtpMailer(settings) as mailer:
                mailer.send(message)
        except (MailError, ValueError) as error:
            app.logger.warning("password reset e-mail to %s not sent: %s", link.email, error)
            password_resets.record_mail_failure(db.session, link.email, str(error), ip)


@bp.route("/forgot", methods=["GET", "POST"])
def forgot() -> Response:
    """Ask for a link to choose a new password; the answer is the same for every address."""
    form = ForgotPasswordForm()
    errors: list[str] = []
    sent: str | None = None
    link: password_resets.ResetLink | None = None
    policy = password_resets.ResetPolicy.from_config(current_app.config)
    if form.validate_on_submit():
        sent = (form.email.data or "").strip()
        link = password_resets.request_reset(db.session, sent, request.remote_addr, policy)
    elif form.is_submitted():
        errors = form_problems(form)
    page = render_template(
        "auth/forgot.html",
        form=form,
        errors=errors,
        sent=sent,
        minutes=int(policy.lifetime.total_seconds() // 60),
    )
    response = make_response(page, 422 if errors else 200)
    if link is not None:
        app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
        base = str(current_app.config["BASE_URL"]).rstrip("/")
        address = base + url_for("auth.reset", reset_token=link.token)
        ip = request.remote_addr
        response.call_on_close(lambda: _send_reset_link(app, link, address, ip))
    return response


@bp.route("/reset/<reset_token>", methods=["GET", "POST"])
def reset(reset_token: str) -> Response:
    """Choose a new password through a link from the e-mail; then sign in with it."""
    link = password_resets.find_link(db.session, reset_token)
    email = None if link is None else db.session.get(User, link.user_id)
    end_read(db.session)
    if link is None or email is None:
        page = render_template(
            "auth/reset.html", form=None, invalid=password_resets.LINK_NOT_VALID, errors=[]
        )
        return _no_referrer(make_response(page, 404))
    form = PasswordResetForm()
    errors: list[str] = []
    status = 200
    if form.validate_on_submit():
        try:
            password_resets.complete_reset(
                db.session,
                reset_token,
                form.new.data or "",
                form.confirmation.data or "",
                request.remote_addr,
            )
        except ServiceError as error:
            errors = problems_of(error, form)
            status = 422
        else:
            logout_user()
            session.clear()
            flash("Your new password is set. Sign in with it.", "info")
            return _no_referrer(redirect(url_for("auth.index")))
    elif form.is_submitted():
        errors = form_problems(form)
        status = 422
    page = render_template("auth/reset.html", form=form, email=email.email, errors=errors)
    return _no_referrer(make_response(page, status))


def _no_referrer(response: Response) -> Response:
    """The link's address carries its token: never send it on as a referrer."""
    response.headers["Referrer-Policy"] = "no-referrer"
    return response
