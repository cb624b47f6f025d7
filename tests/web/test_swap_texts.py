"""Swap requests by text: an offer made on the pages is texted to the volunteers who could
take it; the one who offered hears when it is taken."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from flask.testing import FlaskClient
from sqlalchemy import select

from hotline.jobs import ManualRunner
from hotline.roster import models
from hotline.roster.changes import add_unavailability, volunteer_by_phone
from hotline.roster.store import chapter_by_slug
from hotline.runtime import Runtime
from tests.conftest import RecordingTelephony
from tests.web.helpers import csrf

ANN, BEN, CARMEN, DEV = "+16175550111", "+16175550112", "+16175550113", "+16175550114"
GRACE = "+13125550113"


def sent(runtime: Runtime) -> list[tuple[str, str, str]]:
    """Every text the app sent so far (its jobs run first)."""
    assert isinstance(runtime.jobs, ManualRunner)
    runtime.jobs.run_due()
    assert isinstance(runtime.telephony, RecordingTelephony)
    return runtime.telephony.sms


def test_an_offer_is_texted_to_who_could_take_it_and_the_taking_to_the_offerer(
    login: Callable[[str], FlaskClient], seeded: Runtime
) -> None:
    with seeded.transaction() as db:        # Dev is away that evening: not asked
        add_unavailability(db, volunteer_by_phone(db, DEV),
                           datetime(2026, 3, 13, 20, tzinfo=UTC),
                           datetime(2026, 3, 14, 6, tzinfo=UTC), now=seeded.clock())
        boston = chapter_by_slug(db, "boston-grief").id
    ann, ben = login("ann"), login("ben")
    mine = ann.get("/me").data.decode()
    ann.post("/me/swaps", data={"csrf_token": csrf(mine), "chapter": boston,
                                "start": "2026-03-13T18:00", "end": "2026-03-13T22:00"})
    offers = list(sent(seeded))
    # Grace backs Boston up from Chicago: she could take it too; Ann offers, Dev is away.
    assert sorted(to for to, _, _ in offers) == [GRACE, BEN, CARMEN]
    (body,) = {body for _, _, body in offers}
    assert {from_ for _, from_, _ in offers} == {"+16175550100"}
    assert body == ("Boston Bereavement Line: Ann Example asks for cover Fri 13 Mar 18:00 to "
                    "Fri 13 Mar 22:00. To take it: https://hotline.test/me")
    with seeded.sessions() as db:
        swap = db.scalars(select(models.SwapRequest)).one()
    page = ben.get("/me").data.decode()
    ben.post(f"/me/swaps/{swap.id}/take", data={"csrf_token": csrf(page)})
    (taken,) = sent(seeded)[len(offers):]
    assert taken == (ANN, "+16175550100",
                     "Boston Bereavement Line: Ben Okafor has taken your swap Fri 13 Mar 18:00 "
                     "to Fri 13 Mar 22:00. It is theirs once a coordinator approves it.")
    ben.post(f"/me/swaps/{swap.id}/take", data={"csrf_token": csrf(page)})   # refused: once
    assert len(sent(seeded)) == len(offers) + 1


def test_the_coordinators_decision_is_texted_to_both_volunteers(
    login: Callable[[str], FlaskClient], seeded: Runtime
) -> None:
    with seeded.sessions() as db:
        boston = chapter_by_slug(db, "boston-grief").id
    ann, ben, coordinator = login("ann"), login("ben"), login("boston")
    for start, end in (("2026-03-13T18:00", "2026-03-13T22:00"),
                       ("2026-03-20T18:00", "2026-03-20T22:00")):
        ann.post("/me/swaps", data={"csrf_token": csrf(ann.get("/me").data), "chapter": boston,
                                    "start": start, "end": end})
    with seeded.sessions() as db:
        first, second = db.scalars(select(models.SwapRequest).order_by(models.SwapRequest.start))
    for swap in (first, second):
        ben.post(f"/me/swaps/{swap.id}/take", data={"csrf_token": csrf(ben.get("/me").data)})
    before = len(sent(seeded))
    rota = "/chapters/boston-grief/rota"
    week = coordinator.get(f"{rota}?week=2026-03-09").data
    coordinator.post(f"{rota}/swaps/{first.id}/approve", data={"csrf_token": csrf(week)})
    coordinator.post(f"{rota}/swaps/{second.id}/refuse", data={"csrf_token": csrf(week)})
    decided = sent(seeded)[before:]
    line = "+16175550100"
    assert decided == [
        (ANN, line, "Boston Bereavement Line: your swap Fri 13 Mar 18:00 to Fri 13 Mar 22:00 is "
                    "approved: you are off the rota for that time."),
        (BEN, line, "Boston Bereavement Line: the swap you took is approved: you are on call "
                    "Fri 13 Mar 18:00 to Fri 13 Mar 22:00."),
        (ANN, line, "Boston Bereavement Line: your swap Fri 20 Mar 18:00 to Fri 20 Mar 22:00 was "
                    "not approved: you are still on call then. Ask your coordinator why."),
        (BEN, line, "Boston Bereavement Line: the swap you took (Fri 20 Mar 18:00 to Fri 20 Mar "
                    "22:00) was not approved: it stays with who had it."),
    ]
    with seeded.sessions() as db:
        assert [s.status for s in db.scalars(
            select(models.SwapRequest).order_by(models.SwapRequest.start))] == [
            "approved", "declined"]
