"""Authorisation matrix: {patient A, patient B, doctor X, doctor Y, admin, anonymous} × every
route that takes an object id, GET and POST (POSTs carry a valid CSRF token of the actor's own
session). Expected: the owner (or, for admin routes, an admin) is let through; another owner of
the same role gets 404; another role gets 403; an anonymous visitor is sent to sign in.

POST bodies are chosen so that a request that is let through changes nothing (an empty
required field, a stale version), except block deletion, whose owner goes last."""

import re
from datetime import timedelta

import pytest

from portal import ADMIN, DOCTORS, Actor, book, clinic_today, doctor_ids, register_patient, slot_links, unique, write_json

pytestmark = pytest.mark.flows

STALE = "999999"


def outcome(response) -> str:
    status = response.status_code
    location = response.headers.get("Location", "")
    if status in (302, 303) and location.startswith("/login"):
        return "login"
    if status in (403, 404):
        return str(status)
    if status >= 500:
        return f"error {status}"
    return "allow"


@pytest.fixture(scope="module")
def world():
    actors = {
        "patient A": Actor("patient A", "patient1@demo.test"),
        "patient B": Actor("patient B", "patient2@demo.test"),
        "doctor X": Actor("doctor X", "doctor1@demo.test"),
        "doctor Y": Actor("doctor Y", "doctor2@demo.test"),
        "admin": Actor("admin", ADMIN),
        "anonymous": Actor("anonymous"),
    }
    ids = doctor_ids(actors["anonymous"])
    x, y = ids[DOCTORS["doctor1@demo.test"]], ids[DOCTORS["doctor2@demo.test"]]
    later = clinic_today() + timedelta(days=15)  # clear of the demo bookings near today
    slots_x, slots_y = slot_links(actors["patient A"], x, later), slot_links(actors["patient B"], y, later)
    assert len(slots_x) >= 2 and slots_y, "not enough free demo slots two weeks ahead"
    appointment_a = book(actors["patient A"], slots_x[0][0], "Matrix: A with X")
    appointment_b = book(actors["patient B"], slots_y[0][0], "Matrix: B with Y")

    # A one-off block of doctor X that only X may delete (deleted by X as the last request).
    x_http = actors["doctor X"]
    page = x_http.get("/doctor/availability").text
    clinic = re.search(r'<select id="block-clinic" name="clinic_id"><option value="(\d+)"', page)
    day = clinic_today() + timedelta(days=20)
    created = x_http.post("/doctor/blocks", {"_csrf": x_http.csrf, "clinic_id": clinic.group(1) if clinic else "",
                                             "date": day.isoformat(), "start": "20:00", "end": "20:30", "capacity": "1"})
    assert created.status_code == 303, f"creating doctor X's block answered {created.status_code}"
    free_x = [b for b, _ in slot_links(actors["anonymous"], x, day)]
    assert free_x, "doctor X's new block is not listed"
    block_x_own = max(free_x)

    # Objects only an admin may touch: a throwaway patient, the clinic, an appointment type.
    throwaway = register_patient("Throw Away", unique("throwaway") + "@example.test", "a long enough password 9")
    admin = actors["admin"]
    users = admin.get(f"/admin/users?q={throwaway.email}").text
    user_id = re.search(r'href="/admin/users/(\d+)"', users)
    clinics = admin.get("/admin/clinics").text
    clinic_id = re.search(r'href="/admin/clinics/(\d+)"', clinics)
    types = admin.get("/admin/appointment-types").text
    type_id = re.search(r'href="/admin/appointment-types/(\d+)"', types)
    return {
        "actors": actors, "doctor_x": x, "block_x": slots_x[1][0], "block_x_own": block_x_own,
        "appointment_a": appointment_a, "appointment_b": appointment_b,
        "user": user_id.group(1) if user_id else "0",
        "clinic": clinic_id.group(1) if clinic_id else (clinic.group(1) if clinic else "0"),
        "type": type_id.group(1) if type_id else "1",
    }


