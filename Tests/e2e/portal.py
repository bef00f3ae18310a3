"""Helpers shared by the end-to-end tests: the portal's address, HTTP sessions per actor,
a browser that finds form fields by their visible labels, and the record of visited pages
that the HTML and accessibility checks read at the end of the run."""

import html
import json
import os
import re
import socket
import time
import urllib.parse
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import requests
from selenium import webdriver
from selenium.common.exceptions import NoSuchElementException, TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

# Where the tests reach the portal. In the `attack` mode of run.sh this is the TLS proxy in front of a
# portal started with --secure-cookies (as in production); DIRECT_URL is then the portal itself.
BASE_URL = os.environ.get("E2E_BASE_URL", "http://127.0.0.1:8200").rstrip("/")
DIRECT_URL = os.environ.get("E2E_DIRECT_URL", BASE_URL).rstrip("/")
# The proxy's throwaway self-signed certificate: our own requests verify it; the attack tools are told not to.
CA_CERT = os.environ.get("E2E_CA_CERT") or True
DEMO_PASSWORD = os.environ.get("E2E_DEMO_PASSWORD", "")
ARTIFACTS = Path(os.environ.get("E2E_ARTIFACTS", ".build/e2e-artifacts"))
PAGES_DIR = ARTIFACTS / "pages"
CLINIC_ZONE = ZoneInfo("Europe/Berlin")  # the demo clinic's zone (Storage/DemoSeeder.swift)

ADMIN = "admin@demo.test"
DOCTORS = {"doctor1@demo.test": "Dr. Maria Keller", "doctor2@demo.test": "Dr. Jonas Weber",
           "doctor3@demo.test": "Dr. Aylin Demir"}
PATIENTS = {"patient1@demo.test": "Paula Patient", "patient2@demo.test": "Peter Novak",
            "patient3@demo.test": "Lena Fischer", "patient4@demo.test": "Omar Haddad",
            "patient5@demo.test": "Grace Okafor"}

CSRF_RE = re.compile(r'name="_csrf" value="([^"]*)"')


def url(path: str) -> str:
    return BASE_URL + path


def clinic_today() -> date:
    return datetime.now(CLINIC_ZONE).date()


def unique(prefix: str) -> str:
    return f"{prefix}{int(time.time() * 1000) % 10_000_000}"


def free_port(exclude=()) -> int:
    """A free loopback port inside E2E_PORTS (the range this run may use)."""
    low, high = map(int, os.environ.get("E2E_PORTS", "8200-8299").split("-"))
    skip = set(exclude) | {int(p) for p in os.environ.get("E2E_SERVER_PORTS", "").split()}
    for port in range(low, high + 1):
        if port in skip:
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in E2E_PORTS")


# ---------------------------------------------------------------------------------------------
# HTTP sessions (requests), one per actor


def csrf_of(text: str) -> str:
    match = CSRF_RE.search(text)
    if not match:
        raise AssertionError("no _csrf field on the page")
    return html.unescape(match.group(1))


class Actor:
    """A person using the portal through plain HTTP: their cookies and their CSRF token."""

    def __init__(self, name: str, email: str | None = None, password: str | None = None):
        self.name = name
        self.email = email
        self.http = requests.Session()
        self.http.headers["User-Agent"] = f"clinic-e2e ({name})"
        # Only our own settings: no proxy and no CA bundle from the environment (REQUESTS_CA_BUNDLE would
        # replace the proxy's throwaway certificate), loopback only.
        self.http.trust_env = False
        self.http.verify = CA_CERT
        self.csrf = ""
        if email:
            self.sign_in(email, password or DEMO_PASSWORD)
        else:
            self.csrf = csrf_of(self.get("/login").text)

    def get(self, path: str, **kw) -> requests.Response:
        return self.http.get(url(path), allow_redirects=False, timeout=15, **kw)

    def post(self, path: str, data: dict | list, **kw) -> requests.Response:
        return self.http.post(url(path), data=data, allow_redirects=False, timeout=15, **kw)

    def sign_in(self, email: str, password: str) -> None:
        page = self.get("/login")
        response = self.post("/login", {"_csrf": csrf_of(page.text), "email": email, "password": password, "next": ""})
        assert response.status_code == 303, f"sign-in of {email} answered {response.status_code}"
        home = self.http.get(url(response.headers["Location"]), timeout=15)
        assert home.status_code == 200, f"home of {email} answered {home.status_code}"
        self.csrf = csrf_of(home.text)

    def session_cookie(self) -> dict:
        return {c.name: c.value for c in self.http.cookies}


