from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.serving import make_server

import hotline.runtime
from hotline.app import create_app
from hotline.jobs import ThreadRunner
from hotline.runtime import Runtime, build_runtime
from hotline.settings import Settings, with_overrides
from tests.conftest import RecordingTelephony
from tests.web.axe import ensure_axe
from tests.web.helpers import PASSWORD, PEOPLE, seed, sign_in


@pytest.fixture
def seeded(runtime: Runtime) -> Runtime:
    """The sample rota with every account of tests.web.helpers.PEOPLE."""
    seed(runtime)
    return runtime


@pytest.fixture
def app(seeded: Runtime) -> Flask:
    return create_app(runtime=seeded)


@pytest.fixture
def login(app: Flask) -> Callable[[str], FlaskClient]:
    """A client signed in as one of PEOPLE."""

    def make(key: str) -> FlaskClient:
        client = app.test_client()
        response = sign_in(client, key)
        assert response.status_code == 302, response.data
        return client

    return make


# --- Browser tests: one Chromium for the whole run, screenshots when a test fails ---

CHROMIUM = Path("/usr/bin/chromium")
FAILURES = Path(__file__).resolve().parents[2] / ".cache" / "browser-failures"
DESKTOP, PHONE = {"width": 1280, "height": 800}, {"width": 390, "height": 844}


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's Chromium driven by Playwright; skipped (or failed, in CI) when it is missing."""
    if not CHROMIUM.exists():
        if os.environ.get("HOTLINE_REQUIRE_BROWSER") == "1":
            pytest.fail(f"{CHROMIUM} is missing and HOTLINE_REQUIRE_BROWSER=1: apt-get install "
                        "chromium")
        pytest.skip(f"browser tests need Debian's chromium at {CHROMIUM} (apt-get install "
                    "chromium); set HOTLINE_REQUIRE_BROWSER=1 to fail instead")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=[
            "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run"])
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def axe_source() -> str:
    return ensure_axe(FAILURES.parent / "axe-core").read_text()


class Person:
    """One person's browser window on the live app, with the accessibility check after each page."""

    def __init__(self, context: Any, base: str, axe: str) -> None:
        self.context, self.base, self.axe = context, base, axe
        self.page = context.new_page()
        self.checked: set[str] = set()

    def open(self, path: str) -> Any:
        response = self.page.goto(self.base + path)
        self.check()
        return response

    def check(self, again: bool = False) -> None:
        """No serious or critical axe violation on the page shown (each URL once, unless
        `again`: a form answered with its errors is a new page at the same URL)."""
        url = self.page.url
        if url in self.checked and not again:
            return
        self.checked.add(url)
        self.page.evaluate(self.axe)   # through DevTools: the page's CSP does not apply
        found = self.page.evaluate("""async () => (await axe.run(document, {
            resultTypes: ["violations"]})).violations
            .filter(v => v.impact === "serious" || v.impact === "critical")
            .map(v => v.id + ": " + v.help + " at " + v.nodes.map(n => n.target).join(" "))""")
        assert found == [], f"{url}: {found}"

    def sign_in(self, email: str, password: str = PASSWORD) -> None:
        self.open("/login")
        self.page.get_by_label("Email").fill(email)
        self.page.get_by_label("Password").fill(password)
        self.page.get_by_role("button", name="Sign in").click()
        self.page.wait_for_load_state()
        assert "/login" not in self.page.url, self.page.content()
        self.check()


@pytest.fixture
def live(clean_database_url: str, settings: Settings, browser: Any, axe_source: str,
         request: pytest.FixtureRequest) -> Iterator[Callable[[str], Person]]:
    """The real app served over HTTP on a committed database seeded with the sample rota and
    PEOPLE; `live(key)` is a signed-in Person (or signed out for key "")."""
    holder: dict[str, Any] = {}

    def wsgi(environ: Any, start_response: Any) -> Any:
        return holder["app"](environ, start_response)

    server = make_server("127.0.0.1", 0, wsgi, threaded=True)
    base = f"http://127.0.0.1:{server.server_port}"
    # Its own runner, stopped after: a delayed job left running would act, in a later test,
    # on that test's rows (PostgreSQL's tables are emptied and their ids start again).
    runner = ThreadRunner(threads=2)
    runtime = build_runtime(
        with_overrides(settings, database={"url": clean_database_url}, app={"public_url": base}),
        telephony=RecordingTelephony(), jobs=runner,
    )
    seed(runtime)
    holder["app"] = create_app(runtime=runtime)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    people: list[Person] = []

    def person(key: str) -> Person:
        someone = Person(browser.new_context(viewport=DESKTOP), base, axe_source)
        people.append(someone)
        if key:
            someone.sign_in(PEOPLE[key][0])
        return someone

    person.base = base  # type: ignore[attr-defined]
    person.runtime = runtime  # type: ignore[attr-defined]
    try:
        yield person
    finally:
        report = getattr(request.node, "report_call", None)
        if report is not None and report.failed:
            folder = FAILURES / request.node.name
            folder.mkdir(parents=True, exist_ok=True)
            for n, someone in enumerate(people):
                for label, size in (("desktop", DESKTOP), ("phone", PHONE)):
                    someone.page.set_viewport_size(size)
                    someone.page.screenshot(path=str(folder / f"{n}-{label}.png"), full_page=True)
            print(f"screenshots of the failed browser test: {folder}")
        for someone in people:
            someone.context.close()
        server.shutdown()
        runner.stop()
        # create_app made this the process's runtime (where the app still has that global).
        getattr(hotline.runtime, "install", lambda _runtime: None)(None)
        runtime.engine.dispose()
