"""The application factory: configuration, extensions, blueprints and error pages."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask, Response, current_app, g, request, session
from sqlalchemy.engine import make_url
from werkzeug.middleware.proxy_fix import ProxyFix

from survey_app import log_redaction, question_markup
from survey_app.blueprints import admin, auth, dashboard, exports, health, participate
from survey_app.config import (
    INSTANCE_PATH_KEY,
    default_config,
    instance_secret_key,
    layer_settings,
)
from survey_app.errors import register_error_handlers
from survey_app.extensions import csrf, db, login_manager
from survey_app.models import User
from survey_app.request_guards import install_request_guards
from survey_app.services import staff_sessions


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Create the copkit web app.

    Settings are layered: the defaults of :func:`survey_app.config.default_config`, then
    environment variables prefixed ``COPKIT_`` (``COPKIT_DATABASE_URL``, ``COPKIT_MIN_CELL``, ...)
    through :meth:`flask.Config.from_prefixed_env`, then ``config`` (tests). Nothing is read
    before this function runs.

    Parameters
    ----------
    config
        Settings that win over the defaults and the environment. ``INSTANCE_PATH`` (or the
        environment variable ``COPKIT_INSTANCE_PATH``) chooses the instance folder, where the
        default SQLite database and the generated secret key live. ``TRUSTED_PROXIES`` (default
        0) is the number of reverse proxies in front of the app whose ``X-Forwarded-*`` headers
        are believed.

    Returns
    -------
    flask.Flask
        With the database, CSRF protection, Flask-Login, the blueprints and error pages set up.

    Raises
    ------
    ValueError
        If a setting is out of range (for example ``MIN_CELL`` below 1).
    """
    overrides = dict(config or {})
    instance_path = overrides.pop(INSTANCE_PATH_KEY, None) or os.environ.get("COPKIT_INSTANCE_PATH")
    app = Flask(
        "survey_app",
        instance_path=os.path.abspath(instance_path) if instance_path else None,
    )
    layer_settings(app.config, default_config(app.instance_path), overrides)
    _resolve_config(app)
    log_redaction.install([app.logger])

    db.init_app(app)
    csrf.init_app(app)
    _init_login(app)
    question_markup.install(app)
    install_request_guards(app)  # before the blueprints: their <int:...> ids use it

    for blueprint in (participate.bp, admin.bp, dashboard.bp, auth.bp, health.bp, exports.bp):
        app.register_blueprint(blueprint)
    register_error_handlers(app)
    app.after_request(_security_headers)
    proxies = app.config["TRUSTED_PROXIES"]
    if proxies:  # behind a load balancer: take the client address and scheme from it
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies
        )
    return app


def _resolve_config(app: Flask) -> None:
    """Fill in settings that depend on others (their ranges are checked by then)."""
    config = app.config
    if config.get("SESSION_COOKIE_SECURE") is None:
        config["SESSION_COOKIE_SECURE"] = not (config.get("TESTING") or config.get("DEBUG"))
    url = make_url(str(config["DATABASE_URL"]))
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        folder = Path(url.database).resolve().parent
        if folder == Path(app.instance_path).resolve():
            folder.mkdir(parents=True, exist_ok=True)
    if not config.get("SECRET_KEY"):
        config["SECRET_KEY"] = instance_secret_key(app.instance_path)


def _init_login(app: Flask) -> None:
    """Bind Flask-Login and tell it how to load a staff account from the session."""
    login_manager.init_app(app)
    login_manager.login_view = "auth.index"
    login_manager.user_loader(_load_user)


def _load_user(user_id: str) -> User | None:
    """The account of the request's staff session, or None (signed out, expired, deactivated).

    The session cookie's token must match a ``staff_sessions`` row of this account within its
    lifetimes (:func:`survey_app.services.staff_sessions.signed_in`): a cookie copied before
    sign-out names a row that no longer exists. When the session's activity time is due,
    ``g`` says so and :func:`survey_app.blueprints.auth.record_activity` writes it.
    """
    try:
        ident = int(user_id)
    except ValueError:
        return None
    lifetimes = staff_sessions.SessionLifetimes.from_config(current_app.config)
    found = staff_sessions.signed_in(
        db.session, ident, session.get(staff_sessions.TOKEN_KEY), lifetimes
    )
    if found is None:
        return None
    if found.touch_due:
        g.copkit_touch_session = found.session_id
    return found.user


def _security_headers(response: Response) -> Response:
    """Headers every page carries: no sniffing, no framing, the referrer for this site only, no
    caching, and HSTS while session cookies are Secure.

    Every response but a static file is ``Cache-Control: no-store``: staff pages show names and
    e-mail addresses (members, non-responders, audit, accounts), and a page a browser or proxy
    keeps can be read back from its cache after sign-out. A view that chose its own no-store
    policy keeps it. ``Strict-Transport-Security`` (``HSTS_SECONDS``, 0 turns it off) is sent
    whenever the session cookie is Secure, i.e. the site is served over HTTPS; a browser ignores
    it on plain HTTP.

    ``same-origin`` keeps addresses from other sites while letting the browser send the
    ``Referer`` that Flask-WTF requires of a form posted over HTTPS (``WTF_CSRF_SSL_STRICT``);
    with ``no-referrer`` every staff form would be refused behind HTTPS. Survey pages, whose
    addresses carry the link's token and whose forms carry a link-bound token, send no
    referrer at all (set by their blueprint).
    """
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    if request.endpoint != "static" and "no-store" not in response.headers.get("Cache-Control", ""):
        response.headers["Cache-Control"] = "no-store"
    config = current_app.config
    if config.get("SESSION_COOKIE_SECURE") and config.get("HSTS_SECONDS"):
        response.headers.setdefault(
            "Strict-Transport-Security", f"max-age={int(config['HSTS_SECONDS'])}"
        )
    policy = config.get("CONTENT_SECURITY_POLICY")
    if policy:
        response.headers.setdefault("Content-Security-Policy", policy)
    return response
