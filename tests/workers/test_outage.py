"""A Redis outage of minutes: `hotline worker` stays up, says so twice, and rings at rate after.

The test runs a redis-server of its own on a free port (never the shared one), a real
`hotline worker` against it, stops Redis for HOTLINE_TEST_OUTAGE_SECONDS (default 45; the
bar is 180, which CI sets) and starts it again. Select it with `-m outage`.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.served.gunicorn import free_port
from tests.test_cli import ROOT
from tests.test_worker_cli import worker_env

pytestmark = [
    pytest.mark.outage,
    pytest.mark.skipif(shutil.which("redis-server") is None, reason="no redis-server"),
]
REDIS_SERVER = shutil.which("redis-server") or "redis-server"
OUTAGE_SECONDS = float(os.environ.get("HOTLINE_TEST_OUTAGE_SECONDS", "45"))
CALLS_PER_SECOND = 2.0


class RedisServer:
    """A redis-server of the test's own, stopped and started again on the same port."""

    def __init__(self, folder: Path) -> None:
        self.port = free_port()
        self.folder = folder
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.folder)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        from redis import Redis

        client = Redis.from_url(self.url, socket_connect_timeout=1)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                return
            except Exception:
                assert time.monotonic() < deadline, "redis-server did not start"
                time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


class PlacedCalls(BaseHTTPRequestHandler):
    """Twilio's Calls endpoint, as far as placing a call: notes when each came."""

    placed: list[float] = []

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        PlacedCalls.placed.append(time.monotonic())
        body = json.dumps({"sid": "CA" + uuid.uuid4().hex, "status": "queued"}).encode()
        self.send_response(201)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass


@pytest.fixture
def twilio() -> Iterator[str]:
    PlacedCalls.placed = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), PlacedCalls)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def seed_offers(url: str, count: int) -> list[int]:
    """A caller holding in a chapter, and `count` volunteers' phones about to ring."""
    from sqlalchemy.orm import Session

    from hotline.db import make_engine
    from hotline.logs.models import Call
    from hotline.logs.records import offer, open_call
    from hotline.models import Chapter, Volunteer
    from hotline.phone import E164
    from hotline.privacy import Privacy

    at = datetime.now(UTC)
    engine = make_engine(url)
    with Session(engine) as s, s.begin():
        chapter = Chapter(slug="outage", name="Outage", timezone="UTC")
        people = [Volunteer(name=f"V{n}", phone=f"+1617555{n:04d}") for n in range(count)]
        s.add_all([chapter, *people])
        s.flush()
        call_id = open_call(s, Privacy("p" * 20), call_sid="CA" + "5" * 32,
                            to_number="+16175550100", caller=E164("+16175550987"),
                            started_at=at, chapter_id=chapter.id)
        call = s.get(Call, call_id)
        assert call is not None
        legs = [offer(s, call, v.id, v.name, at) for v in people]
        s.flush()
        ids = [leg.id for leg in legs if leg is not None]
    engine.dispose()
    return ids


def wait_for(what: str, check: Any, seconds: float, worker: subprocess.Popen[bytes],
             log: Path) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert worker.poll() is None, f"the worker quit:\n{log.read_text()}"
        assert time.monotonic() < deadline, f"{what}:\n{log.read_text()}"
        time.sleep(0.1)


def test_worker_survives_a_redis_outage_and_rings_within_rate(
    clean_database_url: str, tmp_path: Path, twilio: str,
) -> None:
    from redis import Redis
    from rq import Queue

    from hotline.jobs import RING_LEG
    from hotline.rqjobs import alive_key, queue_names

    redis_server = RedisServer(tmp_path)
    redis_server.start()
    queue = "outage"
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOTLINE_")}
    env.update(worker_env(clean_database_url, redis_server.url, queue), PYTHONPATH=str(ROOT),
               HOTLINE_TWILIO_API_BASE_URL=twilio,
               HOTLINE_TWILIO_CALLS_PER_SECOND=str(CALLS_PER_SECOND))
    log = tmp_path / "worker.log"
    with log.open("wb") as sink:
        worker = subprocess.Popen([sys.executable, "-m", "hotline", "worker"], cwd=tmp_path,
                                  env=env, stdout=sink, stderr=subprocess.STDOUT)
    redis = Redis.from_url(redis_server.url, socket_connect_timeout=1)
    try:
        wait_for("the worker never beat its heart",
                 lambda: redis.exists(alive_key(queue)), 30, worker, log)
        redis_server.stop()
        time.sleep(OUTAGE_SECONDS)
        assert worker.poll() is None, f"the worker quit during the outage:\n{log.read_text()}"
        redis_server.start()        # empty (no persistence here): the worker registers again
        wait_for("the worker did not come back", lambda: redis.exists(alive_key(queue)),
                 30, worker, log)

        legs = seed_offers(clean_database_url, 3)
        calls = Queue(queue_names(queue)[0], connection=redis)
        for leg_id in legs:
            calls.enqueue(RING_LEG, leg_id)
        wait_for("the calls were not placed after Redis came back",
                 lambda: len(PlacedCalls.placed) == len(legs), 30, worker, log)
        gaps = [b - a for a, b in zip(PlacedCalls.placed, PlacedCalls.placed[1:], strict=False)]
        assert min(gaps) >= 0.9 / CALLS_PER_SECOND, f"placed faster than the rate: {gaps}"
        assert worker.poll() is None
    finally:
        try:
            if worker.poll() is None:
                worker.send_signal(signal.SIGTERM)
                worker.wait(timeout=30)
        finally:
            if worker.poll() is None:
                worker.kill()
                worker.wait()
            redis_server.stop()
    lines = log.read_text().splitlines()
    assert worker.returncode == 0, "\n".join(lines)
    assert len(lines) < 50, f"{len(lines)} log lines:\n" + "\n".join(lines)
    assert "Traceback" not in "\n".join(lines)
    assert sum("hotline.outage: Redis unavailable" in line for line in lines) == 1, "\n".join(lines)
    assert sum("Redis is back" in line for line in lines) == 1, "\n".join(lines)
    assert sum("job ring_leg leg=" in line for line in lines) == 3      # one line a job
