"""Webhook throughput and latency of `POST /voice/incoming`, served, against a bare Flask app.

    /tmp/probe/bin/python bench/bench_webhooks.py            # PostgreSQL + Redis, ~5 minutes
    /tmp/probe/bin/python bench/bench_webhooks.py --sqlite   # a temporary SQLite file instead

The apps run under gunicorn with the settings `hotline serve` uses (2 workers, gthread, 4
threads); the hotline app is `hotline.app:create_app()` configured by HOTLINE_* variables, on
a database the bench makes with `hotline.db.upgrade` and drops at the end. Rounds: bare app;
the floor (bare + one INSERT a request); hotline with the seeded past contacts; the same after
growing them 10x; bare app again (its drift is the noise floor). During hotline rounds a
worker's dispatcher claims the new calls onto the fast lane, where nothing takes them: the
webhook and the dispatch are measured, the ringing is not. See bench/README.md.
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import shutil
import signal
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _load import ACCOUNT_SID, Caller, RoundResult, run_round  # noqa: E402
from _profile import start_profiler  # noqa: E402
from _seed import callers_pool, seed_contacts, seed_roster, vacuum_analyze  # noqa: E402
from _servers import (  # noqa: E402
    THREADS,
    WORKER_CLASS,
    WORKERS,
    Database,
    Dispatcher,
    Server,
    WorkerPresence,
    free_port,
    start_server,
)

PUBLIC_URL = "https://hotline.bench.invalid"
CALLERS_USED: set[str] = set()


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    signal.signal(signal.SIGTERM, _interrupt)
    tmp = Path(tempfile.mkdtemp(prefix="hotline-bench-"))
    database = Database(None if args.sqlite else args.database_url, tmp)
    token = secrets.token_hex(16)
    env = _hotline_env(args, database.url, token, tmp)
    presence: WorkerPresence | None = None
    created = False
    results: list[RoundResult] = []
    began = time.monotonic()
    try:
        bare = lambda label: _round(args, label, "_bare:create_app()", env, tmp, token,  # noqa: E731
                                    numbers=("+18000000001",), seed=len(results))
        if args.bare_only:
            results.append(bare("bare Flask"))
            _report(args, results, "none (bare app only)", began)
            _privacy_check(tmp)
            return 0
        from hotline.db import make_engine, upgrade
        from hotline.privacy import Privacy

        database.create()
        created = True
        engine = make_engine(database.url)
        upgrade(engine)
        privacy = Privacy(env["HOTLINE_PRIVACY_KEY"])
        _say(f"seeding {args.chapters} chapters, {args.volunteers} volunteers, shifts ...")
        roster = seed_roster(engine, privacy, args.chapters, args.volunteers, bans=1000, seed=1)
        _check_on_call(engine, len(roster.numbers))
        callers = callers_pool(privacy, 20_000, seed=2)
        _say(f"seeding {args.contacts:,} past contacts ...")
        took = seed_contacts(database.url, roster, callers, args.contacts, seed=3)
        vacuum_analyze(engine)
        _say(f"  {took:.0f} s")
        presence = WorkerPresence(args.redis_url, env["HOTLINE_QUEUE_NAME"])

        def floor(url: str) -> RoundResult:
            with engine.begin() as conn:
                conn.exec_driver_sql("CREATE TABLE bench_floor (call_sid varchar(34) PRIMARY KEY,"
                                     " at timestamptz NOT NULL DEFAULT now())")
            floor_env = {**env, "BENCH_FLOOR_DATABASE_URL": url.replace("+psycopg", "")}
            return _round(args, "floor: bare + 1 INSERT", "_floor:create_app()", floor_env, tmp,
                          token, numbers=("+18000000001",), seed=len(results))

        def hotline(label: str) -> RoundResult:
            assert presence is not None
            dispatcher = Dispatcher(env, tmp, f"dispatch{len(results)}")
            try:
                result = _round(args, label, "hotline.app:create_app()", env, tmp, token,
                                numbers=roster.numbers, seed=len(results))
            finally:
                dispatcher.stop()
            lane, rq = presence.queued()
            with engine.begin() as conn:
                waiting = conn.exec_driver_sql(
                    "UPDATE calls SET awaiting_dispatch = false WHERE awaiting_dispatch").rowcount
            _say(f"  ringing jobs dispatched to the fast lane: {lane:,}; as RQ jobs: {rq:,}; "
                 f"calls not yet dispatched at the end: {waiting:,} (none run)")
            presence.empty()
            return result

        results.append(bare("bare Flask"))
        if database.is_postgres:
            results.append(floor(database.url))
        results.append(hotline(f"hotline, {args.contacts:,} contacts"))
        grown = args.contacts * args.growth
        _say(f"growing past contacts to {grown:,} ...")
        took = seed_contacts(database.url, roster, callers, grown - args.contacts, seed=4)
        vacuum_analyze(engine)
        _say(f"  {took:.0f} s")
        results.append(hotline(f"hotline, {grown:,} contacts"))
        results.append(bare("bare Flask (again)"))
        engine.dispose()
        _report(args, results, database.label, began)
        _privacy_check(tmp)
        return 0
    except KeyboardInterrupt:
        _say("interrupted: cleaning up")
        return 130
    finally:
        if presence is not None:
            presence.close()
        if created:
            database.drop()
        if args.keep_logs:
            shutil.copytree(tmp, args.keep_logs, dirs_exist_ok=True)
        shutil.rmtree(tmp, ignore_errors=True)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1/postgres",
                        help="PostgreSQL server to make (and drop) hotline_bench_<pid> on")
    parser.add_argument("--sqlite", action="store_true", help="a temporary SQLite file instead")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/14")
    parser.add_argument("--duration", type=float, default=20.0, help="measured seconds a round")
    parser.add_argument("--warmup", type=float, default=3.0, help="unmeasured seconds first")
    parser.add_argument("--connections", type=int, default=8,
                        help="keep-alive connections (default: one per gunicorn thread)")
    parser.add_argument("--per-connection", type=int, default=50,
                        help="requests on a connection before it is opened again")
    parser.add_argument("--chapters", type=int, default=500)
    parser.add_argument("--volunteers", type=int, default=10_000)
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--growth", type=int, default=10, help="past contacts multiply by this")
    parser.add_argument("--profile", choices=("cpu", "wall"),
                        help="py-spy the hotline workers and print the hot spots (slows them)")
    parser.add_argument("--keep-logs", type=Path, metavar="DIR",
                        help="copy the server logs (and profiles) here at the end")
    parser.add_argument("--bare-only", action="store_true",
                        help="check the harness: one round against the bare app, no database")
    return parser


def _hotline_env(args: argparse.Namespace, url: str, token: str, tmp: Path) -> dict[str, str]:
    """The process environment with the app's settings as HOTLINE_* variables only."""
    config = tmp / "empty.toml"
    config.write_text("# the bench configures hotline by HOTLINE_* variables alone\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOTLINE_")}
    env.update({
        "HOTLINE_CONFIG": str(config),               # never a stray ./hotline.toml
        "HOTLINE_APP_PUBLIC_URL": PUBLIC_URL,
        "HOTLINE_APP_SECRET_KEY": secrets.token_urlsafe(24),
        "HOTLINE_APP_LOG_LEVEL": "INFO",
        "HOTLINE_DATABASE_URL": url,
        "HOTLINE_QUEUE_REDIS_URL": args.redis_url,
        "HOTLINE_QUEUE_NAME": f"bench{os.getpid()}",
        "HOTLINE_TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "HOTLINE_TWILIO_AUTH_TOKEN": token,
        # Nothing listens there: a job that slipped through could never reach Twilio.
        "HOTLINE_TWILIO_API_BASE_URL": f"http://127.0.0.1:{free_port()}",
        "HOTLINE_TWILIO_TIMEOUT_SECONDS": "2",
        "HOTLINE_PRIVACY_KEY": secrets.token_urlsafe(24),
    })
    return env


