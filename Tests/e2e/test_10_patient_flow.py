"""A new patient, in a real browser: registers, finds a doctor, books, sees the booking,
moves it to another time, downloads the calendar file and cancels — once with JavaScript and
once with JavaScript disabled (the pages must not need it)."""

import re

import pytest
import requests
from selenium.webdriver.common.by import By

import journal
from portal import Browser, url, unique

pytestmark = pytest.mark.flows

PASSWORD = "correct horse battery staple 42"


def free_slot_links(browser: Browser, weeks: int = 4):
    """The free-slot links of the doctor's week page, paging forward like a person until some show."""
    for _ in range(weeks):
        slots = [a for a in browser.driver.find_elements(By.CSS_SELECTOR, "a.slot") if a.is_displayed()]
        if slots:
            return slots
        browser.click_link("Next week")
    raise AssertionError(f"no free slot in {weeks} weeks on {browser.path}")


def patient_journey(browser: Browser, full_name: str, email: str, specialty: str, doctor: str):
    journal.PATIENT_EMAILS.append(email)
    # Registers from the landing page.
    browser.open("/", "landing")
    browser.click_link("Create account")
    browser.fill("Full name", full_name)
    browser.fill("Email", email)
    browser.fill("Password", PASSWORD)
    browser.fill("Confirm password", PASSWORD)
    browser.click_button("Create account")
    assert "Your account has been created" in browser.text(), browser.main_text()[:500]

    # Signs in on the page the registration led to.
    browser.fill("Email", email)
    browser.fill("Password", PASSWORD)
    browser.click_button("Sign in")
    assert browser.path.startswith("/patient"), f"after sign-in: {browser.path}"
    assert "You have no upcoming appointments." in browser.main_text()

    # Finds a doctor by specialty in the directory.
    browser.click_link("Find a doctor")
    browser.fill("Specialty", specialty)
    browser.click_button("Search")
    cards = browser.driver.find_elements(By.CSS_SELECTOR, "main li.card")
    names = [c.find_element(By.TAG_NAME, "h2").text for c in cards]
    assert names == [doctor], f"directory filtered by {specialty} shows {names}"
    browser.click_link(doctor)

    # Books the first free time.
    slot = free_slot_links(browser)[0]
    slot_label = slot.text.split("\n")[0].strip()
    slot.click()
    browser.after_action("booking form")
    assert browser.path.startswith("/patient/book/"), browser.path
    browser.fill("Type of appointment", "Consultation")
    browser.fill("Reason for the visit", "Persistent cough for two weeks")
    browser.click_button("Book appointment")
    assert "Your appointment is booked." in browser.text(), browser.main_text()[:500]
    first_path = browser.path
    assert re.fullmatch(r"/patient/appointments/\d+", first_path), first_path
    detail = browser.main_text()
    assert doctor in detail and "Persistent cough for two weeks" in detail
    assert "Awaiting confirmation" in detail or "Confirmed" in detail

    # Sees it among the upcoming appointments.
    browser.click_link("My appointments")
    rows = browser.driver.find_elements(By.CSS_SELECTOR, "main table tbody tr")
    assert len(rows) == 1 and doctor in rows[0].text, [r.text for r in rows]
    browser.click_link("Details", within=rows[0])
    assert browser.path == first_path

    # The calendar file, fetched with the browser's own cookies.
    link = browser.driver.find_element(By.PARTIAL_LINK_TEXT, "Add to my calendar").get_attribute("href")
    cookies = {c["name"]: c["value"] for c in browser.driver.get_cookies()}
    ics = requests.get(link, cookies=cookies, timeout=10)
    assert ics.status_code == 200 and ics.headers["Content-Type"].startswith("text/calendar"), ics.status_code
    assert "BEGIN:VCALENDAR" in ics.text and "BEGIN:VEVENT" in ics.text

    # Moves it to another free time.
    browser.click_link("Move to another time")
    radios = [r for r in browser.driver.find_elements(By.CSS_SELECTOR, "main input[type=radio][name=block_id]")]
    if not radios:
        browser.click_link("Next week")
        radios = browser.driver.find_elements(By.CSS_SELECTOR, "main input[type=radio][name=block_id]")
    assert radios, f"no other free time offered on {browser.path}"
    label = browser.driver.find_element(By.CSS_SELECTOR, f"label[for='{radios[0].get_attribute('id')}']").text
    browser.fill(" ".join(label.split()), "")
    browser.click_button("Move to the chosen time")
    assert "Your appointment has been moved." in browser.text(), browser.main_text()[:500]
    moved_path = browser.path
    assert re.fullmatch(r"/patient/appointments/\d+", moved_path), moved_path
    assert label.split()[0] in browser.main_text(), f"new time {label!r} not on {moved_path}"

    browser.click_link("All my appointments")
    upcoming = browser.driver.find_elements(By.CSS_SELECTOR, "main table tbody tr")
    active = [r.text for r in upcoming if "Cancelled" not in r.text]
    assert len(active) == 1, f"after moving, active appointments: {[r.text for r in upcoming]}"

    # Cancels it with a reason.
    browser.open(moved_path, "moved appointment")
    browser.fill("Why are you cancelling?", "Feeling better, thank you")
    browser.click_button("Cancel appointment")
    assert "Your appointment has been cancelled" in browser.text(), browser.main_text()[:500]
    assert "Cancelled" in browser.main_text()
    assert "Feeling better, thank you" in browser.main_text()
    assert not browser.driver.find_elements(By.XPATH, "//button[normalize-space(.)='Cancel appointment']")

    browser.sign_out()
    assert "You have been signed out." in browser.text()
    return slot_label


def test_patient_registers_finds_a_doctor_books_reschedules_and_cancels(browsers):
    browser = browsers()
    patient_journey(browser, "Erika Mustermann", unique("erika") + "@example.test", "Dermatology", "Dr. Jonas Weber")


def test_the_same_journey_works_with_javascript_disabled(browsers):
    browser = browsers(javascript=False)
    # Proof that the browser really runs no script: a page that would retitle itself does not.
    browser.driver.get("data:text/html,<title>static</title><script>document.title='scripted'</script>")
    assert browser.driver.title == "static", "JavaScript is still enabled in this browser"
    patient_journey(browser, "Jan Kowalski", unique("jan") + "@example.test", "Paediatrics", "Dr. Aylin Demir")
