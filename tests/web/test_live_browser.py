"""The live view in real Chromium: a call driven through the app's own webhooks moves from
holding to ringing to talking on an open page, within 2 s each, and the page never reloads;
at phone width nothing scrolls sideways."""

from __future__ import annotations

import threading
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from xml.etree import ElementTree

import pytest
from sqlalchemy import select
from twilio.request_validator import RequestValidator
from werkzeug.serving import make_server

import hotline.runtime
from hotline.app import create_app
from hotline.jobs import ManualRunner
from hotline.logs.models import CallLeg
from hotline.roster.changes import add_override, volunteer_by_phone
from hotline.roster.rules import OverrideKind, Tier
from hotline.roster.store import chapter_by_slug
from hotline.runtime import Runtime, build_runtime
from hotline.settings import Settings, with_overrides
from tests.conftest import RecordingTelephony
from tests.web.conftest import FAILURES, PHONE, Person
from tests.web.helpers import PEOPLE, seed

BOSTON_LINE, CALLER, ANN = "+16175550100", "+16175559876", "+16175550111"
WITHIN = 2000                  # ms: the live view's promise


@dataclass
class Line:
    """The app served over HTTP, its jobs run only when the test says, and Twilio's side
    played by signed requests."""

    base: str
    runtime: Runtime
    jobs: ManualRunner
    telephony: RecordingTelephony
    token: str
    coordinator: Person

    def webhook(self, url: str, form: dict[str, str]) -> ElementTree.Element | None:
        url = url if url.startswith("http") else self.base + url
        signature = RequestValidator(self.token).compute_signature(url, form)
        request = urllib.request.Request(  # noqa: S310 (http://127.0.0.1 only)
            url, data=urllib.parse.urlencode(form).encode(),
            headers={"X-Twilio-Signature": signature})
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            body = response.read()
        return ElementTree.fromstring(body) if body.strip() else None

    def run_jobs(self) -> None:
        while self.jobs.run_due(datetime.now(UTC)):
            pass


@pytest.fixture
def line(clean_database_url: str, settings: Settings, browser: Any, axe_source: str,
         request: pytest.FixtureRequest) -> Iterator[Line]:
    holder: dict[str, Any] = {}

    def wsgi(environ: Any, start_response: Any) -> Any:
        return holder["app"](environ, start_response)

    server = make_server("127.0.0.1", 0, wsgi, threaded=True)
    base = f"http://127.0.0.1:{server.server_port}"
    jobs, telephony = ManualRunner(lambda: datetime.now(UTC)), RecordingTelephony()
    runtime = build_runtime(
        with_overrides(settings, database={"url": clean_database_url}, app={"public_url": base}),
        telephony=telephony, jobs=jobs)
    seed(runtime, "boston")
    now = datetime.now(UTC)
    with runtime.transaction() as db:
        # Ann on call now, whatever the hour: the test must not depend on the time of day.
        add_override(db, chapter_by_slug(db, "boston-grief"), OverrideKind.ADD,
                     volunteer_by_phone(db, ANN), now - timedelta(hours=1),
                     now + timedelta(hours=1), now=now, tier=Tier(1))
    holder["app"] = create_app(runtime=runtime)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    coordinator = Person(browser.new_context(viewport={"width": 1280, "height": 800}), base,
                         axe_source)
    try:
        coordinator.sign_in(PEOPLE["boston"][0])
        yield Line(base, runtime, jobs, telephony, settings.twilio.auth_token, coordinator)
    finally:
        report = getattr(request.node, "report_call", None)
        if report is not None and report.failed:
            folder = FAILURES / request.node.name
            folder.mkdir(parents=True, exist_ok=True)
            coordinator.page.screenshot(path=str(folder / "live.png"), full_page=True)
            print(f"screenshot of the failed browser test: {folder}")
        coordinator.context.close()
        server.shutdown()
        getattr(hotline.runtime, "install", lambda _runtime: None)(None)
        runtime.engine.dispose()


