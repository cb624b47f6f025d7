"""The app served over real HTTP in this process, its REST calls reaching the stand-in's REST
server over HTTP too (checked against Twilio's OpenAPI description when it is at hand), on a
real clock, with jobs on the web process's own threads: calls as Twilio would play them."""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from werkzeug.serving import make_server

from hotline.app import create_app
from hotline.jobs import ThreadRunner
from hotline.logs.contacts import ContactRow, contact_for
from hotline.runtime import Runtime, build_runtime
from hotline.standin.clock import RealClock
from hotline.standin.openapi import SPEC_ENV
from hotline.standin.phones import Phone
from hotline.standin.rest import create_rest_app, serve_rest
from hotline.standin.simulator import Simulator
from hotline.standin.switchboard import Switchboard
from hotline.standin.transport import HttpTarget
from tests.conftest import TEST_ACCOUNT_SID, TEST_AUTH_TOKEN, make_settings
from tests.flows.harness import seed_chapter


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class ServedLine:
    runtime: Runtime
    board: Switchboard
    sim: Simulator
    app_url: str

    def contact(self, call_sid: str) -> ContactRow:
        with self.runtime.sessions() as session:
            row = contact_for(session, call_sid)
        assert row is not None, f"no record of {call_sid}"
        return row


@contextmanager
def served_line(
    database_url: str,
    phones: Mapping[str, Phone],
    tiers: Mapping[int, Sequence[str]],
    **chapter: Any,
) -> Iterator[ServedLine]:
    """A chapter on +16175550100 with `tiers` on call, its app served, the stand-in ready."""
    # Speech four times as fast as text to speech: the same flows, in less of CI's time.
    board = Switchboard(RealClock(), TEST_ACCOUNT_SID, phones=dict(phones), ring_delay=0.2,
                        play_seconds=0.3, recording_delay=0.2, words_per_second=10.0)
    spec = os.environ.get(SPEC_ENV)
    rest_url, stop_rest = serve_rest(create_rest_app(
        board, TEST_AUTH_TOKEN, spec_path=Path(spec) if spec else None))
    port = free_port()
    app_url = f"http://127.0.0.1:{port}"
    settings = make_settings(
        database_url, HOTLINE_APP_PUBLIC_URL=app_url, HOTLINE_TWILIO_API_BASE_URL=rest_url,
        HOTLINE_TWILIO_CALLS_PER_SECOND="50", HOTLINE_APP_LOG_LEVEL="WARNING")
    runner = ThreadRunner(threads=4)
    runtime = build_runtime(settings, jobs=runner)
    seed_chapter(runtime, tiers, **chapter)
    server = make_server("127.0.0.1", port, create_app(runtime=runtime), threaded=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        sim = Simulator(HttpTarget(app_url, TEST_AUTH_TOKEN), board, settle=0.6)
        yield ServedLine(runtime, board, sim, app_url)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
        stop_rest()
        runner.stop()
        runtime.engine.dispose()
