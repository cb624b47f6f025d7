"""The live view's page and its board (the fragment live.js fetches): who may see which
chapters, what a call holding, ringing and talking looks like, no phone number of anyone,
and a poll that reads the calls in one query and the rota not at all."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from html.parser import HTMLParser
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import event

from hotline.logs.models import Call, CallKind, CallLeg, LegStatus, Phase
from hotline.roster.changes import add_override, volunteer_by_phone
from hotline.roster.history import oncall_at
from hotline.roster.rules import OverrideKind, Tier
from hotline.roster.store import chapter_by_slug
from hotline.runtime import Runtime

ANN, BEN, ERIN = "+16175550111", "+16175550112", "+13125550111"
CALLER = "+16175559876"


def calls(runtime: Runtime) -> None:
    """In Boston: one caller talking with Ann, one ringing Ben, one holding with no phone
    ringing; in Chicago: one holding. Ann (tier 1) and Ben (tier 2) are on call in Boston."""
    now = runtime.clock()
    with runtime.transaction() as db:
        boston, chicago = (chapter_by_slug(db, s) for s in ("boston-grief", "chicago-recovery"))
        ann, ben = volunteer_by_phone(db, ANN), volunteer_by_phone(db, BEN)
        for who, tier in ((ann, 1), (ben, 2)):
            add_override(db, boston, OverrideKind.ADD, who, now - timedelta(hours=1),
                         now + timedelta(hours=1), now=now, tier=Tier(tier))
        made = [Call(call_sid=f"CA{n:032d}", chapter_id=chapter.id, to_number="+16175550100",
                     caller_hint="***9876", caller_cipher="cipher", phase=phase, kind=kind,
                     started_at=now - timedelta(minutes=10 - n))
                for n, (chapter, phase, kind) in enumerate([
                    (boston, Phase.ANSWERED, CallKind.INBOUND),
                    (boston, Phase.HOLDING, CallKind.INBOUND),
                    (boston, Phase.HOLDING, CallKind.CALLBACK),
                    (boston, Phase.FINISHED, CallKind.INBOUND),
                    (chicago, Phase.HOLDING, CallKind.INBOUND)])]
        db.add_all(made)
        db.flush()
        talking = CallLeg(call_id=made[0].id, volunteer_id=ann.id, volunteer_name=ann.name,
                          status=LegStatus.IN_PROGRESS, engaged=True)
        ringing = CallLeg(call_id=made[1].id, volunteer_id=ben.id, volunteer_name=ben.name,
                          status=LegStatus.RINGING, engaged=True)
        ended = CallLeg(call_id=made[1].id, volunteer_id=ann.id, volunteer_name=ann.name,
                        status=LegStatus.NO_ANSWER, engaged=None)
        db.add_all([talking, ringing, ended])
        db.flush()
        made[0].answered_leg_id = talking.id
        made[0].answered_at = now - timedelta(minutes=8)


class Board(HTMLParser):
    """What the live page shows: its chapters, its list items by data-state or data-tier
    (text, spaces collapsed), its scripts and links."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.chapters: list[str] = []
        self.items: list[tuple[str, str]] = []          # (state or "tier-N", text)
        self.scripts: list[tuple[str, str]] = []        # (src, inline text)
        self.links: dict[str, str] = {}                 # text -> href
        self._open: list[Any] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {k: v or "" for k, v in attrs}
        if tag == "section" and "data-chapter" in found:
            self.chapters.append(found["data-chapter"])
        key = None
        if tag == "li" and ("data-state" in found or "data-tier" in found):
            key = found.get("data-state") or f"tier-{found['data-tier']}"
        elif tag == "script":
            key = "script:" + found.get("src", "")
        elif tag == "a":
            key = "a:" + found.get("href", "")
        if key is not None:
            self._open.append([tag, key, ""])

    def handle_data(self, data: str) -> None:
        for entry in self._open:
            entry[2] += data

    def handle_endtag(self, tag: str) -> None:
        if not self._open or self._open[-1][0] != tag:
            return
        _tag, key, text = self._open.pop()
        text = " ".join(text.split())
        if key.startswith("script:"):
            self.scripts.append((key[7:], text))
        elif key.startswith("a:"):
            self.links[text] = key[2:]
        else:
            self.items.append((key, text))

    def shown(self, state: str) -> list[str]:
        return [text for key, text in self.items if key == state]


def items(html: str, state: str) -> list[str]:
    return Board(html).shown(state)


def chapters_shown(html: str) -> list[str]:
    return Board(html).chapters


