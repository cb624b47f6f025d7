"""/metrics under `hotline serve` (gunicorn, 2 web processes): one count whoever answers."""

from __future__ import annotations

import urllib.request
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from tests.served.gunicorn import free_port, served_env, serving
from tests.test_cli import ROOT, run

TOKEN = "ops-token-0123456789abcdef"


def scrape(url: str) -> dict[str, float]:
    request = urllib.request.Request(f"{url}/metrics",  # noqa: S310
                                     headers={"Authorization": f"Bearer {TOKEN}"})
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        text = response.read().decode()
    return {s.name + repr(sorted(s.labels.items())): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def test_metrics_add_up_across_web_processes_and_leave_no_files(
    clean_database_url: str, tmp_path: Path,
) -> None:
    samples_home = tmp_path / "tmp"
    samples_home.mkdir()
    env = {**served_env(clean_database_url, free_port(), free_port()),
           "HOTLINE_OPS_METRICS_TOKEN": TOKEN, "HOTLINE_CALLS_EMERGENCY_LINE": "+18002738255",
           "TMPDIR": str(samples_home)}
    imported = run(["rota", "import", str(ROOT / "hotline/sample/rota.toml")], tmp_path, **env)
    assert imported.returncode == 0, imported.stderr
    with serving(env, tmp_path, workers=2) as server:
        for n in range(12):
            status, _ = server.post("/voice/incoming", {
                "CallSid": f"CA{n:032x}", "From": f"+1555123{n:04d}", "To": "+16175550100",
                "CallStatus": "ringing", "Direction": "inbound"})
            assert status == 200
        assert len(list(samples_home.glob("hotline-metrics-*"))) == 1
        key = "hotline_webhook_seconds_count[('endpoint', 'voice.incoming')]"
        counts = {scrape(server.url)[key] for _ in range(6)}
        assert counts == {12.0}, "each scrape must sum every web process's samples"
        assert scrape(server.url)["hotline_ready[]"] == 1.0
    assert list(samples_home.glob("hotline-metrics-*")) == []     # removed on stop
