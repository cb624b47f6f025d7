"""Twilio request signatures, checked against the URL Twilio was given, not the one we see.

Behind a proxy the host and scheme differ from what Twilio signed, and Werkzeug decodes
`request.url`; so the URL is the configured public URL plus the raw path and raw query.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote

from twilio.request_validator import RequestValidator


def signed_url(public_url: str, environ: Mapping[str, Any]) -> str:
    """The URL Twilio signed for this request: public URL + raw path + raw query string."""
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if raw:
        path = str(raw).split("?", 1)[0]
        if "://" in path:                          # an absolute request-target
            path = "/" + path.split("://", 1)[1].partition("/")[2]
    else:
        # PATH_INFO is decoded (latin-1 per WSGI); re-encode it as it was sent.
        script = str(environ.get("SCRIPT_NAME", "")) + str(environ.get("PATH_INFO", ""))
        path = quote(script.encode("latin-1").decode("utf-8", "replace"), safe="/:@!$&'()*+,;=~")
    query = str(environ.get("QUERY_STRING", ""))
    return public_url.rstrip("/") + path + ("?" + query if query else "")


def is_valid(tokens: Iterable[str], url: str, params: Any, signature: str | None) -> bool:
    """True if `signature` verifies with any of `tokens` (rotation); False with no tokens."""
    if not signature:
        return False
    for token in tokens:
        if not token:
            continue
        # validate() compares in constant time and tries the URL with and without its port.
        if RequestValidator(token).validate(url, params, signature):
            return True
    return False
