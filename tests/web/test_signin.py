"""Signing in, throttling, sessions that end, one-time links, codes, and the cookie's flags."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from html.parser import HTMLParser

import pyotp
from flask import Flask
from flask.testing import FlaskClient

from hotline.accounts.users import disable_user
from hotline.runtime import Runtime
from tests.web.helpers import PASSWORD, PEOPLE, csrf, post, sign_in


class Labels(HTMLParser):
    """The texts of <label>s and <input type=submit> values on a page."""

    def __init__(self) -> None:
        super().__init__()
        self.labels: list[str] = []
        self.buttons: list[str] = []
        self._in_label = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        self._in_label = tag == "label"
        if tag == "input" and found.get("type") == "submit":
            self.buttons.append(found.get("value") or "")

    def handle_data(self, data: str) -> None:
        if self._in_label and data.strip():
            self.labels.append(data.strip())

    def handle_endtag(self, tag: str) -> None:
        self._in_label = False if tag == "label" else self._in_label


def test_the_sign_in_page_says_email_password_sign_in(app: Flask) -> None:
    page = Labels()
    page.feed(app.test_client().get("/login").data.decode())
    assert page.labels == ["Email", "Password"]
    assert page.buttons == ["Sign in"]


def failure_text(client: FlaskClient, email: str, password: str) -> str:
    token = csrf(client.get("/login").data)
    response = client.post("/login", data={"email": email, "password": password,
                                           "csrf_token": token})
    assert response.status_code == 200
    return re.sub(r'value="[^"]*"', "", response.data.decode())


def test_wrong_password_and_unknown_email_read_the_same(app: Flask) -> None:
    client = app.test_client()
    wrong_password = failure_text(client, PEOPLE["ann"][0], "not the password")
    unknown_email = failure_text(client, "nobody@example.org", "not the password")
    assert "did not work" in wrong_password
    assert wrong_password == unknown_email


def test_five_failures_lock_the_account_for_fifteen_minutes(app: Flask, seeded: Runtime) -> None:
    client = app.test_client()
    for _ in range(5):
        assert sign_in(client, "ann", "wrong password").status_code == 200
    refused = sign_in(client, "ann")                       # the right password, too late
    assert refused.status_code == 200 and "did not work" in refused.data.decode()
    seeded.clock.now += timedelta(minutes=16)  # type: ignore[attr-defined]
    assert sign_in(client, "ann").status_code == 302


def test_five_failures_from_one_address_lock_that_address(app: Flask) -> None:
    client = app.test_client()
    for n in range(5):
        failure_text(client, f"guess{n}@example.org", "whatever")
    assert sign_in(client, "ben").status_code == 200       # another account, same address
    other = app.test_client()
    other_address = {"REMOTE_ADDR": "10.9.9.9"}
    token = csrf(other.get("/login", environ_base=other_address).data)
    response = other.post("/login", environ_base=other_address, data={
        "email": PEOPLE["ben"][0], "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302


def test_a_session_ends_after_an_idle_hour(login: Callable[[str], FlaskClient],
                                           seeded: Runtime) -> None:
    client = login("boston")
    assert client.get("/today").status_code == 200
    seeded.clock.now += timedelta(minutes=59)  # type: ignore[attr-defined]
    assert client.get("/today").status_code == 200        # still in use: kept alive
    seeded.clock.now += timedelta(minutes=61)  # type: ignore[attr-defined]
    gone = client.get("/today")
    assert gone.status_code == 302 and "/login" in gone.headers["Location"]


def test_disabling_an_account_signs_it_out_at_once(login: Callable[[str], FlaskClient],
                                                   seeded: Runtime) -> None:
    client = login("boston")
    with seeded.transaction() as db:
        disable_user(db, PEOPLE["boston"][0], now=seeded.clock())
    assert "/login" in client.get("/today").headers["Location"]
    assert sign_in(client, "boston").status_code == 200   # and cannot sign in again


def test_changing_the_password_signs_out_other_browsers(
    login: Callable[[str], FlaskClient], app: Flask
) -> None:
    here, elsewhere = login("ann"), login("ann")
    changed = post(here, "/account/password", {"pw-current": PASSWORD,
                                               "pw-password": "a new long password",
                                               "pw-confirm": "a new long password"})
    assert changed.status_code == 302
    assert here.get("/me").status_code == 200
    assert "/login" in elsewhere.get("/me").headers["Location"]
    assert sign_in(app.test_client(), "ann").status_code == 200          # old password: no
    assert sign_in(app.test_client(), "ann", "a new long password").status_code == 302


def test_sign_in_codes_once_turned_on_are_asked_for(
    login: Callable[[str], FlaskClient], app: Flask, seeded: Runtime
) -> None:
    client = login("boston")
    page = client.get("/account/totp").data.decode()
    secret = re.search(r'<code class="secret">([A-Z2-7]+)</code>', page)
    assert secret is not None
    code = pyotp.TOTP(secret.group(1)).at(seeded.clock())
    token = csrf(page)
    turned_on = client.post("/account/totp", data={"totp-code": code, "totp-csrf_token": token})
    assert turned_on.status_code == 302
    seeded.clock.now += timedelta(seconds=30)  # type: ignore[attr-defined]
    code = pyotp.TOTP(secret.group(1)).at(seeded.clock())     # the enrolling one is spent
    fresh = app.test_client()
    first = sign_in(fresh, "boston")
    assert first.headers["Location"].endswith("/login/code")
    token = csrf(fresh.get("/login/code").data)
    wrong = fresh.post("/login/code", data={"code": "000000", "csrf_token": token})
    assert wrong.status_code == 200 and "did not work" in wrong.data.decode()
    right = fresh.post("/login/code", data={"code": code, "csrf_token": token})
    assert right.status_code == 302
    assert fresh.get("/today").status_code == 200


def test_a_volunteer_resets_their_password_by_text(app: Flask, seeded: Runtime) -> None:
    client = app.test_client()
    token = csrf(client.get("/forgot").data)
    for email in (PEOPLE["ann"][0], "nobody@example.org", PEOPLE["boston"][0]):
        answer = client.post("/forgot", data={"email": email, "csrf_token": token})
        assert answer.status_code == 302
    sent = seeded.telephony.sms  # type: ignore[attr-defined]
    assert [(to, from_) for to, from_, _body in sent] == [("+16175550111", "+16175550100")]
    link = re.search(r"https://hotline\.test(/reset-password/\S+)", sent[0][2])
    assert link is not None
    page = client.get(link.group(1))
    assert page.status_code == 200
    saved = client.post(link.group(1), data={"password": "my new password!",
                                             "confirm": "my new password!",
                                             "csrf_token": csrf(page.data)})
    assert saved.status_code == 302
    assert sign_in(app.test_client(), "ann", "my new password!").status_code == 302
    assert client.get(link.group(1)).status_code == 404    # once only


def test_a_form_without_its_csrf_token_is_refused(login: Callable[[str], FlaskClient]) -> None:
    client = login("boston")
    refused = client.post("/chapters/boston-grief/settings", data={"max_wait_seconds": "30"})
    assert refused.status_code == 400
    assert "did not come from this site" in refused.data.decode()
    assert 'value="120"' in client.get("/chapters/boston-grief/settings").data.decode()
    assert app_client_login_refused(client)


def app_client_login_refused(client: FlaskClient) -> bool:
    response = client.post("/login", data={"email": PEOPLE["ann"][0], "password": PASSWORD})
    return response.status_code == 400


def test_cookie_flags_and_security_headers(app: Flask) -> None:
    client = app.test_client()
    page = client.get("/login")
    response = client.post("/login", data={"email": PEOPLE["ann"][0], "password": PASSWORD,
                                           "csrf_token": csrf(page.data)})
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    csp = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert page.headers["Strict-Transport-Security"].startswith("max-age=")
    assert "<script" not in page.data.decode() and "style=" not in page.data.decode()


def test_sign_in_never_sends_anyone_to_another_site(app: Flask) -> None:
    client = app.test_client()
    token = csrf(client.get("/login").data)
    response = client.post("/login?next=//evil.example/x", data={
        "email": PEOPLE["ann"][0], "password": PASSWORD, "csrf_token": token})
    assert response.headers["Location"] == "/"
