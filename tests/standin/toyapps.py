"""Small Flask apps that emit TwiML: the simulator is tested against them, not hotline."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from flask import Flask, Response, request
from twilio.request_validator import RequestValidator

from hotline.standin.delivery import ON_TIME, Delivery
from hotline.standin.phones import Phone
from hotline.standin.simulator import Simulator
from hotline.standin.switchboard import Switchboard
from hotline.standin.transport import WsgiTarget

PUBLIC = "https://hotline.test"
TOKEN = "toy-auth-token"
HOTLINE = "+16175550199"
CALLER = "+16175550100"

Handler = Callable[[dict[str, str]], str | tuple[str, int]]


@dataclass(frozen=True)
class Received:
    """One webhook as the toy app saw it."""

    path: str
    form: dict[str, str]
    signed: bool


@dataclass
class Toy:
    app: Flask
    received: list[Received] = field(default_factory=list)

    def at(self, path: str) -> list[dict[str, str]]:
        """Forms received at `path`, in arrival order."""
        return [r.form for r in self.received if r.path == path]


def twiml(*verbs: str) -> str:
    return '<?xml version="1.0" encoding="UTF-8"?><Response>' + "".join(verbs) + "</Response>"


def toy_app(routes: Mapping[str, Handler], *, public: str = PUBLIC) -> Toy:
    """A WSGI app answering `routes`; it checks every signature as a real app must."""
    app = Flask("toy")
    toy = Toy(app)
    validator = RequestValidator(TOKEN)

    @app.route("/<path:path>", methods=["GET", "POST"])
    def any_route(path: str) -> Response | tuple[str, int]:
        query = request.query_string.decode()
        url = f"{public}/{path}" + (f"?{query}" if query else "")
        form = request.form.to_dict() if request.method == "POST" else {}
        signed = validator.validate(url, form, request.headers.get("X-Twilio-Signature", ""))
        if request.method == "GET":
            form = request.args.to_dict()
        toy.received.append(Received("/" + path, form, bool(signed)))
        if not signed:
            return "bad signature", 403
        handler = routes.get("/" + path)
        if handler is None:
            return "not found", 404
        result = handler(form)
        body, status = result if isinstance(result, tuple) else (result, 200)
        return Response(body, status=status, mimetype="text/xml")

    return toy


def simulate(
    routes: Mapping[str, Handler], *, phones: Mapping[str, Phone] | None = None,
    delivery: Delivery = ON_TIME, **board_options: object,
) -> tuple[Simulator, Toy]:
    toy = toy_app(routes)
    board = Switchboard(phones=phones, delivery=delivery, **board_options)  # type: ignore[arg-type]
    return Simulator(WsgiTarget(toy.app, PUBLIC, TOKEN), board), toy
