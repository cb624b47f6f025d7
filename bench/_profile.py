"""Where the server's time goes: py-spy on the gunicorn workers, summarised by function.

In wall-clock mode py-spy samples every worker thread, running or waiting (`--idle`), so a
request blocked on the database shows up under the code that waits; in CPU mode only the
thread holding the GIL, i.e. the Python work each process does. Only samples inside
gthread's handle_request count: threads waiting for work are left out.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Profiler:
    process: subprocess.Popen[bytes]
    output: Path

    def finish(self, top: int = 30) -> str:
        """Wait for py-spy to end, then the hottest functions (inclusive share of busy samples)."""
        self.process.wait(timeout=120)
        if not self.output.exists():
            return "  (py-spy wrote nothing: is ptrace allowed?)"
        return summarise(self.output, top)


def main() -> None:
    """Summarise a kept raw profile: python bench/_profile.py FILE [TOP]."""
    print(summarise(Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 30))


def start_profiler(master_pid: int, seconds: float, output: Path, *, wall: bool
                   ) -> Profiler | None:
    """Sample the master's worker processes for `seconds`; None when py-spy is not installed.

    `wall`: threads waiting (on the database, Redis, the GIL) are sampled too; else only the
    thread holding the GIL, which is where the worker's CPU goes."""
    exe = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not Path(exe).exists():
        return None
    process = subprocess.Popen(
        [exe, "record", "--pid", str(master_pid), "--subprocesses", "--function",
         "--nonblocking", "--rate", "200", "--duration", str(int(seconds)), "--format", "raw",
         "--output", str(output), *(["--idle"] if wall else ["--gil"])],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    return Profiler(process, output)


def summarise(raw: Path, top: int) -> str:
    """Inclusive and self shares per `file:function`, of samples that were serving a request."""
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    busy = 0
    for line in raw.read_text(errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        frames = stack.split(";")
        if "handle_request (gunicorn/workers/gthread.py" not in stack:
            continue            # not inside a request: idle threads, the arbiter
        count = int(count_text)
        busy += count
        names = [_name(frame) for frame in frames if not frame.startswith("process ")]
        for name in set(names):
            inclusive[name] += count
        own[names[-1]] += count
    if not busy:
        return "  (no samples inside a request)"
    lines = [f"  {busy} samples inside requests; inclusive share, self share, function"]
    for name, count in inclusive.most_common(top):
        lines.append(f"  {count / busy:6.1%} {own[name] / busy:6.1%}  {name}")
    lines.append("  hottest by self time:")
    for name, count in own.most_common(12):
        lines.append(f"  {count / busy:6.1%}  {name}")
    return "\n".join(lines)


def _name(frame: str) -> str:
    # py-spy raw frames look like "Class.function (package/module.py:LINE)".
    function, _, where = frame.partition(" (")
    path = where.rstrip(")").rpartition(":")[0] or where.rstrip(")")
    return f"{path}:{function}" if where else frame


if __name__ == "__main__":
    main()
