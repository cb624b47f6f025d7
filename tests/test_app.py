from __future__ import annotations

from hotline.app import create_app
from hotline.runtime import Runtime


def test_health_check_reports_database(runtime: Runtime) -> None:
    client = create_app(runtime=runtime).test_client()
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok", "jobs": "ManualRunner"}


def test_unknown_url_is_a_plain_404(runtime: Runtime) -> None:
    client = create_app(runtime=runtime).test_client()
    response = client.post("/voice/nowhere")
    assert response.status_code == 404
    assert response.mimetype == "text/plain"
    assert b"Traceback" not in response.data
