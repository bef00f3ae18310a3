"""A doctor, in a real browser: signs in, adds a weekly pattern, generates a week of
availability from it, and — once a patient has booked one of the new times — confirms the
appointment and takes it through arrival and the visit to completed."""

import re
from datetime import timedelta

import pytest
from selenium.webdriver.common.by import By

import journal
from portal import DEMO_PASSWORD, DOCTORS, Actor, book, clinic_today, doctor_ids

pytestmark = pytest.mark.flows

WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def day_slots(actor: Actor, doctor_id: int, day) -> list[tuple[int, str]]:
    """(block id, label) of the free slots shown for one day of the doctor's public week page."""
    text = actor.get(f"/doctors/{doctor_id}?week={day.isoformat()}").text
    section = text.split(f'id="day-{day.isoformat()}"', 1)[1].split('<section class="day"', 1)[0]
    return [(int(b), re.sub(r"<[^>]+>", "", label).strip())
            for b, label in re.findall(r'href="/patient/book/(\d+)">(.*?)</a>', section)]


def test_doctor_generates_a_week_of_availability_then_confirms_and_completes_a_booking(browsers):
    email = journal.DOCTOR_EMAIL
    name = DOCTORS[email]
    target = clinic_today() + timedelta(days=2)  # an evening the demo patterns leave free

    browser = browsers()
    browser.sign_in(email, DEMO_PASSWORD)
    assert browser.path.startswith("/doctor"), browser.path

    # A weekly pattern for the target's weekday, 17:00–18:00 in 30-minute slots.
    browser.click_link("Availability")
    form = browser.form_with_button("Save pattern")
    browser.fill("Clinic", "Riverside Health Centre", within=form)
    browser.fill("Day of the week", WEEKDAYS[target.weekday()], within=form)
    browser.fill("Start", "17:00", within=form)
    browser.fill("End", "18:00", within=form)
    browser.fill("Slot length (minutes)", "30", within=form)
    browser.fill("Patients per slot", "1", within=form)
    browser.fill("First day", clinic_today().isoformat(), within=form)
    browser.click_button("Save pattern")
    assert "The weekly pattern has been saved" in browser.text(), browser.main_text()[:800]
    assert "17:00" in browser.main_text()

    # One week of blocks from the patterns.
    form = browser.form_with_button("Generate blocks")
    browser.fill("Weeks ahead", "1", within=form)
    browser.click_button("Generate blocks")
    created = re.search(r"(\d+) new blocks were created", browser.text())
    assert created, browser.main_text()[:800]
    assert int(created.group(1)) >= 2, created.group(0)

    # A patient books one of the new times (over plain HTTP, from their own device).
    patient = Actor("patient3", "patient3@demo.test")
    doctor_id = doctor_ids(patient)[name]
    evening = [(b, label) for b, label in day_slots(patient, doctor_id, target) if label.startswith("17:")]
    assert len(evening) >= 2, f"the patient sees {evening} on {target}"
    appointment_id = book(patient, evening[0][0], reason="Back pain after lifting")

    # The doctor finds it on the day and moves it forward step by step.
    browser.click_link("Day")
    for _ in range(2):
        browser.click_link("Next day →")
    rows = [r for r in browser.driver.find_elements(By.CSS_SELECTOR, "main table tbody tr") if "Lena Fischer" in r.text]
    assert rows, f"no appointment of Lena Fischer on {browser.path}: {browser.main_text()[:600]}"
    rows[0].find_element(By.TAG_NAME, "a").click()
    browser.after_action("doctor appointment")
    assert browser.path == f"/doctor/appointments/{appointment_id}", browser.path
    assert "Back pain after lifting" in browser.main_text()

    for action, status in [("Confirm", "Confirmed"), ("Checked in", "Arrived"), ("Start", "In progress"),
                           ("Complete", "Completed")]:
        browser.fill("New status", action)
        browser.click_button("Save status")
        assert "The appointment's status has been changed." in browser.text(), \
            f"moving to {status}: {browser.main_text()[:600]}"
        badge = browser.driver.find_element(By.CSS_SELECTOR, "main .badge").text
        assert badge == status, f"badge shows {badge!r} after choosing {status}"
    assert "No further status change is possible now." in browser.main_text()
    journal.COMPLETED_APPOINTMENT = appointment_id
    browser.sign_out()
