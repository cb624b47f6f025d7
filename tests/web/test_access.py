"""Every route of the web app, for every role and signed out: the server decides, per chapter."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.routing import AnyConverter, Rule

from hotline.logs.models import LegOutcome
from hotline.roster import models
from hotline.roster.changes import add_override, offer_swap, volunteer_by_phone
from hotline.roster.rules import OverrideKind
from hotline.roster.store import chapter_by_slug
from hotline.runtime import Runtime
from tests.logs.calls import add_call
from tests.web.helpers import csrf, leave_voicemail, owe_callback

# Twilio's webhooks and the calendar feeds have their own checks (signature, secret token).
OWN_AUTH = ("voice.", "media.", "feeds.", "ops.", "static")  # signatures, links, tokens


def web_rules(app: Flask) -> list[Rule]:
    rules = [r for r in app.url_map.iter_rules() if not r.endpoint.startswith(OWN_AUTH)]
    assert len(rules) > 25, "the web app's routes are missing"
    return rules


@pytest.fixture
def ids(seeded: Runtime) -> dict[str, int]:
    """One row of each kind in Boston, for the URLs that name one."""
    with seeded.transaction() as db:
        boston = chapter_by_slug(db, "boston-grief")
        ann = volunteer_by_phone(db, "+16175550111")
        now = seeded.clock()
        day = timedelta(days=1)
        override = add_override(db, boston, OverrideKind.REMOVE, ann, now + day, now + 2 * day,
                                now=now)
        swap = offer_swap(db, boston, ann, now + 3 * day, now + 4 * day, now=now)
        shift = db.scalars(select(models.Shift).where(models.Shift.chapter_id == boston.id)).first()
        assert shift is not None
        call = add_call(db, seeded.privacy, chapter_id=boston.id, started_at=now - day,
                        legs=[(ann, LegOutcome.ANSWERED)], talk_seconds=60)
        found = {"shift_id": shift.id, "rule_id": shift.id, "override_id": override.id,
                 "swap_id": swap.id, "volunteer_id": ann.id, "rotation_id": 1, "call_id": call}
    found["voicemail_id"] = leave_voicemail(seeded, audio=b"RIFF\0\0\0\0WAVE")
    found["reference"] = owe_callback(seeded, "+16175550901")  # type: ignore[assignment]
    return found


def urls_for_rule(rule: Rule, slug: str, ids: dict[str, int]) -> list[str]:
    """The rule's URL with real ids; one URL per choice of each any(...) part."""
    choices: list[list[tuple[str, object]]] = []
    for name in sorted(rule.arguments):
        converter = rule._converters[name]  # noqa: SLF001
        if isinstance(converter, AnyConverter):
            choices.append([(name, item) for item in sorted(converter.items)])
        elif name == "slug":
            choices.append([(name, slug)])
        elif name == "token":
            choices.append([(name, "no-such-token")])
        elif name == "filename":
            choices.append([(name, "app.css")])
        else:
            choices.append([(name, ids[name])])
    built = rule.map.bind("localhost")
    return [built.build(rule.endpoint, dict(combo), method=sorted(rule.methods or ["GET"])[0])
            for combo in itertools.product(*choices)]


def call(client: FlaskClient, rule: Rule, url: str) -> tuple[int, str]:
    if "GET" in (rule.methods or ()):
        response = client.get(url)
    else:
        token = csrf(client.get("/login").data)
        response = client.post(url, data={"csrf_token": token})
    assert response.status_code < 500, f"{url}: {response.status_code}"
    return response.status_code, response.headers.get("Location", "")


def access(app: Flask, rule: Rule) -> str:
    if rule.endpoint == "web.static":
        return "public"
    found = getattr(app.view_functions[rule.endpoint], "access", None)
    assert found in ("public", "signed_in", "staff", "volunteer", "coordinator", "admin"), (
        f"{rule.rule} ({rule.endpoint}) is not wrapped by public, signed_in, staff_page, "
        "volunteer_page, coordinator_page or admin_page")
    return str(found)


def test_every_route_signed_out(app: Flask, ids: dict[str, int]) -> None:
    for rule in web_rules(app):
        for url in urls_for_rule(rule, "boston-grief", ids):
            status, location = call(app.test_client(), rule, url)
            if access(app, rule) == "public":
                assert "/login?" not in location and status not in (401, 403), url
            else:
                assert status == 302 and "/login" in location, (url, status, location)


@pytest.mark.parametrize("who", ["ann", "boston", "admin"])
def test_every_route_for_each_role(
    app: Flask, ids: dict[str, int], login: Callable[[str], FlaskClient], who: str
) -> None:
    """Volunteers: their own pages, none of any chapter's; a coordinator: their chapter's only;
    admins: all but a volunteer's own pages (no volunteer is linked to the admin account)."""
    for rule in web_rules(app):
        kind = access(app, rule)
        slugs = ("boston-grief", "chicago-recovery") if "slug" in rule.arguments else ("",)
        for slug, url in [(s, u) for s in slugs for u in urls_for_rule(rule, s, ids)]:
            client = login(who)  # a fresh session: some routes sign out or change the password
            status, location = call(client, rule, url)
            allowed = (
                kind in ("public", "signed_in")
                or (kind == "volunteer" and who == "ann")     # the only one linked to the rota
                or (who == "admin" and kind != "volunteer")
                or (kind == "staff" and who == "boston")
                or (kind == "coordinator" and who == "boston" and slug == "boston-grief")
            )
            if allowed:
                assert status not in (401, 403) and "/login?" not in location, (who, url, status)
            else:
                assert status == 403, (who, url, status)


GARBAGE = ["", "\x00", "9" * 40, "-1", "2027-02-30T25:61", "<script>alert(1)</script>",
           "' OR 1=1 --", "ž" * 300, "+1617555011a", "9999-12-31T23:00", "0001-01-01"]
FIELDS = ["volunteer", "days", "start", "end", "tier", "kind", "replacement", "reason", "name",
          "members-0", "anchor", "handoff", "every", "unit", "phone", "languages", "experiences",
          "greeting", "ring_timeout_seconds", "max_wait_seconds", "ring_strategy", "accept_mode",
          "language", "emergency_line", "chapter", "note", "away-start", "away-end", "code",
          "email", "password", "confirm", "pw-current", "pw-password", "pw-confirm", "totp-code"]


@pytest.mark.parametrize("who", ["ann", "boston"])
def test_garbage_in_any_form_or_query_is_never_a_500(
    app: Flask, ids: dict[str, int], login: Callable[[str], FlaskClient], who: str
) -> None:
    client = login(who)
    for rule in web_rules(app):
        for url in urls_for_rule(rule, "boston-grief", ids):
            for junk in GARBAGE:
                if client.get("/account").status_code != 200:
                    client = login(who)                      # a route signed us out
                token = csrf(client.get("/account").data)
                fields = {name: junk for name in FIELDS}
                if "GET" in (rule.methods or ()):
                    response = client.get(url, query_string={"week": junk, "days": junk,
                                                             "next": junk})
                else:
                    response = client.post(url, data={**fields, "csrf_token": token})
                assert response.status_code < 500, (who, url, junk, response.status_code)
