"""Every `hotline ...` command in README.md's sh blocks runs, in README order, against one
fresh demo setup (`hotline init --demo`, `db upgrade`, the sample rota) and shows what the
text beside it says.

A README command with no entry in EXPECTED fails (the failure names the key to add); an
entry no README command uses fails too. Commands run in this process through click (a new
process each would cost ~2 s apiece); `> FILE` is honoured.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from hotline.cli import main

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"


@dataclass(frozen=True)
class Shows:
    """What the command prints (each text, in order), or writes to `file` when redirected."""

    texts: tuple[str, ...]
    file: str | None = None
    stdin: str = ""
    exit_code: int = 0          # another only where the README says so beside the command


@dataclass(frozen=True)
class Skip:
    reason: str


SERVER = Skip("runs until stopped (a server); tests/test_serve.py starts one")
# Key: the command as shlex.join writes it (quotes as needed, no comment).
EXPECTED: dict[str, Shows | Skip] = {
    # Jobs and retention (the demo runs jobs in-process: nothing waits, nothing is dropped)
    "hotline jobs": Shows(("queue.redis_url is empty", "no work waiting, running or failed")),
    "hotline jobs --failed --format json": Shows(('"source": ', '"jobs": []')),
    "hotline jobs retry task-12": Skip("an example id: tests/workers/test_jobs_cli.py retries "
                                       "a failed task"),
    "hotline retention run --dry-run": Shows(("privacy.retention_days = 365",
                                              "would drop", "(dry run: nothing was changed)")),
    "hotline retention run": Shows(("privacy.retention_days = 365", "drop the caller's number",
                                    "kept: ")),
    # Texts and call-backs (the demo has none yet)
    "hotline callbacks list": Shows(("no call-backs",)),
    "hotline callbacks list --state done --chapter boston-grief": Shows(("no call-backs",)),
    "hotline callbacks cancel K7Q2": Skip("an example reference: "
                                          "tests/callbacks/test_callbacks_cli.py cancels one"),
    # Rehearsing calls
    "hotline drill call --to +13125550100 --from +15551230000":
        Shows(("presses 1", "outcome: answered; answered by")),
    "hotline drill call --to +13125550100 --everyone rings-out":
        Shows(("ended: no-answer", "leave a message", "outcome: voicemail; answered by nobody")),
    "hotline drill call --to +13125550100 --at 2026-12-01T23:30:00Z --first declines":
        Shows(("outcome: answered; answered by Dev Patel", "rang Hal Novak: declined")),
    "hotline drill call --to +16175550100 --at 2026-11-27T23:30:00Z --voicemail 'Ann Example'":
        Shows(("Ann Example (+16175550111) answers (voicemail)",
               "outcome: answered; answered by Dev Patel", "rang Ann Example: no_answer")),
    "hotline drill call --to +13125550100 --caller callback":
        Shows(("To ask us to call you back, press 1", "caller presses 1",
               "outcome: callback_requested")),
    "hotline drill call --to +16175550100 --at 2026-11-27T23:30:00Z --everyone busy --caller "
    "callback": Shows(("outcome: callback_requested",
                       "call-back at 2026-11-27T23:", "through Ann Example: answered")),
    "hotline drill call --to +16175550100 --at 2026-11-27T23:30:00Z --everyone rings-out "
    "--caller voicemail": Shows(("texts sent:", "text to Ann Example", "new voicemail",
                                 "outcome: voicemail")),
    "hotline drill call --to +16175550100 --at 2026-11-27T23:30:00Z --declines 'Ann Example' "
    "--declines 'Dev Patel'": Shows(("also asking the volunteers of Chicago Recovery",
                                     "Femi Adeyemi (+13125550112)",
                                     "hears: Boston Bereavement Line hotline call",
                                     "outcome: answered; answered by Femi Adeyemi",
                                     "overflow: a boston-grief call answered by chicago-recovery")),
    "hotline drill day --to +16175550100 --date 2026-11-27":
        Shows(("Boston Bereavement Line, Fri 2026-11-27", ": voicemail", "new voicemail",
               "call-back to caller", ": answered")),
    "hotline drill call --to +16175550100 --at 2026-11-27T23:30:00Z --digits 2,1":
        Skip("needs the sample's menus switched on: tests/test_drill_menus.py drills it"),
    "hotline drill standin --port 5099": Skip("runs until stopped (a server); "
                                              "tests/served/test_side_by_side.py starts one"),
    "hotline drill call --to +13125550100 --against http://127.0.0.1:5000 --standin "
    "http://127.0.0.1:5099": Skip("needs a served app and a stand-in: "
                                  "tests/served/test_side_by_side.py runs five at once"),
    "hotline drill call --at 2026-12-01T23:30:00Z --scenario my-scenario.toml":
        Shows(("outcome: answered; answered by Dev Patel", "rang Hal Novak: declined")),
    # The rota
    # The demo imported this very file: idempotent, a second import changes nothing.
    "hotline rota import rota.toml": Shows(("rota.toml: no changes",)),
    "hotline rota export > rota.toml": Shows(('slug = "boston-grief"',), file="rota.toml"),
    "hotline oncall boston-grief --at 2026-03-08T06:30:00Z --format json":
        Shows(('"tier": 1', "Carmen Ruiz", '"tier": 2', "Dev Patel", '"tier": 3', "Grace Kim")),
    "hotline rota gaps --days 14": Shows(("boston-grief: ", "EST (16h 00m)"), exit_code=1),
    # Contact log and bans
    "hotline contacts export --format csv": Shows(("call_sid,chapter,started_at,outcome",)),
    "hotline contacts export --format csv --notes": Shows(("callbacks,", ",matched,note",)),
    "hotline ban add +15551230000 --chapter boston-grief --reason 'abusive calls'":
        Shows(("banned ***0000 from boston-grief",)),
    "hotline ban list": Shows(("***0000\tboston-grief",)),
    # Web app
    "hotline user add ann@example.org --name 'Ann Example' --role volunteer --volunteer "
    "+16175550111": Shows(("account ann@example.org (volunteer) created", "/set-password/")),
    "hotline user add kim@example.org --name 'Kim Lee' --role coordinator --chapter "
    "boston-grief": Shows(("account kim@example.org (coordinator) created",)),
    "hotline user add root@example.org --name Admin --role admin":
        Shows(("account root@example.org (admin) created",)),
    "hotline user list": Shows(("ann@example.org", "kim@example.org", "root@example.org")),
    "hotline user link kim@example.org": Shows(("http://127.0.0.1:5000/set-password/",)),
    "hotline user password kim@example.org":
        Shows(("password of kim@example.org set",), stdin="a-long-demo-password-1\n"),
    "hotline user disable kim@example.org": Shows(("account kim@example.org disabled",)),
    "hotline audit verify": Shows(("audit log intact",)),
    "hotline audit show --limit 20": Shows(("user.disable kim@example.org",)),
    # Deploying
    "hotline db upgrade": Shows(("database is up to date",)),
    "hotline serve --host 0.0.0.0 --port 8000 --workers 4": SERVER,
    "hotline worker": Skip("runs until stopped and needs Redis; tests/workers run workers"),
    # Operations
    "hotline status": Shows(("ready: yes", "database: ok")),
    "hotline status --json": Shows(('"ready": true',)),
    "hotline db backup /var/backups/hotline/hotline-2026-03-08.db":
        Skip("an example path outside the test's folder: tests/test_backup.py backs up and "
             "restores"),
}

SCENARIO = """\
to = "+13125550100"
everyone = "answers"
first = "declines"
[caller]
from = "+15551230000"
"""


def readme_commands(text: str) -> list[str]:
    """Every `hotline ...` line of the sh blocks, continuation lines joined, comments cut."""
    found = []
    for block in re.findall(r"^```sh\n(.*?)^```", text, re.MULTILINE | re.DOTALL):
        for line in block.replace("\\\n", " ").splitlines():
            if line.startswith("hotline "):
                words = shlex.split(line, comments=True)
                found.append(" ".join(w if w == ">" else shlex.quote(w) for w in words))
    return found


COMMANDS = readme_commands(README.read_text())


def test_commands_are_read_as_a_shell_would() -> None:
    text = ("```sh\nscripts/demo\nhotline a --x 'two words'   # said\n"
            "hotline b \\\n  --y 1 > f\n```\nhotline outside a block\n```toml\nhotline = 1\n```\n")
    assert readme_commands(text) == ["hotline a --x 'two words'", "hotline b --y 1 > f"]


def test_activating_the_venv_puts_hotline_on_the_path(tmp_path: Path) -> None:
    """The README's `. .venv/bin/activate`, in the venv running these tests."""
    assert ". .venv/bin/activate" in README.read_text()
    venv = Path(sys.prefix)
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    found = subprocess.run(["/bin/bash", "-c", f". {venv}/bin/activate && command -v hotline"],
                           env=env, capture_output=True, text=True, check=False)
    assert found.stdout.strip() == str(venv / "bin" / "hotline"), found.stderr


