"""Twilio request signatures, checked against the URL Twilio was given, not the one we see.

Behind a proxy the host and scheme differ from what Twilio signed, and Werkzeug decodes
`request.url`; so the URL is the configured public URL plus the raw path and raw query.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote, urlsplit

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


def url_forms(url: str) -> tuple[str, ...]:
    """The URL with and without its default port: Twilio signs either, depending on the
    route a request took (twilio-python's own validator tries both too)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    default = 443 if parts.scheme == "https" else 80
    userinfo = parts.netloc.rpartition("@")[0]
    prefix = userinfo + "@" if userinfo else ""
    bare = parts._replace(netloc=prefix + host).geturl()
    with_port = parts._replace(netloc=f"{prefix}{host}:{parts.port or default}").geturl()
    forms = (url, bare, with_port)
    return tuple(dict.fromkeys(forms))


def is_valid(tokens: Iterable[str], url: str, params: Any, signature: str | None) -> bool:
    """True if `signature` verifies with any of `tokens` (rotation); False with no tokens.

    Every candidate is computed and compared in constant time (hmac.compare_digest), so
    the time taken says nothing about how close a forged signature came.
    """
    if not signature:
        return False
    given = signature.strip().encode("utf-8", "replace")
    valid = False
    for token in tokens:
        if not token:
            continue
        validator = RequestValidator(token)
        for form in url_forms(url):
            computed = validator.compute_signature(form, params).encode()
            valid |= hmac.compare_digest(computed, given)
    return valid
