"""Through the TLS proxy, as in production: the portal refuses a POST whose CSRF token is missing,
tampered with, bound to another visitor's cookie, or sent from another origin — on the anonymous
forms (sign-in, registration) and on a signed-in one — and its cookies carry Secure, HttpOnly,
SameSite and the __Host- prefix (RFC 6265bis §4.1.3.2: Secure, Path=/, no Domain)."""

import pytest
import requests

from attack import is_loopback
from portal import BASE_URL, CA_CERT, DEMO_PASSWORD, Actor, url

pytestmark = pytest.mark.attack

SECURE = BASE_URL.startswith("https:")


def login_fields(token: str | None) -> dict:
    fields = {"email": "patient3@demo.test", "password": DEMO_PASSWORD, "next": ""}
    if token is not None:
        fields["_csrf"] = token
    return fields


def register_fields(token: str | None, email: str) -> dict:
    fields = {"full_name": "Csrf Probe", "email": email, "phone": "", "date_of_birth": "",
              "password": "a long enough password 7", "password_confirm": "a long enough password 7"}
    if token is not None:
        fields["_csrf"] = token
    return fields


def tampered(token: str) -> str:
    return token[:-1] + ("A" if token[-1] != "A" else "B")


@pytest.mark.parametrize("path", ["/login", "/register"])
def test_an_anonymous_form_is_refused_without_its_own_valid_token(path):
    assert is_loopback(BASE_URL), "loopback targets only"
    visitor, other = Actor("csrf visitor"), Actor("another visitor")
    fields = (lambda token, n: login_fields(token)) if path == "/login" else \
        (lambda token, n: register_fields(token, f"csrf-{n}-{visitor.csrf[:8].lower()}@example.test"))
    refusals = {
        "missing": visitor.post(path, fields(None, 1)),
        "empty": visitor.post(path, fields("", 2)),
        "tampered": visitor.post(path, fields(tampered(visitor.csrf), 3)),
        "another visitor's": visitor.post(path, fields(other.csrf, 4)),
        "cross-origin": visitor.post(path, fields(visitor.csrf, 5), headers={"Origin": "https://attacker.example"}),
        "cross-site fetch": visitor.post(path, fields(visitor.csrf, 6), headers={"Sec-Fetch-Site": "cross-site"}),
    }
    wrong = {name: r.status_code for name, r in refusals.items() if r.status_code != 403}
    assert not wrong, f"{path} did not refuse with 403: {wrong}"
    assert not any("session=" in r.headers.get("Set-Cookie", "") for r in refusals.values()), \
        "a refused request got a session"
    # The same request with the visitor's own token (and the proxy's own origin) goes through.
    accepted = visitor.post(path, fields(visitor.csrf, 7), headers={"Origin": BASE_URL})
    assert accepted.status_code == 303, f"{path} with a valid token answered {accepted.status_code}"


def test_a_signed_in_form_is_refused_without_the_sessions_token():
    patient = Actor("csrf patient", "patient3@demo.test")
    stranger = Actor("csrf stranger", "patient2@demo.test")
    body = {"full_name": "Lena Fischer", "phone": ""}
    statuses = {
        "missing": patient.post("/patient/profile", body).status_code,
        "tampered": patient.post("/patient/profile", {**body, "_csrf": tampered(patient.csrf)}).status_code,
        "another session's": patient.post("/patient/profile", {**body, "_csrf": stranger.csrf}).status_code,
        "cross-origin": patient.post("/patient/profile", {**body, "_csrf": patient.csrf},
                                     headers={"Origin": "https://attacker.example"}).status_code,
    }
    assert all(s == 403 for s in statuses.values()), f"/patient/profile did not refuse with 403: {statuses}"
    assert patient.post("/patient/profile", {**body, "_csrf": patient.csrf}).status_code == 303


def test_cookies_behind_the_tls_proxy_are_secure_host_only_and_http_only():
    assert SECURE, "the attack mode runs behind the TLS proxy (run.sh attack)"
    fresh = requests.get(url("/login"), verify=CA_CERT, allow_redirects=False, timeout=15)  # no cookie yet
    signed_in = Actor("cookie patient")
    response = signed_in.post("/login", login_fields(signed_in.csrf))
    assert response.status_code == 303
    headers = fresh.raw.headers.getlist("Set-Cookie") + response.raw.headers.getlist("Set-Cookie")
    names = {h.split("=", 1)[0] for h in headers}
    assert {"__Host-csrf", "__Host-session"} <= names, f"cookies set: {headers}"
    for header in headers:
        attributes = [a.strip().lower() for a in header.split(";")[1:]]
        assert header.startswith("__Host-"), header
        assert "secure" in attributes and "httponly" in attributes and "path=/" in attributes, header
        assert any(a.startswith("samesite=") for a in attributes), header
        assert not any(a.startswith("domain=") for a in attributes), header
