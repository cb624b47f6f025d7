"""The Flask app factory: nothing builds an app at import time."""

from __future__ import annotations

import gc
import logging

from flask import Flask, Response, current_app
from werkzeug.exceptions import HTTPException

from hotline.jobs import SWEEP, ThreadRunner, make_job
from hotline.logconfig import configure_logging
from hotline.runtime import Runtime, build_runtime
from hotline.settings import Settings, load_settings, require_for_serving
from hotline.work.sweeps import SWEEP_SECONDS

log = logging.getLogger(__name__)

# Twilio's forms are a few KB and the pages' forms not much more: a larger body is refused
# (413) before it is read. The proxy in front should refuse it first (README, deploying).
MAX_BODY_BYTES = 64 * 1024


def create_app(settings: Settings | None = None, runtime: Runtime | None = None) -> Flask:
    """The web app: Twilio webhooks, calendar feeds, web pages, health and metrics."""
    if runtime is None:
        settings = settings or load_settings()
        require_for_serving(settings)
        runtime = build_runtime(settings)
        from hotline.keyring import verify_key

        # A runtime given (a drill, a test) is its maker's; one built here serves for real.
        verify_key(runtime.engine, runtime.privacy, now=runtime.clock())
        if isinstance(runtime.jobs, ThreadRunner):   # the embedded default: no workers
            runtime.jobs.every(SWEEP_SECONDS, make_job(SWEEP, ()), runtime)
    configure_logging(runtime.settings.app.log_level, runtime.settings.app.log_format)

    app = Flask("hotline")
    app.config["SECRET_KEY"] = runtime.settings.app.secret_key or "drill-only-not-secret"
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    app.extensions["hotline"] = runtime

    from hotline.voice.media import media
    from hotline.voice.views import voice

    app.register_blueprint(voice)
    app.register_blueprint(media)

    from hotline.feeds.views import feeds

    app.register_blueprint(feeds)

    from hotline.web import register as register_web_pages  # coordinators' and volunteers'

    register_web_pages(app)

    from hotline.ops import register as register_ops  # /healthz, /readyz, /status, /metrics

    register_ops(app)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected_error)
    return app


def import_everything() -> None:
    """Import every module a request may need, without building anything (see `serve`)."""
    import hotline.calls.ringing
    import hotline.feeds.views
    import hotline.rqjobs
    import hotline.telephony.twilio_rest
    import hotline.voice.views  # noqa: F401
    gc.freeze()         # the garbage collector leaves these objects (and their pages) alone


def app_runtime() -> Runtime:
    """The runtime of the app handling the current request."""
    runtime: Runtime = current_app.extensions["hotline"]
    return runtime


def _http_error(exc: HTTPException) -> Response:
    # Short plain text: Twilio and curl users both read it; never a traceback.
    response = Response(f"{exc.code} {exc.name}: {exc.description}\n", mimetype="text/plain")
    response.status_code = exc.code or 500
    return response


def _unexpected_error(exc: Exception) -> Response:
    log.exception("unhandled error")
    return Response("500 Internal Server Error\n", status=500, mimetype="text/plain")
