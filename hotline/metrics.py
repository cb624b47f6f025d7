"""Prometheus metrics: what this web process measured, and the installation's state.

Two kinds, merged in one scrape of `/metrics`:
- measured here: webhook latency. Under gunicorn each web process writes its samples to
  files in PROMETHEUS_MULTIPROC_DIR (`hotline serve` makes and removes the folder), and a
  scrape, whichever process answers it, reads them all.
- read at scrape time from where the truth is kept, whichever process did the work: calls
  by outcome, caps hit and time to answer from the calls table; jobs run (counted by each
  worker in Redis), queues and live workers from Redis; up/ready from hotline.health. A
  worker on another machine is counted without sharing a folder with the web.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.multiprocess import MultiProcessCollector
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session, sessionmaker

from hotline.health import Status
from hotline.metrics_dir import MULTIPROC_ENV, jobs_key

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

ANSWER_BUCKETS = (5.0, 10.0, 20.0, 30.0, 45.0, 60.0, 90.0, 120.0, 180.0, 300.0)
DB_CACHE_SECONDS = 10.0    # a scrape every few seconds reads the calls table at most this often

_measured = CollectorRegistry()
WEBHOOK_SECONDS = Histogram(
    "hotline_webhook_seconds", "Time to answer a Twilio webhook, by endpoint",
    ["endpoint"], registry=_measured,
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)


def render(status: Status, sessions: sessionmaker[Session], redis: Any, queue_name: str) -> bytes:
    """The text of one scrape."""
    measured = _measured
    if os.environ.get(MULTIPROC_ENV):
        measured = CollectorRegistry()
        MultiProcessCollector(measured)  # type: ignore[no-untyped-call]
    state = CollectorRegistry()
    state.register(_StateCollector(status, sessions, redis, queue_name))
    return generate_latest(measured) + generate_latest(state)


class _StateCollector:
    def __init__(self, status: Status, sessions: sessionmaker[Session], redis: Any,
                 queue_name: str) -> None:
        self.status, self.sessions = status, sessions
        self.redis, self.queue_name = redis, queue_name

    def collect(self) -> Iterator[Metric]:
        s = self.status
        yield _gauge("hotline_ready", "1 when the database is migrated and Redis answers",
                     s.ready)
        yield _gauge("hotline_database_up", "1 when the database answers", s.database_ok)
        if s.redis_configured:
            yield _gauge("hotline_redis_up", "1 when Redis answers", s.redis_ok)
            yield _gauge("hotline_workers_alive", "Workers with a fresh heartbeat",
                         s.workers_alive)
            waiting = GaugeMetricFamily("hotline_queue_jobs", "Jobs waiting", labels=["queue"])
            oldest = GaugeMetricFamily("hotline_queue_oldest_job_age_seconds",
                                       "Age of the oldest waiting job", labels=["queue"])
            failed = GaugeMetricFamily("hotline_queue_failed_jobs",
                                       "Jobs in the failed registry", labels=["queue"])
            for q in s.queues:
                waiting.add_metric([q.name], q.waiting)
                oldest.add_metric([q.name], q.oldest_waiting_seconds or 0.0)
                failed.add_metric([q.name], q.failed)
            yield from (waiting, oldest, failed)
        if s.redis_ok:
            yield from _jobs(self.redis, self.queue_name)
        if s.database_ok and s.migrated:
            yield from call_metrics(self.sessions)


def _gauge(name: str, doc: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, doc, value=float(value))


def _jobs(redis: Any, queue_name: str) -> Iterator[Metric]:
    runs = CounterMetricFamily("hotline_jobs", "Jobs run by workers, by job and outcome",
                               labels=["job", "outcome"])
    seconds = CounterMetricFamily("hotline_job_seconds", "Time workers spent in jobs",
                                  labels=["job"])
    for raw_field, raw_value in sorted(redis.hgetall(jobs_key(queue_name)).items()):
        job, _, what = raw_field.decode().rpartition(":")
        if what == "seconds":
            seconds.add_metric([job], float(raw_value))
        else:
            runs.add_metric([job, what], float(raw_value))
    yield from (runs, seconds)


_cache_lock = threading.Lock()
_cache: dict[str, tuple[float, list[Metric]]] = {}


def call_metrics(sessions: sessionmaker[Session]) -> list[Metric]:
    """Calls by outcome, caps hit and time to answer, from the calls table (cached briefly)."""
    key = str(id(sessions))
    with _cache_lock:
        hit = _cache.get(key)
        if hit is not None and time.monotonic() - hit[0] < DB_CACHE_SECONDS:
            return hit[1]
    with sessions() as session:
        metrics = _read_calls(session)
    with _cache_lock:
        _cache[key] = (time.monotonic(), metrics)
    return metrics


def _read_calls(db: Session) -> list[Metric]:
    from hotline.logs.models import Call, CallKind

    inbound = Call.kind == CallKind.INBOUND
    outcomes = CounterMetricFamily("hotline_calls", "Inbound calls ended, by outcome",
                                   labels=["outcome"])
    caps = CounterMetricFamily("hotline_calls_capped", "Inbound calls turned away by a cap",
                               labels=["cap"])
    if db.get_bind().dialect.name == "sqlite":
        waited = (func.julianday(Call.answered_at) - func.julianday(Call.started_at)) * 86400.0
    else:
        waited = func.extract("epoch", Call.answered_at - Call.started_at)
    answered = inbound & Call.answered_at.is_not(None)
    for outcome, count in db.execute(select(Call.outcome, func.count())
                                       .where(inbound, Call.outcome.is_not(None))
                                       .group_by(Call.outcome).order_by(Call.outcome)):
        outcomes.add_metric([str(outcome)], count)
    for cap, count in db.execute(select(Call.cap, func.count())
                                   .where(inbound, Call.cap.is_not(None))
                                   .group_by(Call.cap).order_by(Call.cap)):
        caps.add_metric([str(cap)], count)
    row = db.execute(select(
        func.count(), func.coalesce(func.sum(waited), 0.0),
        *(func.coalesce(func.sum(case((waited <= b, 1), else_=0)), 0)
          for b in ANSWER_BUCKETS),
    ).where(answered)).one()
    total, total_seconds, *in_buckets = row
    answer = HistogramMetricFamily("hotline_time_to_answer_seconds",
                                   "From the call's arrival to a volunteer accepting it")
    buckets = [(_le(b), float(n)) for b, n in zip(ANSWER_BUCKETS, in_buckets, strict=True)]
    answer.add_metric([], [*buckets, ("+Inf", float(total))], float(total_seconds))
    return [outcomes, caps, answer]


def _le(bound: float) -> str:
    return f"{bound:g}" if bound != int(bound) else f"{bound:.1f}"


def observe_webhook(endpoint: str, seconds: float) -> None:
    WEBHOOK_SECONDS.labels(endpoint).observe(seconds)
