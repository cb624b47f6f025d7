"""How the stand-in reaches the app: signed webhook requests, in-process or over real HTTP.

Every request is signed for real with `RequestValidator.compute_signature`, as Twilio signs:
the full URL (for GET, with the parameters in its query) and, for POST, each parameter.
"""

from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any, Protocol

from twilio.request_validator import RequestValidator


@dataclass(frozen=True)
class Answer:
    """The app's reply to one webhook; `status` 0 means it could not be reached."""

    status: int
    body: str
    content_type: str = ""

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


class Target(Protocol):
    @property
    def public_url(self) -> str: ...

    def request(self, method: str, url: str, params: dict[str, str]) -> Answer: ...


def resolve(base: str, ref: str) -> str:
    """A TwiML URL made absolute against the URL of the document that held it."""
    return urllib.parse.urljoin(base, ref.strip())


def outside(public_url: str, url: str) -> Answer | None:
    """A refusal for a URL that is not under the app's public URL (TwiML may name any URL:
    the stand-in, and a drill, must send the token's signature nowhere else), else None."""
    parts, base = urllib.parse.urlsplit(url), urllib.parse.urlsplit(public_url)
    same_origin = (parts.scheme, parts.netloc) == (base.scheme, base.netloc)
    path = base.path.rstrip("/")
    if same_origin and (parts.path == path or parts.path.startswith(path + "/")):
        return None
    return Answer(0, f"not the app's public URL ({public_url}): {parts.scheme}://{parts.netloc}")


def signed(auth_token: str, method: str, url: str, params: dict[str, str]) -> tuple[str, str]:
    """(URL to request, X-Twilio-Signature) for a webhook, as Twilio computes them."""
    validator = RequestValidator(auth_token)
    if method.upper() == "GET":
        sep = "&" if urllib.parse.urlsplit(url).query else "?"
        full = url + (sep + urllib.parse.urlencode(params) if params else "")
        return full, str(validator.compute_signature(full, {}))
    return url, str(validator.compute_signature(url, params))


class WsgiTarget:
    """Deliver webhooks to a WSGI app in-process (werkzeug's test client)."""

    def __init__(self, app: Any, public_url: str, auth_token: str) -> None:
        from werkzeug.test import Client  # werkzeug comes with Flask; only this target needs it

        self.app = app
        self.public_url = public_url.rstrip("/")
        self.auth_token = auth_token
        self._client = Client(app)

    def request(self, method: str, url: str, params: dict[str, str]) -> Answer:
        refused = outside(self.public_url, url)
        if refused is not None:
            return refused
        full, signature = signed(self.auth_token, method, url, params)
        headers = {"X-Twilio-Signature": signature, "User-Agent": "TwilioProxy/1.1"}
        if method.upper() == "GET":
            response = self._client.open(full, method="GET", headers=headers)
        else:
            response = self._client.open(
                full, method=method.upper(), data=params, headers=headers,
                content_type="application/x-www-form-urlencoded",
            )
        try:
            body = response.get_data().decode("utf-8", "replace")   # TwiML, or media
        finally:
            response.close()
        return Answer(response.status_code, body, response.headers.get("Content-Type", ""))


class HttpTarget:
    """Deliver webhooks over real HTTP (a served app on 127.0.0.1, for real-time runs)."""

    def __init__(self, public_url: str, auth_token: str, *, timeout: float = 15.0) -> None:
        self.public_url = public_url.rstrip("/")
        self.auth_token = auth_token
        self.timeout = timeout  # Twilio gives a webhook 15 s in all

    def request(self, method: str, url: str, params: dict[str, str]) -> Answer:
        refused = outside(self.public_url, url)
        if refused is not None:
            return refused
        full, signature = signed(self.auth_token, method, url, params)
        headers = {"X-Twilio-Signature": signature, "User-Agent": "TwilioProxy/1.1"}
        data = None
        if method.upper() != "GET":
            data = urllib.parse.urlencode(params).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        req = urllib.request.Request(full, data=data, headers=headers, method=method.upper())  # noqa: S310
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as response:  # noqa: S310
                return Answer(
                    response.status, response.read().decode("utf-8", "replace"),
                    response.headers.get("Content-Type", ""),
                )
        except urllib.error.HTTPError as error:
            return Answer(error.code, error.read().decode("utf-8", "replace"))
        except (OSError, ValueError) as error:
            return Answer(0, str(error))
