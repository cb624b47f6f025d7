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


def start_hotline_serve(env: Mapping[str, str], logdir: Path, name: str, port: int) -> Server:
    """`hotline serve --workers 2` as deployed, on `port`; waits until it answers."""
    log_path = logdir / f"{name}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "hotline", "serve", "--port", str(port), "--workers",
             str(WORKERS)], env={**env, "PYTHONPATH": str(REPO)}, stdout=log,
            stderr=subprocess.STDOUT, start_new_session=True, cwd=REPO,
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

    def __init__(self, admin_url: str | None, sqlite_dir: Path, purpose: str = "") -> None:
        self._admin_url = admin_url
        if admin_url is None:
            self.url = f"sqlite:///{sqlite_dir / f'bench{purpose}.db'}"
            self.name = "bench.db"
            self.label = "SQLite, temporary file"
            return
        self.name = f"hotline_bench{purpose}_{os.getpid()}"
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

    def transactions(self) -> int:
        """Transactions committed or rolled back in the bench's database so far (as
        PostgreSQL's statistics have them: backends report within about a second)."""
        import psycopg

        assert self._admin_url is not None
        url = self._admin_url.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(url, autocommit=True) as conn:
            row = conn.execute(
                "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = %s",
                (self.name,)).fetchone()
        return int(row[0]) if row else 0

    def _admin(self, statement: str) -> None:
        import psycopg

        assert self._admin_url is not None
        url = self._admin_url.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(statement.encode())


class Background:
    """A process of hotline's the bench runs beside the servers (a worker, a listener)."""

    def __init__(self, command: list[str], env: Mapping[str, str], log_path: Path) -> None:
        self.log_path = log_path
        self._log = log_path.open("wb")
        self.process = subprocess.Popen(
            command, env={**env, "PYTHONPATH": str(REPO)}, stdout=self._log,
            stderr=subprocess.STDOUT, cwd=REPO, start_new_session=True,
        )

    def wait_alive(self, redis_url: str, queue_name: str, timeout: float = 30.0) -> None:
        """Until its heartbeat is in Redis (producers then send work to the workers)."""
        from redis import Redis

        from hotline.rqjobs import alive_key

        redis = Redis.from_url(redis_url)
        deadline = time.monotonic() + timeout
        while not redis.exists(alive_key(queue_name)):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{self.log_path.name}: did not start; see its log")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        self._log.close()


def hotline_worker(env: Mapping[str, str], logdir: Path, label: str) -> Background:
    """`hotline worker`, as deployed."""
    return Background([sys.executable, "-m", "hotline", "worker"], env,
                      logdir / f"{label}.worker.log")


def listener(env: Mapping[str, str], logdir: Path, label: str) -> Background:
    """The worker's heartbeat and new-call listener only (bench/_listener.py): no job runs."""
    return Background([sys.executable, str(REPO / "bench" / "_listener.py")], env,
                      logdir / f"{label}.listener.log")


class Jobs:
    """The bench's RQ queues: what was handed to the workers, and clearing it."""

    def __init__(self, redis_url: str, queue_name: str) -> None:
        from redis import Redis
        from rq import Queue

        from hotline.rqjobs import queue_names

        self.redis = Redis.from_url(redis_url)
        self.redis.ping()
        self.name = queue_name
        self.queues = [Queue(name, connection=self.redis) for name in queue_names(queue_name)]

    def queued(self) -> int:
        return sum(queue.count + queue.scheduled_job_registry.count for queue in self.queues)

    def empty(self) -> None:
        for queue in self.queues:
            queue.empty()  # type: ignore[no-untyped-call]
            for registry in (
                queue.scheduled_job_registry, queue.deferred_job_registry,
                queue.failed_job_registry, queue.finished_job_registry,
                queue.canceled_job_registry,
            ):
                for job_id in registry.get_job_ids():
                    registry.remove(job_id, delete_job=True)

    def close(self) -> None:
        self.empty()
        for queue in self.queues:
            queue.delete(delete_jobs=True)
        for key in self.redis.scan_iter(match=f"hotline:{self.name}:*"):
            self.redis.delete(key)


def process_tree(pid: int) -> list[int]:
    """`pid` and every process below it (gunicorn's workers, RQ's scheduler)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, []))
    return found


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds used so far by these processes."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / ticks


def memory_kb(pids: list[int]) -> tuple[int, int]:
    """(RSS, PSS) in kB summed over these processes; PSS shares each shared page out."""
    rss = pss = 0
    for pid in pids:
        try:
            text = Path(f"/proc/{pid}/smaps_rollup").read_text()
        except OSError:
            continue
        for line in text.splitlines():
            if line.startswith("Rss:"):
                rss += int(line.split()[1])
            elif line.startswith("Pss:"):
                pss += int(line.split()[1])
    return rss, pss