def _round(args: argparse.Namespace, label: str, app: str, env: dict[str, str], tmp: Path,
           token: str, numbers: tuple[str, ...], seed: int) -> RoundResult:
    _say(f"round: {label} ({args.warmup:.0f} s warm-up, {args.duration:.0f} s measured)")
    name = f"{seed}-" + re.sub(r"\W+", "-", label).strip("-")     # seed: the round's index
    server: Server = start_server(name, app, env, tmp)
    profiler = None
    if args.profile and app.startswith("hotline"):
        profiler = start_profiler(server.process.pid, args.warmup + args.duration,
                                  tmp / f"{server.name}.pyspy.txt", wall=args.profile == "wall")
        if profiler is None:
            _say("  --profile: py-spy is not installed next to this Python")
    try:
        caller = Caller(PUBLIC_URL, token, f"127.0.0.1:{server.port}", numbers, seed=seed)
        result = run_round(label, ("127.0.0.1", server.port), caller.request,
                           connections=args.connections, warmup=args.warmup,
                           duration=args.duration, per_connection=args.per_connection)
        CALLERS_USED.update(caller.callers_used)
        if profiler is not None:
            print(f"\nprofile of the {label} workers (py-spy, {args.profile}):\n"
                  f"{profiler.finish()}\n", flush=True)
    finally:
        server.stop()
    spread = "/".join(f"{share:.0%}" for share in server.spread())
    _say(f"  {result.throughput:,.0f} req/s, p50 {result.percentile(50):.1f} ms, "
         f"load generator {result.client_cpu:.0%} of one CPU, requests per worker {spread}")
    return result


