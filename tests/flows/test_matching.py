"""The caller's menus and matching, whole calls: the language menu, the shared-experience
menu, a caller who presses nothing, a match, nobody who speaks the language, match_wait."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from hotline.cli.contacts import write_csv
from hotline.logs.models import Call, Outcome
from hotline.roster.models import Volunteer
from hotline.runtime import Runtime
from hotline.standin.phones import answers, listens, presses, rings_out
from tests.conftest import RuntimeFactory
from tests.flows.harness import CALLER, HOTLINE, Hotline, hotline, seed_chapter, status_url

ANN, BOB, CAT = "+16175550111", "+16175550112", "+16175550113"
MENUS = {"languages": ["en-US", "es-US"],
         "experiences": [{"key": "loss-of-child", "prompt": "If you have lost a child"},
                         {"key": "suicide-loss", "prompt": "If you lost someone to suicide"}]}


def give(runtime: Runtime, phone: str, languages: list[str], experiences: list[str]) -> None:
    with runtime.transaction() as session:
        volunteer = session.scalar(select(Volunteer).where(Volunteer.phone == phone))
        assert volunteer is not None
        volunteer.languages, volunteer.experiences = languages, experiences


def chosen(line: Hotline, call_sid: str) -> tuple[str | None, str | None]:
    with line.runtime.sessions() as session:
        call = session.scalar(select(Call).where(Call.call_sid == call_sid))
        assert call is not None
        return call.language, call.experience


def test_spanish_and_a_shared_experience_reach_the_volunteer_who_fits(
    make_runtime: RuntimeFactory, capsys: pytest.CaptureFixture[str],
) -> None:
    line = hotline(make_runtime, {ANN: answers(after=2), BOB: answers(after=2),
                                  CAT: answers(after=2)})
    seed_chapter(line.runtime, {1: [ANN, BOB, CAT]}, **MENUS)
    give(line.runtime, ANN, ["en"], ["loss-of-child"])
    give(line.runtime, BOB, ["es"], [])
    give(line.runtime, CAT, ["es", "en"], ["loss-of-child"])
    report = line.sim.call(CALLER, HOTLINE, caller=presses("2", "1", hang_up_after=600),
                           status_callback=status_url())
    print(report.transcript)
    assert report.heard[:2] == ("Thank you for calling Boston Bereavement Line.",
                                "Para español, marque 2.")
    # The experience menu and everything after it in Spanish; the prompts as written.
    assert ("Para hablar con un voluntario que comparte su experiencia, escuche las opciones."
            in report.heard)
    assert "If you have lost a child, press 1." in report.heard
    assert ("Gracias por llamar a Boston Bereavement Line. Estamos buscando un voluntario "
            "para usted. Por favor, no cuelgue.") in report.heard      # holding, in Spanish
    assert chosen(line, report.sid) == ("es-US", "loss-of-child")
    assert [leg.to for leg in report.legs] == [CAT]      # the one who fits, alone, first
    assert report.bridged_to == CAT
    row = line.contact(report.sid)
    assert row.outcome is Outcome.ANSWERED and row.answered_by == "Volunteer 0113"
    exported = row.as_json()
    assert (exported["language"], exported["experience"], exported["matched"]) == (
        "es-US", "loss-of-child", True)
    write_csv([row])
    header, record = capsys.readouterr().out.splitlines()[-2:]
    assert header.endswith(",language,experience,matched")
    assert record.endswith(",es-US,loss-of-child,True")


def test_a_caller_who_presses_nothing_stays_in_the_first_language_and_reaches_anyone(
    make_runtime: RuntimeFactory,
) -> None:
    line = hotline(make_runtime, {ANN: answers(after=2), BOB: answers(after=2)})
    seed_chapter(line.runtime, {1: [ANN, BOB]}, **MENUS)
    give(line.runtime, BOB, ["es"], [])          # speaks no English: held back
    report = line.sim.call(CALLER, HOTLINE, caller=listens(hang_up_after=600),
                           status_callback=status_url())
    print(report.transcript)
    assert "If you have lost a child, press 1." in report.heard
    assert not any("marque" in said and "1" in said for said in report.heard)
    assert chosen(line, report.sid) == ("en-US", None)
    assert report.bridged_to == ANN
    assert report.leg(ANN).answered_at is not None
    exported = line.contact(report.sid).as_json()     # Ann lists no languages: the chapter's
    assert (exported["language"], exported["experience"], exported["matched"]) == (
        "en-US", None, True)


def test_nobody_on_call_speaks_the_language_the_caller_is_told_and_reaches_anyone(
    make_runtime: RuntimeFactory,
) -> None:
    line = hotline(make_runtime, {ANN: answers(after=2)})
    seed_chapter(line.runtime, {1: [ANN]}, languages=["en-US", "es-US"])
    report = line.sim.call(CALLER, HOTLINE, caller=presses("2", hang_up_after=600),
                           status_callback=status_url())
    print(report.transcript)
    assert ("No hay nadie de guardia que hable español en este momento; el próximo voluntario "
            "libre tomará su llamada.") in report.heard
    assert chosen(line, report.sid) == ("es-US", None)
    assert report.bridged_to == ANN
    exported = line.contact(report.sid).as_json()
    assert (exported["language"], exported["matched"]) == ("es-US", False)


def test_match_wait_then_a_volunteer_who_does_not_share_it_gets_the_call(
    make_runtime: RuntimeFactory,
) -> None:
    line = hotline(make_runtime, {ANN: rings_out(), BOB: answers(after=2)})
    seed_chapter(line.runtime, {1: [ANN, BOB]}, experiences=MENUS["experiences"],
                 match_wait_seconds=10, ring_timeout_seconds=40)
    give(line.runtime, ANN, [], ["suicide-loss"])
    report = line.sim.call(CALLER, HOTLINE, caller=presses("2", hang_up_after=600),
                           status_callback=status_url())
    print(report.transcript)
    assert chosen(line, report.sid) == (None, "suicide-loss")
    assert [leg.to for leg in report.legs] == [ANN, BOB]   # the match first, alone
    assert report.bridged_to == BOB
    with line.runtime.sessions() as session:
        call = session.scalar(select(Call).where(Call.call_sid == report.sid))
        assert call is not None and call.chosen_at is not None
        offered = {leg.volunteer_id: leg.created_at for leg in call.legs}
        ids = {phone: vid for phone, vid in session.execute(
            select(Volunteer.phone, Volunteer.id)).all()}
        waited = (offered[ids[BOB]] - call.chosen_at).total_seconds()
        assert offered[ids[ANN]] == call.chosen_at
    assert 10 <= waited <= 16           # match_wait, then the next hold cycle's dispatch
    row = line.contact(report.sid)
    assert row.answered_by == "Volunteer 0112"
    assert (row.language, row.experience, row.matched) == (None, "suicide-loss", False)


def test_a_spanish_caller_hears_the_menu_the_goodbye_and_the_call_back_in_spanish(
    make_runtime: RuntimeFactory,
) -> None:
    line = hotline(make_runtime, {ANN: rings_out()})
    seed_chapter(line.runtime, {1: [ANN]}, languages=["en-US", "es-US"],
                 ring_timeout_seconds=10, max_wait_seconds=30, callback_hours="00:00-00:00")
    give(line.runtime, ANN, ["es"], [])
    report = line.sim.call(CALLER, HOTLINE, caller=presses("2", "1"),
                           status_callback=status_url())
    print(report.transcript)
    assert "Lo sentimos, nadie puede tomar su llamada en este momento." in report.heard
    assert ("Para que le devolvamos la llamada, marque 1. O no cuelgue para dejar un mensaje "
            "después del tono.") in report.heard
    assert ("Gracias. Un voluntario le devolverá la llamada lo antes posible. Adiós."
            in report.heard)
    assert line.contact(report.sid).outcome is Outcome.CALLBACK_REQUESTED
    line.board.phone(ANN, answers(after=3, talk_seconds=60))
    line.board.phone(CALLER, answers(after=4, talk_seconds=45))
    line.sim.advance(6 * 60)
    line.sim.run_until_idle()
    (back,) = [leg for leg in line.board.legs.values()
               if leg.to == CALLER and leg.direction == "outbound-api"]
    assert ("Hola. Le devolvemos la llamada a alguien de este número. Si es usted, marque 1 "
            "para hablar ahora.") in back.heard


def test_the_volunteer_hears_what_the_caller_chose_before_pressing_1(
    make_runtime: RuntimeFactory,
) -> None:
    line = hotline(make_runtime, {CAT: answers(after=2)})
    seed_chapter(line.runtime, {1: [CAT]}, **MENUS)
    give(line.runtime, CAT, ["es", "en"], ["loss-of-child"])
    spanish = line.sim.call(CALLER, HOTLINE, caller=presses("2", "1", hang_up_after=60),
                            status_callback=status_url())
    assert ("Boston Bereavement Line hotline call. The caller speaks Spanish. They asked for "
            "someone who shares: loss of child. Press 1 to accept.") in spanish.leg(CAT).heard
    # The chapter's own language and no experience: the screen as it always was.
    english = line.sim.call(CALLER, HOTLINE, caller=presses("", "", hang_up_after=60),
                            status_callback=status_url())
    assert "Boston Bereavement Line hotline call. Press 1 to accept." in english.leg(CAT).heard


def test_a_call_back_is_offered_first_to_a_volunteer_who_speaks_the_callers_language(
    make_runtime: RuntimeFactory,
) -> None:
    line = hotline(make_runtime, {ANN: rings_out(), BOB: rings_out()})
    seed_chapter(line.runtime, {1: [ANN, BOB]}, languages=["en-US", "es-US"],
                 ring_timeout_seconds=10, max_wait_seconds=30, callback_hours="00:00-00:00")
    give(line.runtime, ANN, ["en"], [])
    give(line.runtime, BOB, ["es"], [])
    asked = line.sim.call(CALLER, HOTLINE, caller=presses("2", "1"),
                          status_callback=status_url())
    assert line.contact(asked.sid).outcome is Outcome.CALLBACK_REQUESTED
    began = line.board.now()
    line.board.phone(ANN, answers(after=1, talk_seconds=60))
    line.board.phone(BOB, answers(after=3, talk_seconds=60))
    line.board.phone(CALLER, answers(after=4, talk_seconds=45))
    line.sim.advance(6 * 60)
    line.sim.run_until_idle()
    rung = [leg for leg in line.board.legs.values()
            if leg.created > began and leg.to in (ANN, BOB)]
    # Bob alone, though Ann (English only) is on call and quicker to answer.
    assert [leg.to for leg in rung] == [BOB]
    assert any("a caller asked to be called back. The caller speaks Spanish. Press 1" in said
               for said in rung[0].heard)
    (attempt,) = line.contact(asked.sid).callbacks
    assert attempt.volunteer == "Volunteer 0112"
