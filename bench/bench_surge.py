"""A surge, in real time: 200 callers in 60 s against 20 volunteers, then the same with a
worker and an app process killed in the middle of it.

    python bench/bench_surge.py                 # PostgreSQL + Redis, about 25 minutes
    python bench/bench_surge.py --repeats 1     # one steady round and one with kills

Deployed as in production: `hotline serve --workers 2` (two app processes), two `hotline
worker`s, PostgreSQL and Redis; the app's REST calls go over HTTP to the project's Twilio
stand-in (checked against Twilio's OpenAPI description when HOTLINE_TWILIO_OPENAPI names
it), whose simulator plays every caller and every volunteer's phone. Callers arrive at
seeded random instants; each holds until a volunteer takes the call or their patience
(30-120 s) runs out. Volunteers answer after 3-10 s and talk 20-60 s, or decline, or do
not answer, drawn again each time their phone rings. Each round runs on a database of its
own. See bench/README.md for the figures, the checks and the bound the share answered is
compared with.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import signal
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _servers import Database, free_port, hotline_worker, start_hotline_serve  # noqa: E402

from hotline.standin.calls import Leg  # noqa: E402
from hotline.standin.phones import Mix, Phone, answers, declines, listens, rings_out  # noqa: E402
from hotline.standin.transport import Answer, HttpTarget  # noqa: E402

ACCOUNT_SID = "AC" + "c" * 32
HOTLINE = "+16175550100"
MAX_WAIT = 150
RING_TIMEOUT = 20
WAVE_TIMEOUT = 30             # the default: ringing for another caller is waited for this long
HOLD_CYCLE = 10.0          # a hold-music turn: a few words and HOLD_PAUSE_SECONDS


@dataclass
class Timed:
    """An `HttpTarget` that notes how long the app took to answer each webhook."""

    inner: HttpTarget
    seconds: list[float] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def public_url(self) -> str:
        return self.inner.public_url

    def request(self, method: str, url: str, params: dict[str, str]) -> Answer:
        began = time.monotonic()
        answer = self.inner.request(method, url, params)
        with self.lock:
            self.seconds.append(time.monotonic() - began)
        return answer


@dataclass
class Trace:
    """The surge's inputs, drawn from one seed: who calls when, and their patience."""

    arrivals: list[float]                 # seconds after the start
    patience: list[float]
    volunteers: list[str]
    tiers: dict[int, list[str]]


def make_trace(args: argparse.Namespace, seed: int) -> Trace:
    rng = random.Random(seed)
    arrivals = sorted(rng.uniform(0, args.over) for _ in range(args.callers))
    patience = [rng.uniform(30, 120) for _ in range(args.callers)]
    volunteers = [f"+1415555{2000 + n:04d}" for n in range(args.volunteers)]
    primary = args.volunteers * 3 // 5
    return Trace(arrivals, patience, volunteers,
                 {1: volunteers[:primary], 2: volunteers[primary:]})


def phone_mix(rng: random.Random) -> Mix:
    """Each ring: 80% answer after 3-10 s and talk 20-60 s, 10% decline, 10% no answer."""
    choices: list[tuple[float, Phone]] = [
        (0.8 / 6, answers(after=rng.uniform(3, 10), talk_seconds=rng.uniform(20, 60)))
        for _ in range(6)
    ]
    choices += [(0.1, declines(after=rng.uniform(3, 10))), (0.1, rings_out())]
    return Mix(tuple(choices))


