"""/sms/incoming: a text to a hotline number gets one helpful reply a day, and is kept private."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import select, text

from hotline.app import create_app
from hotline.bans import add_ban
from hotline.logs.messages import InboundMessage
from hotline.runtime import Runtime
from tests.conftest import FixedClock, RecordingTelephony, RuntimeFactory
from tests.flows.harness import CALLER, HOTLINE, seed_chapter
from tests.voice.test_webhooks import parse, post

ANN = "+16175550111"


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
def rt(make_runtime: RuntimeFactory, clock: FixedClock) -> Runtime:
    runtime = make_runtime(telephony=RecordingTelephony(), clock=clock)
    seed_chapter(runtime, {1: [ANN]})
    return runtime


@pytest.fixture
def app(rt: Runtime) -> Flask:
    return create_app(runtime=rt)


def text_form(sid: str = "SM" + "1" * 32, body: str = "can someone call me", **extra: str
              ) -> dict[str, str]:
    return {"MessageSid": sid, "From": CALLER, "To": HOTLINE, "Body": body,
            "AccountSid": "AC" + "0" * 32, **extra}


def replies(response: object) -> list[str]:
    root = parse(response.data)  # type: ignore[attr-defined]
    assert root.tag == "Response"
    return [m.text or "" for m in root.findall("Message")]


def test_first_text_gets_the_chapter_reply_then_silence_for_a_day(
    app: Flask, rt: Runtime, clock: FixedClock
) -> None:
    first = post(app, "/sms/incoming", text_form())
    assert first.status_code == 200
    [reply] = replies(first)
    assert "call this number" in reply and "+18002738255" in reply
    assert ANN not in reply
    assert replies(post(app, "/sms/incoming", text_form("SM" + "2" * 32))) == []
    clock.now += timedelta(hours=25)
    assert len(replies(post(app, "/sms/incoming", text_form("SM" + "3" * 32)))) == 1


def test_retried_webhook_records_once(app: Flask, rt: Runtime) -> None:
    post(app, "/sms/incoming", text_form())
    again = post(app, "/sms/incoming", text_form())
    assert again.status_code == 200 and replies(again) == []
    with rt.sessions() as s:
        assert len(s.scalars(select(InboundMessage)).all()) == 1


def test_banned_sender_and_unknown_number_get_no_reply(app: Flask, rt: Runtime) -> None:
    assert replies(post(app, "/sms/incoming", text_form(To="+19995550100"))) == []
    with rt.transaction() as s:
        add_ban(s, rt.privacy, CALLER, None)
    assert replies(post(app, "/sms/incoming", text_form("SM" + "4" * 32))) == []


def test_sender_and_body_are_not_stored_in_clear(app: Flask, rt: Runtime) -> None:
    post(app, "/sms/incoming", text_form(body="my name is Jo and I am scared"))
    with rt.sessions() as s:
        rows = [str(r) for r in s.execute(text("SELECT * FROM inbound_messages"))]
    dump = " ".join(rows)
    assert CALLER.lstrip("+") not in dump and "scared" not in dump
    assert CALLER[-4:] in dump   # the masked hint


@pytest.mark.parametrize(
    "form",
    [
        {"From": CALLER, "To": HOTLINE, "Body": "hi"},
        {"MessageSid": "CA" + "1" * 32, "From": CALLER, "To": HOTLINE},
        {"MessageSid": "SM" + "1" * 32, "From": "someone", "To": HOTLINE},
    ],
)
def test_malformed_texts_get_400(app: Flask, form: dict[str, str]) -> None:
    assert post(app, "/sms/incoming", form).status_code == 400


def test_unsigned_text_is_refused(app: Flask) -> None:
    response = app.test_client().post("/sms/incoming", data=text_form())
    assert response.status_code == 403
