"""Sign-in codes: each code works once, turning them off takes a code, and the secret being
enrolled never travels in the session cookie."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

import pyotp
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from hotline.accounts.models import User
from hotline.audit.models import AuditEntry
from hotline.runtime import Runtime
from tests.web.helpers import PEOPLE, csrf, sign_in

EMAIL = PEOPLE["boston"][0]


def enrol(client: FlaskClient, runtime: Runtime) -> pyotp.TOTP:
    page = client.get("/account/totp").data.decode()
    found = re.search(r'<code class="secret">([A-Z2-7]+)</code>', page)
    assert found is not None
    totp = pyotp.TOTP(found.group(1))
    done = client.post("/account/totp", data={"totp-code": totp.at(runtime.clock()),
                                               "totp-csrf_token": csrf(page)})
    assert done.status_code == 302
    return totp


def later(runtime: Runtime, seconds: int = 30) -> None:
    runtime.clock.now += timedelta(seconds=seconds)  # type: ignore[attr-defined]


def account(runtime: Runtime) -> User:
    with runtime.sessions() as db:
        user = db.scalars(select(User).where(User.email == EMAIL)).one()
        db.expunge(user)
        return user


def second_step(client: FlaskClient, code: str) -> int:
    assert sign_in(client, "boston").headers["Location"].endswith("/login/code")
    token = csrf(client.get("/login/code").data)
    status: int = client.post("/login/code", data={"code": code,
                                                   "csrf_token": token}).status_code
    return status


def test_a_code_signs_in_once_only(login: Callable[[str], FlaskClient], app: Flask,
                                   seeded: Runtime) -> None:
    totp = enrol(login("boston"), seeded)
    spent = totp.at(seeded.clock())                  # used to turn codes on
    later(seeded)
    code = totp.at(seeded.clock())
    assert second_step(app.test_client(), spent) == 200      # still within its window: refused
    assert second_step(app.test_client(), code) == 302
    again = app.test_client()
    assert second_step(again, code) == 200                   # the same code, a second time
    assert "/login" in again.get("/today").headers["Location"]
    later(seeded)
    assert second_step(again, totp.at(seeded.clock())) == 302
    assert account(seeded).totp_last_step == totp.timecode(seeded.clock())


def test_turning_codes_off_takes_a_current_code(login: Callable[[str], FlaskClient],
                                                seeded: Runtime) -> None:
    client = login("boston")
    totp = enrol(client, seeded)
    assert client.get("/account/totp").headers["Location"].endswith("/account")  # no re-enrol
    page = client.get("/account").data.decode()
    assert 'name="off-code"' in page
    token = csrf(page)
    for code in ("", "123456", totp.at(seeded.clock())):     # none, wrong, already used
        refused = client.post("/account/totp/off", data={"off-csrf_token": token,
                                                         "off-code": code})
        assert refused.status_code == 400
        assert account(seeded).totp_secret is not None
    later(seeded)
    off = client.post("/account/totp/off", data={"off-csrf_token": token,
                                                 "off-code": totp.at(seeded.clock())})
    assert off.status_code == 302
    assert account(seeded).totp_secret is None
    with seeded.sessions() as db:
        actions = list(db.scalars(select(AuditEntry.action).order_by(AuditEntry.seq)))
    assert actions[-2:] == ["user.totp_on", "user.totp_off"]


def session_cookie(app: Flask, client: FlaskClient) -> str:
    cookie = client.get_cookie("hotline_session")
    assert cookie is not None
    serializer = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
    return repr(serializer.loads(cookie.value)) + cookie.value


def test_the_secret_being_enrolled_stays_on_the_server(login: Callable[[str], FlaskClient],
                                                        app: Flask, seeded: Runtime) -> None:
    client = login("boston")
    page = client.get("/account/totp").data.decode()
    found = re.search(r'<code class="secret">([A-Z2-7]+)</code>', page)
    assert found is not None
    secret = found.group(1)
    assert secret not in session_cookie(app, client)
    assert account(seeded).totp_pending_secret == secret
    assert secret in client.get("/account/totp").data.decode()     # a reload keeps it
    wrong = client.post("/account/totp", data={"totp-code": "000000",
                                               "totp-csrf_token": csrf(page)})
    assert wrong.status_code == 200 and secret not in session_cookie(app, client)
    client.post("/account/totp", data={"totp-code": pyotp.TOTP(secret).at(seeded.clock()),
                                       "totp-csrf_token": csrf(page)})
    user = account(seeded)
    assert (user.totp_secret, user.totp_pending_secret) == (secret, None)