def seed_line(url: str, trace: Trace) -> None:
    from sqlalchemy.orm import Session

    from hotline.db import make_engine, upgrade
    from hotline.roster.models import Chapter, ChapterNumber, Shift, Volunteer

    engine = make_engine(url)
    upgrade(engine)
    with Session(engine) as session, session.begin():
        chapter = Chapter(slug="surge", name="Surge Line", timezone="America/New_York",
                          ring_timeout_seconds=RING_TIMEOUT, max_wait_seconds=MAX_WAIT,
                          wave_timeout_seconds=WAVE_TIMEOUT)
        session.add(chapter)
        session.flush()
        session.add(ChapterNumber(number=HOTLINE, chapter_id=chapter.id))
        for tier, phones in trace.tiers.items():
            for phone in phones:
                volunteer = Volunteer(name=f"Volunteer {phone[-4:]}", phone=phone)
                session.add(volunteer)
                session.flush()
                session.add(Shift(chapter_id=chapter.id, volunteer_id=volunteer.id,
                                  days="mon,tue,wed,thu,fri,sat,sun", start="00:00",
                                  end="00:00", tier=tier))
    engine.dispose()


@dataclass
class Outcome:
    label: str
    callers: int
    answered: int
    to_person: list[float]
    menu: int
    abandoned: int
    webhook: list[float]
    bound: int
    violations: dict[str, int]
    rung: int                           # volunteer phones rung in all
    idle_share: float                   # of volunteer time while some caller waited, idle
    takeover: float | None = None       # the slowest dial of an offer made around the kill


def run_round(args: argparse.Namespace, label: str, seed: int, kill: bool, tmp: Path
              ) -> Outcome:
    from hotline.standin.clock import RealClock
    from hotline.standin.openapi import SPEC_ENV
    from hotline.standin.rest import create_rest_app, serve_rest
    from hotline.standin.simulator import Simulator
    from hotline.standin.switchboard import Switchboard

    trace = make_trace(args, seed)
    rng = random.Random(seed + 1)
    database = Database(args.database_url, tmp, purpose=f"_surge{seed}")
    database.create()
    token = secrets.token_hex(16)
    board = Switchboard(RealClock(), ACCOUNT_SID, seed=f"surge-{seed}",
                        phones={number: phone_mix(rng) for number in trace.volunteers})
    spec = os.environ.get(SPEC_ENV)
    rest_url, stop_rest = serve_rest(create_rest_app(
        board, token, spec_path=Path(spec) if spec else None))
    port = free_port()
    env = _env(args, database.url, token, port, rest_url, tmp, seed)
    server = worker_a = worker_b = None
    try:
        seed_line(database.url, trace)
        server = start_hotline_serve(env, tmp, f"surge{seed}-serve", port)
        worker_a, worker_b = (hotline_worker(env, tmp, f"surge{seed}-{n}") for n in "ab")
        worker_a.wait_alive(args.redis_url, env["HOTLINE_QUEUE_NAME"])
        time.sleep(2.0)
        target = Timed(HttpTarget(f"http://127.0.0.1:{port}", token))
        sim = Simulator(target, board, settle=2.0)
        started = [sim.start_call(f"+1212555{n:04d}", HOTLINE,
                                  listens(patience=trace.patience[n]), after=at,
                                  status_callback=f"http://127.0.0.1:{port}/voice/status")
                   for n, at in enumerate(trace.arrivals)]
        began = time.monotonic()
        killed_at: list[datetime] = []
        if kill:
            threading.Timer(args.over / 2, _kill, (server.process.pid, worker_a,
                                                   board, killed_at)).start()
        _say(f"round {label}: {args.callers} callers over {args.over:.0f} s ...")
        sim.run_until_idle(limit=args.over + 600)
        _say(f"  played in {time.monotonic() - began:.0f} s")
        legs = [leg() for leg in started]
        return _measure(label, database.url, board, legs, trace, target, killed_at)
    finally:
        for process in (worker_a, worker_b):
            if process is not None:
                process.stop()
        if server is not None:
            server.stop()
        stop_rest()
        _clear_redis(args.redis_url, env["HOTLINE_QUEUE_NAME"])
        database.drop()


