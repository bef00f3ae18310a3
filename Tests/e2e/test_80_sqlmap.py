"""sqlmap against the forms and query parameters listed below, each as the role that can reach
it: nothing may be injectable. Low level and risk, no time-based technique beyond a short
delay, every run bounded; loopback only. The sign-in form goes last (its failures throttle)."""

import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from attack import cookie_header, sessions
from portal import ARTIFACTS, BASE_URL, DOCTORS, clinic_today, doctor_ids, slot_links, url

SQLMAP_TIME_LIMIT = 75  # seconds per target


def sqlmap_command(name: str, target: str, data: str | None, params: str, cookie: str | None,
                   csrf_url: str | None) -> list[str]:
    exe = shutil.which("sqlmap") or str(Path(sys.executable).with_name("sqlmap"))
    command = [exe, "-u", target, "--batch", "--level", "1", "--risk", "1", "--technique", "BEUST", "--time-sec", "2",
               "--timeout", "5", "--retries", "0", "--threads", "2", "--disable-coloring", "--flush-session",
               "--skip-waf", "--skip-heuristics", "-p", params, "--dbms", "PostgreSQL",
               "--output-dir", str(ARTIFACTS / "sqlmap" / name), "--answers", "follow=N,redirect=N"]
    if data is not None:
        command += ["--data", data, "--method", "POST"]
    if cookie:
        command += ["--cookie", cookie]
    if csrf_url:
        command += ["--csrf-token", "_csrf", "--csrf-url", csrf_url]
    return command


def targets():
    s = sessions()
    patient, doctor, admin = s["sqlmap-patient"], s["sqlmap-doctor"], s["sqlmap-admin"]
    x = doctor_ids(patient)[DOCTORS["doctor1@demo.test"]]
    week = (clinic_today() + timedelta(days=7)).isoformat()
    blocks = slot_links(patient, x, clinic_today() + timedelta(days=21))
    block = blocks[-1][0] if blocks else 1
    p, d, a = cookie_header(patient), cookie_header(doctor), cookie_header(admin)
    return [
        # name, url, POST body or None, parameters, cookie, page holding the CSRF token
        ("directory", url("/doctors?specialty=Dermatology&clinic=1&q=Weber"), None, "specialty,clinic,q", None, None),
        ("doctor-week", url(f"/doctors/{x}?week={week}"), None, "week", None, None),
        ("book", url(f"/patient/book/{block}"), "_csrf=x&booking_key=&appointment_type=1&reason=Checkup&patient_notes=none",
         "appointment_type,reason,patient_notes", p, url(f"/patient/book/{block}")),
        ("patient-profile", url("/patient/profile"), "_csrf=x&full_name=Grace+Okafor&phone=123",
         "full_name,phone", p, url("/patient/profile")),
        ("doctor-day", url(f"/doctor?date={week}"), None, "date", d, None),
        ("doctor-calendar", url(f"/doctor/calendar?week={week}"), None, "week", d, None),
        ("doctor-pattern", url("/doctor/patterns"),
         "_csrf=x&clinic_id=1&weekday=7&start=06:00&end=07:00&slot_minutes=30&capacity=1&valid_from="
         + clinic_today().isoformat() + "&valid_to=",
         "clinic_id,weekday,start,end,slot_minutes,capacity,valid_from", d, url("/doctor/availability")),
        ("admin-audit", url("/admin/audit?actor=admin&action=auth.login&entity=user&entity_id=1&from=2024-01-01&to=2030-01-01"),
         None, "actor,action,entity,entity_id,from,to", a, None),
        ("admin-users", url("/admin/users?q=demo&role=patient&active=yes&locked=no&page=1"), None, "q,role,active,locked,page",
         a, None),
        ("admin-dashboard", url("/admin?from=2024-01-01&to=2030-01-01&clinic=1&doctor=1"), None, "from,to,clinic,doctor", a, None),
        ("register", url("/register"), "_csrf=x&full_name=Sql+Map&email=sqlmap%40example.test&phone=&date_of_birth="
         "&password=a+long+enough+password&password_confirm=a+long+enough+password",
         "full_name,email,phone,date_of_birth", None, url("/register")),
    ]


def run_one(target) -> tuple[str, str, int, float]:
    import time
    name, target_url, data, params, cookie, csrf_url = target
    started = time.monotonic()
    try:
        run = subprocess.run(sqlmap_command(name, target_url, data, params, cookie, csrf_url),
                             capture_output=True, text=True, timeout=SQLMAP_TIME_LIMIT)
        output, code = run.stdout + run.stderr, run.returncode
    except subprocess.TimeoutExpired as expired:
        output = (expired.stdout or b"").decode(errors="replace") if isinstance(expired.stdout, bytes) else (expired.stdout or "")
        output += "\n[e2e] sqlmap stopped at its time limit"
        code = -1
    (ARTIFACTS / "sqlmap").mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "sqlmap" / f"{name}.log").write_text(output)
    return name, output, code, time.monotonic() - started


def verdict(output: str) -> str:
    if re.search(r"sqlmap identified the following injection point|is vulnerable|appears to be injectable|"
                 r"parameter '.*' is '.*' injectable", output):
        return "INJECTABLE"
    if "do not appear to be injectable" in output or "does not seem to be injectable" in output:
        return "clean"
    return "inconclusive"


def test_sqlmap_finds_nothing_injectable_in_forms_and_query_parameters():
    assert urlsplit(BASE_URL).hostname in ("127.0.0.1", "localhost", "::1"), "loopback targets only"
    all_targets = targets()
    with ThreadPoolExecutor(max_workers=3) as pool:
        results = list(pool.map(run_one, all_targets))
    # The sign-in form last: sqlmap's failed sign-ins throttle this address.
    results.append(run_one(("login", url("/login"), "_csrf=x&next=&email=nobody%40example.test&password=wrong",
                            "email,password,next", None, url("/login"))))
    summary = {name: (verdict(output), code, round(seconds, 1)) for name, output, code, seconds in results}
    print("sqlmap:", summary)
    injectable = [n for n, (v, _, _) in summary.items() if v == "INJECTABLE"]
    inconclusive = [f"{n}: {[l for l in o.splitlines() if 'CRITICAL' in l or 'ERROR' in l][-3:]}"
                    for n, o, _, _ in results if verdict(o) == "inconclusive"]
    assert not injectable, f"sqlmap found injectable parameters in {injectable} (logs in {ARTIFACTS / 'sqlmap'})"
    assert not inconclusive, "sqlmap could not finish testing:\n" + "\n".join(inconclusive)
