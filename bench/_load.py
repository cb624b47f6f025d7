"""The load generator: signed Twilio-shaped webhooks over a few keep-alive connections.

One process, one `selectors` loop, raw sockets: each connection sends its next request as soon
as the previous response is complete (closed loop). No threads and no http.client: on a 2-core
machine the generator shares the CPU with the server under test, so it must cost as little as
possible per request (build the form, sign it, write it, find Content-Length, read the body).
"""

from __future__ import annotations

import random
import re
import selectors
import socket
import time
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import urlencode

from twilio.request_validator import RequestValidator

ACCOUNT_SID = "AC" + "b" * 32
INCOMING_PATH = "/voice/incoming"
_TAG = re.compile(rb"<(\w+)")


@dataclass(frozen=True)
class RoundResult:
    """What one measured window saw; latencies are seconds, send to last body byte."""

    label: str
    seconds: float
    completed: int
    latencies: tuple[float, ...]
    statuses: Counter[int]
    verbs: Counter[str]
    error_sample: str
    client_cpu: float                   # the generator's own CPU share of the round, 0..1

    @property
    def throughput(self) -> float:
        return self.completed / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        """Nearest-rank percentile in milliseconds."""
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        rank = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
        return ordered[rank] * 1000


class Caller:
    """Makes distinct, really signed `POST /voice/incoming` requests from random callers."""

    def __init__(
        self, public_url: str, auth_token: str, host: str, hotline_numbers: Sequence[str],
        seed: int,
    ) -> None:
        self._url = public_url.rstrip("/") + INCOMING_PATH
        self._validator = RequestValidator(auth_token)
        self._host = host
        self._numbers = list(hotline_numbers)
        self._rng = random.Random(seed)
        self.callers_used: set[str] = set()

    def request(self) -> bytes:
        """One inbound call's webhook, bytes ready for the socket."""
        headers, body = self.request_to(self._rng.choice(self._numbers))
        head = f"POST {INCOMING_PATH} HTTP/1.1\r\nHost: {self._host}\r\n" + "".join(
            f"{name}: {value}\r\n" for name, value in headers.items()) + "\r\n"
        return head.encode() + body

    def request_to(self, to: str) -> tuple[dict[str, str], bytes]:
        """One inbound call's webhook to the hotline number `to`: (headers, body)."""
        rng = self._rng
        caller = f"+1{rng.randint(201, 989)}{rng.randint(2000000, 9999999)}"
        self.callers_used.add(caller)
        params = {
            "CallSid": "CA" + uuid.UUID(int=rng.getrandbits(128)).hex,
            "AccountSid": ACCOUNT_SID,
            "From": caller,
            "Caller": caller,
            "To": to,
            "Called": to,
            "CallStatus": "ringing",
            "Direction": "inbound",
            "ApiVersion": "2010-04-01",
        }
        body = urlencode(params).encode()
        signature = self._validator.compute_signature(self._url, params)
        return {"Content-Type": "application/x-www-form-urlencoded",
                "X-Twilio-Signature": signature, "Content-Length": str(len(body))}, body


class _Conn:
    __slots__ = ("sock", "buf", "sent_at", "served")

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buf = b""
        self.sent_at = 0.0
        self.served = 0


def _parse(buf: bytes) -> tuple[int, bytes, int, bool] | None:
    """(status, body, bytes used, server closes) once a whole response is in `buf`."""
    end = buf.find(b"\r\n\r\n")
    if end < 0:
        return None
    head = buf[:end].lower()
    start = head.find(b"content-length:")
    if start < 0:
        raise RuntimeError("response without Content-Length (chunked is not expected)")
    stop = head.find(b"\r\n", start)
    length = int(head[start + 15: stop if stop > 0 else len(head)])
    total = end + 4 + length
    if len(buf) < total:
        return None
    status = int(buf[9:12])
    closes = b"connection: close" in head
    return status, buf[end + 4: total], total, closes


def _verbs(body: bytes) -> str:
    """The TwiML's elements in order, e.g. 'Say+Enqueue', to tell the answers apart."""
    tags = [t.decode() for t in _TAG.findall(body) if t not in (b"xml", b"Response")]
    return "+".join(tags) or "(no TwiML)"


def run_round(
    label: str,
    address: tuple[str, int],
    make_request: Callable[[], bytes],
    *,
    connections: int,
    warmup: float,
    duration: float,
    per_connection: int,
) -> RoundResult:
    """Drive `connections` keep-alive connections for warmup + duration seconds; measure the
    window after the warm-up only (requests sent in it and answered before it ends).

    Each connection is closed and opened again after `per_connection` requests. A gunicorn
    worker keeps the connections it accepted, and one worker can accept a whole burst of
    them before the other wakes: with connections for life, one worker of two would serve
    the round. Reconnecting lets whichever worker is free accept, as with Twilio's many
    connections."""
    selector = selectors.DefaultSelector()
    conns: list[_Conn] = []

    def connect() -> _Conn:
        sock = socket.create_connection(address, timeout=10)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.setblocking(False)
        conn = _Conn(sock)
        selector.register(sock, selectors.EVENT_READ, conn)
        return conn

    def send(conn: _Conn) -> None:
        data = make_request()
        conn.sent_at = time.perf_counter()
        conn.sock.setblocking(True)
        conn.sock.sendall(data)
        conn.sock.setblocking(False)

    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    verbs: Counter[str] = Counter()
    error_sample = ""
    began = time.perf_counter()
    cpu_began = time.process_time()
    window_start = began + warmup
    window_end = window_start + duration
    for _ in range(connections):
        conns.append(connect())
        send(conns[-1])
    in_flight = len(conns)
    try:
        while in_flight:
            now = time.perf_counter()
            if now > window_end + 30:
                raise RuntimeError(f"{label}: {in_flight} responses still missing after 30 s")
            for key, _ in selector.select(timeout=1.0):
                conn: _Conn = key.data
                chunk = conn.sock.recv(65536)
                if not chunk:
                    raise RuntimeError(f"{label}: server closed a keep-alive connection")
                conn.buf += chunk
                parsed = _parse(conn.buf)
                if parsed is None:
                    continue
                status, body, used, closes = parsed
                done = time.perf_counter()
                conn.buf = conn.buf[used:]
                conn.served += 1
                closes = closes or conn.served >= per_connection
                if window_start <= conn.sent_at and done <= window_end:
                    latencies.append(done - conn.sent_at)
                    statuses[status] += 1
                    verbs[_verbs(body)] += 1
                    if status != 200 and not error_sample:
                        error_sample = f"{status} {body[:200].decode(errors='replace')}"
                if closes:
                    selector.unregister(conn.sock)
                    conn.sock.close()
                    conns.remove(conn)
                    if done < window_end:
                        conn = connect()
                        conns.append(conn)
                    else:
                        in_flight -= 1
                        continue
                if done < window_end:
                    send(conn)
                else:
                    in_flight -= 1
    finally:
        for conn in conns:
            selector.unregister(conn.sock)
            conn.sock.close()
        selector.close()
    return RoundResult(
        label=label,
        seconds=duration,
        completed=len(latencies),
        latencies=tuple(latencies),
        statuses=statuses,
        verbs=verbs,
        error_sample=error_sample,
        client_cpu=(time.process_time() - cpu_began) / (time.perf_counter() - began),
    )
