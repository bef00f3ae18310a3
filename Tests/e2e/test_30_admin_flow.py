"""An admin, in a real browser: creates a doctor (who then signs in and replaces the
temporary password), reads the audit entries of everything the other flows did, and
downloads them as CSV."""

import csv
import io
import time

import pytest
from selenium.common.exceptions import NoSuchElementException
from selenium.webdriver.common.by import By

import journal
from portal import ADMIN, ARTIFACTS, DEMO_PASSWORD, unique

pytestmark = pytest.mark.flows


def audit_actions_of(browser, actor: str) -> list[str]:
    browser.click_link("Audit log")
    browser.fill("Actor", actor)
    browser.click_button("Filter")
    rows = browser.driver.find_elements(By.CSS_SELECTOR, "main table tbody tr")
    return [r.find_elements(By.TAG_NAME, "td")[3].text for r in rows if len(r.find_elements(By.TAG_NAME, "td")) >= 7]


def test_admin_creates_a_doctor_reads_the_audit_log_and_downloads_it_as_csv(browsers):
    downloads = ARTIFACTS / "downloads"
    downloads.mkdir(parents=True, exist_ok=True)
    browser = browsers(download_dir=downloads)
    browser.sign_in(ADMIN, DEMO_PASSWORD)
    assert browser.path.startswith("/admin"), browser.path

    # Creates a doctor who works at the demo clinic.
    try:
        browser.click_link("New doctor")
    except NoSuchElementException:
        browser.click_link("Clinics")
        browser.click_link("New doctor")
    email = unique("house") + "@example.test"
    browser.fill("Full name", "Dr. Gregory House")
    browser.fill("Email", email)
    browser.fill("Specialty", "Diagnostics")
    browser.fill("Short biography", "Solves the cases nobody else can.")
    browser.check("Riverside Health Centre")
    browser.click_button("Create doctor account")
    assert "Dr. Gregory House" in browser.main_text(), browser.main_text()[:800]
    temporary = browser.driver.find_element(By.CSS_SELECTOR, "main code").text.strip()
    assert len(temporary) >= 12, f"temporary password {temporary!r}"
    journal.CREATED_DOCTOR.update(email=email)

    # The new doctor signs in, must replace the temporary password, then reaches the doctor pages.
    doctor = browsers()
    doctor.sign_in(email, temporary)
    assert "Please choose a new password before you continue." in doctor.text(), doctor.main_text()[:600]
    new_password = "stethoscope lantern 1987 violet"
    doctor.fill("Current password", temporary)
    doctor.fill("New password", new_password)
    doctor.fill("Confirm password", new_password)
    doctor.click_button("Change password")
    assert "Your password has been changed." in doctor.text(), doctor.main_text()[:600]
    doctor.open("/doctor", "new doctor's day")
    doctor.click_link("Availability")
    assert doctor.path == "/doctor/availability"
    doctor.sign_out()

    # The audit log holds every step of the flows, each under its actor.
    expected = {
        ADMIN: {"auth.login", "doctor.created"},
        email: {"auth.login", "password.changed"},
        journal.DOCTOR_EMAIL: {"auth.login", "pattern.created", "blocks.generated", "appointment.status_changed"},
    }
    for patient in journal.PATIENT_EMAILS:
        expected[patient] = {"auth.login", "appointment.booked", "appointment.rescheduled", "appointment.cancelled",
                             "auth.logout"}
    missing = {}
    for actor, actions in expected.items():
        shown = audit_actions_of(browser, actor)
        if not actions <= set(shown):
            missing[actor] = sorted(actions - set(shown))
    assert not missing, f"audit entries not found: {missing}"
    status_changes = audit_actions_of(browser, journal.DOCTOR_EMAIL).count("appointment.status_changed")
    assert status_changes >= 4, f"{status_changes} status changes by the doctor in the audit log"

    # Downloads the filtered entries as CSV (the filter still holds the doctor's email).
    before = set(downloads.iterdir())
    browser.click_link("Download these entries as CSV")
    deadline = time.time() + 15
    files, sizes = [], None
    while time.time() < deadline:
        new = set(downloads.iterdir()) - before
        files = [f for f in new if not f.name.endswith(".crdownload")]
        # Finished: no partial download left and the file no longer grows.
        now = [f.stat().st_size for f in files]
        if files and len(files) == len(new) and now == sizes:
            break
        sizes = now
        time.sleep(0.3)
    assert files, "no CSV was downloaded"
    rows = list(csv.reader(io.StringIO(files[0].read_text())))
    assert len(rows) >= 2, rows
    flat = [",".join(r) for r in rows[1:]]
    for action in ["pattern.created", "blocks.generated", "appointment.status_changed"]:
        assert any(action in line for line in flat), f"{action} missing from the CSV {files[0]}"
    assert all(journal.DOCTOR_EMAIL in line for line in flat), "the CSV ignores the actor filter"
