"""wapiti3 scans and their verdicts (asserted by test_90_wapiti.py): wapiti3 with its modules listed explicitly (never the defaults, some of which call outside),
as each role, through the TLS proxy of the attack mode (the portal started with --secure-cookies,
as in production), loopback only: 0 findings, every form of the role crawled, and every crawled
resource attacked by every module (a scan cut short by a time limit proves nothing and fails).

Each scan starts from pages that together hold every form the role has, and goes one link deep
from them. Lists of objects (time blocks, appointments, accounts, clinics, appointment types) are
cut to the throwaway instances made for the scan (attack.world): each instance of such a form is
the same form with another id, and attacking all of them only multiplies the run time (a doctor's
availability page alone holds one delete form per block, hundreds). Sign-out is excluded so the
scans keep their sessions."""

import json
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from attack import all_but, one_date, sessions, world
from portal import ARTIFACTS, BASE_URL, url

ROLES = ["anonymous", "patient", "doctor", "admin"]

MODULES = ["http_headers", "cookieflags", "csp", "csrf", "xss", "sql", "exec", "file", "redirect", "crlf", "methods"]
# Modules that attack only GET resources or only POST forms (wapitiCore/attack/mod_*.py do_get/do_post).
GET_ONLY, POST_ONLY = {"redirect"}, {"csrf"}
# Safety nets only: a scan that reaches either has not attacked everything, which fails the test.
SCAN_SECONDS, ATTACK_SECONDS = 60, 120
OVERALL_SECONDS = 300