def test_the_live_view_shows_a_drilled_call_move_from_holding_to_talking(line: Line) -> None:
    from playwright.sync_api import expect

    page = line.coordinator.page
    line.coordinator.open("/live")
    board = page.locator("section[data-chapter='boston-grief']")
    expect(board.get_by_text("Nobody is holding.")).to_be_visible()
    page.evaluate("window.notReloaded = 'still the same page'")
    navigations: list[str] = []
    page.on("framenavigated", lambda frame: navigations.append(frame.url))

    line.webhook("/voice/incoming", {
        "CallSid": "CA" + "c" * 32, "From": CALLER, "To": BOSTON_LINE,
        "CallStatus": "ringing", "Direction": "inbound", "AccountSid": "AC" + "0" * 32})
    holding = board.locator("li[data-state='holding']")
    expect(holding).to_contain_text("No. 1 in line, holding since", timeout=WITHIN)
    expect(holding).to_contain_text("No phone ringing for this caller.")

    line.run_jobs()                                  # dispatch: the on-call phones ring
    assert line.telephony.placed, "nobody was rung"
    ringing = board.locator("li[data-state='ringing']")
    expect(ringing).to_contain_text("Ringing:", timeout=WITHIN)
    expect(ringing).to_contain_text("Ann Example")
    ann = next(call for call, sid in zip(line.telephony.placed, line.telephony.returned,
                                         strict=True) if call.to == ANN)
    ann_sid = line.telephony.returned[line.telephony.placed.index(ann)]

    screen = line.webhook(ann.url, {"CallSid": ann_sid})
    gather = screen.find("Gather") if screen is not None else None
    assert gather is not None, "Ann's phone got no press-1 screen"
    won = line.webhook(gather.get("action", ""), {"CallSid": ann_sid, "Digits": "1"})
    assert won is not None and won.findtext("Dial/Queue") == "CA" + "c" * 32
    talking = board.locator("li[data-state='talking']")
    expect(talking).to_contain_text("Ann Example, talking since", timeout=WITHIN)
    expect(board.locator("li[data-state='holding'], li[data-state='ringing']")).to_have_count(0)
    expect(board.get_by_text("Nobody is holding.")).to_be_visible()

    assert page.evaluate("window.notReloaded") == "still the same page"
    assert navigations == []
    with line.runtime.sessions() as db:
        leg = db.scalar(select(CallLeg).where(CallLeg.call_sid == ann_sid))
        assert leg is not None and leg.volunteer_name == "Ann Example"
    body = page.content()
    assert CALLER not in body and CALLER[-4:] not in body and ANN not in body

    # Signed out in another tab: the page stops asking and says so (it never shows a
    # sign-in form inside the board).
    other = line.coordinator.context.new_page()
    other.goto(line.base + "/account")
    other.get_by_role("button", name="Sign out").click()
    other.wait_for_load_state()
    expect(page.locator("#live-note")).to_be_visible(timeout=WITHIN)
    expect(board.locator("li[data-state='talking']")).to_have_count(1)
    assert page.evaluate("window.notReloaded") == "still the same page"


def test_the_live_view_fits_a_phone_and_works_without_javascript(line: Line,
                                                                 browser: Any) -> None:
    line.webhook("/voice/incoming", {
        "CallSid": "CA" + "d" * 32, "From": CALLER, "To": BOSTON_LINE,
        "CallStatus": "ringing", "Direction": "inbound", "AccountSid": "AC" + "0" * 32})
    line.run_jobs()
    page = line.coordinator.page
    page.set_viewport_size(PHONE)
    line.coordinator.open("/live")
    line.coordinator.check(again=True)
    assert page.locator("li[data-state='ringing']").count() == 1
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    plain = browser.new_context(viewport=PHONE, java_script_enabled=False,
                                storage_state=line.coordinator.context.storage_state())
    try:
        still = plain.new_page()
        still.goto(line.base + "/live")
        assert still.locator("li[data-state='ringing']").count() == 1
        still.get_by_role("link", name="Refresh").click()
        still.wait_for_load_state()
        assert still.url == line.base + "/live"
        assert still.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    finally:
        plain.close()
