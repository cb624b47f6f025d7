"""The incoming-call webhook, served: throughput against a bare Flask app and a floor, time
from a call's arrival to its first volunteer's REST request, and what an idle deployment costs.

    python bench/bench_webhooks.py            # PostgreSQL + Redis, about 10 minutes
    python bench/bench_webhooks.py --sqlite   # a temporary SQLite file instead (no floor)

Every round runs --repeats times (3), interleaved (bare, floor, hotline, latency; bare, ...),
and the report gives each figure's median and its spread (lowest to highest). The servers
run under gunicorn with the settings `hotline serve` uses; hotline is `hotline.app:create_app()`
configured by HOTLINE_* variables, on a database the bench makes and drops. See
bench/README.md for what each round serves, seeds and sends.
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _load import ACCOUNT_SID, Caller, RoundResult, run_round  # noqa: E402
from _profile import start_profiler  # noqa: E402
from _rest import RecordingCarrier  # noqa: E402
from _seed import callers_pool, seed_contacts, seed_roster, vacuum_analyze  # noqa: E402
from _servers import (  # noqa: E402
    REPO,
    THREADS,
    WORKER_CLASS,
    WORKERS,
    Database,
    Jobs,
    Server,
    cpu_seconds,
    free_port,
    hotline_worker,
    listener,
    memory_kb,
    process_tree,
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
    jobs: Jobs | None = None
    created = False
    rounds: dict[str, list[RoundResult]] = {}
    latencies: list[list[float]] = []
    began = time.monotonic()
    try:
        def bare(label: str) -> RoundResult:
            return _round(args, label, "_bare:create_app()", env, tmp, token,
                          numbers=("+18000000001",), seed=sum(map(len, rounds.values())))

        if args.bare_only:
            rounds["bare Flask"] = [bare("bare Flask")]
            _report(args, rounds, [], None, "none (bare app only)", began)
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
        jobs = Jobs(args.redis_url, env["HOTLINE_QUEUE_NAME"])
        if database.is_postgres:
            with engine.begin() as conn:
                conn.exec_driver_sql("CREATE TABLE bench_floor (call_sid varchar(34) PRIMARY "
                                     "KEY, at timestamptz NOT NULL DEFAULT now())")
        unused = list(roster.numbers)       # each latency call rings a chapter no call has yet

        def floor() -> RoundResult:
            floor_env = {**env, "BENCH_FLOOR_DATABASE_URL":
                         database.url.replace("+psycopg", "")}
            return _round(args, "floor: bare + 1 INSERT", "_floor:create_app()", floor_env,
                          tmp, token, numbers=("+18000000001",),
                          seed=sum(map(len, rounds.values())))

        def hotline(label: str) -> RoundResult:
            assert jobs is not None
            helper = listener(env, tmp, f"listener{sum(map(len, rounds.values()))}")
            try:
                helper.wait_alive(args.redis_url, env["HOTLINE_QUEUE_NAME"])
                result = _round(args, label, "hotline.app:create_app()", env, tmp, token,
                                numbers=roster.numbers, seed=sum(map(len, rounds.values())))
            finally:
                helper.stop()
            handed = jobs.queued()
            with engine.begin() as conn:
                waiting = conn.exec_driver_sql(
                    "UPDATE calls SET awaiting_dispatch = false WHERE awaiting_dispatch"
                ).rowcount
            _say(f"  calls handed to the workers as jobs: {handed:,}; left unclaimed at the "
                 f"end: {waiting:,} (no job runs in this round)")
            jobs.empty()
            return result

        for repeat in range(args.repeats):
            _say(f"-- repeat {repeat + 1} of {args.repeats}")
            rounds.setdefault("bare Flask", []).append(bare("bare Flask"))
            if database.is_postgres:
                rounds.setdefault("floor: bare + 1 INSERT", []).append(floor())
            label = f"hotline, {args.contacts:,} contacts"
            rounds.setdefault(label, []).append(hotline(label))
            latencies.append(_latency_round(args, env, tmp, token, unused, jobs))
        if args.growth > 1:
            grown = args.contacts * args.growth
            _say(f"growing past contacts to {grown:,} ...")
            took = seed_contacts(database.url, roster, callers, grown - args.contacts, seed=4)
            vacuum_analyze(engine)
            _say(f"  {took:.0f} s")
            for _ in range(args.repeats):
                label = f"hotline, {grown:,} contacts"
                rounds.setdefault(label, []).append(hotline(label))
        idle = _idle_round(args, env, tmp) if database.is_postgres else None
        engine.dispose()
        _report(args, rounds, latencies, idle, database.label, began)
        _privacy_check(tmp)
        return 0
    except KeyboardInterrupt:
        _say("interrupted: cleaning up")
        return 130
    finally:
        if jobs is not None:
            jobs.close()
        if created:
            database.drop()
        if args.keep_logs:
            shutil.copytree(tmp, args.keep_logs, dirs_exist_ok=True)
        shutil.rmtree(tmp, ignore_errors=True)


def _latency_round(args: argparse.Namespace, env: dict[str, str], tmp: Path, token: str,
                   unused: list[str], jobs: Jobs) -> list[float]:
    """Seconds from sending each call's webhook to its first volunteer's REST request, with a
    real `hotline worker` ringing through a REST stand-in that only notes the requests."""
    from hotline.standin.rest import create_rest_app, serve_rest

    carrier = RecordingCarrier(ACCOUNT_SID)
    rest_url, stop_rest = serve_rest(create_rest_app(carrier, token))
    round_env = {**env, "HOTLINE_TWILIO_API_BASE_URL": rest_url,
                 "HOTLINE_TWILIO_CALLS_PER_SECOND": "20"}
    label = f"latency{len(unused)}"
    _say(f"round: arrival to first REST request ({args.latency_calls} calls, one at a time)")
    server = start_server(label, "hotline.app:create_app()", round_env, tmp)
    worker = hotline_worker(round_env, tmp, label)
    measured: list[float] = []
    try:
        worker.wait_alive(args.redis_url, env["HOTLINE_QUEUE_NAME"])
        time.sleep(2.0)                     # the listener is connected
        # A seed of this round's own: a CallSid seen before is a retried webhook, which the
        # app answers as the first time without ringing anyone again.
        caller = Caller(PUBLIC_URL, token, f"127.0.0.1:{server.port}", ("+10000000000",),
                        seed=1_000 + len(unused))
        for n in range(args.latency_calls + 3):
            number = unused.pop()
            body = caller.request_to(number)
            sent = time.monotonic()
            connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
            connection.request("POST", "/voice/incoming", body=body[1], headers=body[0])
            connection.getresponse().read()
            connection.close()
            deadline = sent + 5.0
            while (asked := carrier.first_after(sent, number)) is None:
                if time.monotonic() > deadline:
                    break
                time.sleep(0.002)
            if n >= 3 and asked is not None:            # three warm-up calls first
                measured.append(asked - sent)
            elif n >= 3:
                _say(f"  a call rang nobody within 5 s (chapter {number[-4:]})")
            time.sleep(0.4)
        CALLERS_USED.update(caller.callers_used)
    finally:
        worker.stop()
        server.stop()
        stop_rest()
        jobs.empty()
    _say(f"  p50 {_pct(measured, 50) * 1000:.0f} ms, p95 {_pct(measured, 95) * 1000:.0f} ms")
    return measured


def _idle_round(args: argparse.Namespace, env: dict[str, str], tmp: Path
                ) -> dict[str, float]:
    """An idle `hotline worker`'s database transactions; `hotline serve --workers 2` and one
    worker at rest: CPU and memory. On a database of its own with an empty line, so nothing
    else (autovacuum after the seeding, say) adds transactions to the count."""
    from hotline.db import make_engine, upgrade

    _say(f"round: idle ({args.idle:.0f} s with a worker alone, then with `hotline serve`)")
    database = Database(args.database_url, tmp, purpose="_idle")
    database.create()
    engine = make_engine(database.url)
    upgrade(engine)
    engine.dispose()
    env = {**env, "HOTLINE_DATABASE_URL": database.url}
    worker = hotline_worker(env, tmp, "idle")
    figures: dict[str, float] = {}
    try:
        worker.wait_alive(args.redis_url, env["HOTLINE_QUEUE_NAME"])
        # A backend reports its counts when it has been idle a while (PostgreSQL flushes
        # statistics at most every 10 s): wait, so the start-up's own queries are counted
        # before the window opens, not inside it.
        time.sleep(15.0)
        before, cpu = database.transactions(), cpu_seconds(process_tree(worker.process.pid))
        time.sleep(args.idle)
        after = database.transactions()   # reported with the same lag as `before`
        figures["worker transactions per 10 s"] = (after - before) / args.idle * 10
        figures["worker CPU %"] = (cpu_seconds(process_tree(worker.process.pid)) - cpu) \
            / args.idle * 100
        port = free_port()
        log = (tmp / "idle.serve.log").open("wb")
        serve = subprocess.Popen(
            [sys.executable, "-m", "hotline", "serve", "--port", str(port), "--workers", "2"],
            env={**env, "PYTHONPATH": str(REPO)}, stdout=log, stderr=subprocess.STDOUT,
            cwd=REPO, start_new_session=True)
        try:
            time.sleep(8.0)                            # started, and settled
            pids = process_tree(serve.pid) + process_tree(worker.process.pid)
            cpu = cpu_seconds(pids)
            time.sleep(args.idle)
            figures["serve + worker CPU %"] = (cpu_seconds(pids) - cpu) / args.idle * 100
            rss, pss = memory_kb(pids)
            figures["serve + worker RSS MiB"] = rss / 1024
            figures["serve + worker PSS MiB"] = pss / 1024
            figures["processes"] = len(pids)
        finally:
            os.killpg(serve.pid, signal.SIGTERM)
            serve.wait(timeout=30)
            log.close()
    finally:
        worker.stop()
        database.drop()
    return figures


def _pct(values: Sequence[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1/postgres",
                        help="PostgreSQL server to make (and drop) hotline_bench_<pid> on")
    parser.add_argument("--sqlite", action="store_true", help="a temporary SQLite file instead")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/14")
    parser.add_argument("--duration", type=float, default=15.0, help="measured seconds a round")
    parser.add_argument("--warmup", type=float, default=3.0, help="unmeasured seconds first")
    parser.add_argument("--connections", type=int, default=8,
                        help="keep-alive connections (default: one per gunicorn thread)")
    parser.add_argument("--per-connection", type=int, default=50,
                        help="requests on a connection before it is opened again")
    parser.add_argument("--chapters", type=int, default=500)
    parser.add_argument("--volunteers", type=int, default=10_000)
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--growth", type=int, default=1,
                        help="then grow past contacts this many times and measure again")
    parser.add_argument("--repeats", type=int, default=3, help="times each round runs")
    parser.add_argument("--latency-calls", type=int, default=30,
                        help="calls timed one at a time in each latency round")
    parser.add_argument("--idle", type=float, default=60.0,
                        help="seconds each idle measurement lasts")
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


def _report(args: argparse.Namespace, rounds: dict[str, list[RoundResult]],
            latencies: list[list[float]], idle: dict[str, float] | None, db: str,
            began: float) -> None:
    print()
    print(f"POST /voice/incoming, gunicorn {WORKERS} workers x {THREADS} threads "
          f"({WORKER_CLASS}), {args.connections} keep-alive connections, {os.cpu_count()} CPUs")
    print(f"database: {db}; Redis {args.redis_url}; each round {args.repeats} times, "
          "interleaved: median [lowest-highest]")
    print()
    print(f"{'round':<30}{'req/s':>22}{'p50 ms':>20}{'p95 ms':>20}  answers")
    for label, results in rounds.items():
        answers = results[-1].verbs.most_common()
        done = results[-1].completed or 1
        print(f"{label:<30}{_spread([r.throughput for r in results], '{:,.0f}'):>22}"
              f"{_spread([r.percentile(50) for r in results], '{:.1f}'):>20}"
              f"{_spread([r.percentile(95) for r in results], '{:.1f}'):>20}  "
              + ", ".join(f"{verb} {n / done:.0%}" for verb, n in answers))
        for r in results:
            if r.error_sample:
                from hotline.privacy import mask_numbers

                print(f"{'':<30}error: {mask_numbers(r.error_sample)!r}")
    print()
    bare = rounds.get("bare Flask", [])
    floor = rounds.get("floor: bare + 1 INSERT", [])
    hot = next((v for k, v in rounds.items() if k.startswith("hotline")), [])
    def ratio(a: list[RoundResult], b: list[RoundResult]) -> str:
        return _spread(
            [x.throughput / y.throughput for x, y in zip(a, b, strict=False) if y.throughput],
            "{:.2f}")
    if hot and floor:
        print(f"throughput, hotline / floor:     {ratio(hot, floor)}  (target >= 0.45)")
    if hot and bare:
        print(f"throughput, hotline / bare:      {ratio(hot, bare)}")
    if floor and bare:
        print(f"throughput, floor / bare:        {ratio(floor, bare)}  (one INSERT a request)")
    grown = [v for k, v in rounds.items() if k.startswith("hotline")][1:]
    if grown and hot:
        print(f"throughput, grown / hotline:     {ratio(grown[0], hot)}  (target ~1.00)")
    if latencies:
        p50 = [_pct(round_, 50) * 1000 for round_ in latencies if round_]
        p95 = [_pct(round_, 95) * 1000 for round_ in latencies if round_]
        print(f"arrival to first REST request:   p50 {_spread(p50, '{:.0f}')} ms "
              f"(target <= 150), p95 {_spread(p95, '{:.0f}')} ms (target <= 300); "
              f"{sum(map(len, latencies))} calls")
    if idle:
        print(f"idle worker:                     "
              f"{idle['worker transactions per 10 s']:.2f} database transactions per 10 s "
              f"(target <= 1), {idle['worker CPU %']:.1f}% of a CPU")
        print(f"idle `hotline serve` (2) + worker: {idle['serve + worker CPU %']:.1f}% of a CPU, "
              f"RSS {idle['serve + worker RSS MiB']:.0f} MiB, "
              f"PSS {idle['serve + worker PSS MiB']:.0f} MiB "
              f"({idle['processes']:.0f} processes)")
    print(f"\nwhole bench: {time.monotonic() - began:.0f} s")


def _spread(values: Sequence[float], fmt: str) -> str:
    if not values:
        return "n/a"
    if len(values) == 1:
        return fmt.format(values[0])
    return (f"{fmt.format(statistics.median(values))} "
            f"[{fmt.format(min(values))}-{fmt.format(max(values))}]")


def _privacy_check(tmp: Path) -> None:
    """Server logs are scanned for the bench callers' numbers in clear (a count is printed)."""
    found = 0
    for log in tmp.glob("*.log"):
        for run in re.findall(r"\d{10,}", log.read_text(errors="replace")):
            found += "+" + run in CALLERS_USED or "+1" + run in CALLERS_USED
    print(f"callers' numbers in clear in the server and worker logs: {found} "
          f"(of {len(CALLERS_USED):,} callers)")


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _interrupt(_signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt


if __name__ == "__main__":
    sys.exit(main())