def plan(role: str) -> dict:
    """Start pages, exclusions and the forms the crawl must find, per role."""
    w = world()
    base = BASE_URL
    exclude = [url("/logout"), url("/static/*"), url("/favicon.ico")]
    if role == "anonymous":
        week = f"/doctors/{w['doctor_x']}?week="
        start = ["/", "/doctors", f"/doctors/{w['doctor_x']}", week + w["patient_week"], "/login", "/register"]
        exclude += (all_but(base, "/doctors/", [w["doctor_x"]]) + all_but(base, "/patient/book/", [w["patient_block"]])
                    + one_date(base, week, w["patient_week"]))
        forms = [("POST", "/login", {"_csrf", "email", "password", "next"}),
                 ("POST", "/register", {"_csrf", "full_name", "email", "password", "password_confirm"}),
                 ("GET", "/doctors", {"q", "specialty", "clinic"}), ("GET", f"/doctors/{w['doctor_x']}", {"week"})]
    elif role == "patient":
        move, cancel = w["patient_move"], w["patient_cancel"]
        start = ["/patient", "/patient/profile", "/doctors", f"/doctors/{w['doctor_x']}?week={w['patient_week']}",
                 f"/patient/book/{w['patient_block']}", f"/patient/appointments/{cancel}",
                 f"/patient/appointments/{move}/reschedule",
                 f"/patient/appointments/{move}/reschedule?week={w['patient_week']}"]
        exclude += (all_but(base, "/doctors/", [w["doctor_x"]]) + all_but(base, "/patient/book/", [w["patient_block"]])
                    + all_but(base, "/patient/appointments/", [cancel, move])
                    + one_date(base, f"/doctors/{w['doctor_x']}?week=", w["patient_week"])
                    + one_date(base, f"/patient/appointments/{move}/reschedule?week=", w["patient_week"]))
        forms = [("POST", f"/patient/book/{w['patient_block']}", {"_csrf", "appointment_type", "reason"}),
                 ("POST", f"/patient/appointments/{cancel}/cancel", {"_csrf", "cancel_reason"}),
                 ("POST", f"/patient/appointments/{move}/reschedule", {"_csrf", "block_id"}),
                 ("POST", "/patient/profile", {"_csrf", "full_name", "phone"}),
                 ("POST", "/patient/password", {"_csrf", "current_password", "new_password"}),
                 ("GET", "/doctors", {"q", "specialty", "clinic"}), ("GET", f"/doctors/{w['doctor_x']}", {"week"}),
                 ("GET", f"/patient/appointments/{move}/reschedule", {"week"})]
    elif role == "doctor":
        appointment, block = w["doctor_appointment"], w["doctor_block"]
        day = w["doctor_day"]
        start = ["/doctor", f"/doctor?date={day}", "/doctor/calendar", f"/doctor/calendar?week={day}",
                 "/doctor/availability", f"/doctor/appointments/{appointment}", "/doctor/profile"]
        exclude += (all_but(base, "/doctor/blocks/", [block]) + all_but(base, "/doctor/appointments/", [appointment])
                    + one_date(base, "/doctor?date=", day) + one_date(base, "/doctor/calendar?week=", day))
        forms = [("POST", "/doctor/patterns", {"_csrf", "clinic_id", "weekday", "start", "end", "slot_minutes", "capacity"}),
                 ("POST", "/doctor/blocks/generate", {"_csrf", "weeks"}),
                 ("POST", "/doctor/blocks", {"_csrf", "clinic_id", "date", "start", "end", "capacity"}),
                 ("POST", f"/doctor/blocks/{block}/delete", {"_csrf"}),
                 ("POST", "/doctor/time-off", {"_csrf", "start_date", "end_date"}),
                 ("POST", f"/doctor/appointments/{appointment}/status", {"_csrf", "status", "version"}),
                 ("POST", f"/doctor/appointments/{appointment}/notes", {"_csrf", "doctor_notes", "version"}),
                 ("POST", "/doctor/profile", {"_csrf", "full_name"}),
                 ("POST", "/doctor/password", {"_csrf", "current_password", "new_password"}),
                 ("GET", "/doctor", {"date"}), ("GET", "/doctor/calendar", {"week"}),
                 ("GET", f"/doctor/appointments/{appointment}", set())]
    else:
        users, clinic, kind = w["admin_users"], w["admin_clinic"], w["admin_type"]
        appointment = w["admin_appointment"]
        start = ["/admin", "/admin/audit", "/admin/users", "/admin/users/new", "/admin/doctors/new",
                 *[f"/admin/users/{u}" for u in users], "/admin/appointments", f"/admin/appointments/{appointment}",
                 "/admin/clinics", f"/admin/clinics/{clinic}", "/admin/appointment-types",
                 f"/admin/appointment-types/{kind}", f"/admin/settings?clinic={clinic}", "/admin/profile"]
        exclude += (all_but(base, "/admin/users/", users) + all_but(base, "/admin/appointments/", [appointment])
                    + all_but(base, "/admin/clinics/", [clinic]) + all_but(base, "/admin/appointment-types/", [kind])
                    # Links that repeat parameters of a filter form on the same page (sorting, a patient's
                    # or an entity's entries) and other clinics' policy pages.
                    + [url("/admin/appointments?sort=*&dir=asc"), url("/admin/appointments?sort=*&dir=desc"),
                       url("/admin/appointments?patient=*"), url("/admin/audit?entity=*")]
                    + all_but(base, "/admin/settings?clinic=", [clinic], tails=("", "&*")))
        forms = [("POST", "/admin/users/new", {"_csrf", "role", "full_name", "email"}),
                 ("POST", "/admin/doctors/new", {"_csrf", "full_name", "email", "specialty"}),
                 *[("POST", f"/admin/users/{u}", {"_csrf", "full_name"}) for u in users],
                 *[("POST", f"/admin/users/{users[0]}/{action}", {"_csrf"}) for action in ("deactivate", "reset-password")],
                 ("POST", f"/admin/appointments/{appointment}/status", {"_csrf", "status", "version"}),
                 ("POST", "/admin/clinics", {"_csrf", "name", "timezone"}),
                 ("POST", f"/admin/clinics/{clinic}", {"_csrf", "name", "timezone"}),
                 ("POST", "/admin/appointment-types", {"_csrf", "name", "default_minutes"}),
                 ("POST", f"/admin/appointment-types/{kind}", {"_csrf", "name", "default_minutes"}),
                 ("POST", "/admin/settings", {"_csrf", "clinic_id", "buffer_minutes"}),
                 ("POST", "/admin/profile", {"_csrf", "full_name"}),
                 ("POST", "/admin/password", {"_csrf", "current_password", "new_password"}),
                 ("GET", "/admin/audit", {"actor", "action", "entity", "entity_id", "from", "to"}),
                 ("GET", "/admin/users", {"q", "role"}),
                 ("GET", "/admin/appointments", {"sort", "dir", "from", "to", "patient", "status"}),
                 ("GET", "/admin/audit", {"before"}), ("GET", "/admin/settings", {"clinic"}),
                 ("GET", "/admin", {"from", "to"})]
    return {"start": start, "exclude": exclude, "forms": forms, "shards": shards(role, start)}


def cookie_file(role: str, directory: Path) -> Path:
    """The role's cookies (the session, or an anonymous visitor's pre-session cookie) as wapiti's JSON jar."""
    actor = sessions()[f"wapiti-{role}"]
    secure = BASE_URL.startswith("https:")
    jar = {"127.0.0.1": {"/": {c.name: {"value": c.value, "version": 0, "secure": secure, "expires": None, "port": None}
                              for c in actor.http.cookies}}}
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


def session_db(work: Path) -> sqlite3.Connection:
    databases = list((work / "session").glob("*.db"))
    assert len(databases) == 1, f"wapiti left {len(databases)} session databases in {work / 'session'}"
    return sqlite3.connect(databases[0])


def crawled(db: sqlite3.Connection) -> dict[int, tuple[str, str, set]]:
    """path id → (method, URL without query, parameter names) of every resource the crawl found."""
    resources = {}
    for path_id, path, method in db.execute("SELECT path_id, path, method FROM paths WHERE evil = 0"):
        names = {n for (n,) in db.execute("SELECT name FROM params WHERE path_id = ? AND type IN ('GET', 'POST')",
                                          (path_id,))}
        resources[path_id] = (method, path.split("?")[0], names)
    return resources


