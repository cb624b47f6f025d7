"""The operator's URLs: `/healthz` (live), `/readyz` (ready), `/status` and `/metrics`.

`/healthz` and `/readyz` are public and say up or down and nothing more (which part failed
is for the log and for `/status`). `/status` and `/metrics` tell more, so they answer only
a bearer token equal to `ops.metrics_token`: without one configured they do not exist
(404), without the header 401, with another token 403.
"""

from __future__ import annotations

import hmac
import logging
import time

from flask import Blueprint, Flask, Response, g, jsonify, request

from hotline.health import Status, check, redis_client

log = logging.getLogger(__name__)

ops = Blueprint("ops", __name__)
TIMED_BLUEPRINTS = ("voice", "media")       # Twilio's webhooks


def register(app: Flask) -> None:
    app.register_blueprint(ops)
    app.before_request(_start_timer)
    app.after_request(_observe)


@ops.get("/healthz")
def healthz() -> tuple[Response, int]:
    """Live: this process answers. A load balancer's readiness check is /readyz."""
    return jsonify(status="ok"), 200


@ops.get("/readyz")
def readyz() -> tuple[Response, int]:
    status = _status(details=False)
    _log_change(status)
    if not status.ready:
        return jsonify(status="error"), 503
    return jsonify(status="ok"), 200


def _log_change(status: Status) -> None:
    """A probe every few seconds logs when readiness changes, not every time."""
    from flask import current_app

    if status.ready == current_app.extensions.get("hotline.ready", True):
        return
    current_app.extensions["hotline.ready"] = status.ready
    if status.ready:
        log.warning("ready again")
    else:
        log.error("not ready: %s", "; ".join(status.lines()[1:3]))


@ops.get("/status")
def status_page() -> tuple[Response, int]:
    refused = _refused()
    if refused is not None:
        return refused
    status = _status()
    return jsonify(status.as_dict()), 200 if status.ready else 503


@ops.get("/metrics")
def metrics() -> tuple[Response, int]:
    refused = _refused()
    if refused is not None:
        return refused
    from hotline.app import app_runtime
    from hotline.metrics import CONTENT_TYPE, render

    runtime = app_runtime()
    settings = runtime.settings
    redis = redis_client(settings.queue.redis_url) if settings.queue.redis_url else None
    body = render(_status(), runtime.sessions, redis, settings.queue.name)
    return Response(body, mimetype=None, content_type=CONTENT_TYPE), 200


def _status(*, details: bool = True) -> Status:
    from hotline.app import app_runtime

    runtime = app_runtime()
    return check(runtime.settings, runtime.sessions, details=details)


def _refused() -> tuple[Response, int] | None:
    from hotline.app import app_runtime

    token = app_runtime().settings.ops.metrics_token
    if not token:
        return _plain("404 Not Found", 404)     # off unless configured
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not given:
        response, code = _plain("401 Unauthorized: a bearer token is needed", 401)
        response.headers["WWW-Authenticate"] = 'Bearer realm="hotline"'
        return response, code
    if not hmac.compare_digest(given.strip().encode(), token.encode()):
        log.warning("ops: %s refused a wrong token", request.path)
        return _plain("403 Forbidden: wrong token", 403)
    return None


def _plain(text: str, code: int) -> tuple[Response, int]:
    return Response(text + "\n", mimetype="text/plain"), code


def _start_timer() -> None:
    g.hotline_started = time.perf_counter()


def _observe(response: Response) -> Response:
    started = g.get("hotline_started")
    if started is not None and request.blueprint in TIMED_BLUEPRINTS and request.endpoint:
        from hotline.metrics import observe_webhook

        observe_webhook(request.endpoint, time.perf_counter() - started)
    return response
