"""The baseline: a bare Flask app answering every webhook with the same constant TwiML."""

from __future__ import annotations

from flask import Flask, Response

TWIML = (
    '<?xml version="1.0" encoding="UTF-8"?><Response>'
    '<Say language="en-US">Thank you for calling. Please hold.</Say>'
    '<Enqueue waitUrl="/voice/hold">CA00000000000000000000000000000000</Enqueue>'
    "</Response>"
)


def create_app() -> Flask:
    """Same routes the bench calls, no work: what the server and Flask alone cost."""
    app = Flask("bare")

    @app.post("/voice/incoming")
    def incoming() -> Response:
        return Response(TWIML, mimetype="text/xml")

    @app.get("/healthz")
    def healthz() -> Response:
        return Response("ok\n", mimetype="text/plain")

    return app
