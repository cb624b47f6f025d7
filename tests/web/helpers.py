"""Signing in through the real pages, and reading forms' CSRF tokens out of them."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select

from hotline.accounts.models import Role
from hotline.accounts.users import add_user, redeem_link
from hotline.roster import models
from hotline.roster.rotafile import parse_rota
from hotline.roster.rotasync import import_rota
from hotline.runtime import Runtime

SAMPLE = Path(__file__).resolve().parents[2] / "hotline" / "sample" / "rota.toml"
PASSWORD = "correct horse battery"
IMPORTED = datetime(2026, 3, 1, tzinfo=UTC)
# Who signs in as what, over the sample rota: (email, role, chapters, volunteer phone).
PEOPLE: dict[str, tuple[str, Role, tuple[str, ...], str | None]] = {
    "admin": ("admin@example.org", Role.ADMIN, (), None),
    "boston": ("coord@example.org", Role.COORDINATOR, ("boston-grief",), None),
    "chicago": ("chi@example.org", Role.COORDINATOR, ("chicago-recovery",), None),
    "ann": ("ann@example.org", Role.VOLUNTEER, (), "+16175550111"),       # Boston
    "ben": ("ben@example.org", Role.VOLUNTEER, (), "+16175550112"),       # Boston
    "erin": ("erin@example.org", Role.VOLUNTEER, (), "+13125550111"),     # Chicago
}


def seed(runtime: Runtime, *who: str) -> None:
    """The sample rota, and accounts with PASSWORD for the named PEOPLE (all when none given)."""
    with runtime.transaction() as db:
        import_rota(db, parse_rota(SAMPLE.read_text()), now=IMPORTED)
        for key in who or tuple(PEOPLE):
            email, role, slugs, phone = PEOPLE[key]
            chapters = [db.scalars(select(models.Chapter).where(models.Chapter.slug == s)).one()
                        for s in slugs]
            volunteer = (db.scalars(select(models.Volunteer).where(models.Volunteer.phone == phone))
                         .one() if phone else None)
            _user, token = add_user(db, email, key.title(), role, now=IMPORTED,
                                    chapters=chapters, volunteer=volunteer)
            redeem_link(db, token, PASSWORD, now=IMPORTED)


def csrf(html: bytes | str) -> str:
    text = html.decode() if isinstance(html, bytes) else html
    found = re.search(r'name="(?:[\w-]*-)?csrf_token" type="hidden" value="([^"]+)"', text) or \
        re.search(r'name="csrf_token" value="([^"]+)"', text)
    assert found, "no CSRF token on the page"
    return found.group(1)


def sign_in(client: FlaskClient, key: str, password: str = PASSWORD) -> Any:
    page = client.get("/login")
    return client.post("/login", data={"email": PEOPLE[key][0], "password": password,
                                       "csrf_token": csrf(page.data)})


def post(client: FlaskClient, url: str, data: dict[str, Any] | None = None,
         token_from: str | None = None) -> Any:
    """POST a form the way a browser would: with the CSRF token of a page it was on."""
    page = client.get(token_from or "/account")
    return client.post(url, data={"csrf_token": csrf(page.data), **(data or {})})
