"""`<Enqueue>`, `<Leave>` and `<Dial><Queue>`: callers held in named queues, then bridged."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING
from xml.etree.ElementTree import Element

from hotline.standin.calls import Finish, Leg, Waiting
from hotline.standin.transcript import short

if TYPE_CHECKING:
    from hotline.standin.twiml import Player

DEFAULT_MUSIC = 30.0     # seconds of Twilio's default hold music before it loops


def queue_sid(account_sid: str, name: str) -> str:
    return "QU" + hashlib.sha256(f"{account_sid}:{name}".encode()).hexdigest()[:32]


def enqueue(player: Player, leg: Leg, verb: Element) -> None:
    board = player.board
    name = (verb.text or "").strip()
    action = verb.get("action")
    wait_url = verb.get("waitUrl")
    waiting = Waiting(
        queue=name, action=player.resolve(leg, action) if action else None,
        method=verb.get("method", "POST"),
        wait_url=player.resolve(leg, wait_url) if wait_url else None,
        wait_method=verb.get("waitUrlMethod", "POST"), entered=board.now(),
        doc_url=leg.doc_url,
    )
    saved = (leg.doc_url, leg.verbs, leg.index)
    queue = board.queues.setdefault(name, [])
    queue.append(leg)
    leg.waiting = waiting
    board.log(leg, f"{board.who(leg)} joins queue {name} (position {len(queue)})", leg.to)

    def on_hangup(why: str) -> None:
        if leg.waiting is not waiting:
            return
        _leave_queue(player, leg, waiting)
        result = "hangup" if why == "hangup" else "redirected"
        leg.queue_results.append(result)
        # Twilio's Enqueue page: when a call is dequeued "due to a REST API request or the
        # <Leave> verb, the action URL is requested right away"; its answer cannot steer a
        # call that REST already sent elsewhere, so it is ignored. Whether a Calls update (as
        # opposed to a Queue Member dequeue) counts is not stated: `enqueue_action_on_redirect`
        # lets a test run either way.
        if waiting.action and (why == "hangup" or board.enqueue_action_on_redirect):
            board.notify(leg, waiting.action, _result(player, leg, waiting, result),
                         waiting.method)

    leg.on_hangup.append(on_hangup)
    # Keep the main document so Leave / the bridge's end can carry on after the Enqueue.
    leg.saved = saved
    waiting_agents = board.agents.get(name)
    if waiting_agents:
        agent, url = waiting_agents.pop(0)
        dequeue(player, agent, leg, url)
        return
    hold(player, leg, waiting)


def hold(player: Player, leg: Leg, waiting: Waiting) -> None:
    """Play the wait URL's TwiML, again and again, while the caller stays queued."""
    board = player.board
    if leg.waiting is not waiting or not leg.live:
        return
    if waiting.wait_url is None:
        board.log(leg, f"{board.who(leg)} hears hold music", leg.to)
        epoch = leg.interrupt()
        board.scheduler.after(DEFAULT_MUSIC, lambda: hold(player, leg, waiting)
                              if leg.epoch == epoch else None)
        return
    started = board.now()

    def again() -> None:
        # An empty wait document would spin at one instant; Twilio paces it, so do we.
        if board.now() == started:
            epoch = leg.epoch
            board.scheduler.after(1.0, lambda: hold(player, leg, waiting)
                                  if leg.epoch == epoch else None)
        else:
            hold(player, leg, waiting)

    player.open(leg, waiting.wait_url, waiting.wait_method, queue_params(player, leg),
                on_end=again)


def queue_params(player: Player, leg: Leg) -> dict[str, str]:
    board = player.board
    waiting = leg.waiting
    if waiting is None:
        return {}
    queue = board.queues.get(waiting.queue, [])
    waits = board.queue_waits.get(waiting.queue, [])
    return {
        "QueueSid": queue_sid(board.account_sid, waiting.queue),
        "QueuePosition": str(queue.index(leg) + 1 if leg in queue else 0),
        "QueueTime": str(int((board.now() - waiting.entered).total_seconds())),
        "AvgQueueTime": str(int(sum(waits) / len(waits)) if waits else 0),
        "CurrentQueueSize": str(len(queue)),
    }


def _leave_queue(player: Player, leg: Leg, waiting: Waiting) -> None:
    board = player.board
    queue = board.queues.get(waiting.queue, [])
    if leg in queue:
        queue.remove(leg)
    board.queue_waits.setdefault(waiting.queue, []).append(
        (board.now() - waiting.entered).total_seconds())
    leg.waiting = None


