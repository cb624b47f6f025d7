"""Processes and stores the bench owns: gunicorn servers, its own database, an RQ presence."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

REPO = Path(__file__).resolve().parent.parent

# The settings `hotline serve` gives gunicorn (hotline/cli/server.py), used for BOTH apps so
# the only difference between the two rounds is the app.
WORKERS = 2
THREADS = 4
WORKER_CLASS = "gthread"
TIMEOUT = 30
# `hotline serve`'s access log line, plus the worker's pid (%(p)s) to show the load spread.
ACCESS_LOG_FORMAT = '%(h)s "%(r)s" %(s)s %(b)s %(L)ss %(p)s'
_HEALTH_REQUEST = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Server:
    """One gunicorn master (own process group) serving `app` on 127.0.0.1:`port`."""

    name: str
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path

    def spread(self) -> list[float]:
        """Each worker's share of the requests in the access log, largest first."""
        counts: dict[str, int] = {}
        path = self.log_path.with_suffix(".access.log")
        for line in path.read_text(errors="replace").splitlines():
            if "/voice/incoming" in line:
                pid = line.rsplit(" ", 1)[-1]
                counts[pid] = counts.get(pid, 0) + 1
        total = sum(counts.values()) or 1
        return sorted((n / total for n in counts.values()), reverse=True)

    def stop(self) -> None:
        if self.process.poll() is None:
            # The master was started in a session of its own: its pid is the group id.
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)


def start_server(name: str, app: str, env: Mapping[str, str], logdir: Path) -> Server:
    """Start gunicorn on a free port with the `hotline serve` settings; wait until it answers."""
    port = free_port()
    log_path = logdir / f"{name}.log"
    command = [
        sys.executable, "-m", "gunicorn",
        "--bind", f"127.0.0.1:{port}",
        "--workers", str(WORKERS),
        "--threads", str(THREADS),
        "--worker-class", WORKER_CLASS,
        "--timeout", str(TIMEOUT),
        "--access-logfile", str(logdir / f"{name}.access.log"),
        "--access-logformat", ACCESS_LOG_FORMAT,
        "--chdir", str(REPO),
        "--pythonpath", f"{REPO},{REPO / 'bench'}",
        app,
    ]
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command, env=dict(env), stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True, cwd=REPO,
        )
    server = Server(name, port, process, log_path)
    try:
        _wait_healthy(server)
    except BaseException:
        server.stop()
        raise
    return server


def _wait_healthy(server: Server, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            tail = server.log_path.read_text(errors="replace")[-2000:]
            raise RuntimeError(f"{server.name} server exited at start-up:\n{tail}")
        try:
            with socket.create_connection(("127.0.0.1", server.port), timeout=2) as sock:
                sock.sendall(_HEALTH_REQUEST)
                reply = sock.recv(64)
            if reply.startswith(b"HTTP/1.1 200"):
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{server.name} server not healthy after {timeout:.0f} s")


class Database:
    """A database of the bench's own: made in PostgreSQL and dropped, or a temporary SQLite file."""

    def __init__(self, admin_url: str | None, sqlite_dir: Path) -> None:
        self._admin_url = admin_url
        if admin_url is None:
            self.url = f"sqlite:///{sqlite_dir / 'bench.db'}"
            self.name = "bench.db"
            self.label = "SQLite, temporary file"
            return
        self.name = f"hotline_bench_{os.getpid()}"
        parts = urlsplit(admin_url)
        self.url = urlunsplit(parts._replace(path="/" + self.name))
        self.label = f"PostgreSQL {parts.hostname}, database {self.name}"

    @property
    def is_postgres(self) -> bool:
        return self._admin_url is not None

    def create(self) -> None:
        if self._admin_url is not None:
            self._admin(f'CREATE DATABASE "{self.name}"')

    def drop(self) -> None:
        if self._admin_url is not None:
            self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')

    def _admin(self, statement: str) -> None:
        import psycopg

        assert self._admin_url is not None
        url = self._admin_url.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(statement.encode())


class WorkerPresence:
    """An RQ worker registered on the queue that never takes a job (see also `Dispatcher`)."""

    def __init__(self, redis_url: str, queue_name: str) -> None:
        from redis import Redis
        from rq import Queue, Worker

        from hotline.fastlane import FastLane

        self.redis = Redis.from_url(redis_url)
        self.redis.ping()
        self.queue = Queue(queue_name, connection=self.redis)
        self.worker = Worker([self.queue], connection=self.redis, name=f"bench-{os.getpid()}")
        self.worker.register_birth()
        self.lane = FastLane(self.redis, queue_name)

    def queued(self) -> tuple[int, int]:
        """Jobs handed over and not taken: (by the fast lane, as RQ jobs)."""
        rq = self.queue.count + self.queue.scheduled_job_registry.count
        return int(self.redis.llen(self.lane.jobs_key)), rq

    def empty(self) -> None:
        """Delete the jobs the last round handed over (they were never meant to run)."""
        self.redis.delete(self.lane.jobs_key)
        self.queue.empty()
        for registry in (
            self.queue.scheduled_job_registry, self.queue.deferred_job_registry,
            self.queue.failed_job_registry,
            self.queue.finished_job_registry, self.queue.canceled_job_registry,
        ):
            for job_id in registry.get_job_ids():
                registry.remove(job_id, delete_job=True)

    def close(self) -> None:
        self.empty()
        self.queue.delete(delete_jobs=True)
        self.worker.register_death()
        self.redis.delete(self.worker.key)



class Dispatcher:
    """`bench/_dispatch.py` in its own process: a worker's dispatcher that runs no job."""

    def __init__(self, env: Mapping[str, str], logdir: Path, label: str) -> None:
        from redis import Redis

        from hotline.fastlane import FastLane

        self._log = (logdir / f"{label}.dispatch.log").open("wb")
        self.process = subprocess.Popen(
            [sys.executable, str(REPO / "bench" / "_dispatch.py")],
            env={**env, "PYTHONPATH": str(REPO)}, stdout=self._log, stderr=subprocess.STDOUT,
        )
        lane = FastLane(Redis.from_url(env["HOTLINE_QUEUE_REDIS_URL"]),
                        env["HOTLINE_QUEUE_NAME"])
        deadline = time.monotonic() + 30
        while not lane.is_open():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the dispatcher did not start: see {self._log.name}")
            time.sleep(0.05)

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=30)
        self._log.close()
