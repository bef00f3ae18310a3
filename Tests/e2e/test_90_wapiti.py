"""wapiti3 with its modules listed explicitly (never the defaults, some of which call outside),
signed in as each role through the session cookie, loopback only, each scan bounded: 0 findings.

Runs last: wapiti submits every form it finds. Sign-out, password and account-action forms are
excluded so the scans keep their sessions and the demo accounts stay usable."""

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from attack import sessions
from portal import ARTIFACTS, BASE_URL, url

MODULES = "http_headers,cookieflags,csp,csrf,xss,sql,exec,file,redirect,crlf,methods"
SCAN_SECONDS = 45
START = {"anonymous": ["/", "/doctors", "/login", "/register"],
         "patient": ["/patient", "/patient/profile", "/doctors"],
         "doctor": ["/doctor", "/doctor/availability", "/doctor/calendar"],
         "admin": ["/admin", "/admin/audit", "/admin/users", "/admin/appointments", "/admin/clinics"]}
EXCLUDE = ["/logout", "/*/password", "/admin/users/*/*", "/*/profile", "/static/*"]


def cookie_file(role: str, directory: Path) -> Path | None:
    if role == "anonymous":
        return None
    actor = sessions()[f"wapiti-{role}"]
    host = urlsplit(BASE_URL).hostname
    jar = {host: {"/": {name: {"value": value, "version": 0, "secure": False, "expires": None, "port": None}
                        for name, value in actor.session_cookie().items()}}}
    path = directory / "cookies.json"
    path.write_text(json.dumps(jar))
    return path


def findings(report: dict) -> list[str]:
    found = []
    for section in ("vulnerabilities", "anomalies"):
        for category, items in (report.get(section) or {}).items():
            for item in items:
                found.append(f"[{section}] {category}: {item.get('method')} {item.get('path')} "
                             f"{item.get('parameter') or ''} — {item.get('info')}")
    return found


@pytest.fixture(scope="module", autouse=True)
def signed_in_before_attacks():
    sessions()


@pytest.mark.parametrize("role", list(START))
def test_wapiti_finds_nothing_for_this_role(role):
    assert urlsplit(BASE_URL).hostname in ("127.0.0.1", "localhost", "::1"), "loopback targets only"
    work = ARTIFACTS / "wapiti" / role
    work.mkdir(parents=True, exist_ok=True)
    exe = shutil.which("wapiti") or str(Path(sys.executable).with_name("wapiti"))
    report_path = work / "report.json"
    command = [exe, "-u", url("/"), "--scope", "folder", "-m", MODULES, "--flush-session",
               "--store-session", str(work / "session"), "--store-config", str(work / "config"),
               "-d", "3", "--max-links-per-page", "40", "--max-files-per-dir", "30", "--max-parameters", "12",
               "--max-scan-time", str(SCAN_SECONDS), "--max-attack-time", "20", "--tasks", "8", "-t", "5",
               "-f", "json", "-o", str(report_path), "--no-bugreport", "-v", "1"]
    for start in START[role]:
        command += ["-s", url(start)]
    for pattern in EXCLUDE:
        command += ["-x", url(pattern)]
    cookies = cookie_file(role, work)
    if cookies:
        command += ["-c", str(cookies)]
    started = time.monotonic()
    run = subprocess.run(command, capture_output=True, text=True, timeout=SCAN_SECONDS + 60, cwd=work)
    (work / "wapiti.log").write_text(run.stdout + run.stderr)
    assert report_path.exists(), f"wapiti wrote no report (exit {run.returncode}): {run.stderr[-1500:]}"
    report = json.loads(report_path.read_text())
    crawled = report.get("infos", {}).get("crawled_pages_nbr") or len(report.get("infos", {}).get("crawled_pages", []))
    found = findings(report)
    print(f"wapiti {role}: {crawled} pages crawled, {len(found)} findings, {time.monotonic() - started:.0f}s")
    assert not found, f"wapiti as {role} found:\n" + "\n".join(found)
    if role != "anonymous":
        still_signed_in = sessions()[f"wapiti-{role}"].get(START[role][0])
        assert still_signed_in.status_code == 200, "the scan lost its session: the findings would not cover signed-in pages"