def unattacked(db: sqlite3.Connection, resources: dict) -> list[str]:
    done = set(db.execute("SELECT path_id, module FROM attack_logs"))
    missing = []
    for module in MODULES:
        for path_id, (method, path, _) in resources.items():
            if (module in GET_ONLY and method != "GET") or (module in POST_ONLY and method != "POST"):
                continue
            if (path_id, module) not in done:
                missing.append(f"{module}: {method} {path}")
    return missing


def shards(role: str, start: list[str]) -> dict[str, tuple[list[str], list[str]]]:
    """The role's scan split between parallel wapiti processes (same session, same bounds), each with
    its start pages and the form actions it leaves to another: the doctor's and the admin's forms are
    many, and one process alone would be the run's long pole. Together they cover every form."""
    if role == "doctor":
        availability = ["/doctor/availability"]
        return {"doctor-1": (availability, [url("/doctor/time-off"), url("/doctor/blocks")]),
                "doctor-2": (availability, [url("/doctor/patterns"), url("/doctor/blocks/*")]),
                "doctor-3": ([s for s in start if s not in availability], [])}
    if role == "admin":
        first = [s for s in start if s.startswith(("/admin/users", "/admin/doctors", "/admin/audit", "/admin/profile"))]
        return {"admin-1": (first, []), "admin-2": ([s for s in start if s not in first], [])}
    return {role: (start, [])}


def run_shard(role: str, shard: str, p: dict) -> dict:
    work = ARTIFACTS / "wapiti" / shard
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    exe = shutil.which("wapiti") or str(Path(sys.executable).with_name("wapiti"))
    report_path = work / "report.json"
    command = [exe, "-u", url("/"), "--scope", "folder", "-m", ",".join(MODULES), "--flush-session",
               "--store-session", str(work / "session"), "--store-config", str(work / "config"),
               "-d", "1", "--max-parameters", "30", "--verify-ssl", "0",
               "--max-scan-time", str(SCAN_SECONDS), "--max-attack-time", str(ATTACK_SECONDS), "--tasks", "8",
               "-t", "10", "-f", "json", "-o", str(report_path), "--no-bugreport", "-v", "1",
               "-c", str(cookie_file(role, work)),
               # Payloads in the CSRF token only meet the token check (403 before any handler runs), which
               # test_85_csrf_and_cookies proves directly; the csrf module still checks every form's token.
               "--skip", "_csrf"]
    starts, left_to_others = p["shards"][shard]
    for start in starts:
        command += ["-s", url(start)]
    for pattern in p["exclude"] + left_to_others:
        command += ["-x", pattern]
    (work / "command.txt").write_text(" ".join(command))
    started = time.monotonic()
    with open(work / "wapiti.log", "w") as log_file:  # written as it goes, for a scan that overruns
        try:
            code = subprocess.run(command, stdout=log_file, stderr=subprocess.STDOUT, timeout=OVERALL_SECONDS,
                                  cwd=work).returncode
        except subprocess.TimeoutExpired:
            code = None
    log = (work / "wapiti.log").read_text(errors="replace")
    result = {"shard": shard, "work": work, "code": code, "seconds": time.monotonic() - started,
              "problems": [], "findings": [], "resources": {}}
    if code is None:
        result["problems"].append(f"{shard}: wapiti overran {OVERALL_SECONDS}s (log: {work / 'wapiti.log'})")
        return result
    if not report_path.exists():
        result["problems"].append(f"{shard}: wapiti wrote no report (exit {code}): {log[-1500:]}")
        return result
    result["findings"] = findings(json.loads(report_path.read_text()))
    db = session_db(work)
    result["resources"] = crawled(db)
    not_attacked = unattacked(db, result["resources"])
    if not_attacked:
        result["problems"].append(f"{shard}: {len(not_attacked)} module×resource pairs left unattacked: {not_attacked[:20]}")
    cut_short = [line.strip() for line in log.splitlines()
                 if "Max scan time was reached" in line or "Max attack time was reached" in line]
    if cut_short:
        result["problems"].append(f"{shard}: cut short: {cut_short}")
    lost = [line.strip() for line in log.splitlines() if "requests were skipped due to network issues" in line]
    if lost:
        result["problems"].append(f"{shard}: lost requests: {lost}")
    return result


def judge(role: str, p: dict, results: list[dict]) -> dict:
    """One verdict for the role from its shards: their findings and problems, and every expected form crawled."""
    resources = [r for result in results for r in result["resources"].values()]
    problems = [problem for result in results for problem in result["problems"]]
    missing_forms = [f"{method} {path} {sorted(names)}" for method, path, names in p["forms"]
                     if not any(m == method and u == url(path) and names <= n for m, u, n in resources)]
    if missing_forms:
        problems.append(f"never crawled these forms: {missing_forms}")
    if role != "anonymous":
        home = {"patient": "/patient", "doctor": "/doctor", "admin": "/admin"}[role]
        if sessions()[f"wapiti-{role}"].get(home).status_code != 200:
            problems.append("the scan lost its session: the findings would not cover signed-in pages")
    return {"role": role, "findings": [f for result in results for f in result["findings"]], "problems": problems,
            "resources": len(resources), "seconds": max((r["seconds"] for r in results), default=0),
            "logs": [str(r["work"] / "wapiti.log") for r in results]}