def register_patient(full_name: str, email: str, password: str) -> Actor:
    """Registers through the public form (plain HTTP) and signs in."""
    anonymous = Actor("registrant")
    response = anonymous.post("/register", {"_csrf": anonymous.csrf, "full_name": full_name, "email": email,
                                            "password": password, "password_confirm": password})
    assert response.status_code == 303, f"registration answered {response.status_code}"
    return Actor(full_name, email, password)


def doctor_ids(actor: Actor) -> dict[str, int]:
    """Doctor name → id, read from the public directory."""
    text = actor.http.get(url("/doctors"), timeout=15).text
    found = {}
    for href, name in re.findall(r'<h2><a href="/doctors/(\d+)">([^<]+)</a></h2>', text):
        found[html.unescape(name)] = int(href)
    return found


def slot_links(actor: Actor, doctor_id: int, week: date | None = None) -> list[tuple[int, str]]:
    """(block id, label) of every free slot on a doctor's week page."""
    path = f"/doctors/{doctor_id}" + (f"?week={week.isoformat()}" if week else "")
    text = actor.http.get(url(path), timeout=15).text
    return [(int(b), re.sub(r"<[^>]+>", "", label).strip())
            for b, label in re.findall(r'href="/patient/book/(\d+)">(.*?)</a>', text)]


def book(actor: Actor, block_id: int, reason: str = "Routine check-up") -> int:
    """Books a block as a patient over HTTP; returns the appointment id."""
    form = actor.get(f"/patient/book/{block_id}")
    assert form.status_code == 200, f"booking form of block {block_id} answered {form.status_code}"
    key = re.search(r'name="booking_key" value="([^"]*)"', form.text)
    types = re.findall(r'<option value="(\d+)"', form.text)
    assert types, "the booking form offers no appointment type"
    response = actor.post(f"/patient/book/{block_id}", {
        "_csrf": csrf_of(form.text), "booking_key": key.group(1) if key else "",
        "appointment_type": types[0], "reason": reason, "patient_notes": ""})
    assert response.status_code == 303, f"booking block {block_id} answered {response.status_code}: {response.text[:300]}"
    match = re.search(r"/patient/appointments/(\d+)", response.headers.get("Location", ""))
    assert match, f"booking redirected to {response.headers.get('Location')}"
    return int(match.group(1))


# ---------------------------------------------------------------------------------------------
# Pages visited by the browser flows: saved for the Nu checker, checked by axe-core at once


