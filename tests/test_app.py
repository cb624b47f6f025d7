from __future__ import annotations

import pytest

from hotline.app import create_app
from hotline.runtime import Runtime


def test_health_check_reports_database(runtime: Runtime) -> None:
    client = create_app(runtime=runtime).test_client()
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_health_check_tells_an_outsider_nothing_but_down(
    runtime: Runtime, caplog: pytest.LogCaptureFixture,
) -> None:
    from dataclasses import replace

    from sqlalchemy import create_engine
    from sqlalchemy.orm import sessionmaker

    unreachable = create_engine("postgresql+psycopg://hotline:s3cret@127.0.0.1:1/hotline",
                                connect_args={"connect_timeout": 2})
    client = create_app(runtime=replace(runtime, sessions=sessionmaker(unreachable))
                        ).test_client()
    assert client.get("/healthz").status_code == 200      # live: the process answers
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "error"}
    assert "not ready" in caplog.text and "s3cret" not in caplog.text


def test_unknown_url_is_a_plain_404(runtime: Runtime) -> None:
    client = create_app(runtime=runtime).test_client()
    response = client.post("/voice/nowhere")
    assert response.status_code == 404
    assert response.mimetype == "text/plain"
    assert b"Traceback" not in response.data


def test_the_front_page_leads_to_sign_in(runtime: Runtime) -> None:
    """`/`, the first URL a newcomer opens: the sign-in page, not a 404."""
    client = create_app(runtime=runtime).test_client()
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=/"
    page = client.get(response.headers["Location"])
    assert page.status_code == 200
    assert b"Sign in" in page.data and b'name="password"' in page.data