def _env(args: argparse.Namespace, url: str, token: str, port: int, rest_url: str, tmp: Path,
         seed: int) -> dict[str, str]:
    config = tmp / "empty.toml"
    config.write_text("# the bench configures hotline by HOTLINE_* variables alone\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOTLINE_")}
    env.update({
        "HOTLINE_CONFIG": str(config), "HOTLINE_APP_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "HOTLINE_APP_SECRET_KEY": secrets.token_urlsafe(24), "HOTLINE_APP_LOG_LEVEL": "WARNING",
        "HOTLINE_DATABASE_URL": url, "HOTLINE_QUEUE_REDIS_URL": args.redis_url,
        "HOTLINE_QUEUE_NAME": f"surge{os.getpid()}-{seed}",
        "HOTLINE_TWILIO_ACCOUNT_SID": ACCOUNT_SID, "HOTLINE_TWILIO_AUTH_TOKEN": token,
        "HOTLINE_TWILIO_API_BASE_URL": rest_url,
        # Twilio's default is 1 call a second; a line that expects surges has it raised.
        "HOTLINE_TWILIO_CALLS_PER_SECOND": str(args.calls_per_second),
        "HOTLINE_PRIVACY_KEY": secrets.token_urlsafe(24),
    })
    return env


def _kill(serve_pid: int, worker: Any, board: Any, killed_at: list[datetime]) -> None:
    """Kill -9 one gunicorn worker (its master starts another) and one `hotline worker`."""
    from _servers import process_tree

    children = [pid for pid in process_tree(serve_pid) if pid != serve_pid]
    if children:
        os.kill(children[0], signal.SIGKILL)
    for pid in process_tree(worker.process.pid):
        os.kill(pid, signal.SIGKILL)
    killed_at.append(board.now())
    _say("  killed one app process and one worker")


def _clear_redis(redis_url: str, name: str) -> None:
    from redis import Redis

    redis = Redis.from_url(redis_url)
    for pattern in (f"*{name}*",):
        for key in redis.scan_iter(match=pattern):
            redis.delete(key)


def _measure(label: str, url: str, board: Any, callers: Sequence[Leg], trace: Trace,
             target: Timed, killed_at: list[datetime]) -> Outcome:
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from hotline.db import make_engine
    from hotline.logs.contacts import list_contacts
    from hotline.logs.models import CallLeg, LegStatus

    engine = make_engine(url)
    with Session(engine) as session:
        records = {row.call_sid: row for row in list_contacts(session)}
        legs = list(session.scalars(select(CallLeg)))
    engine.dispose()
    outbound = [leg for leg in board.legs.values() if leg.direction == "outbound-api"]
    violations = _checks(callers, outbound, records, legs, trace)
    answered = [leg for leg in callers if leg.bridged_with]
    to_person = [(leg.bridged_with[0][1] - leg.created).total_seconds() for leg in answered]
    menu = sum(1 for leg in callers if "leave" in leg.queue_results)
    abandoned = sum(1 for leg in callers
                    if (row := records.get(leg.sid)) and row.outcome
                    and row.outcome.value == "abandoned")
    takeover = None
    if killed_at:
        around = [leg for leg in legs if abs((leg.created_at - killed_at[0])
                                             .total_seconds()) <= 10]
        waits = [((leg.dialled_at or leg.ended_at or leg.created_at) - leg.created_at)
                 .total_seconds() for leg in around if leg.status is not LegStatus.WITHDRAWN]
        takeover = max(waits, default=0.0)
    return Outcome(label, len(callers), len(answered), to_person, menu, abandoned,
                   list(target.seconds), offline_bound(trace, service_times(outbound)),
                   violations, len(outbound), idle_while_waiting(callers, outbound, trace),
                   takeover)


def idle_while_waiting(callers: Sequence[Leg], outbound: Sequence[Leg], trace: Trace) -> float:
    """The share of volunteer time, while at least one caller waited unanswered, that no
    phone of theirs was ringing or talking (sampled every half second)."""
    start = min(leg.created for leg in callers)
    end = max(leg.ended or leg.created for leg in callers)
    idle = total = 0
    moment = start
    step = timedelta(seconds=0.5)
    while moment < end:
        waiting = any(c.created <= moment < (c.bridged_with[0][1] if c.bridged_with
                                              else c.ended or end) for c in callers)
        if waiting:
            for number in trace.volunteers:
                total += 1
                idle += not any(leg.to == number and leg.created <= moment
                                < (leg.ended or end) for leg in outbound)
        moment += step
    return idle / total if total else 0.0