def _result(player: Player, leg: Leg, waiting: Waiting, result: str) -> dict[str, str]:
    params = player.board.params(leg)
    params.update({
        "QueueResult": result, "QueueSid": queue_sid(player.board.account_sid, waiting.queue),
        "QueueTime": str(int((player.board.now() - waiting.entered).total_seconds())),
    })
    return params


def carry_on(player: Player, leg: Leg, waiting: Waiting, result: str) -> None:
    """After the queue: the Enqueue action gets `QueueResult`, or the next verb plays."""
    leg.queue_results.append(result)
    player.board.log(leg, f"{player.board.who(leg)} leaves queue {waiting.queue}: {result}",
                     leg.to)
    params = _result(player, leg, waiting, result)
    if not leg.live:
        if waiting.action:
            player.board.notify(leg, waiting.action, params, waiting.method)
        return
    leg.interrupt()
    leg.on_doc_end = None        # out of the hold (or whisper): back in the main document
    if waiting.action:
        player.open(leg, waiting.action, waiting.method,
                    {k: params[k] for k in ("QueueResult", "QueueSid", "QueueTime")})
        return
    if leg.saved is not None:
        leg.doc_url, leg.verbs, leg.index = leg.saved
    player.after(leg, 0)


def leave(player: Player, leg: Leg) -> None:
    waiting = leg.waiting
    if waiting is None:
        player.after(leg, 0)     # <Leave> outside a queue does nothing
        return
    _leave_queue(player, leg, waiting)
    carry_on(player, leg, waiting, "leave")


def dial_queue(
    player: Player, agent: Leg, noun: Element, finish: Finish, timeout: float = 30.0,
) -> None:
    """The agent's `<Dial><Queue>`: bridge with whoever is at the head of that queue."""
    board = player.board
    name = (noun.text or "").strip()
    url = noun.get("url")
    whisper = player.resolve(agent, url) if url else None
    queue = board.queues.get(name, [])
    agent.dialing = finish
    if queue:
        dequeue(player, agent, queue[0], whisper)
        return
    # Twilio's <Queue> page: on an empty queue "Dial will wait until the next person joins
    # the queue or until the <Dial> timeout duration is reached"; a queue that does not exist
    # gets "an error status" at once. The stand-in treats a name no <Enqueue> ever used as not
    # existing. Unverified: the DialCallStatus after the wait times out (no-answer here), and
    # whether Twilio deletes an emptied queue (empty_queue="end" plays that reading).
    if board.empty_queue == "wait" and name in board.queues:
        board.log(agent, f"{board.who(agent)} waits on empty queue {name}", agent.to)
        entry = (agent, whisper)
        board.agents.setdefault(name, []).append(entry)

        def gone(why: str) -> None:
            if entry in board.agents.get(name, []):
                board.agents[name].remove(entry)

        def give_up() -> None:
            if entry in board.agents.get(name, []) and agent.dialing is finish:
                board.agents[name].remove(entry)
                board.log(agent, f"{board.who(agent)} stops waiting on queue {name}", agent.to)
                finish(None, "no-answer", 0)

        agent.on_hangup.append(gone)
        agent.timers.append(board.scheduler.after(timeout, give_up))
        return
    board.log(agent, f"{board.who(agent)} dials queue {name}: nobody is waiting", agent.to)
    finish(None, "failed", 0)


def dequeue(player: Player, agent: Leg, caller: Leg, whisper: str | None) -> None:
    board = player.board
    waiting = caller.waiting
    if waiting is None or agent.dialing is None:
        return
    _leave_queue(player, caller, waiting)
    caller.interrupt()
    finish = agent.dialing
    board.log(caller, f"{board.who(caller)} dequeued by {board.who(agent)}",
              caller.to, agent.to)

    def resume_agent(hung_up_self: bool) -> None:
        seconds = int((board.now() - started[0]).total_seconds())
        finish(caller, "completed", seconds)

    def resume_caller(hung_up_self: bool) -> None:
        carry_on(player, caller, waiting, "bridged")

    started = [board.now()]

    def caller_gone(why: str) -> None:
        if caller.bridge is None and agent.live and agent.dialing is finish and not started[1:]:
            board.log(agent, f"{board.who(caller)} left before the bridge")
            finish(caller, "completed", 0)

    caller.on_hangup.append(caller_gone)

    def connect() -> None:
        if not (caller.live and agent.live):
            if agent.live:
                finish(caller, "completed", 0)
            return
        started[0] = board.now()
        started.append(started[0])      # marks the bridge as made
        board.connect(agent, caller, resume_agent, resume_caller)

    if whisper:
        board.log(caller, f"{board.who(caller)} hears the queue's url "
                          f"before joining {short(agent.sid)}")
        player.open(caller, whisper, "POST", on_end=connect)
    else:
        connect()
