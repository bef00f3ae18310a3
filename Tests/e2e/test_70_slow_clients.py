"""slowhttptest in slowloris, slow-body and slow-read modes, 200 connections for 20 s each,
while a probe asks for /healthz every second: every probe must succeed within 2 s. Aimed at the
portal itself (DIRECT_URL), not at the TLS proxy of the attack mode: what is tested is the portal's
own connection handling."""

import shutil
import subprocess
import threading
import time
from urllib.parse import urlsplit

import pytest
import requests

from portal import ARTIFACTS, DIRECT_URL, write_json

pytestmark = pytest.mark.attack


def url(path: str) -> str:
    return DIRECT_URL + path


MODES = {
    # Headers sent a few bytes at a time, never finished.
    "slowloris": ["-H", "-i", "10", "-s", "8192", "-t", "GET", "-x", "24", "-u", url("/")],
    # A declared 8 KiB body trickled in (against a real form handler).
    "slow-body": ["-B", "-i", "10", "-s", "8192", "-t", "POST", "-x", "10", "-u", url("/login")],
    # Requests sent promptly, responses read through a tiny window.
    "slow-read": ["-X", "-w", "512", "-y", "1024", "-n", "5", "-z", "32", "-k", "3", "-u", url("/static/style.css")],
}


@pytest.mark.parametrize("mode", list(MODES))
def test_the_service_stays_available_under_slow_clients(mode):
    assert shutil.which("slowhttptest"), "slowhttptest is not installed"
    assert urlsplit(DIRECT_URL).hostname in ("127.0.0.1", "localhost", "::1"), "loopback targets only"
    probes: list[tuple[float, str]] = []
    stop = threading.Event()

    def probe():
        while not stop.is_set():
            started = time.monotonic()
            try:
                ok = requests.get(url("/healthz"), timeout=2).status_code == 200
                result = "ok" if ok else "bad status"
            except requests.RequestException as error:
                result = type(error).__name__
            elapsed = time.monotonic() - started
            probes.append((elapsed, result if elapsed <= 2 else "slow"))
            stop.wait(max(0.0, 1 - elapsed))

    prefix = ARTIFACTS / f"slowhttptest-{mode}"
    command = ["slowhttptest", "-c", "200", "-r", "200", "-l", "20", "-p", "3", "-g", "-o", str(prefix), *MODES[mode]]
    thread = threading.Thread(target=probe, daemon=True)
    thread.start()
    time.sleep(1)
    began = time.monotonic()
    run = subprocess.run(command, capture_output=True, text=True, timeout=60)
    # slowhttptest ends early once the server has closed all its connections; probe the full window anyway.
    time.sleep(max(0.0, 21 - (time.monotonic() - began)))
    stop.set()
    thread.join(5)
    (ARTIFACTS / f"slowhttptest-{mode}.log").write_text(run.stdout + run.stderr)
    failures = [p for p in probes if p[1] != "ok"]
    worst = max((p[0] for p in probes), default=0)
    write_json(f"slowhttptest-{mode}-probes.json", probes)
    print(f"{mode}: {len(probes)} probes, {len(failures)} failed, slowest {worst:.3f}s; slowhttptest exit {run.returncode}")
    assert len(probes) >= 18, f"only {len(probes)} probes ran"
    assert "connected" in run.stdout + run.stderr or run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    assert not failures, f"{len(failures)} of {len(probes)} health probes failed or took over 2 s: {failures[:10]}"
