"""The audit page reads as a coordinator reads a change: fields and items, not JSON."""

from __future__ import annotations

import re
from collections.abc import Callable

from flask.testing import FlaskClient

from hotline.audit.log import Actor, record
from hotline.roster.store import chapter_by_slug
from hotline.runtime import Runtime


def test_a_rota_import_s_items_are_listed_one_per_line(
    login: Callable[[str], FlaskClient], seeded: Runtime
) -> None:
    with seeded.transaction() as db:
        boston = chapter_by_slug(db, "boston-grief").id
        record(db, Actor("cli:ops"), "rota.import", now=seeded.clock(), chapter_id=boston,
               subject="rota.toml",
               before={"chapter": {"max_wait_seconds": 120},
                       "shifts": [{"volunteer": "Ann Example", "days": "mon,wed,fri"}]},
               after={"chapter": {"max_wait_seconds": 90},
                      "shifts": [{"volunteer": "Ann Example", "days": "mon,wed"}],
                      "shifts_not_shown": 3})
    page = login("boston").get("/chapters/boston-grief/audit").data.decode()
    row = page[page.index("rota.import rota.toml"):]
    row = row[:row.index("</tr>")]
    assert "{" not in row and "&#34;" not in row                     # not a JSON dump
    assert re.search(r"<dt>max_wait_seconds</dt><dd>120</dd>", row)
    assert re.search(r"<dt>max_wait_seconds</dt><dd>90</dd>", row)
    assert re.search(r"<li><dl class=\"change\"><dt>days</dt><dd>mon,wed,fri</dd>"
                     r"<dt>volunteer</dt><dd>Ann Example</dd></dl></li>", row), row
    assert "<dt>shifts_not_shown</dt><dd>3</dd>" in row
