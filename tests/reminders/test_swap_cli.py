"""`hotline rota swap offer|take` queue their texts for the workers: never sent from the
command's own short-lived process."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.db import make_engine
from hotline.roster.models import Volunteer
from hotline.texts.models import OutboundText, TextStatus
from tests.roster.test_cli import SAMPLE, run


def test_swap_texts_wait_in_the_outbox_for_the_workers(
    clean_database_url: str, tmp_path: Path
) -> None:
    run(clean_database_url, "rota", "import", str(SAMPLE), cwd=tmp_path)
    offered = run(clean_database_url, "rota", "swap", "offer", "boston-grief", "+16175550111",
                  "--start", "2030-01-07T18:00", "--end", "2030-01-07T22:00", cwd=tmp_path)
    assert offered.returncode == 0, offered.stderr
    swap_id = offered.stdout.split()[1]
    assert offered.stdout.strip() == f"swap {swap_id} offered; 4 volunteers texted"
    taken = run(clean_database_url, "rota", "swap", "take", swap_id, "+16175550112",
                cwd=tmp_path)
    assert taken.returncode == 0, taken.stderr
    engine = make_engine(clean_database_url)
    with Session(engine) as s:
        texts = s.scalars(select(OutboundText).order_by(OutboundText.id)).all()
        names = {v.id: v.name for v in s.scalars(select(Volunteer))}
    engine.dispose()
    assert {t.status for t in texts} == {TextStatus.INTENT}
    assert sorted(names[t.volunteer_id or 0] for t in texts[:-1]) == [
        "Ben Okafor", "Carmen Ruiz", "Dev Patel", "Grace Kim"]
    assert names[texts[-1].volunteer_id or 0] == "Ann Example"
    assert "Ben Okafor has taken your swap" in texts[-1].body
