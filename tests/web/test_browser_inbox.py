"""In real Chromium: a coordinator plays a message through the app, returns it as a call-back,
and sees the call-back's attempt in the chapter's queue."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from hotline.jobs import ManualRunner
from hotline.logs.models import Call, CallbackRequest
from hotline.runtime import Runtime, build_runtime
from hotline.standin.calls import silence_wav
from hotline.work import kinds
from hotline.work.models import ScheduledTask
from tests.conftest import RecordingTelephony
from tests.web.conftest import PHONE, Person
from tests.web.helpers import leave_voicemail
from workers.tasks import run_task

Live = Callable[[str], Person]
AUDIO = silence_wav(2)
NEW_YORK = ZoneInfo("America/New_York")


def run_the_attempt(runtime: Runtime, request_id: int) -> None:
    """The scheduled attempt run by the job that runs scheduled work (workers.tasks.run_task),
    at the time it is due (inside the chapter's call-back hours, whatever the time now)."""
    with runtime.sessions() as db:
        task = db.scalars(select(ScheduledTask).where(
            ScheduledTask.kind == kinds.FOLLOWUP_ATTEMPT,
            ScheduledTask.subject_id == request_id)).one()
        due, task_id = task.due_at, task.id

    def clock() -> datetime:
        return due + timedelta(seconds=1)

    worker = build_runtime(runtime.settings, telephony=RecordingTelephony(),  # type: ignore[arg-type]
                           clock=clock, jobs=ManualRunner(clock))
    try:
        run_task(worker, task_id)
    finally:
        worker.engine.dispose()


def test_a_coordinator_plays_a_message_and_sees_its_call_backs_attempt(live: Live) -> None:
    runtime: Runtime = live.runtime  # type: ignore[attr-defined]
    voicemail = leave_voicemail(runtime, audio=AUDIO, at=runtime.clock() - timedelta(hours=1))
    coordinator = live("boston")
    page = coordinator.page
    page.get_by_role("link", name="Voicemail").first.click()
    page.wait_for_load_state()
    assert page.url.endswith("/voicemails"), page.url
    coordinator.check()
    coordinator.open("/chapters/boston-grief/voicemails")
    message = page.locator(f"#message-{voicemail}")
    assert "***0987" in message.inner_text()
    audio = message.locator("audio")
    src = audio.get_attribute("src")
    assert src == f"/voicemails/{voicemail}/recording"
    assert "twilio" not in page.content().lower()
    # Play it: the browser loads the audio from the app (a click is the user's gesture).
    box = audio.bounding_box()
    assert box is not None
    audio.click(position={"x": 16, "y": box["height"] / 2})
    page.wait_for_function(
        "el => el.readyState >= 1 && el.duration > 0 && !el.error",
        arg=audio.element_handle(), timeout=10_000)
    played = audio.evaluate("el => ({src: el.currentSrc, duration: el.duration})")
    assert played["src"] == live.base + src and abs(played["duration"] - 2) < 0.2  # type: ignore[attr-defined]
    fetched = page.request.get(live.base + src)  # type: ignore[attr-defined]
    assert fetched.status == 200 and fetched.headers["content-type"] == "audio/wav"
    assert fetched.body() == AUDIO and fetched.headers["cache-control"] == "no-store"
    # Return the call: a call-back in the chapter's queue, waiting for its first attempt.
    message.get_by_role("button", name=re.compile("Call back")).click()
    page.wait_for_load_state()
    flashed = page.locator(".flash").inner_text()
    reference = re.search(r"Call-back (\w{4}) started", flashed)
    assert reference, flashed
    coordinator.check(again=True)
    page.get_by_role("link", name="Call-backs").click()
    page.wait_for_load_state()
    coordinator.check()
    card = page.locator(f"#callback-{reference.group(1)}")
    assert card.get_attribute("data-state") == "waiting"
    assert "No attempt yet" in card.inner_text()
    with runtime.sessions() as db:
        request = db.scalars(select(CallbackRequest)
                            .where(CallbackRequest.reference == reference.group(1))).one()
        request_id = request.id
    run_the_attempt(runtime, request_id)
    with runtime.sessions() as db:
        (attempt,) = db.scalars(select(Call).where(Call.followup_id == request_id)).all()
        started = attempt.started_at.astimezone(NEW_YORK).strftime("%a %d %b %H:%M")
        outcome = attempt.result.value if attempt.result else "in progress"
    page.reload()
    card = page.locator(f"#callback-{reference.group(1)}")
    rows = card.locator("tr.attempt")
    assert rows.count() == 1
    assert started in rows.first.inner_text() and outcome in rows.first.inner_text()
    page.set_viewport_size(PHONE)
    coordinator.check(again=True)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"] + 1, "the queue scrolls sideways at phone width"