def _check_on_call(engine: object, chapters: int) -> None:
    """Through the app's own rota code: someone is on call now in every sampled chapter."""
    from sqlalchemy.orm import Session

    from hotline.roster.oncall import on_call
    from hotline.roster.store import load_rota

    now = datetime.now(UTC)
    with Session(engine) as session:  # type: ignore[arg-type]
        for chapter_id in range(1, chapters + 1, max(1, chapters // 25)):
            if not on_call(load_rota(session, chapter_id, now), now).volunteers:
                raise RuntimeError(f"seeding error: nobody on call in chapter {chapter_id}")


def _report(args: argparse.Namespace, results: list[RoundResult], db: str, began: float) -> None:
    print()
    print(f"POST /voice/incoming, gunicorn {WORKERS} workers x {THREADS} threads "
          f"({WORKER_CLASS}), {args.connections} keep-alive connections, {os.cpu_count()} CPUs")
    print(f"database: {db}; Redis {args.redis_url}")
    print("the webhook path and the dispatch of its calls are measured: ringing jobs are "
          "pushed to the fast lane, never run")
    print()
    print(f"{'round':<28}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'requests':>10}"
          "  answers")
    for r in results:
        answers = ", ".join(f"{verb} {n / r.completed:.0%}" for verb, n in r.verbs.most_common())
        statuses = ", ".join(f"{code} x{n}" for code, n in sorted(r.statuses.items()))
        print(f"{r.label:<28}{r.throughput:>9,.0f}{r.percentile(50):>9.1f}"
              f"{r.percentile(95):>9.1f}{r.percentile(99):>9.1f}{r.completed:>10,}  "
              f"{answers} [{statuses}]")
        if r.error_sample:
            from hotline.privacy import mask_numbers

            print(f"{'':<28}first error: {mask_numbers(r.error_sample)!r}")
    print()
    bare = [r for r in results if r.label.startswith("bare")]
    hot = [r for r in results if r.label.startswith("hotline")]
    if len(bare) == 2:
        print(f"bare drift (again / first):            {_ratio(bare[1], bare[0])}  "
              "(run-to-run noise)")
    if bare and hot:
        base = sum(r.throughput for r in bare) / len(bare)
        print(f"throughput, hotline / bare:            {hot[0].throughput / base:.2f}  "
              f"(target >= 0.50; bare = mean of {len(bare)} rounds)")
    floors = [r for r in results if r.label.startswith("floor")]
    if bare and floors:
        base = sum(r.throughput for r in bare) / len(bare)
        print(f"throughput, floor / bare:              {floors[0].throughput / base:.2f}  "
              "(one INSERT a request: the most a recording webhook can reach here)")
        if hot:
            print(f"throughput, hotline / floor:           "
                  f"{_ratio(hot[0], floors[0])}")
    if len(hot) == 2:
        print(f"throughput, hotline x{args.growth} / hotline:       {_ratio(hot[1], hot[0])}  "
              "(target ~1.00: no slowdown)")
        p95 = hot[1].percentile(95) / hot[0].percentile(95)
        print(f"p95 latency, hotline x{args.growth} / hotline:      {p95:.2f}")
    print(f"\nwhole bench: {time.monotonic() - began:.0f} s")


def _ratio(a: RoundResult, b: RoundResult) -> str:
    return f"{a.throughput / b.throughput:.2f}" if b.throughput else "n/a"


def _privacy_check(tmp: Path) -> None:
    """Server logs are scanned for the bench callers' numbers in clear (a count is printed)."""
    found = 0
    for log in tmp.glob("*.log"):
        for run in re.findall(r"\d{10,}", log.read_text(errors="replace")):
            found += "+" + run in CALLERS_USED or "+1" + run in CALLERS_USED
    print(f"callers' numbers in clear in the server logs: {found} "
          f"(of {len(CALLERS_USED):,} callers)")


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _interrupt(_signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt


if __name__ == "__main__":
    sys.exit(main())
