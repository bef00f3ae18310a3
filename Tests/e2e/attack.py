"""What the attack tools share: their signed-in sessions and the objects their scans start from
(made before any tool attacks anything), URL patterns that keep a crawl to one instance of each
form, and a guard that keeps the sign-in throttle out of the way of the sign-in form's scans.

Everything goes through BASE_URL: in the attack mode of run.sh, the TLS proxy in front of a portal
started with --secure-cookies, as in production."""

import html
import re
import threading
import time
from datetime import timedelta
from html.parser import HTMLParser
from urllib.parse import urlsplit

from portal import (ADMIN, BASE_URL, DEMO_PASSWORD, DOCTORS, Actor, book, clinic_today, doctor_ids, register_patient,
                    slot_links, unique)

# Accounts the attack tools act as; each tool has its own, so one tool's scan cannot disturb another's.
# (the doctors are made for the scans, with few blocks, see world())
SQLMAP_ACCOUNTS = {"patient": "patient5@demo.test", "doctor": None, "admin": ADMIN}
WAPITI_ACCOUNTS = {"patient": "patient4@demo.test", "doctor": None, "admin": ADMIN}
# Signs in again and again while the sign-in form is attacked (see ThrottleGuard).
GUARD_ACCOUNT = "patient1@demo.test"
# Books the appointments the doctor's and the admin's scans start from.
HELPER_PATIENT = "patient2@demo.test"


def is_loopback(base: str) -> bool:
    return urlsplit(base).hostname in ("127.0.0.1", "localhost", "::1")


def cookie_header(actor: Actor) -> str:
    return "; ".join(f"{name}={value}" for name, value in actor.session_cookie().items())


# ---------------------------------------------------------------------------------------------
# Forms as a person would submit them: every field the page holds, some of them changed


