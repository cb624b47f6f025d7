"""An admin covers every chapter, overflow chapters included, even one added after them."""

from __future__ import annotations

from collections.abc import Callable

from flask.testing import FlaskClient

from hotline.roster.rotafile import parse_rota
from hotline.roster.rotasync import import_rota
from hotline.runtime import Runtime
from tests.web.helpers import IMPORTED

NATIONAL = """\
[[chapter]]
slug = "national-line"
name = "National Peer Line"
numbers = ["+18005550100"]
timezone = "America/New_York"
overflow = ["boston-grief"]
"""


def test_an_admin_covers_a_chapter_added_after_their_account(
    seeded: Runtime, login: Callable[[str], FlaskClient],
) -> None:
    with seeded.transaction() as db:
        import_rota(db, parse_rota(NATIONAL), now=IMPORTED)
    admin, boston = login("admin"), login("boston")
    pages = ("/chapters/national-line/rota", "/chapters/national-line/volunteers",
             "/chapters/national-line/settings", "/chapters/national-line/gaps",
             "/chapters/national-line/audit")
    for page in pages:
        assert admin.get(page).status_code == 200, page
        # A coordinator of the chapter it overflows to does not run it.
        assert boston.get(page).status_code == 403, page
    assert b"National Peer Line" in admin.get("/today").data
    assert b"National Peer Line" not in boston.get("/today").data
