"""A refused request's page says why when the view gave a reason for the person, and never
shows werkzeug's stock text, a traceback or internal detail."""

from __future__ import annotations

import re
from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.exceptions import BadRequest, Forbidden, InternalServerError

from hotline.web import message_for_people


def test_the_reason_a_view_gives_is_shown(login: Callable[[str], FlaskClient]) -> None:
    client = login("boston")
    for url, reason in [("/chapters/boston-grief/rota?week=someday",
                         "week must be a date like 2027-03-08"),
                        ("/chapters/boston-grief/gaps?days=x", "days must be a whole number"),
                        ("/chapters/boston-grief/gaps?days=999", "days must be 1 to 366")]:
        response = client.get(url)
        assert response.status_code == 400, url
        page = response.data.decode()
        assert f'<p class="error" role="alert">{reason}</p>' in page, page
        assert "That request could not be used" in page


def test_a_csrf_failure_says_to_reload(login: Callable[[str], FlaskClient]) -> None:
    refused = login("boston").post("/chapters/boston-grief/settings", data={})
    page = refused.data.decode()
    assert refused.status_code == 400
    assert "Go back, reload the page and try again." in page
    assert "CSRF" not in page                        # flask-wtf's own wording stays out


def test_only_short_reasons_meant_for_people_are_shown() -> None:
    assert message_for_people(BadRequest("days must be 1 to 366")) == "days must be 1 to 366"
    assert message_for_people(Forbidden("not yours")) == "not yours"
    assert message_for_people(BadRequest()) is None                  # werkzeug's stock text
    assert message_for_people(InternalServerError("db at 10.0.0.5 down")) is None
    assert message_for_people(BadRequest("Traceback (most recent call last):\n  x")) is None
    assert message_for_people(BadRequest("x" * 1000)) is None


def test_the_icon_is_served_where_browsers_look_and_where_pages_link_it(app: Flask) -> None:
    client = app.test_client()
    page = client.get("/login").data.decode()
    linked = re.search(r'<link rel="icon" type="image/svg\+xml" href="([^"]+)">', page)
    assert linked is not None
    for url in ("/favicon.ico", linked.group(1)):
        icon = client.get(url)
        assert icon.status_code == 200, url
        assert icon.mimetype == "image/svg+xml" and icon.data.startswith(b"<svg"), url
        assert icon.headers.get("Cache-Control") != "no-store", url