class _Forms(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[dict] = []
        self._form = None
        self._select = None
        self._textarea = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self._form = {"action": a.get("action", ""), "method": (a.get("method") or "get").lower(), "fields": []}
            self.forms.append(self._form)
        elif self._form is None:
            return
        elif tag == "input" and a.get("name"):
            kind = (a.get("type") or "text").lower()
            if kind in ("checkbox", "radio") and "checked" not in a:
                self._form.setdefault("unchecked", []).append((a["name"], a.get("value", "on")))
                return
            if kind not in ("submit", "button", "image", "reset"):
                self._form["fields"].append([a["name"], a.get("value", "")])
        elif tag == "select" and a.get("name"):
            self._select = [a["name"], None]
            self._form["fields"].append(self._select)
        elif tag == "option" and self._select is not None:
            if self._select[1] is None or "selected" in a:
                self._select[1] = a.get("value", "")
        elif tag == "textarea" and a.get("name"):
            self._textarea = [a["name"], ""]
            self._form["fields"].append(self._textarea)

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def submit(actor: Actor, page: str, action: str, changes: dict, expect=(303,)):
    """Loads `page`, fills the form that posts to `action` as it stands, applies `changes`, submits."""
    parser = _Forms()
    parser.feed(actor.get(page).text)
    forms = [f for f in parser.forms if f["action"] == action and f["method"] == "post"]
    assert forms, f"no form posting to {action} on {page}"
    fields = {name: (value or "") for name, value in forms[0]["fields"]}
    fields.update(changes)
    response = actor.post(action, fields)
    assert response.status_code in expect, f"{action} answered {response.status_code}: {response.text[:400]}"
    return response


# ---------------------------------------------------------------------------------------------
# Crawl bounds: every kind of form once, not every instance of it


def all_but(base: str, prefix: str, keep, alphabet: str = "0123456789", tails=("", "/*", "?*", ".*")) -> list[str]:
    """wapiti `-x` wildcard patterns that exclude every URL `base + prefix + <value>...` except those whose
    value (a run of `alphabet` characters: an id, or with "-" a date) is in `keep`. wapiti's patterns
    know only `*`, so the exclusion is spelled out character by character over the values to keep.
    URLs whose path continues with other characters (e.g. /doctor/blocks/generate) are not touched;
    `tails` are what may follow a value (so that a value that is a proper prefix of a kept one is
    excluded too)."""
    keep = {str(k) for k in keep}
    patterns: list[str] = []

    def walk(start: str):
        nexts = {k[len(start)] for k in keep if k.startswith(start) and len(k) > len(start)}
        for char in alphabet:
            if char not in nexts:
                patterns.append(f"{base}{prefix}{start}{char}*")
        if start and start not in keep:
            patterns.extend(f"{base}{prefix}{start}{tail}" for tail in tails)
        for char in sorted(nexts):
            walk(start + char)

    walk("")
    return patterns


def one_date(base: str, prefix: str, keep: str) -> list[str]:
    """Patterns that exclude every `base + prefix + <date>...` but the one kept: a pager's other pages."""
    return all_but(base, prefix, [keep], alphabet="0123456789-", tails=("", "&*"))


# ---------------------------------------------------------------------------------------------
# The objects the scans start from, made once, before any scan


_WORLD: dict = {}


def listed_id(actor: Actor, page: str, name: str, link: str) -> int:
    """The id in the `link<id>` of the table row whose first cell is `name`."""
    for row in actor.get(page).text.split("<tr>"):
        first = re.match(r"<td>([^<]*)</td>", row)
        found = re.search(re.escape(link) + r'(\d+)"', row)
        if first and found and html.unescape(first.group(1)) == name:
            return int(found.group(1))
    raise AssertionError(f"{name} is not listed on {page}")


def world() -> dict:
    """Sessions of every tool and role, and the ids of the objects each scan starts from."""
    if _WORLD:
        return _WORLD
    w = _WORLD
    w["sessions"] = {f"{tool}-{role}": Actor(f"{tool} {role}", email)
                     for tool, accounts in (("sqlmap", SQLMAP_ACCOUNTS), ("wapiti", WAPITI_ACCOUNTS))
                     for role, email in accounts.items() if email}
    # An anonymous visitor's pre-session cookie, so that every form token wapiti crawls belongs to
    # the cookie it sends (the crawler fetches pages concurrently; without a cookie each first
    # response would set a different one and most tokens would not match the jar).
    w["sessions"]["wapiti-anonymous"] = Actor("wapiti anonymous")

    anonymous = w["sessions"]["wapiti-anonymous"]
    ids = doctor_ids(anonymous)
    x = ids[DOCTORS["doctor1@demo.test"]]
    y = ids[DOCTORS["doctor2@demo.test"]]
    z = ids[DOCTORS["doctor3@demo.test"]]
    w.update(doctor_x=x, doctor_y=y, doctor_z=z)
    today = clinic_today()

    def free(doctor: int, weeks_ahead: int) -> list[int]:
        return [b for b, _ in slot_links(anonymous, doctor, today + timedelta(days=7 * weeks_ahead))]

    # Patient scan (wapiti): a slot to book, an appointment to cancel and one to move.
    wapiti_patient = w["sessions"]["wapiti-patient"]
    slots = free(x, 3)
    assert len(slots) >= 5, f"too few free slots of doctor X three weeks ahead: {slots}"
    w["patient_block"] = slots[-1]
    w["patient_week"] = (today + timedelta(days=21)).isoformat()
    w["patient_cancel"] = book(wapiti_patient, slots[0], "wapiti: to cancel")
    w["patient_move"] = book(wapiti_patient, slots[2], "wapiti: to move")

    # Doctor scan (wapiti): a doctor of its own, made for the scan, so that the availability page
    # (which lists every block, each with its delete form, and is what most of the doctor's forms
    # answer with) stays small; with one of its blocks to delete and one appointment.
    admin = w["sessions"]["wapiti-admin"]
    stamp = unique("")
    doctor_name = f"Dr. Wapiti Scan {stamp}"
    wapiti_doctor = new_doctor(admin, doctor_name, f"wapiti-scan-{stamp}@example.test", clinic="1")
    w["sessions"]["wapiti-doctor"] = wapiti_doctor
    w["doctor_w"] = doctor_ids(anonymous)[doctor_name]
    visit_day, block_day = today + timedelta(days=10), today + timedelta(days=11)
    for day, start, end in ((visit_day, "10:00", "10:30"), (block_day, "11:00", "11:30")):
        submit(wapiti_doctor, "/doctor/availability", "/doctor/blocks",
               {"clinic_id": "1", "date": day.isoformat(), "start": start, "end": end, "capacity": "1"})
    helper = Actor("helper patient", HELPER_PATIENT)
    visit = [b for b, label in slot_links(anonymous, w["doctor_w"], visit_day) if label.startswith("10:00")]
    w["doctor_appointment"] = book(helper, visit[0], "wapiti: the doctor's appointment")
    w["doctor_block"] = [b for b, label in slot_links(anonymous, w["doctor_w"], block_day) if label.startswith("11:00")][0]
    w["doctor_day"] = visit_day.isoformat()

    # Admin scan (wapiti): throwaway objects, so the scan edits (and deactivates) none that others use.
    submit(admin, "/admin/clinics", "/admin/clinics", {"name": f"Wapiti Clinic {stamp}", "timezone": "Europe/Berlin"})
    w["admin_clinic"] = listed_id(admin, "/admin/clinics", f"Wapiti Clinic {stamp}", "/admin/clinics/")
    submit(admin, "/admin/appointment-types", "/admin/appointment-types",
           {"name": f"Wapiti type {stamp}", "default_minutes": "20", "min_minutes": "10", "max_minutes": "30"})
    w["admin_type"] = listed_id(admin, "/admin/appointment-types", f"Wapiti type {stamp}", "/admin/appointment-types/")
    throwaway_patient = register_patient("Wapiti Patient", f"wapiti-patient-{stamp}@example.test",
                                         "a long enough password 9")
    submit(admin, "/admin/doctors/new", "/admin/doctors/new",
           {"full_name": "Dr. Wapiti", "email": f"wapiti-doctor-{stamp}@example.test", "specialty": "Scanning",
            "bio": "Throwaway", "clinics": str(w["admin_clinic"])}, expect=(200, 303))
    submit(admin, "/admin/users/new", "/admin/users/new",
           {"role": "admin", "full_name": "Wapiti Admin", "email": f"wapiti-admin-{stamp}@example.test"},
           expect=(200, 303))
    w["admin_users"] = []
    for email in (throwaway_patient.email, f"wapiti-doctor-{stamp}@example.test", f"wapiti-admin-{stamp}@example.test"):
        found = re.search(r'href="/admin/users/(\d+)"', admin.get("/admin/users", params={"q": email}).text)
        assert found, f"the throwaway account {email} is not listed"
        w["admin_users"].append(int(found.group(1)))
    z_slots = free(z, 4)
    assert z_slots, "no free slot of doctor Z four weeks ahead"
    w["admin_appointment"] = book(helper, z_slots[0], "wapiti: the admin's appointment")

    # sqlmap: a slot for its booking target; a doctor of its own with an appointment on the day it reads.
    w["sqlmap_block"] = slots[-2]
    sqlmap_name = f"Dr. Sqlmap Scan {stamp}"
    sqlmap_doctor = new_doctor(admin, sqlmap_name, f"sqlmap-scan-{stamp}@example.test", clinic="1")
    w["sessions"]["sqlmap-doctor"] = sqlmap_doctor
    submit(sqlmap_doctor, "/doctor/availability", "/doctor/blocks",
           {"clinic_id": "1", "date": visit_day.isoformat(), "start": "14:00", "end": "14:30", "capacity": "1"})
    sqlmap_visit = [b for b, label in slot_links(anonymous, doctor_ids(anonymous)[sqlmap_name], visit_day)
                    if label.startswith("14:00")]
    book(helper, sqlmap_visit[0], "sqlmap: the doctor's appointment")
    w["sqlmap_day"] = visit_day.isoformat()
    w["sqlmap_week"] = (today + timedelta(days=7)).isoformat()
    return w


def new_doctor(admin: Actor, name: str, email: str, clinic: str) -> Actor:
    """A doctor account made by an admin, signed in, its temporary password replaced."""
    created = submit(admin, "/admin/doctors/new", "/admin/doctors/new",
                     {"full_name": name, "email": email, "specialty": "Scanning", "bio": "", "clinics": clinic},
                     expect=(200,))
    temporary = re.search(r"<code>([^<]+)</code>", created.text)
    assert temporary, "no temporary password on the page after creating a doctor"
    doctor = Actor(name, email, html.unescape(temporary.group(1)))
    password = "lantern meadow copper 5931"
    changed = doctor.post("/doctor/password", {"_csrf": doctor.csrf, "current_password": html.unescape(temporary.group(1)),
                                               "new_password": password, "new_password_confirm": password})
    assert changed.status_code == 303, f"the new doctor's password change answered {changed.status_code}"
    return Actor(name, email, password)


def sessions() -> dict[str, Actor]:
    return world()["sessions"]


# ---------------------------------------------------------------------------------------------
# The sign-in throttle


class ThrottleGuard:
    """Keeps the per-address sign-in throttle (20 failures in 15 min, then 429 for 15 min) from
    engaging while a tool attacks the sign-in form, so that its payloads reach the code and SQL
    behind the form instead of the throttle's 429 page.

    Behind the proxy the portal sees every client as the proxy's address (it does not read
    X-Forwarded-For), and a successful sign-in from an address clears that address's failures
    (ThrottleStore.reset). So a dedicated account signs in every `interval` seconds through the
    proxy: the tools' failures never add up to 20. Any 429 the guard itself gets, or any
    `auth.throttled` audit entry written meanwhile, means the throttle did engage: `check()` then
    fails the test, since the scan's results would not cover the sign-in code."""

    def __init__(self, admin: Actor, interval: float = 0.4):
        self.admin = admin
        self.interval = interval
        self.statuses: list[int] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def newest_throttled_entry(self) -> int:
        """The id of the newest auth.throttled audit entry (0 if none); the log lists newest first."""
        response = self.admin.get("/admin/audit", params={"action": "auth.throttled"})
        assert response.status_code == 200, f"the audit log answered {response.status_code}"
        ids = [int(i) for i, action in re.findall(r"<tr><td>(\d+).*?</td><td>([a-z_.]+)</td>", response.text)
               if action == "auth.throttled"]
        return max(ids, default=0)

    def _run(self):
        while not self._stop.is_set():
            started = time.monotonic()
            try:
                guard = Actor("throttle guard")
                response = guard.post("/login", {"_csrf": guard.csrf, "email": GUARD_ACCOUNT,
                                                 "password": DEMO_PASSWORD, "next": ""})
                self.statuses.append(response.status_code)
            except Exception:  # a slow moment of the portal: the next round tries again
                self.statuses.append(-1)
            self._stop.wait(max(0.0, self.interval - (time.monotonic() - started)))

    def __enter__(self):
        self.before = self.newest_throttled_entry()
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(10)

    def problems(self) -> list[str]:
        found = []
        refused = [s for s in self.statuses if s != 303]
        if 429 in refused:
            found.append(f"the sign-in throttle engaged ({refused.count(429)} of the guard's {len(self.statuses)} sign-ins got 429)")
        elif refused:
            found.append(f"{len(refused)} of the guard's {len(self.statuses)} sign-ins failed: {sorted(set(refused))}")
        if self.newest_throttled_entry() != self.before:
            found.append("auth.throttled audit entries were written during the scan")
        if len(self.statuses) < 3:
            found.append(f"the guard signed in only {len(self.statuses)} times")
        return found