def test_every_entry_is_a_readme_command() -> None:
    assert sorted(set(EXPECTED) - set(COMMANDS)) == []


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A fresh demo: config, database and the sample rota, as scripts/demo sets them up."""
    home = tmp_path_factory.mktemp("readme")
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(home)
        for key in [k for k in os.environ if k.startswith("HOTLINE_")]:
            patch.delenv(key)
        shutil.copy(ROOT / "hotline/sample/rota.toml", home / "rota.toml")
        (home / "my-scenario.toml").write_text(SCENARIO)
        for setup in ("init --demo", "db upgrade", "rota import rota.toml"):
            result = CliRunner().invoke(main, setup.split())
            assert result.exit_code == 0, (setup, result.output)
        yield home


@pytest.mark.parametrize("command", COMMANDS)
def test_readme_command(command: str, demo: Path) -> None:
    expected = EXPECTED.get(command)
    assert expected is not None, (
        f"README command with no expectation: add {command!r} to EXPECTED in {__file__}")
    if isinstance(expected, Skip):
        pytest.skip(expected.reason)
    argv = shlex.split(command)[1:]
    target = None
    if ">" in argv:
        argv, target = argv[:argv.index(">")], argv[argv.index(">") + 1]
    result = CliRunner().invoke(main, argv, input=expected.stdin)
    assert result.exit_code == expected.exit_code, result.output
    shown = result.output
    if target is not None:
        (demo / target).write_text(result.stdout)
        shown = (demo / expected.file).read_text() if expected.file else shown
    at = 0
    for text in expected.texts:
        found = shown.find(text, at)
        assert found >= 0, f"{text!r} not shown (in this order) by `{command}`:\n{shown}"
        at = found + len(text)
