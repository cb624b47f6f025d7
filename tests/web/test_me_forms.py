"""A volunteer's refused form comes back with the reason beside the field and what they typed."""

from __future__ import annotations

from collections.abc import Callable

from flask.testing import FlaskClient
from sqlalchemy import func, select

from hotline.db import Base
from hotline.roster import models
from hotline.runtime import Runtime
from tests.web.helpers import csrf


def rows(runtime: Runtime, model: type[Base]) -> int:
    with runtime.sessions() as db:
        return db.scalar(select(func.count()).select_from(model)) or 0


def test_an_impossible_absence_is_refused_and_what_was_typed_stays(
        login: Callable[[str], FlaskClient], seeded: Runtime) -> None:
    ann = login("ann")
    page = ann.get("/me").data.decode()
    refused = ann.post("/me/unavailable", data={
        "csrf_token": csrf(page), "away-start": "2026-12-20T18:00", "away-end": "2026-12-20T09:00",
        "away-reason": "family wedding"})
    assert refused.status_code == 400
    shown = refused.data.decode()
    assert 'aria-invalid="true"' in shown and "end must be after start" in shown
    assert 'value="family wedding"' in shown and 'value="2026-12-20T18:00"' in shown
    assert rows(seeded, models.Unavailability) == 0


def test_a_swap_asked_without_times_is_refused_beside_the_fields(
        login: Callable[[str], FlaskClient], seeded: Runtime) -> None:
    ann = login("ann")
    page = ann.get("/me").data.decode()
    refused = ann.post("/me/swaps", data={"csrf_token": csrf(page), "start": "",
                                          "end": "2026-12-20T09:00", "note": "can anyone?"})
    assert refused.status_code == 400
    shown = refused.data.decode()
    assert shown.count('aria-invalid="true"') >= 1 and 'value="can anyone?"' in shown
    assert rows(seeded, models.SwapRequest) == 0
