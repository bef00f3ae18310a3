"""sqlmap runs and their verdicts (asserted by test_80_sqlmap.py): sqlmap against the forms and query parameters listed below, each as the role that can reach it,
through the TLS proxy of the attack mode (as in production), loopback only: nothing may be injectable.

Level 1, risk 1, boolean/error/union/stacked techniques (time-based left out to stay within the
run's budget), every target bounded in time. A target counts as clean only when sqlmap finished and
said of every listed parameter that it does not seem injectable; a run stopped at its limit, or one
that skipped a parameter, is inconclusive, which fails the test like a finding.

CSRF: every POST carries `_csrf`. Signed-in targets send the session cookie and that session's
token (fixed for the session's life); the anonymous forms send a pre-session cookie (`__Host-csrf`
behind the proxy) and the token bound to it, fetched beforehand — so every request sqlmap makes
passes the CSRF check and reaches the handler, and `--drop-set-cookie` keeps sqlmap on exactly that
cookie. (sqlmap's own --csrf-token/--csrf-url would work too, but only without --method POST, which
makes sqlmap fetch the token page with POST; it doubles the requests for nothing here.)

The sign-in form: its failures throttle the client address, and behind the proxy every client has
the proxy's address. It is scanned under attack.ThrottleGuard, and sqlmap must not have met a 429."""

import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

from attack import cookie_header, world
from portal import ARTIFACTS, Actor, clinic_today, url


def limit(params: str) -> int:
    """Seconds a target may take: sqlmap needs a few seconds per parameter here; a generous margin for a loaded machine."""
    return 45 + 15 * len(params.split(","))


def form(**fields) -> str:
    return "&".join(f"{k}={quote(str(v), safe='')}" for k, v in fields.items())


def targets() -> list[dict]:
    w = world()
    s = w["sessions"]
    patient, doctor, admin = s["sqlmap-patient"], s["sqlmap-doctor"], s["sqlmap-admin"]
    anonymous = Actor("sqlmap anonymous")  # a pre-session cookie and the token bound to it
    week, today = w["sqlmap_week"], clinic_today().isoformat()
    block = w["sqlmap_block"]
    rows = [
        # name, path, POST body or None, parameters, session
        ("directory", "/doctors?specialty=Dermatology&clinic=1&q=Weber", None, "specialty,clinic,q", None),
        ("doctor-week", f"/doctors/{w['doctor_x']}?week={week}", None, "week", None),
        ("book", f"/patient/book/{block}",
         form(_csrf=patient.csrf, booking_key="", appointment_type=1, reason="Checkup", patient_notes="none"),
         "appointment_type,reason,patient_notes", patient),
        ("patient-profile", "/patient/profile", form(_csrf=patient.csrf, full_name="Grace Okafor", phone="123456"),
         "full_name,phone", patient),
        ("doctor-day", f"/doctor?date={w['sqlmap_day']}", None, "date", doctor),
        ("doctor-calendar", f"/doctor/calendar?week={w['sqlmap_day']}", None, "week", doctor),
        ("doctor-pattern", "/doctor/patterns",
         form(_csrf=doctor.csrf, clinic_id=1, weekday=7, start="06:00", end="07:00", slot_minutes=30, capacity=1,
              valid_from=today, valid_to=""),
         "clinic_id,weekday,start,end,slot_minutes,capacity,valid_from", doctor),
        ("admin-audit", "/admin/audit?actor=admin&action=auth.login&entity=user&entity_id=1&from=2024-01-01&to=2030-01-01",
         None, "actor,action,entity,entity_id,from,to", admin),
        ("admin-users", "/admin/users?q=demo&role=patient&active=yes&locked=no&page=1", None, "q,role,active,locked,page",
         admin),
        ("admin-dashboard", "/admin?from=2024-01-01&to=2030-01-01&clinic=1&doctor=1", None, "from,to,clinic,doctor", admin),
        ("admin-appointments", "/admin/appointments?from=2024-01-01&to=2030-01-01&patient=Grace&clinic=1&doctor=1"
         "&status=requested&type=1&sort=start&dir=asc&page=1", None, "from,to,patient,clinic,doctor,status,type,sort,dir",
         admin),
        # Every request registers a new account (sqlmap --randomize email): the payloads reach the INSERT.
        ("register", "/register",
         form(_csrf=anonymous.csrf, full_name="Sql Map", email="sqlmap@example.test", phone="", date_of_birth="",
              password="a long enough password", password_confirm="a long enough password"),
         "full_name,phone,date_of_birth", anonymous),
        ("register-email", "/register",
         form(_csrf=anonymous.csrf, full_name="Sql Map", email="sqlmap-email@example.test", phone="", date_of_birth="",
              password="a long enough password", password_confirm="a long enough password"),
         "email", anonymous),
    ]
    login = ("login", "/login", form(_csrf=anonymous.csrf, next="/patient", email="nobody@example.test",
                                     password="wrong password"), "email,password,next", anonymous)
    as_dicts = lambda items: [dict(zip(("name", "path", "data", "params", "actor"), t)) for t in items]
    return as_dicts(rows), as_dicts([login])[0]