def test_a_coordinator_sees_their_chapters_calls_holding_ringing_and_talking(
    login: Callable[[str], FlaskClient], seeded: Runtime
) -> None:
    calls(seeded)
    client = login("boston")
    page = client.get("/live")
    assert page.status_code == 200
    html = page.data.decode()
    shown = Board(html)
    assert shown.scripts == [("/static/web/live.js", "")]                  # nothing inline
    assert shown.links["Refresh"] == "/live"                               # without JavaScript
    policy = page.headers["Content-Security-Policy"]
    assert "script-src 'self';" in policy and "connect-src 'self'" in policy
    assert "unsafe" not in policy and page.headers["Cache-Control"] == "no-store"
    assert chapters_shown(html) == ["boston-grief"]          # times in the chapter's zone (EDT)
    assert items(html, "talking") == ["Ann Example, talking since 14:22:00 (8 min)"]
    assert items(html, "ringing") == [
        "No. 1 in line, holding since 14:21:00 (9 min). Ringing: Ben Okafor"]
    assert items(html, "holding") == [
        "No. 2 in line (call-back), holding since 14:22:00 (8 min). "
        "No phone ringing for this caller."]
    with seeded.sessions() as db:
        plan = oncall_at(db, chapter_by_slug(db, "boston-grief").id, seeded.clock())
    tiers = {key: text for key, text in shown.items if key.startswith("tier-")}
    assert "Ann Example" in tiers["tier-1"] and "Ben Okafor" in tiers["tier-2"]
    assert tiers.keys() == {f"tier-{int(wave.tier)}" for wave in plan.waves}
    for wave in plan.waves:
        assert all(v.name in tiers[f"tier-{int(wave.tier)}"] for v in wave.volunteers)

    fragment = client.get("/live/board")
    assert fragment.status_code == 200
    assert fragment.headers["Cache-Control"] == "no-store"
    assert fragment.mimetype == "text/html"
    assert "connect-src" not in fragment.headers["Content-Security-Policy"]
    board = fragment.data.decode()
    assert board.lstrip().startswith('<div id="live-board"') and "<html" not in board
    assert items(board, "talking") == items(html, "talking")
    assert items(board, "ringing") == items(html, "ringing")


def test_no_phone_number_of_anyone_is_on_the_page_or_the_board(
    login: Callable[[str], FlaskClient], seeded: Runtime
) -> None:
    calls(seeded)
    for who in ("boston", "admin"):
        client = login(who)
        for url in ("/live", "/live/board"):
            body = client.get(url).data.decode()
            assert "Ben Okafor" in body
            for number in (ANN, BEN, ERIN, CALLER, "+16175550100"):
                assert number not in body and number[-4:] not in body, (who, url, number)
            assert "cipher" not in body
            if url == "/live/board":
                assert not re.search(r"\d{4}", body), body     # no digits beyond a time's


def test_an_admin_sees_every_chapter_and_a_volunteer_neither_page(
    login: Callable[[str], FlaskClient], seeded: Runtime
) -> None:
    calls(seeded)
    admin = login("admin").get("/live/board").data.decode()
    assert chapters_shown(admin) == ["boston-grief", "chicago-recovery"]
    chicago = login("chicago").get("/live/board").data.decode()
    assert chapters_shown(chicago) == ["chicago-recovery"]
    assert items(chicago, "holding") and "Ben Okafor" not in chicago
    ann = login("ann")
    assert ann.get("/live").status_code == 403
    assert ann.get("/live/board").status_code == 403
    assert "/live" not in ann.get("/me").data.decode()                   # no nav link either


@contextmanager
def statements(runtime: Runtime) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    event.listen(runtime.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(runtime.engine, "before_cursor_execute", record)


def test_a_poll_reads_the_calls_in_one_query_and_the_rota_only_now_and_then(
    login: Callable[[str], FlaskClient], seeded: Runtime
) -> None:
    calls(seeded)
    client = login("boston")
    client.get("/live")
    with statements(seeded) as seen:
        assert client.get("/live/board").status_code == 200
    from_calls = [s for s in seen if re.search(r"\bFROM calls\b", s)]
    rota = [s for s in seen if re.search(r"\b(shifts|rotations|overrides|oncall_history)\b", s)]
    assert len(from_calls) == 1 and rota == [], seen
    seeded.clock.now += timedelta(seconds=31)  # type: ignore[attr-defined]
    with statements(seeded) as seen:
        client.get("/live/board")
    assert [s for s in seen if re.search(r"\b(shifts|oncall_history)\b", s)]
