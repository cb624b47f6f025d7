"""What the webhook edge refuses before it reads a request's body: no signature, too big."""

from __future__ import annotations

import io
from typing import Any

import pytest
from flask import Flask
from twilio.request_validator import RequestValidator
from werkzeug.test import EnvironBuilder, run_wsgi_app

from hotline.app import MAX_BODY_BYTES, create_app
from hotline.runtime import Runtime
from hotline.voice import signature as signature_module
from tests.conftest import TEST_AUTH_TOKEN, TEST_PUBLIC_URL


class Untouchable(io.RawIOBase):
    """A request body that fails the test if anyone reads it."""

    def __init__(self) -> None:
        self.reads = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        self.reads += 1
        raise AssertionError("the body was read")


@pytest.fixture
def app(runtime: Runtime) -> Flask:
    return create_app(runtime=runtime)


def _post(app: Flask, headers: dict[str, str], body: Any, length: int | None) -> int:
    """POST `body` as the server hands it over: with its Content-Length, or (None) chunked."""
    environ = EnvironBuilder("/voice/incoming", method="POST", headers=headers,
                             content_type="application/x-www-form-urlencoded").get_environ()
    environ["wsgi.input"] = body
    environ.pop("CONTENT_LENGTH", None)
    if length is None:
        environ["wsgi.input_terminated"] = True
    else:
        environ["CONTENT_LENGTH"] = str(length)
    _, status, _ = run_wsgi_app(app, environ, buffered=True)
    return int(status.split()[0])


def test_a_request_with_no_signature_is_refused_unread(app: Flask) -> None:
    body = Untouchable()
    assert _post(app, {}, body, 1000) == 403
    assert body.reads == 0


def test_a_body_over_the_limit_is_refused_unread(app: Flask) -> None:
    body = Untouchable()
    assert _post(app, {"X-Twilio-Signature": "c2lnbmVk"}, body, MAX_BODY_BYTES + 1) == 413
    assert body.reads == 0


def test_a_body_of_unknown_length_stops_at_the_limit(app: Flask) -> None:
    """Chunked: no Content-Length to refuse by; reading stops at the limit, 413."""
    big = io.BytesIO(b"From=" + b"1" * (4 * MAX_BODY_BYTES))
    assert _post(app, {"X-Twilio-Signature": "c2lnbmVk"}, big, None) == 413
    assert big.tell() <= MAX_BODY_BYTES + 64 * 1024     # at most one read past the limit


def test_a_form_within_the_limit_is_checked_as_before(app: Flask) -> None:
    form = {"CallSid": "CA" + "a" * 32, "From": "+16175550199", "To": "+16175550100",
            "Padding": "x" * (MAX_BODY_BYTES // 2)}
    signature = RequestValidator(TEST_AUTH_TOKEN).compute_signature(
        TEST_PUBLIC_URL + "/voice/incoming", form)
    response = app.test_client().post("/voice/incoming", data=form,
                                      headers={"X-Twilio-Signature": signature})
    assert response.status_code == 200
    forged = app.test_client().post("/voice/incoming", data=form,
                                    headers={"X-Twilio-Signature": signature[:-2] + "A="})
    assert forged.status_code == 403


def test_signatures_are_compared_in_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """The app's own check compares with hmac.compare_digest, whichever way it ends."""
    seen: list[tuple[bytes, bytes]] = []
    real = signature_module.hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        seen.append((a, b))
        return real(a, b)

    monkeypatch.setattr(signature_module.hmac, "compare_digest", spy)
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    params = {"CallSid": "CA1234567890ABCDE", "Caller": "+14158675309", "Digits": "1234",
              "From": "+14158675309", "To": "+18005551212"}
    published = "RSOYDt4T1cUTdK1PDd93/VVr8B8="        # Twilio's published test vector
    assert signature_module.is_valid(["12345"], url, params, published)
    assert seen and all(isinstance(a, bytes) for a, _ in seen)
    seen.clear()
    assert not signature_module.is_valid(["12345"], url, params, "RSOYDt4T1cUTdK1PDd93/VVr8B9=")
    assert seen
    assert not signature_module.is_valid(["12345"], url, params, "é" * 28)    # never raises


def test_twilio_may_sign_with_or_without_the_default_port() -> None:
    forms = signature_module.url_forms("https://hotline.test/voice/incoming?x=1")
    assert set(forms) == {"https://hotline.test/voice/incoming?x=1",
                          "https://hotline.test:443/voice/incoming?x=1"}
    assert set(signature_module.url_forms("http://127.0.0.1:5000/a")) == {
        "http://127.0.0.1:5000/a", "http://127.0.0.1/a"}
