"""Drills after the call: the call-back played on the virtual clock, the alert texts, a day."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hotline.db import make_engine
from hotline.logs.models import Call
from hotline.texts.models import OutboundText
from hotline.work.models import ScheduledTask
from tests.test_cli import run
from tests.test_drill import drill, env  # noqa: F401 - env is the fixture drill() needs


def nothing_written(url: str) -> None:
    engine = make_engine(url)
    with Session(engine) as session:
        for model in (Call, OutboundText, ScheduledTask):
            assert session.scalar(select(func.count()).select_from(model)) == 0, model
    engine.dispose()


def test_a_call_back_is_played_after_the_call(
    tmp_path: Path, env: dict[str, str],  # noqa: F811
) -> None:
    out = drill(tmp_path, env, "--everyone", "busy", "--caller", "callback")
    record = out["record"]
    assert isinstance(record, dict) and record["outcome"] == "callback_requested"
    (attempt,) = record["callbacks"]
    assert attempt["volunteer"] == "Ann Example" and attempt["outcome"] == "answered"
    transcript = "\n".join(out["transcript"])           # type: ignore[arg-type]
    after = transcript[transcript.index("call ended"):]
    assert "Ann Example (+16175550111) answers" in after
    assert "a caller asked to be called back" in after                  # the volunteer's side
    assert "app places a call to caller ***0000" in after
    assert "This is a call back for someone at this number" in after    # the caller's side
    assert "bridged with Ann Example" in after
    texts = out["texts"]
    assert isinstance(texts, list) and len(texts) == 1
    assert "text to Ann Example" in texts[0] and "call-back requested" in texts[0]
    assert "5551230000" not in json.dumps(out)
    nothing_written(env["HOTLINE_DATABASE_URL"])


def test_a_voicemail_drill_shows_the_alert_texts(
    tmp_path: Path, env: dict[str, str],  # noqa: F811
) -> None:
    result = run(["drill", "call", "--to", "+16175550100", "--at", "2026-11-27T23:30:00Z",
                  "--everyone", "rings-out", "--caller", "voicemail"], tmp_path, **env)
    assert result.returncode == 0, result.stderr
    texts = result.stdout[result.stdout.index("texts sent:"):]
    assert "text to Ann Example (+16175550111) from Boston Bereavement Line" in texts
    assert "new voicemail" in texts and "TAKE" in texts
    assert "5551230000" not in result.stdout
    nothing_written(env["HOTLINE_DATABASE_URL"])


def test_a_day_of_alerts_escalations_and_call_backs(
    tmp_path: Path, env: dict[str, str],  # noqa: F811
) -> None:
    result = run(["drill", "day", "--to", "+16175550100", "--date", "2026-11-27",
                  "--format", "json"], tmp_path, **env)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["chapter"] == "Boston Bereavement Line" and out["date"] == "2026-11-27"
    day = out["timeline"]
    # Friday evening in Boston, when Ann is on call and inside the call-back hours.
    assert day[0].startswith("18:00 call from caller ***0001: voicemail")
    assert any(e.startswith("18:0") and "text to Ann Example" in e and "new voicemail" in e
               for e in day)
    assert any(e.startswith("18:3") and "text to Carmen Ruiz" in e and "not been taken" in e
               for e in day)                                        # the coordinator
    assert any("call from caller ***0002: callback_requested" in e for e in day)
    assert any("call-back to caller ***0002 through Ann Example: answered" in e for e in day)
    assert any("call from caller ***0003: answered" in e for e in day)
    assert [r["outcome"] for r in out["records"]] == ["voicemail", "callback_requested",
                                                      "answered"]
    assert "This is a call back for someone at this number" in "\n".join(out["transcript"])
    assert "555123000" not in result.stdout
    text = run(["drill", "day", "--to", "+16175550100", "--date", "2026-11-27"], tmp_path,
               **env)
    assert text.returncode == 0 and "nothing was written" in text.stdout
    nothing_written(env["HOTLINE_DATABASE_URL"])


def test_bad_day_drills_are_one_line(tmp_path: Path, env: dict[str, str]) -> None:  # noqa: F811
    for args, says in ((["--to", "+16175550999"], "no chapter's number"),
                       (["--to", "617"], "--to"),
                       (["--to", "+16175550100", "--date", "friday"], "--date"),
                       ([], "--to")):
        result = run(["drill", "day", *args], tmp_path, **env)
        assert result.returncode == 1, args
        assert result.stderr.count("\n") == 1 and says in result.stderr, result.stderr
