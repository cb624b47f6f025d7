"""The web app for coordinators and volunteers: sign-in, the rota, people, the audit log.

`register(app)` adds it to the app `create_app` builds, beside the webhooks. Pages are
server-rendered and work without JavaScript; every form carries a CSRF token; every view is
a thin layer over the same domain functions the command line uses.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from zoneinfo import ZoneInfo

from flask import Blueprint, Flask, Response, render_template, request, send_from_directory
from flask_babel import Babel, get_locale
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.exceptions import HTTPException

from hotline.web.access import load_viewer, public

log = logging.getLogger(__name__)
TRANSLATIONS = Path(__file__).parent / "translations"
csrf = CSRFProtect()

CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
       "media-src 'self'; "
       "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")


def register(app: Flask) -> None:
    """Add the web app's pages, CSRF protection, translations and security headers."""
    from hotline.web import (
        audit,
        auth,
        callbacks,
        contacts,
        live,
        me,
        people,
        reports,
        rota,
        today,
        voicemails,
    )

    runtime = app.extensions["hotline"]
    https = runtime.settings.app.public_url.startswith("https://")
    app.config.update(
        SESSION_COOKIE_NAME="hotline_session",
        SESSION_COOKIE_SECURE=https,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        # The webhooks are checked by Twilio's signature instead: only the web blueprint's
        # requests are checked for a CSRF token (see _protect below).
        WTF_CSRF_CHECK_DEFAULT=False,
        WTF_CSRF_TIME_LIMIT=None,       # the token lives as long as the session
        WTF_CSRF_SSL_STRICT=https,
        BABEL_TRANSLATION_DIRECTORIES=str(TRANSLATIONS),
    )
    csrf.init_app(app)
    Babel(app, locale_selector=_locale)

    web = Blueprint("web", __name__, template_folder="templates", static_folder="static",
                    static_url_path="/static/web")
    web.before_request(_protect)
    web.before_request(load_viewer)
    web.after_request(_no_store)
    children: list[Blueprint] = [auth.bp, today.bp, live.bp, rota.bp, people.bp, audit.bp,
                                  me.bp, reports.bp, voicemails.bp, callbacks.bp, contacts.bp]
    for child in children:
        web.register_blueprint(child)
    web.add_url_rule("/favicon.ico", "favicon", _favicon)
    web.register_error_handler(HTTPException, _error_page)
    web.register_error_handler(Exception, _crash_page)
    app.register_blueprint(web)
    app.add_template_filter(ZoneInfo, "zone")
    app.context_processor(lambda: {"lang": str(get_locale() or "en")})
    app.after_request(_security_headers(https))


@public
def _favicon() -> Response:
    """The icon a browser asks for at /favicon.ico whatever the page says (the pages link
    the same file): one SVG, cached like the other static files."""
    return send_from_directory(Path(__file__).parent / "static", "favicon.svg",
                               mimetype="image/svg+xml")


def _protect() -> None:
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        csrf.protect()


def _locale() -> str | None:
    known = ["en", *sorted(p.name for p in TRANSLATIONS.iterdir() if p.is_dir())]
    return request.accept_languages.best_match(known) or "en"


def _no_store(response: Response) -> Response:
    # Pages show people's names and rotas: never keep them in a shared or back-button cache.
    if request.endpoint not in ("web.static", "web.favicon"):
        response.headers["Cache-Control"] = "no-store"
    return response


def _security_headers(https: bool) -> Callable[[Response], Response]:
    def add(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CSP)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        # no-referrer: one-time links (set password) must not leak to other sites.
        headers.setdefault("Referrer-Policy", "no-referrer")
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if https:
            headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response

    return add


MESSAGE_LIMIT = 300


def _error_page(exc: HTTPException) -> tuple[str, int]:
    code = exc.code or 500
    if isinstance(exc, CSRFError):
        return render_template("errors/error.html", code=400, csrf=True), 400
    return render_template("errors/error.html", code=code, csrf=False,
                           message=message_for_people(exc)), code


def message_for_people(exc: HTTPException) -> str | None:
    """The reason a view gave `abort(4xx, _("..."))`, written (and translated) for the person;
    None for werkzeug's own stock text, for 5xx, and for anything not one short line (the
    page never shows a traceback or internal detail)."""
    text = exc.description
    if not text or text == type(exc).description or not 400 <= (exc.code or 500) < 500:
        return None
    text = str(text).strip()
    if "\n" in text or len(text) > MESSAGE_LIMIT or "Traceback" in text:
        return None
    return text


def _crash_page(exc: Exception) -> tuple[str, int]:
    # A page, not a traceback; the log has the details (numbers masked by the log formatter).
    log.exception("web page failed")
    return render_template("errors/error.html", code=500, csrf=False), 500