VISITED: list[dict] = []  # {"name", "url", "file", "axe": [violations]}
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def _axe_script() -> str:
    try:
        import axe_playwright_python  # bundles a current axe-core; only its script is used
        return (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text()
    except ImportError:
        import axe_selenium_python
        return (Path(axe_selenium_python.__file__).parent / "node_modules/axe-core/axe.min.js").read_text()


_AXE = None


class Browser:
    """Headless Chromium driven like a person: links by their text, fields by their labels."""

    def __init__(self, javascript: bool = True, download_dir: Path | None = None, check_pages: bool = True):
        options = webdriver.ChromeOptions()
        for arg in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                    "--window-size=1280,1000", "--lang=en-US", "--no-first-run", "--disable-extensions",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync"]:
            options.add_argument(arg)
        options.binary_location = "/usr/bin/chromium"
        prefs = {"intl.accept_languages": "en-US,en"}
        if not javascript:
            prefs["profile.managed_default_content_settings.javascript"] = 2
        if download_dir:
            prefs.update({"download.default_directory": str(download_dir), "download.prompt_for_download": False})
        options.add_experimental_option("prefs", prefs)
        service = Service(executable_path="/usr/bin/chromedriver", port=free_port())
        self.driver = webdriver.Chrome(options=options, service=service)
        self.driver.set_page_load_timeout(20)
        self.javascript = javascript
        self._last_document = None
        self.check_pages = check_pages and javascript  # axe-core needs JavaScript

    def quit(self):
        self.driver.quit()

    # navigation -----------------------------------------------------------------------------
    @property
    def path(self) -> str:
        parts = urllib.parse.urlsplit(self.driver.current_url)
        return parts.path + (("?" + parts.query) if parts.query else "")

    def open(self, path: str, name: str | None = None):
        self.driver.get(url(path))
        self.page_loaded(name or path)

    def page_loaded(self, name: str):
        """Records the page now shown: raw HTML for the Nu checker, axe-core results."""
        def ready(d):
            """The loaded document's <html> reference (truthy), or False while it is still loading."""
            try:
                if self.javascript:
                    if d.execute_script("return document.readyState") != "complete":
                        return False
                elif not d.find_elements(By.CSS_SELECTOR, "body main, body"):
                    return False
                return d.find_element(By.TAG_NAME, "html").id
            except Exception:  # navigating: the old document is gone, the new one not there yet
                return False
        if self._last_document is not None:
            # A click only starts the navigation: until the old document is replaced, "ready" would be
            # judged on the page being left (with JavaScript off there is no readyState to wait for).
            # A new document has a new <html> element, so a new WebDriver element reference.
            def replaced(d):
                try:
                    return d.find_element(By.TAG_NAME, "html").id != self._last_document
                except Exception:  # between documents
                    return False
            try:
                WebDriverWait(self.driver, 10).until(replaced)
            except TimeoutException:
                pass  # no navigation after all; what the test checks next will tell
        self._last_document = WebDriverWait(self.driver, 10).until(ready)
        if not self.check_pages:
            return
        current = self.driver.current_url
        if not current.startswith(BASE_URL):
            return
        cookies = {c["name"]: c["value"] for c in self.driver.get_cookies()}
        raw = requests.get(current, cookies=cookies, allow_redirects=False, timeout=15)
        index = len(VISITED) + 1
        slug = re.sub(r"[^A-Za-z0-9]+", "-", name).strip("-")[:60] or "page"
        PAGES_DIR.mkdir(parents=True, exist_ok=True)
        file = PAGES_DIR / f"{index:03d}-{slug}.html"
        entry = {"name": name, "url": current, "file": str(file), "axe": [], "status": raw.status_code}
        if "text/html" in raw.headers.get("Content-Type", ""):
            file.write_text(raw.text)
        else:
            entry["file"] = None
        entry["axe"] = self.axe_violations()
        VISITED.append(entry)

    def axe_violations(self) -> list[dict]:
        global _AXE
        if _AXE is None:
            _AXE = _axe_script()
        self.driver.execute_script(_AXE)
        self.driver.set_script_timeout(30)
        result = self.driver.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "axe.run(document, {runOnly: {type: 'tag', values: arguments[0]}, resultTypes: ['violations']})"
            ".then(r => done(r.violations)).catch(e => done([{id: 'axe-error', impact: 'critical', help: String(e), nodes: []}]));",
            AXE_TAGS)
        return [{"id": v["id"], "impact": v.get("impact"), "help": v.get("help", ""),
                 "targets": [n.get("target") for n in v.get("nodes", [])][:5],
                 "html": [n.get("html", "")[:200] for n in v.get("nodes", [])][:3]} for v in result]

    def after_action(self, name: str):
        self.page_loaded(name)

    def click_link(self, text: str, within=None, exact: bool = True):
        scope = within or self.driver
        links = [a for a in scope.find_elements(By.TAG_NAME, "a")
                 if (a.text.strip() == text if exact else text in a.text) and a.is_displayed()]
        if not links:
            raise NoSuchElementException(f"no link '{text}' on {self.path}")
        downloads = links[0].get_attribute("download") is not None
        links[0].click()
        if not downloads:  # a download leaves the page as it is
            self.after_action(f"link {text}")

    def click_button(self, text: str, within=None):
        scope = within or self.driver
        buttons = [b for b in scope.find_elements(By.CSS_SELECTOR, "button, input[type=submit]")
                   if (b.text.strip() or b.get_attribute("value") or "").strip() == text and b.is_displayed()]
        if not buttons:
            raise NoSuchElementException(f"no button '{text}' on {self.path}")
        buttons[0].click()
        self.after_action(f"button {text}")

    def form_with_button(self, text: str):
        """The form a person means by its submit button's text."""
        for form in self.driver.find_elements(By.TAG_NAME, "form"):
            for b in form.find_elements(By.CSS_SELECTOR, "button, input[type=submit]"):
                if (b.text.strip() or b.get_attribute("value") or "").strip() == text:
                    return form
        raise NoSuchElementException(f"no form with a '{text}' button on {self.path}")

    # fields by label ---------------------------------------------------------------------------
    def field(self, label: str, within=None):
        """The control a <label> with this visible text points at (its `for`), as a person finds it.

        Exact text first; then a label that starts with it (labels such as 'Phone (optional)')."""
        scope = within or self.driver
        labels = scope.find_elements(By.TAG_NAME, "label")
        texts = [(l, " ".join(l.text.split())) for l in labels]
        chosen = [l for l, t in texts if t == label] or [l for l, t in texts if t.startswith(label + " ")]
        if not chosen:
            raise NoSuchElementException(f"no label '{label}' on {self.path} (labels: {[t for _, t in texts]})")
        target = chosen[0].get_attribute("for")
        assert target, f"label '{label}' on {self.path} has no for attribute"
        return self.driver.find_element(By.ID, target)

    def fill(self, label: str, value: str, within=None):
        element = self.field(label, within)
        kind = (element.get_attribute("type") or "").lower()
        if element.tag_name == "select":
            select = Select(element)
            texts = [" ".join(o.text.split()) for o in select.options]
            matches = [i for i, t in enumerate(texts) if t == value] or \
                      [i for i, t in enumerate(texts) if t.startswith(value + " ")]
            assert matches, f"'{label}' offers no '{value}' (options: {texts})"
            select.select_by_index(matches[0])
            return
        if kind in ("checkbox", "radio"):
            if not element.is_selected():
                element.click()
            return
        if kind in ("date", "time"):
            self._type_date_or_time(element, kind, value)
            return
        element.clear()
        element.send_keys(value)

    def _type_date_or_time(self, element, kind: str, value: str):
        """Types an ISO date (YYYY-MM-DD) or time (HH:MM) the way Chromium's en-US widgets take it."""
        if kind == "date":
            y, m, d = value.split("-")
            keys = f"{m}{d}{y}"
        else:
            h, mi = map(int, value.split(":"))
            keys = f"{(h % 12) or 12:02d}{mi:02d}{'AM' if h < 12 else 'PM'}"
        element.click()
        element.send_keys(keys)
        actual = element.get_attribute("value")
        assert actual == value, f"typed {keys} into the {kind} field but it holds '{actual}' (wanted {value})"

    def check(self, label: str, within=None):
        self.fill(label, "", within)

    def text(self) -> str:
        return self.driver.find_element(By.TAG_NAME, "body").text

    def main_text(self) -> str:
        return self.driver.find_element(By.TAG_NAME, "main").text

    def sign_in(self, email: str, password: str):
        self.open("/", "landing")
        self.click_link("Sign in")
        self.fill("Email", email)
        self.fill("Password", password)
        self.click_button("Sign in")
        assert "/login" not in self.path, f"sign-in as {email} failed: {self.main_text()[:300]}"

    def sign_out(self):
        self.click_button("Sign out")


def write_json(name: str, value) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / name
    path.write_text(json.dumps(value, indent=2, default=str))
    return path


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())