def cases(w):
    """(method, path, body, expected outcome per actor)."""
    everyone = {a: "allow" for a in w["actors"]}

    def owned(owner_role: str, owner: str, other: str):
        # owner_role: 'patient' or 'doctor'; the same-role non-owner gets 404, other roles 403.
        expected = {}
        for actor in w["actors"]:
            if actor == "anonymous":
                expected[actor] = "login"
            elif actor == owner:
                expected[actor] = "allow"
            elif actor.startswith(owner_role):
                expected[actor] = "404"
            else:
                expected[actor] = "403"
        return expected

    def role_only(role: str):
        return {a: ("login" if a == "anonymous" else "allow" if a.startswith(role) else "403") for a in w["actors"]}

    a, b = w["appointment_a"], w["appointment_b"]
    rows = [("GET", f"/doctors/{w['doctor_x']}", None, everyone),
            ("GET", f"/patient/book/{w['block_x']}", None, role_only("patient")),
            ("POST", f"/patient/book/{w['block_x']}", {"appointment_type": "", "reason": ""}, role_only("patient"))]
    for appointment, patient, doctor in [(a, "patient A", "doctor X"), (b, "patient B", "doctor Y")]:
        other_patient = "patient B" if patient == "patient A" else "patient A"
        other_doctor = "doctor Y" if doctor == "doctor X" else "doctor X"
        p = owned("patient", patient, other_patient)
        d = owned("doctor", doctor, other_doctor)
        rows += [
            ("GET", f"/patient/appointments/{appointment}", None, p),
            ("GET", f"/patient/appointments/{appointment}.ics", None, p),
            ("GET", f"/patient/appointments/{appointment}/reschedule", None, p),
            ("POST", f"/patient/appointments/{appointment}/reschedule", {"block_id": "", "week": ""}, p),
            ("POST", f"/patient/appointments/{appointment}/cancel", {"cancel_reason": ""}, p),
            ("GET", f"/doctor/appointments/{appointment}", None, d),
            ("POST", f"/doctor/appointments/{appointment}/status", {"status": "confirmed", "version": STALE, "reason": ""}, d),
            ("POST", f"/doctor/appointments/{appointment}/notes", {"doctor_notes": "matrix", "version": STALE}, d),
            ("GET", f"/admin/appointments/{appointment}", None, role_only("admin")),
            ("POST", f"/admin/appointments/{appointment}/status", {"status": "confirmed", "version": STALE, "reason": ""},
             role_only("admin")),
        ]
    admin = role_only("admin")
    user = w["user"]
    rows += [
        ("GET", f"/admin/users/{user}", None, admin),
        ("POST", f"/admin/users/{user}", {"full_name": "", "email": ""}, admin),
        ("POST", f"/admin/users/{user}/deactivate", {}, admin),
        ("POST", f"/admin/users/{user}/reactivate", {}, admin),
        ("POST", f"/admin/users/{user}/unlock", {}, admin),
        ("POST", f"/admin/users/{user}/reset-password", {}, admin),
        ("GET", f"/admin/clinics/{w['clinic']}", None, admin),
        ("POST", f"/admin/clinics/{w['clinic']}", {"name": "", "timezone": ""}, admin),
        ("GET", f"/admin/appointment-types/{w['type']}", None, admin),
        ("POST", f"/admin/appointment-types/{w['type']}", {"name": ""}, admin),
        # Last: the owner's request really deletes the block.
        ("POST", f"/doctor/blocks/{w['block_x_own']}/delete", {}, owned("doctor", "doctor X", "doctor Y")),
    ]
    return rows


def test_authorisation_matrix_has_no_unexpected_allow_and_every_refusal_is_the_right_one(world):
    results, unexpected_allows, mismatches = [], [], []
    for method, path, body, expected in cases(world):
        order = sorted(world["actors"], key=lambda a: expected[a] == "allow")  # refused actors first
        for name in order:
            actor = world["actors"][name]
            if method == "GET":
                response = actor.get(path)
            else:
                response = actor.post(path, {"_csrf": actor.csrf, **(body or {})})
            got = outcome(response)
            row = {"actor": name, "method": method, "path": path, "expected": expected[name], "got": got,
                   "status": response.status_code, "location": response.headers.get("Location", "")}
            results.append(row)
            if got == "allow" and expected[name] != "allow":
                unexpected_allows.append(row)
            elif got != expected[name]:
                mismatches.append(row)
    write_json("authorization-matrix.json", results)
    print(f"authorisation matrix: {len(results)} requests, {len(unexpected_allows)} unexpected allows, "
          f"{len(mismatches)} other mismatches")
    assert not unexpected_allows, "UNEXPECTED ALLOWS:\n" + "\n".join(map(str, unexpected_allows))
    assert not mismatches, "refused the wrong way or not let through:\n" + "\n".join(map(str, mismatches))
