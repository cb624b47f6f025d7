"""/healthz, /readyz, /status and /metrics as a load balancer, a monitor and Prometheus ask."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import create_engine
from sqlalchemy.orm import sessionmaker

from hotline.app import create_app
from hotline.runtime import Runtime
from hotline.settings import with_overrides

TOKEN = "ops-token-0123456789abcdef"


def client_for(runtime: Runtime, **sections: dict[str, str]) -> FlaskClient:
    settings = with_overrides(runtime.settings, ops={"metrics_token": TOKEN}, **sections)
    return create_app(runtime=replace(runtime, settings=settings)).test_client()


def bearer(token: str = TOKEN) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_live_and_ready_on_a_migrated_database(runtime: Runtime) -> None:
    client = client_for(runtime)
    assert client.get("/healthz").get_json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.get_json() == {"status": "ok"}


def test_unreachable_database_is_live_but_not_ready(
    runtime: Runtime, caplog: pytest.LogCaptureFixture,
) -> None:
    unreachable = create_engine("postgresql+psycopg://hotline:s3cret@127.0.0.1:1/hotline",
                                connect_args={"connect_timeout": 2})
    client = client_for(replace(runtime, engine=unreachable,
                                sessions=sessionmaker(unreachable)))
    assert client.get("/healthz").status_code == 200
    ready = client.get("/readyz")
    assert ready.status_code == 503 and ready.get_json() == {"status": "error"}
    assert "not ready" in caplog.text and "s3cret" not in caplog.text
    status = client.get("/status", headers=bearer())
    assert status.status_code == 503
    assert status.get_json()["database"]["ok"] is False
    assert "s3cret" not in status.get_data(as_text=True)


def test_a_database_behind_the_code_is_not_ready(runtime: Runtime, tmp_path: Path) -> None:
    from hotline.db import make_engine, upgrade

    old = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade(old, "0009")
    client = client_for(replace(runtime, engine=old, sessions=sessionmaker(old)))
    assert client.get("/readyz").status_code == 503
    body = client.get("/status", headers=bearer()).get_json()
    assert body["database"] == {"ok": True, "migrated": False, "revision": "0009",
                                "expected": body["database"]["expected"], "error": ""}
    assert body["database"]["expected"] != "0009" and body["ready"] is False
    old.dispose()


def test_unreachable_redis_is_not_ready(runtime: Runtime) -> None:
    client = client_for(runtime, queue={"redis_url": "redis://127.0.0.1:1/0"})
    assert client.get("/readyz").status_code == 503
    body = client.get("/status", headers=bearer()).get_json()
    assert body["redis"]["configured"] is True and body["redis"]["ok"] is False
    assert body["database"]["ok"] is True


def test_status_and_metrics_need_the_token(runtime: Runtime) -> None:
    closed = create_app(runtime=runtime).test_client()      # no ops.metrics_token
    for path in ("/status", "/metrics"):
        assert closed.get(path, headers=bearer()).status_code == 404
    client = client_for(runtime)
    for path in ("/status", "/metrics"):
        missing = client.get(path)
        assert missing.status_code == 401
        assert missing.headers["WWW-Authenticate"].startswith("Bearer")
        assert client.get(path, headers=bearer("not-the-token-at-all")).status_code == 403
        assert client.get(path, headers={"Authorization": f"Basic {TOKEN}"}).status_code == 401
        assert client.get(path, headers=bearer()).status_code == 200


def test_status_reports_every_part(runtime: Runtime) -> None:
    body = client_for(runtime).get("/status", headers=bearer()).get_json()
    assert body["ready"] is True
    assert body["database"]["migrated"] is True and body["database"]["revision"]
    assert body["redis"] == {"configured": False, "ok": False, "error": ""}
    assert body["workers"] == {"alive": 0} and body["queues"] == []


def test_metrics_count_calls_caps_and_time_to_answer(runtime: Runtime) -> None:
    from prometheus_client.parser import text_string_to_metric_families

    from hotline.metrics import _cache

    seed_calls(runtime)
    _cache.clear()
    client = client_for(runtime)
    client.post("/voice/incoming", data={})            # unsigned: 403, still timed
    response = client.get("/metrics", headers=bearer())
    assert response.status_code == 200
    assert response.content_type.startswith("text/plain; version=0.0.4")
    samples = {(s.name, tuple(sorted(s.labels.items()))): s.value
               for family in text_string_to_metric_families(response.get_data(as_text=True))
               for s in family.samples}
    assert samples[("hotline_calls_total", (("outcome", "answered"),))] == 2
    assert samples[("hotline_calls_total", (("outcome", "voicemail"),))] == 1
    assert samples[("hotline_calls_capped_total", (("cap", "chapter"),))] == 1
    assert samples[("hotline_time_to_answer_seconds_count", ())] == 2
    assert samples[("hotline_time_to_answer_seconds_bucket", (("le", "10.0"),))] == 1
    assert samples[("hotline_time_to_answer_seconds_bucket", (("le", "+Inf"),))] == 2
    assert samples[("hotline_time_to_answer_seconds_sum", ())] == pytest.approx(48.0)
    assert samples[("hotline_ready", ())] == 1
    assert samples[("hotline_webhook_seconds_count", (("endpoint", "voice.incoming"),))] >= 1


def seed_calls(runtime: Runtime) -> None:
    """Two answered calls (after 8 s and 40 s), a voicemail, one turned away by a cap."""
    from datetime import timedelta

    from hotline.logs.models import Call, Outcome

    at = runtime.clock()
    rows = [(Outcome.ANSWERED, 8, None), (Outcome.ANSWERED, 40, None),
            (Outcome.VOICEMAIL, None, None), (Outcome.REJECTED, None, "chapter")]
    with runtime.transaction() as db:
        for n, (outcome, waited, cap) in enumerate(rows):
            db.add(Call(call_sid=f"CA{n:032d}", to_number="+16175550100", started_at=at,
                        outcome=outcome, cap=cap,
                        answered_at=at + timedelta(seconds=waited) if waited else None))


def test_hotline_status_prints_what_status_answers(clean_database_url: str,
                                                   tmp_path: Path) -> None:
    import json

    from tests.test_cli import run

    shown = run(["status"], tmp_path, HOTLINE_DATABASE_URL=clean_database_url)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.splitlines()[0] == "ready: yes"
    assert "database: ok (migrated to " in shown.stdout
    as_json = run(["status", "--json"], tmp_path, HOTLINE_DATABASE_URL=clean_database_url)
    assert json.loads(as_json.stdout)["ready"] is True

    down = run(["status"], tmp_path, HOTLINE_DATABASE_URL=clean_database_url,
               HOTLINE_QUEUE_REDIS_URL="redis://127.0.0.1:1/0")
    assert down.returncode == 1
    assert "redis: unreachable" in down.stdout and "Traceback" not in down.stderr


def test_hotline_status_before_db_upgrade_says_so_and_creates_nothing(tmp_path: Path) -> None:
    from tests.test_cli import run

    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    shown = run(["status"], tmp_path, HOTLINE_DATABASE_URL=url)
    assert shown.returncode == 1
    assert "ready: no" in shown.stdout and "run `hotline db upgrade`" in shown.stdout
    assert not (tmp_path / "fresh.db").exists()


def test_status_and_metrics_read_queues_workers_and_jobs_from_redis(
    runtime: Runtime, redis_url: str,
) -> None:
    import uuid

    from prometheus_client.parser import text_string_to_metric_families
    from redis import Redis
    from rq import Queue

    from hotline.rqjobs import job_done, queue_names, worker_key

    name = f"hotline-test-{uuid.uuid4().hex[:8]}"
    redis = Redis.from_url(redis_url)
    try:
        redis.set(worker_key(name, "host:1:abc"), "1", ex=15)     # one worker's heartbeat
        Queue(queue_names(name)[1], connection=redis).enqueue("workers.tasks.sweep")
        job_done(redis, name, "workers.calls.ring_leg", (12,), "ok", 0.25)
        job_done(redis, name, "workers.calls.ring_leg", (13,), "failed", 0.5)
        client = client_for(runtime, queue={"redis_url": redis_url, "name": name})
        body = client.get("/status", headers=bearer()).get_json()
        assert body["ready"] is True and body["redis"]["ok"] is True
        assert body["workers"] == {"alive": 1}
        waiting = {q["name"]: q["waiting"] for q in body["queues"]}
        assert waiting == {f"{name}-calls": 0, name: 1}
        text = client.get("/metrics", headers=bearer()).get_data(as_text=True)
        samples = {(s.name, tuple(sorted(s.labels.items()))): s.value
                   for family in text_string_to_metric_families(text) for s in family.samples}
        assert samples[("hotline_jobs_total", (("job", "ring_leg"), ("outcome", "ok")))] == 1
        assert samples[("hotline_jobs_total", (("job", "ring_leg"), ("outcome", "failed")))] == 1
        assert samples[("hotline_job_seconds_total", (("job", "ring_leg"),))] == 0.75
        assert samples[("hotline_queue_jobs", (("queue", name),))] == 1
        assert samples[("hotline_workers_alive", ())] == 1
        assert samples[("hotline_queue_oldest_job_age_seconds", (("queue", name),))] >= 0
    finally:
        for key in redis.scan_iter(match=f"*{name}*"):
            redis.delete(key)


def test_a_probe_every_few_seconds_logs_only_the_changes(
    runtime: Runtime, caplog: pytest.LogCaptureFixture,
) -> None:
    unreachable = create_engine("postgresql+psycopg://hotline@127.0.0.1:1/hotline",
                                connect_args={"connect_timeout": 2})
    client = client_for(replace(runtime, sessions=sessionmaker(unreachable)))
    for _ in range(3):
        assert client.get("/readyz").status_code == 503
    assert caplog.text.count("not ready") == 1
