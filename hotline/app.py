"""The Flask app factory: nothing builds an app at import time."""

from __future__ import annotations

import logging

from flask import Flask, Response, current_app, jsonify
from sqlalchemy import text
from werkzeug.exceptions import HTTPException

from hotline.logconfig import configure_logging
from hotline.runtime import Runtime, build_runtime, install
from hotline.settings import Settings, load_settings, require_for_serving

log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None, runtime: Runtime | None = None) -> Flask:
    """The web app: Twilio webhooks, calendar feeds, health check."""
    if runtime is None:
        settings = settings or load_settings()
        require_for_serving(settings)
        runtime = build_runtime(settings)
    configure_logging(runtime.settings.app.log_level)
    install(runtime)

    app = Flask("hotline")
    app.config["SECRET_KEY"] = runtime.settings.app.secret_key or "drill-only-not-secret"
    app.extensions["hotline"] = runtime

    from hotline.voice.views import voice

    app.register_blueprint(voice)

    from hotline.feeds.views import feeds

    app.register_blueprint(feeds)

    app.add_url_rule("/healthz", "healthz", _healthz)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected_error)
    return app


def app_runtime() -> Runtime:
    """The runtime of the app handling the current request."""
    runtime: Runtime = current_app.extensions["hotline"]
    return runtime


def _healthz() -> tuple[Response, int]:
    runtime = app_runtime()
    try:
        with runtime.sessions() as session:
            session.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - any failure means unhealthy
        log.error("health check: database unreachable: %s", exc)
        return jsonify(status="error", database="unreachable"), 503
    return jsonify(status="ok", database="ok", jobs=type(runtime.jobs).__name__), 200


def _http_error(exc: HTTPException) -> Response:
    # Short plain text: Twilio and curl users both read it; never a traceback.
    response = Response(f"{exc.code} {exc.name}: {exc.description}\n", mimetype="text/plain")
    response.status_code = exc.code or 500
    return response


def _unexpected_error(exc: Exception) -> Response:
    log.exception("unhandled error")
    return Response("500 Internal Server Error\n", status=500, mimetype="text/plain")
