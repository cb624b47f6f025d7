"""The contact log's pages: filters, paging, masking, the repeat-caller mark, one call's
timeline, and who may open which."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from flask.testing import FlaskClient

from hotline.logs.models import LegOutcome, Outcome, Voicemail
from hotline.roster.changes import volunteer_by_phone
from hotline.roster.store import chapter_by_slug
from hotline.runtime import Runtime
from tests.logs.calls import add_call

LATE_MONDAY = datetime(2026, 3, 10, 3, 30, tzinfo=UTC)       # 23:30 on 9 March in Boston
Login = Callable[[str], FlaskClient]


def calls(runtime: Runtime) -> dict[str, int]:
    with runtime.transaction() as db:
        boston = chapter_by_slug(db, "boston-grief").id
        chicago = chapter_by_slug(db, "chicago-recovery").id
        ann = volunteer_by_phone(db, "+16175550111")
        ben = volunteer_by_phone(db, "+16175550112")
        p = runtime.privacy
        made = {
            "first": add_call(db, p, chapter_id=boston, started_at=LATE_MONDAY - timedelta(days=3),
                              outcome=Outcome.ABANDONED),
            "second": add_call(db, p, chapter_id=boston, started_at=LATE_MONDAY - timedelta(days=1),
                               outcome=Outcome.VOICEMAIL, legs=[(ben, LegOutcome.NO_ANSWER)]),
            "late": add_call(db, p, chapter_id=boston, started_at=LATE_MONDAY,
                             legs=[(ben, LegOutcome.DECLINED), (ann, LegOutcome.ANSWERED)],
                             talk_seconds=307, hold_seconds=42),
            "chicago": add_call(db, p, chapter_id=chicago, started_at=LATE_MONDAY,
                                caller="+13125550177"),
        }
        db.add(Voicemail(call_id=made["second"], recording_sid="RE" + "2" * 32))
    return made


def rows(page: str) -> list[int]:
    return [int(n) for n in re.findall(r'<tr data-call="(\d+)">', page)]


def test_a_coordinator_filters_their_chapters_calls(login: Login, seeded: Runtime) -> None:
    made = calls(seeded)
    client = login("boston")
    everything = client.get("/contacts").data.decode()
    assert rows(everything) == [made["late"], made["second"], made["first"]]   # newest first
    monday = client.get("/contacts", query_string={"since": "2026-03-09",
                                                   "until": "2026-03-09"}).data.decode()
    assert rows(monday) == [made["late"]]                  # 23:30 in Boston: still Monday
    assert "Mon 09 Mar 23:30 EDT" in monday
    messages = client.get("/contacts", query_string={"outcome": "voicemail"}).data.decode()
    assert rows(messages) == [made["second"]]
    with seeded.sessions() as db:
        ann = volunteer_by_phone(db, "+16175550111").id
    anns = client.get("/contacts", query_string={"volunteer": str(ann)}).data.decode()
    assert rows(anns) == [made["late"]]
    assert "***0199 <span class=\"repeat\">(3rd call in 7 days)</span>" in everything
    assert "(2nd call in 7 days)" in everything
    for page in (everything, monday, messages, anns):
        assert "6175550199" not in page and "3125550177" not in page
    # An admin sees every line; the same instant: the newer record first.
    assert rows(login("admin").get("/contacts").data.decode()) == [
        made["chicago"], made["late"], made["second"], made["first"]]


def test_the_log_pages_through_older_calls(login: Login, seeded: Runtime) -> None:
    with seeded.transaction() as db:
        boston = chapter_by_slug(db, "boston-grief").id
        made = [add_call(db, seeded.privacy, chapter_id=boston, caller=None,
                         started_at=LATE_MONDAY - timedelta(hours=n)) for n in range(53)]
    client = login("boston")
    first = client.get("/contacts", query_string={"outcome": "answered"}).data.decode()
    assert rows(first) == made[:50]
    older = re.search(r'<a href="([^"]+)">Older calls</a>', first)
    assert older is not None
    second = client.get(older.group(1).replace("&amp;", "&")).data.decode()
    assert rows(second) == made[50:] and "Older calls" not in second


def test_bad_filters_are_refused_with_a_reason(login: Login, seeded: Runtime) -> None:
    calls(seeded)
    client = login("boston")
    with seeded.sessions() as db:
        chicago = chapter_by_slug(db, "chicago-recovery").id
    for query in ({"chapter": str(chicago)}, {"since": "2026-02-30"}, {"outcome": "happy"},
                  {"since": "2026-03-09", "until": "2026-03-01"}, {"until": "9999-12-31"},
                  {"volunteer": "99999"}):
        response = client.get("/contacts", query_string=query)
        assert response.status_code == 400, query
        assert 'class="error"' in response.data.decode(), query
    bad_page = client.get("/contacts", query_string={"before": "soon"})
    assert bad_page.status_code == 400
    assert "start again from the top" in bad_page.data.decode()


def test_the_timeline_shows_each_leg_hold_and_talk_time(login: Login, seeded: Runtime) -> None:
    made = calls(seeded)
    page = login("boston").get(f"/contacts/{made['late']}").data.decode()
    legs = re.findall(r"<tr><td>([^<]+)</td><td>(\d\d:\d\d:\d\d)</td><td>([^<]+)</td>"
                      r"<td>[^<]+</td><td>([^<]+)</td></tr>", page)
    assert legs == [("Ben Okafor", "23:30:00", "–", "declined"),
                    ("Ann Example (took the call)", "23:30:01", "23:30:42", "answered")]
    assert "<dt>Waiting in line</dt><dd>0 min 42 s</dd>" in page
    assert "<dt>Talk time</dt><dd>5 min 7 s</dd>" in page
    assert "***0199 (3rd call in 7 days)" in page
    assert "6175550199" not in page
    message = login("boston").get(f"/contacts/{made['second']}").data.decode()
    assert "The caller left a message." in message


def test_only_the_calls_chapter_coordinators_and_admins_open_its_timeline(
        login: Login, seeded: Runtime) -> None:
    made = calls(seeded)
    assert login("chicago").get(f"/contacts/{made['late']}").status_code == 403
    assert login("boston").get(f"/contacts/{made['chicago']}").status_code == 403
    assert login("ann").get(f"/contacts/{made['late']}").status_code == 403
    assert login("ann").get("/contacts").status_code == 403
    assert login("admin").get(f"/contacts/{made['chicago']}").status_code == 200
    assert login("boston").get("/contacts/999999").status_code == 404
    chicago_log = login("chicago").get("/contacts").data.decode()
    assert rows(chicago_log) == [made["chicago"]]


def test_a_calls_message_plays_from_its_timeline_through_the_app(
    login: Login, seeded: Runtime
) -> None:
    """The timeline of a call with a message plays it from the app's own URL (no network URL
    reaches the page) and links to it in the voicemail inbox, where it is handled."""
    from sqlalchemy import select

    from tests.web.helpers import leave_voicemail

    audio = b"RIFF\x24\x00\x00\x00WAVEfmt " + bytes(28)
    voicemail_id = leave_voicemail(seeded, audio=audio)
    with seeded.sessions() as db:
        call_id, sid = db.execute(select(Voicemail.call_id, Voicemail.recording_sid)
                                  .where(Voicemail.id == voicemail_id)).one()
    client = login("boston")
    page = client.get(f"/contacts/{call_id}").data.decode()
    played = re.search(r'<audio controls preload="none" src="([^"]+)"', page)
    assert played and played.group(1) == f"/voicemails/{voicemail_id}/recording"
    assert client.get(played.group(1)).data == audio
    assert f'href="/voicemails?show=all#message-{voicemail_id}"' in page
    inbox = client.get("/voicemails?show=all").data.decode()
    assert f'id="message-{voicemail_id}"' in inbox
    assert "api.twilio.com" not in page and sid not in page


def test_an_admin_sees_calls_to_a_number_no_line_owns(login: Login, seeded: Runtime) -> None:
    made = calls(seeded)
    with seeded.transaction() as db:
        stray = add_call(db, seeded.privacy, chapter_id=None, caller="+16175550166",
                         started_at=LATE_MONDAY + timedelta(hours=1),
                         outcome=Outcome.UNKNOWN_NUMBER)
    admin = login("admin")
    everything = admin.get("/contacts").data.decode()
    assert rows(everything)[0] == stray and len(rows(everything)) == 5
    assert "No line owns this number (UTC)" in everything and "6175550166" not in everything
    only = admin.get("/contacts", query_string={"chapter": "none"}).data.decode()
    assert rows(only) == [stray]
    assert admin.get(f"/contacts/{stray}").status_code == 200
    # A coordinator neither has the choice nor sees the call, nor opens it.
    boston = login("boston")
    assert rows(boston.get("/contacts").data.decode()) == [
        made["late"], made["second"], made["first"]]
    assert boston.get("/contacts", query_string={"chapter": "none"}).status_code == 400
    assert boston.get(f"/contacts/{stray}").status_code == 403
