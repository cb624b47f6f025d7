"""The floor: the bare app plus the least any app that records its calls must do.

Each `POST /voice/incoming` reads the form and writes one row (the CallSid) with one
autocommit INSERT on a connection of its own thread, then answers the same constant TwiML
as `_bare.py`. No signature check, no lookup, no hand-off to a queue: the ratio of this app
to the bare one is the cost of one durable database write on the machine, and a bound on
what any recording webhook can reach there.
"""

from __future__ import annotations

import os
import threading

import psycopg
from _bare import TWIML
from flask import Flask, Response, request

_local = threading.local()


def _connection() -> psycopg.Connection[tuple[object, ...]]:
    conn: psycopg.Connection[tuple[object, ...]] | None = getattr(_local, "conn", None)
    if conn is None or conn.closed:
        url = os.environ["BENCH_FLOOR_DATABASE_URL"]
        conn = psycopg.connect(url, autocommit=True)
        _local.conn = conn
    return conn


def create_app() -> Flask:
    app = Flask("floor")

    @app.post("/voice/incoming")
    def incoming() -> Response:
        _connection().execute("INSERT INTO bench_floor (call_sid) VALUES (%s)",
                              (request.form["CallSid"],))
        return Response(TWIML, mimetype="text/xml")

    @app.get("/healthz")
    def healthz() -> Response:
        return Response("ok\n", mimetype="text/plain")

    return app