def service_times(outbound: Sequence[Leg]) -> list[float]:
    """How long each answered call held its volunteer's phone, from the first ring to the
    hang-up: the answer delay, the press-1 screen, the bridge and the talk."""
    return [((leg.ended or leg.created) - leg.created).total_seconds()
            for leg in outbound if leg.bridged_with]


def offline_bound(trace: Trace, services: Sequence[float]) -> int:
    """The most callers any dispatcher could have put through on these arrivals.

    An oracle that knows every caller's patience and every phone's answer in advance never
    rings a phone that will not answer; each call it puts through holds its volunteer as
    long as an answered call held one in this very run (drawn from those service times);
    a caller is served when a volunteer is free (earliest first) while they still wait.
    The real dispatcher rings phones that decline or ring out, and takes a moment to hear
    of each end; the ratio of the two is what the dispatch loses.
    """
    rng = random.Random(7)
    pool = list(services) or [50.0]
    free_at = [0.0] * len(trace.volunteers)
    served = 0
    for arrival, patience in zip(trace.arrivals, trace.patience, strict=True):
        soonest = min(range(len(free_at)), key=free_at.__getitem__)
        begin = max(arrival, free_at[soonest])
        if begin <= arrival + patience:
            served += 1
            free_at[soonest] = begin + rng.choice(pool)
    return served


def _checks(callers: Sequence[Leg], outbound: Sequence[Leg], records: dict[str, Any],
            legs: Sequence[Any], trace: Trace) -> dict[str, int]:
    """The surge's rules, counted over what the stand-in saw and what the app recorded."""
    found = {"volunteer bridged to two callers at once": 0, "caller bridged twice": 0,
             "calls without exactly one consistent record": 0,
             "voicemail while a volunteer on the plan sat free > 5 s": 0,
             "held past the maximum wait without an offer": 0,
             "phones never rung recorded as canceled": 0}
    spans: dict[str, list[tuple[datetime, datetime]]] = {}
    for leg in outbound:
        for _, start, end in leg.bridged_with:
            spans.setdefault(leg.to, []).append((start, end or leg.ended or start))
    for ranges in spans.values():
        ranges.sort()
        found["volunteer bridged to two callers at once"] += sum(
            1 for a, b in zip(ranges, ranges[1:], strict=False) if b[0] < a[1])
    busy: dict[str, list[tuple[datetime, datetime]]] = {}
    for leg in outbound:
        busy.setdefault(leg.to, []).append((leg.created, leg.ended or leg.created))
    declined = {(leg.call_id, leg.volunteer_name) for leg in legs
                if leg.outcome is not None and leg.outcome.value == "declined"}
    for caller in callers:
        found["caller bridged twice"] += len(caller.bridged_with) > 1
        row = records.get(caller.sid)
        consistent = row is not None and (
            bool(caller.bridged_with) == (row.answered_by is not None)
            and all(leg.outcome is not None for leg in row.legs))
        found["calls without exactly one consistent record"] += not consistent
        if "leave" in caller.queue_results and row is not None:
            left = caller.ended or caller.created
            for number in trace.volunteers:
                name = f"Volunteer {number[-4:]}"
                if any(declined_name == name for _, declined_name in declined):
                    continue
                last = max((end for _, end in busy.get(number, []) if end <= left),
                           default=caller.created)
                live = any(start <= left <= end for start, end in busy.get(number, []))
                if not live and (left - max(last, caller.created)).total_seconds() > 5:
                    found["voicemail while a volunteer on the plan sat free > 5 s"] += 1
                    break
        waited = ((caller.bridged_with[0][1] if caller.bridged_with else
                   caller.ended or caller.created) - caller.created).total_seconds()
        if not caller.bridged_with and "leave" not in caller.queue_results \
                and waited > MAX_WAIT + HOLD_CYCLE and (caller.ended is None or waited > 0):
            found["held past the maximum wait without an offer"] += 1
    for row in records.values():
        for leg in row.legs:
            if leg.outcome is not None and leg.outcome.value == "canceled":
                match = [x for x in legs if x.volunteer_name == leg.volunteer
                         and x.call_sid is None and x.outcome is not None
                         and x.outcome.value == "canceled"]
                found["phones never rung recorded as canceled"] += bool(match)
    return found