def sqlmap_command(t: dict) -> list[str]:
    exe = shutil.which("sqlmap") or str(Path(sys.executable).with_name("sqlmap"))
    command = [exe, "-u", url(t["path"]), "--batch", "--level", "1", "--risk", "1", "--technique", "BEUS",
               "--union-cols", "1-10", "--timeout", "10", "--retries", "1", "--disable-coloring", "--flush-session",
               "--skip-waf", "--skip-heuristics", "-p", t["params"], "--dbms", "PostgreSQL", "--drop-set-cookie",
               "--output-dir", str(ARTIFACTS / "sqlmap" / t["name"]), "--answers", "follow=N,redirect=N"]
    if t["data"] is not None:
        command += ["--data", t["data"]]  # sqlmap POSTs it (no --method: see the module's docstring)
    if t["actor"] is not None:
        command += ["--cookie", cookie_header(t["actor"])]
    if t["name"] == "register":
        command += ["--randomize", "email"]
    return command


def run_one(t: dict) -> dict:
    started = time.monotonic()
    seconds = limit(t["params"])
    try:
        run = subprocess.run(sqlmap_command(t), capture_output=True, text=True, timeout=seconds)
        output, code = run.stdout + run.stderr, run.returncode
    except subprocess.TimeoutExpired as expired:
        output = expired.stdout.decode(errors="replace") if isinstance(expired.stdout, bytes) else (expired.stdout or "")
        output += f"\n[e2e] sqlmap stopped at its time limit of {seconds}s"
        code = None
    (ARTIFACTS / "sqlmap").mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "sqlmap" / f"{t['name']}.log").write_text(output)
    return {**t, "output": output, "code": code, "seconds": time.monotonic() - started}


def verdict(result: dict) -> str:
    output = result["output"]
    if re.search(r"sqlmap identified the following injection point|is vulnerable|appears to be injectable|"
                 r"parameter '[^']*' is '[^']*' injectable", output):
        return "INJECTABLE"
    if result["code"] is None:
        return f"inconclusive: stopped at its time limit of {limit(result['params'])}s"
    if result["code"] != 0:
        return f"inconclusive: sqlmap exited with {result['code']}"
    untested = [p for p in result["params"].split(",")
                if not re.search(rf"parameter '{re.escape(p)}' does not seem to be injectable", output)]
    if untested:
        return f"inconclusive: no verdict on {untested}"
    if "429 (Too Many Requests)" in output:
        return "inconclusive: the sign-in throttle answered some requests (429)"
    if "all tested parameters do not appear to be injectable" not in output:
        return "inconclusive: no final verdict"
    return "clean"
