"""Play whole calls against a web app, as Twilio would, and report what happened.

    board = Switchboard(phones={"+16175550111": answers(after=4, press="1")})
    sim = Simulator(WsgiTarget(app, "https://hotline.test", token), board)
    report = sim.call("+16175550100", "+16175550199", caller=listens(hang_up_after=300))

On the virtual clock (the default) time jumps from event to event; with a `RealClock`
switchboard the same run takes real seconds against a served app.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

from hotline.standin.calls import Leg
from hotline.standin.clock import VirtualClock
from hotline.standin.phones import Caller, Party
from hotline.standin.report import CallReport, call_report
from hotline.standin.switchboard import TIME_LIMIT, Switchboard
from hotline.standin.texting import incoming_text
from hotline.standin.transport import Target

Hook = Callable[[datetime], None]


class Simulator:
    """Drives a `Switchboard` against a webhook `Target` until the calls are over."""

    def __init__(
        self,
        target: Target,
        switchboard: Switchboard | None = None,
        *,
        voice_url: str | None = None,
        on_advance: Hook | None = None,
        tick: float | None = None,
        mask: Callable[[str], str] | None = None,
        settle: float = 0.3,
    ) -> None:
        self.target = target
        self.board = switchboard or Switchboard()
        self.board.attach(target)
        self.voice_url = voice_url or f"{target.public_url}/voice/incoming"
        self.hooks: list[Hook] = [on_advance] if on_advance else []
        self.tick = tick          # call the hooks at least this often while calls are live
        self.mask = mask
        self.settle = settle      # real time: how long nothing must happen to call it idle
        self._hooked_at: datetime | None = None
        self._alarms: list[Callable[[], datetime | None]] = []

    @property
    def now(self) -> datetime:
        return self.board.now()

    def on_advance(self, hook: Hook, *, next_due: Callable[[], datetime | None] | None = None
                   ) -> None:
        """Run `hook(now)` whenever time is about to move on, e.g. to run due jobs. With
        `next_due` (when the hook next has work), `advance` stops at that instant too: a job
        delayed to 14:05 runs at 14:05, not when the advance ends."""
        self.hooks.append(hook)
        if next_due is not None:
            self._alarms.append(next_due)

    def start_call(
        self, from_: str, to: str, caller: Party | None = None, *, after: float = 0.0,
        voice_url: str | None = None, method: str = "POST",
        extra: Mapping[str, str] | None = None, status_callback: str | None = None,
        status_events: tuple[str, ...] = ("completed",),
    ) -> Callable[[], Leg]:
        """Schedule an inbound call `after` seconds from now; returns a getter for its leg."""
        made: list[Leg] = []

        def ring() -> None:
            made.append(self.board.incoming(
                from_, to, caller or Caller(), voice_url or self.voice_url, method=method,
                extra=extra, status_callback=status_callback, status_events=status_events,
            ))

        self.board.scheduler.after(after, ring)

        def leg() -> Leg:
            if not made:
                raise LookupError("that call has not started yet")
            return made[0]

        return leg

    def call(
        self, from_: str, to: str, caller: Party | None = None, *,
        voice_url: str | None = None, method: str = "POST",
        extra: Mapping[str, str] | None = None, status_callback: str | None = None,
        status_events: tuple[str, ...] = ("completed",),
    ) -> CallReport:
        """Play one inbound call (and every leg it leads to) to the end; report it."""
        leg = self.start_call(
            from_, to, caller, voice_url=voice_url, method=method, extra=extra,
            status_callback=status_callback, status_events=status_events,
        )
        self.run_until_idle()
        return self.report(leg())

    def text(self, from_: str, to: str, body: str, *, url: str | None = None) -> list[str]:
        """Text `body` from `from_` to the app's number `to`; the replies, sent back at once
        (also in the switchboard's messages)."""
        return incoming_text(self.board, from_, to, body,
                             url or f"{self.target.public_url}/sms/incoming")

    def report(self, leg: Leg | Callable[[], Leg]) -> CallReport:
        call = leg if isinstance(leg, Leg) else leg()
        board = self.board
        return call_report(
            call, list(board.legs.values()), board.recordings, board.messages, board.errors,
            board.transcript, self.now, self.mask,
        )

    def live(self) -> bool:
        return any(leg.live for leg in list(self.board.legs.values()))

    def _hook(self) -> None:
        now = self.now
        if self._hooked_at == now:
            return
        self._hooked_at = now
        for hook in self.hooks:
            hook(now)

    def run_until_idle(self, *, limit: float = TIME_LIMIT + 3600) -> None:
        """Run until no call is live and nothing is pending (or `limit` seconds pass)."""
        scheduler = self.board.scheduler
        deadline = self.now + timedelta(seconds=limit)
        while self.now < deadline:
            upcoming = scheduler.next_time()
            if upcoming is None or upcoming > self.now:
                self._hook()           # time is about to move (or stop): due jobs first
                upcoming = scheduler.next_time()
            if upcoming is None and self.tick and self.live():
                scheduler.after(self.tick, lambda: None)
            elif (upcoming is not None and self.tick and self.live()
                  and upcoming > self.now + timedelta(seconds=self.tick)):
                scheduler.after(self.tick, lambda: None)
            if not scheduler.step(deadline, idle_wait=self.settle):
                if scheduler.next_time() is None:
                    self._hooked_at = None
                    self._hook()
                    if scheduler.next_time() is None:
                        return
                elif not self.board.clock.virtual:
                    continue
                else:
                    return

    def advance(self, seconds: float) -> None:
        """Let `seconds` pass, running whatever falls due (and the hooks) on the way."""
        scheduler = self.board.scheduler
        clock = self.board.clock
        until = self.now + timedelta(seconds=seconds)
        while True:
            stop = until
            if isinstance(clock, VirtualClock):
                alarms = [due for alarm in self._alarms if (due := alarm()) is not None]
                stop = min([until, *(due for due in alarms if due > self.now)])
            while scheduler.step(stop, idle_wait=0.0 if clock.virtual else seconds):
                if (scheduler.next_time() or stop) > self.now:
                    self._hook()
            if isinstance(clock, VirtualClock):
                clock.advance_to(stop)
            self._hooked_at = None
            self._hook()
            if stop >= until:
                return

    @property
    def transcript(self) -> str:
        return self.board.transcript.render(mask=self.mask)