def report(outcomes: list[Outcome]) -> None:
    kinds: dict[str, list[Outcome]] = {}
    for outcome in outcomes:
        kinds.setdefault(outcome.label, []).append(outcome)
    print()
    print("median [lowest-highest] over the repeats")
    for label, runs in kinds.items():
        print(f"\n{label} ({len(runs)} runs, {runs[0].callers} callers each)")
        share = [r.answered / r.callers for r in runs]
        bound = [r.bound / r.callers for r in runs]
        ratio = [r.answered / r.bound for r in runs if r.bound]
        rows = [
            ("share answered", share, "{:.0%}"),
            ("offline bound on the share", bound, "{:.0%}"),
            ("answered / bound (target >= 0.9)", ratio, "{:.2f}"),
            ("time to a person, median s", [statistics.median(r.to_person) for r in runs
                                            if r.to_person], "{:.0f}"),
            ("time to a person, p90 s", [_pct(r.to_person, 90) for r in runs if r.to_person],
             "{:.0f}"),
            ("offered voicemail or call-back", [r.menu / r.callers for r in runs], "{:.0%}"),
            ("abandoned while waiting", [r.abandoned / r.callers for r in runs], "{:.0%}"),
            ("phones rung per answered call", [r.rung / r.answered for r in runs
                                               if r.answered], "{:.1f}"),
            ("volunteers idle while callers waited", [r.idle_share for r in runs], "{:.0%}"),
            ("webhook p50 ms", [_pct(r.webhook, 50) * 1000 for r in runs], "{:.0f}"),
            ("webhook p99 ms", [_pct(r.webhook, 99) * 1000 for r in runs], "{:.0f}"),
        ]
        takeovers = [r.takeover for r in runs if r.takeover is not None]
        if takeovers:
            rows.append(("slowest dial of an offer made near the kill, s", takeovers,
                         "{:.1f}"))
        for name, values, fmt in rows:
            print(f"  {name:<48}{_spread(values, fmt)}")
        for check in runs[0].violations:
            total = sum(r.violations[check] for r in runs)
            print(f"  check: {check:<41}{'ok' if total == 0 else f'{total} FAILED'}")


def _spread(values: Sequence[float], fmt: str) -> str:
    if not values:
        return "n/a"
    if len(values) == 1:
        return fmt.format(values[0])
    return (f"{fmt.format(statistics.median(values))} "
            f"[{fmt.format(min(values))}-{fmt.format(max(values))}]")


def _pct(values: Sequence[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))]


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1/postgres")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/14")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--callers", type=int, default=200)
    parser.add_argument("--over", type=float, default=60.0, help="seconds the callers arrive in")
    parser.add_argument("--volunteers", type=int, default=20)
    parser.add_argument("--calls-per-second", type=float, default=20.0)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="hotline-surge-"))
    outcomes: list[Outcome] = []
    for repeat in range(args.repeats):
        for kill in (False, True):
            label = "kill a worker and an app process mid-surge" if kill else "steady"
            outcomes.append(run_round(args, label, seed=repeat * 2 + kill, kill=kill, tmp=tmp))
            report(outcomes[-1:])
    report(outcomes)
    if args.json:
        args.json.write_text(json.dumps([o.__dict__ for o in outcomes], default=str, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
